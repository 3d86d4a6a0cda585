package burpsuitedast

import (
	"bufio"
	"errors"
	"html"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
)

// The Burp Suite DAST report is HTML, not XHTML, and its request/response
// blocks are not always escaped (a "</about" in a redirect body), so an XML
// decoder cannot read it. This is a small forgiving HTML tokenizer: it
// streams tags and text, never builds a tree, and only fails at the end of
// input inside a tag.

type tokenKind int

const (
	textToken tokenKind = iota
	startToken
	endToken
)

type token struct {
	kind  tokenKind
	name  string // lower-case tag name
	attrs map[string]string
	text  string // decoded text
}

func (t token) attr(name string) string { return t.attrs[name] }

// hasClass reports whether the tag's class attribute lists c.
func (t token) hasClass(c string) bool {
	for _, f := range strings.Fields(t.attrs["class"]) {
		if f == c {
			return true
		}
	}
	return false
}

type tokenizer struct {
	r   *bufio.Reader
	off int64
	// raw is the element whose content is raw text (style, script) that
	// the next call skips.
	raw string
}

func newTokenizer(r io.Reader) *tokenizer { return &tokenizer{r: bufio.NewReaderSize(r, 64<<10)} }

// maxToken bounds one tag or text run; longer text is cut, longer tags are
// an error, so memory stays bounded on hostile input.
const maxToken = 8 << 20

func (z *tokenizer) errorf(format string, args ...any) error {
	return report.Errorf(z.off, format, args...)
}

func (z *tokenizer) readByte() (byte, error) {
	b, err := z.r.ReadByte()
	if err == nil {
		z.off++
	}
	return b, err
}

func (z *tokenizer) peek(n int) []byte {
	b, _ := z.r.Peek(n)
	return b
}

// next returns the next token, io.EOF at the end of input.
func (z *tokenizer) next() (token, error) {
	if z.raw != "" {
		name := z.raw
		z.raw = ""
		if err := z.skipRaw(name); err != nil {
			return token{}, err
		}
	}
	for {
		b := z.peek(2)
		if len(b) == 0 {
			return token{}, io.EOF
		}
		if b[0] != '<' || len(b) < 2 {
			return z.text()
		}
		switch c := b[1]; {
		case c == '!' || c == '?':
			if err := z.skipMarkup(); err != nil {
				return token{}, err
			}
			continue
		case c == '/':
			if n := z.peek(3); len(n) == 3 && isLetter(n[2]) {
				return z.tag(true)
			}
		case isLetter(c):
			return z.tag(false)
		}
		// A lone "<" is text.
		return z.text()
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// text reads up to the next tag; its first byte may be a literal "<".
func (z *tokenizer) text() (token, error) {
	var sb strings.Builder
	first := true
	for {
		b := z.peek(1)
		if len(b) == 0 {
			break
		}
		if b[0] == '<' && !first {
			if n := z.peek(2); len(n) == 2 && (isLetter(n[1]) || n[1] == '/' || n[1] == '!' || n[1] == '?') {
				break
			}
		}
		first = false
		c, _ := z.readByte()
		if sb.Len() < maxToken {
			sb.WriteByte(c)
		}
	}
	return token{kind: textToken, text: html.UnescapeString(sb.String())}, nil
}

// skipMarkup skips a comment, doctype or processing instruction.
func (z *tokenizer) skipMarkup() error {
	if b := z.peek(4); string(b) == "<!--" {
		return z.skipPast("-->")
	}
	return z.skipPast(">")
}

// skipPast consumes input up to and including end.
func (z *tokenizer) skipPast(end string) error {
	matched := 0
	for {
		c, err := z.readByte()
		if err != nil {
			return z.eof(err, "unexpected end of input: expected %q", end)
		}
		switch {
		case c == end[matched]:
			matched++
			if matched == len(end) {
				return nil
			}
		case c == end[0]:
			matched = 1
		default:
			matched = 0
		}
	}
}

// skipRaw consumes the raw text of a style or script element, up to (not
// including) its end tag.
func (z *tokenizer) skipRaw(name string) error {
	closing := "</" + name
	for {
		b := z.peek(len(closing))
		if len(b) < len(closing) {
			return z.eof(io.EOF, "unexpected end of input in <%s>", name)
		}
		if strings.EqualFold(string(b), closing) {
			return nil
		}
		if _, err := z.readByte(); err != nil {
			return z.eof(err, "unexpected end of input in <%s>", name)
		}
	}
}

func (z *tokenizer) eof(err error, format string, args ...any) error {
	if errors.Is(err, io.EOF) {
		return z.errorf(format, args...)
	}
	return report.AtOffset(z.off, err)
}

// tag reads a start or end tag; the reader is at its "<".
func (z *tokenizer) tag(end bool) (token, error) {
	start := z.off
	_, _ = z.readByte() // <
	if end {
		_, _ = z.readByte() // /
	}
	name, err := z.word(func(c byte) bool { return !isSpace(c) && c != '>' && c != '/' })
	if err != nil {
		return token{}, err
	}
	t := token{kind: startToken, name: strings.ToLower(name)}
	if end {
		t.kind = endToken
	}
	for {
		if z.off-start > maxToken {
			return token{}, z.errorf("tag <%s> longer than %d bytes", t.name, maxToken)
		}
		c, err := z.readByte()
		if err != nil {
			return token{}, z.eof(err, "unexpected end of input in tag <%s>", t.name)
		}
		switch {
		case c == '>':
			if t.kind == startToken && (t.name == "style" || t.name == "script") {
				z.raw = t.name
			}
			return t, nil
		case isSpace(c) || c == '/':
			continue
		}
		// An attribute: name[=value].
		rest, err := z.word(func(c byte) bool { return !isSpace(c) && c != '>' && c != '=' && c != '/' })
		if err != nil {
			return token{}, err
		}
		key := strings.ToLower(string(c) + rest)
		val := ""
		if b := z.peek(1); len(b) == 1 && b[0] == '=' {
			_, _ = z.readByte()
			if val, err = z.value(); err != nil {
				return token{}, err
			}
		}
		if t.kind == startToken {
			if t.attrs == nil {
				t.attrs = map[string]string{}
			}
			if _, dup := t.attrs[key]; !dup {
				t.attrs[key] = html.UnescapeString(val)
			}
		}
	}
}

// word reads bytes while ok holds; it does not consume the first other byte.
func (z *tokenizer) word(ok func(byte) bool) (string, error) {
	var sb strings.Builder
	for {
		b := z.peek(1)
		if len(b) == 0 {
			return "", z.errorf("unexpected end of input in a tag")
		}
		if !ok(b[0]) {
			return sb.String(), nil
		}
		c, _ := z.readByte()
		if sb.Len() >= maxToken {
			return "", z.errorf("tag name or attribute longer than %d bytes", maxToken)
		}
		sb.WriteByte(c)
	}
}

// value reads a quoted or bare attribute value.
func (z *tokenizer) value() (string, error) {
	b := z.peek(1)
	if len(b) == 0 {
		return "", z.errorf("unexpected end of input in an attribute")
	}
	if q := b[0]; q == '"' || q == '\'' {
		_, _ = z.readByte()
		var sb strings.Builder
		for {
			c, err := z.readByte()
			if err != nil {
				return "", z.eof(err, "unexpected end of input in an attribute value")
			}
			if c == q {
				return sb.String(), nil
			}
			if sb.Len() >= maxToken {
				return "", z.errorf("attribute value longer than %d bytes", maxToken)
			}
			sb.WriteByte(c)
		}
	}
	return z.word(func(c byte) bool { return !isSpace(c) && c != '>' })
}
