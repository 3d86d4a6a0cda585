// Package jsonx holds the encoding/json helpers the JSON report formats
// share: a lenient text type for producers that are careless with JSON
// types, skipping a value token by token, and decoder errors placed at
// their offset.
package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ctemhq/ctem/internal/discover/report"
)

// Text is a lenient string: report producers are not always careful with
// types (CycloneDX's issue_8022.json has a list where the spec says a
// string), and a number or a list where a string belongs should not make a
// whole report unreadable. Numbers and booleans read as written, lists are
// joined with ", ", objects and null read as "".
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	// Fast path for the common case, a string without escapes.
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' {
		if inner := b[1 : n-1]; bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 && utf8.Valid(inner) {
			*t = Text(inner)
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	*t = Text(Flatten(v))
	return nil
}

// String returns t without surrounding white space.
func (t Text) String() string { return strings.TrimSpace(string(t)) }

// Flatten renders a JSON value decoded into an any (with UseNumber) as
// text: strings, numbers and booleans as written, lists joined with ", ",
// anything else as "".
func Flatten(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s := Flatten(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

// SkipValue reads past the value that comes next in dec's token stream (a
// scalar, or an object or array with all it holds), as a detector walking
// a possibly truncated head does after a key it has no use for.
func SkipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// Error places an error of dec at its offset: a syntax or type error at
// the offset it names, anything else at the decoder's input offset. A
// premature end of the input is io.ErrUnexpectedEOF.
func Error(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &report.ParseError{Offset: se.Offset, Err: err}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &report.ParseError{Offset: te.Offset, Err: err}
	}
	return report.AtOffset(dec.InputOffset(), err)
}
