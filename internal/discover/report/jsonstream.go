package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// JSONStream walks a JSON document token by token so that parsers can decode
// one array element at a time and keep memory flat however large the report.
// Errors it returns are ParseErrors at the byte offset where decoding stopped.
type JSONStream struct {
	dec *json.Decoder
}

// NewJSONStream reads JSON from r.
func NewJSONStream(r io.Reader) *JSONStream {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return &JSONStream{dec: dec}
}

// Offset is the byte offset just after the last token read.
func (s *JSONStream) Offset() int64 { return s.dec.InputOffset() }

func (s *JSONStream) fail(err error) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		return err // already placed, by a nested Object or Array
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &ParseError{Offset: se.Offset, Err: err}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &ParseError{Offset: te.Offset, Err: err}
	}
	return AtOffset(s.dec.InputOffset(), err)
}

// Object expects a JSON object and calls fn for each key; fn must consume the
// value with Decode, Skip, Object or Array. A null is accepted as an empty
// object.
func (s *JSONStream) Object(fn func(key string) error) error {
	tok, err := s.dec.Token()
	if err != nil {
		return s.fail(err)
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return Errorf(s.dec.InputOffset(), "expected a JSON object, found %s", describe(tok))
	}
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return s.fail(err)
		}
		key, ok := tok.(string)
		if !ok {
			return Errorf(s.dec.InputOffset(), "expected an object key, found %s", describe(tok))
		}
		if err := fn(key); err != nil {
			return s.fail(err)
		}
	}
	if _, err := s.dec.Token(); err != nil {
		return s.fail(err)
	}
	return nil
}

// Array expects a JSON array and calls fn for each element; fn must consume
// the element. A null is accepted as an empty array.
func (s *JSONStream) Array(fn func(i int) error) error {
	tok, err := s.dec.Token()
	if err != nil {
		return s.fail(err)
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return Errorf(s.dec.InputOffset(), "expected a JSON array, found %s", describe(tok))
	}
	for i := 0; s.dec.More(); i++ {
		if err := fn(i); err != nil {
			return s.fail(err)
		}
	}
	if _, err := s.dec.Token(); err != nil {
		return s.fail(err)
	}
	return nil
}

// Decode decodes the next value into v.
func (s *JSONStream) Decode(v any) error {
	if err := s.dec.Decode(v); err != nil {
		return s.fail(err)
	}
	return nil
}

// Skip consumes the next value whatever it is.
func (s *JSONStream) Skip() error {
	depth := 0
	for {
		tok, err := s.dec.Token()
		if err != nil {
			return s.fail(err)
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// End checks that nothing but white space follows the document.
func (s *JSONStream) End() error {
	if _, err := s.dec.Token(); err != io.EOF {
		if err != nil {
			return s.fail(err)
		}
		return Errorf(s.dec.InputOffset(), "unexpected data after the JSON document")
	}
	return nil
}

func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}
