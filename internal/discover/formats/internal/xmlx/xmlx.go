// Package xmlx holds the encoding/xml helpers the XML report formats share:
// a decoder that reads the Latin-1 documents some scanners write, errors
// placed at the decoder's position, and a look at a document's first
// element for detection; and, for the formats whose reports run to
// millions of items, Scanner, a tokenizer with encoding/xml's rules that
// does not allocate per token.
package xmlx

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ctemhq/ctem/internal/discover/report"
)

// NewDecoder is a strict decoder that never resolves entities beyond the
// XML built-ins and reads the Latin-1 reports some scanners write.
func NewDecoder(r io.Reader) *xml.Decoder {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = CharsetReader
	return dec
}

// CharsetReader is an xml.Decoder CharsetReader for the encodings reports
// declare: UTF-8 and ASCII as they are, and the single-byte ISO-8859-1 and
// windows-1252 read as Latin-1 (windows-1252's printable range differs only
// in 0x80-0x9F, which scanner reports do not use for markup).
func CharsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
		return &latin1Reader{r: bufio.NewReader(in)}, nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", label)
}

// latin1Reader turns ISO-8859-1 bytes into UTF-8 (each byte is one rune).
type latin1Reader struct {
	r   *bufio.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(l.buf) > 0 {
			c := copy(p[n:], l.buf)
			l.buf = l.buf[c:]
			n += c
			continue
		}
		b, err := l.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if b < utf8.RuneSelf {
			p[n] = b
			n++
			continue
		}
		l.buf = utf8.AppendRune(l.buf[:0], rune(b))
	}
	return n, nil
}

// Error places err at the decoder's position; a premature end of the input
// is io.ErrUnexpectedEOF.
func Error(dec *xml.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	line, col := dec.InputPos()
	return report.AtLine(line, col, err)
}

// TruncatedError is Error with a premature end of the input said as
// "truncated XML: unexpected EOF".
func TruncatedError(dec *xml.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		err = fmt.Errorf("truncated XML: %w", io.ErrUnexpectedEOF)
	}
	line, col := dec.InputPos()
	return report.AtLine(line, col, err)
}

// ReadError is Error for a parser that names its document ("reading nmap
// XML: ..."); a syntax error is placed at its own line when the decoder has
// moved past it.
func ReadError(dec *xml.Decoder, doc string, err error) error {
	line, col := dec.InputPos()
	return readError(line, col, doc, err)
}

func readError(line, col int, doc string, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) && se.Line > 0 && se.Line != line {
		line, col = se.Line, 0
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return report.AtLine(line, col, fmt.Errorf("reading %s: %w", doc, err))
}

// Errorf is a parser's own error, placed at the decoder's position.
func Errorf(dec *xml.Decoder, format string, args ...any) error {
	line, col := dec.InputPos()
	return report.AtLine(line, col, fmt.Errorf(format, args...))
}

// Attr returns the value of the element's attribute with the local name
// name, or "".
func Attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// RootElement returns the local name and the attributes of the first
// element in head, tolerating a head cut anywhere after it; "" when head
// has no element in its first tokens.
func RootElement(head []byte) (string, []xml.Attr) {
	dec := xml.NewDecoder(bytes.NewReader(head))
	dec.Strict = false
	dec.CharsetReader = CharsetReader
	for i := 0; i < 64; i++ {
		tok, err := dec.Token()
		if err != nil {
			return "", nil
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local, se.Attr
		}
	}
	return "", nil
}

// OnlyProlog reports whether b holds nothing but white space, processing
// instructions, comments and declarations (<!DOCTYPE ...>): the start of a
// document whose first element is not in view yet.
func OnlyProlog(b []byte) bool {
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		if len(b) == 0 {
			return true
		}
		var end []byte
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			end = []byte("?>")
		case bytes.HasPrefix(b, []byte("<!--")):
			end = []byte("-->")
		case bytes.HasPrefix(b, []byte("<!")):
			end = []byte(">")
		default:
			return false
		}
		j := bytes.Index(b, end)
		if j < 0 {
			return false
		}
		b = b[j+len(end):]
	}
}
