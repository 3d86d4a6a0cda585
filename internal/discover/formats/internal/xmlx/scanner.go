package xmlx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ctemhq/ctem/internal/discover/report"
)

// Kind is the kind of token a Scanner stopped at.
type Kind uint8

// The tokens a Scanner returns. Comments, processing instructions and
// declarations (<!DOCTYPE ...>) are checked and passed over.
const (
	StartTag Kind = iota + 1 // a start tag; a self-closing one is followed by its EndTag
	EndTag
	Text // character data: text or a CDATA section, references decoded
)

// RawAttr is one attribute of a start tag. Both slices are only valid until
// the next call of Scanner.Next.
type RawAttr struct {
	Local []byte // the name without its name-space prefix
	Value []byte // the value, references decoded
}

// Scanner is a streaming XML tokenizer for the large reports of a few hot
// formats (Nessus): it reads the document once, through a buffer that grows
// only to the largest token, and hands out names, attribute values and text
// as byte slices into that buffer, so that a caller that keeps nothing
// allocates nothing. It accepts and rejects documents exactly as an
// encoding/xml Decoder made by NewDecoder does with Token (same well-formed
// rules, same error texts, the same charsets through CharsetReader), and
// like it resolves no entities but the predefined and numeric ones, reads no
// DTD and never fetches anything.
type Scanner struct {
	r    io.Reader
	rerr error // the error that ended reading; io.EOF at the end of input
	buf  []byte
	pos  int // start of the unread input in buf
	end  int // end of the input read into buf

	// Position bookkeeping for errors: the stream offset of buf[0], the
	// newlines before it and the offset of the line that holds it.
	base      int64
	lines     int
	lineStart int64

	local      []byte
	attrs      []RawAttr
	text       []byte
	tbuf, abuf []byte // decoded text and attribute values, when not plain

	// Open elements: their raw names, end to end in names, and where each
	// ends.
	names      []byte
	nameEnds   []int
	selfClosed bool // the last StartTag was <x/>: its EndTag comes next
	decoded    []decodedAttr
	err        error
}

// NewScanner reads XML from r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: r, buf: make([]byte, 64<<10)}
}

// errShort says a token runs past the input read so far: read more and try
// again from its start.
var errShort = errors.New("short buffer")

// Next moves to the next start tag, end tag or text. At the end of a
// well-formed document it returns io.EOF; any other error is final and is
// an *xml.SyntaxError, a charset error, or the reader's error.
func (s *Scanner) Next() (Kind, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.selfClosed {
		s.selfClosed = false
		s.local = localName(s.pop())
		return EndTag, nil
	}
	for {
		k, err := s.token()
		if err == errShort {
			// Read more and read the token again; the end of input is
			// noted in s.rerr for the token to judge.
			s.fill()
			continue
		}
		if err != nil {
			if err == io.EOF && len(s.nameEnds) > 0 {
				err = s.syntaxError(s.end, "unexpected EOF")
			}
			s.err = err
			return 0, err
		}
		if k != 0 {
			return k, nil
		}
	}
}

// Name is the local name (without prefix) of the current start or end tag;
// valid until the next call of Next.
func (s *Scanner) Name() []byte { return s.local }

// Attrs are the attributes of the current start tag; valid until the next
// call of Next.
func (s *Scanner) Attrs() []RawAttr { return s.attrs }

// Attr returns the value of the first attribute of the current start tag
// whose local name is name, or nil.
func (s *Scanner) Attr(name string) []byte {
	for _, a := range s.attrs {
		if string(a.Local) == name {
			return a.Value
		}
	}
	return nil
}

// Text is the current character data; valid until the next call of Next.
func (s *Scanner) Text() []byte { return s.text }

// Skip reads past the end of the element whose start tag is current.
func (s *Scanner) Skip() error {
	_, err := s.toEnd(nil, false)
	return err
}

// AppendText appends the character data directly inside the element whose
// start tag is current (what `xml:",chardata"` collects: nested elements
// are read past) and reads to its end.
func (s *Scanner) AppendText(dst []byte) ([]byte, error) {
	return s.toEnd(dst, true)
}

// toEnd reads to the end of the element whose start tag is current,
// appending the text directly inside it to dst when keep is set.
func (s *Scanner) toEnd(dst []byte, keep bool) ([]byte, error) {
	depth := 0
	for {
		k, err := s.Next()
		if err != nil {
			return dst, err
		}
		switch k {
		case Text:
			if keep && depth == 0 {
				dst = append(dst, s.text...)
			}
		case StartTag:
			depth++
		case EndTag:
			if depth == 0 {
				return dst, nil
			}
			depth--
		}
	}
}

// EachChild calls fn at the start tag of each element directly inside the
// element whose start tag is current, and returns at its end; fn must read
// the child to its end (Skip, AppendText). Text between children is passed
// over.
func (s *Scanner) EachChild(fn func() error) error {
	for {
		k, err := s.Next()
		if err != nil {
			return err
		}
		switch k {
		case StartTag:
			if err := fn(); err != nil {
				return err
			}
		case EndTag:
			return nil
		}
	}
}

// Offset is the stream offset of the end of the current token.
func (s *Scanner) Offset() int64 { return s.base + int64(s.pos) }

// Pos is the line and column of the end of the current token, as
// xml.Decoder.InputPos counts them.
func (s *Scanner) Pos() (line, col int) { return s.posAt(s.pos) }

func (s *Scanner) posAt(i int) (line, col int) {
	head := s.buf[:i]
	line = s.lines + 1 + bytes.Count(head, nl)
	start := s.lineStart
	if j := bytes.LastIndexByte(head, '\n'); j >= 0 {
		start = s.base + int64(j) + 1
	}
	return line, int(s.base+int64(i)-start) + 1
}

var nl = []byte{'\n'}

func (s *Scanner) syntaxError(i int, msg string) error {
	line, _ := s.posAt(i)
	s.pos = i
	return &xml.SyntaxError{Msg: msg, Line: line}
}

// fill reads more input, keeping the token that starts at s.pos; the
// reader's error is kept in s.rerr.
func (s *Scanner) fill() {
	if s.rerr != nil {
		return
	}
	if s.pos > 0 {
		done := s.buf[:s.pos]
		if n := bytes.Count(done, nl); n > 0 {
			s.lines += n
			s.lineStart = s.base + int64(bytes.LastIndexByte(done, '\n')) + 1
		}
		s.base += int64(s.pos)
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		// One token fills the buffer: grow it to hold the token.
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	// Fill the buffer, however little each Read gives: a token cut by the
	// end of the buffer is read again from its start, which must happen
	// once per buffer's worth of input, not once per Read.
	for empty := 0; s.end < len(s.buf); {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.rerr = err
			return
		}
		if n > 0 {
			empty = 0
		} else if empty++; empty == 100 {
			s.rerr = io.ErrNoProgress
			return
		}
	}
}

// short is what a token that runs off the input read so far returns:
// errShort while more may come, the end of input's error otherwise.
func (s *Scanner) short() error {
	if s.rerr == nil {
		return errShort
	}
	if s.rerr == io.EOF {
		return s.syntaxError(s.end, "unexpected EOF")
	}
	return s.rerr
}

// token reads one token at s.pos. It returns kind 0 for what it passes
// over (comments, processing instructions, declarations).
func (s *Scanner) token() (Kind, error) {
	if s.pos >= s.end {
		if s.rerr == nil {
			return 0, errShort
		}
		return 0, s.rerr
	}
	if s.buf[s.pos] != '<' {
		return s.charData()
	}
	i := s.pos + 1
	if i >= s.end {
		return 0, s.short()
	}
	switch s.buf[i] {
	case '/':
		return s.endTag(i + 1)
	case '?':
		return 0, s.procInst(i + 1)
	case '!':
		return s.bang(i + 1)
	}
	return s.startTag(i)
}

// charData reads text up to the next '<' or the end of input.
func (s *Scanner) charData() (Kind, error) {
	n := bytes.IndexByte(s.buf[s.pos:s.end], '<')
	stop := s.pos + n
	if n < 0 {
		if s.rerr == nil {
			return 0, errShort
		}
		if s.rerr != io.EOF {
			return 0, s.rerr
		}
		stop = s.end
	}
	raw := s.buf[s.pos:stop]
	if plain(raw) && bytes.Index(raw, cdataEnd) < 0 {
		s.text = raw
		s.pos = stop
		return Text, nil
	}
	return s.decodedText(s.pos, stop, -1)
}

// decodedText is a Text token decoded (see decode) into tbuf.
func (s *Scanner) decodedText(i, stop, quote int) (Kind, error) {
	t, next, err := s.decode(i, stop, quote, s.tbuf[:0])
	s.tbuf = t
	if err != nil {
		return 0, err
	}
	s.text = t
	s.pos = next
	return Text, nil
}

var cdataEnd = []byte("]]>")

// plainByte marks the bytes that text can hold as they are: printable
// ASCII, tab and newline (not '&', nor '\r', which XML turns into '\n').
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	t['\t'], t['\n'], t['&'] = true, true, false
	return t
}()

func plain(b []byte) bool {
	for _, c := range b {
		if !plainByte[c] {
			return false
		}
	}
	return true
}

// decode reads text from s.buf[i:] as encoding/xml does: up to stop for
// text (quote < 0), up to the closing quote for an attribute value, up to
// "]]>" for CDATA (quote == 'C'); references decoded, "\r\n" and "\r"
// turned into "\n", and every character checked. It appends to dst and
// returns it with the index just past what it read (the closing quote or
// "]]>").
func (s *Scanner) decode(i, stop, quote int, dst []byte) ([]byte, int, error) {
	cdata := quote == 'C'
	var b0, b1 byte
	trunc := 0
	for {
		if i >= stop {
			if i >= s.end && s.rerr == nil {
				return dst, i, errShort
			}
			if cdata {
				if i >= s.end && s.rerr == io.EOF {
					return dst, i, s.syntaxError(i, "unexpected EOF in CDATA section")
				}
				return dst, i, s.short()
			}
			break
		}
		b := s.buf[i]
		i++
		if (quote < 0 || cdata) && b0 == ']' && b1 == ']' && b == '>' {
			if cdata {
				trunc = 2
				break
			}
			return dst, i, s.syntaxError(i, "unescaped ]]> not in CDATA section")
		}
		if b == '<' && !cdata {
			return dst, i, s.syntaxError(i, "unescaped < inside quoted string")
		}
		if quote >= 0 && !cdata && b == byte(quote) {
			break
		}
		if b == '&' && !cdata {
			var err error
			dst, i, err = s.reference(i, dst)
			if err != nil {
				return dst, i, err
			}
			b0, b1 = 0, 0
			continue
		}
		switch {
		case b == '\r':
			dst = append(dst, '\n')
		case b1 == '\r' && b == '\n':
		default:
			dst = append(dst, b)
		}
		b0, b1 = b1, b
	}
	dst = dst[:len(dst)-trunc]
	return dst, i, s.checkChars(i, dst)
}

// reference decodes the reference after a '&' at s.buf[i-1].
func (s *Scanner) reference(i int, dst []byte) ([]byte, int, error) {
	start := i - 1
	if i >= s.end {
		return dst, i, s.short()
	}
	var text string
	have := false
	if s.buf[i] == '#' {
		i++
		if i >= s.end {
			return dst, i, s.short()
		}
		base := 10
		if s.buf[i] == 'x' {
			base = 16
			i++
		}
		digits := i
		for ; i < s.end; i++ {
			c := s.buf[i]
			if !('0' <= c && c <= '9' || base == 16 && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F')) {
				break
			}
		}
		if i >= s.end {
			return dst, i, s.short()
		}
		if s.buf[i] == ';' {
			n, err := strconv.ParseUint(string(s.buf[digits:i]), base, 64)
			i++
			if err == nil && n <= unicode.MaxRune {
				text, have = string(rune(n)), true
			}
		}
	} else {
		name := i
		for ; i < s.end; i++ {
			if c := s.buf[i]; c < utf8.RuneSelf && !isNameByte(c) {
				break
			}
		}
		if i >= s.end {
			return dst, i, s.short()
		}
		if s.buf[i] == ';' {
			switch n := s.buf[name:i]; string(n) {
			case "lt":
				text, have = "<", true
			case "gt":
				text, have = ">", true
			case "amp":
				text, have = "&", true
			case "apos":
				text, have = "'", true
			case "quot":
				text, have = `"`, true
			}
			i++
		}
	}
	if have {
		return append(dst, text...), i, nil
	}
	ent := string(s.buf[start:i])
	if ent[len(ent)-1] != ';' {
		ent += " (no semicolon)"
	}
	return dst, i, s.syntaxError(i, "invalid character entity "+ent)
}

// checkChars rejects what is not an XML character, as encoding/xml does
// once it has read a text.
func (s *Scanner) checkChars(i int, b []byte) error {
	for len(b) > 0 {
		if c := b[0]; c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return s.syntaxError(i, fmt.Sprintf("illegal character code %U", rune(c)))
			}
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			return s.syntaxError(i, "invalid UTF-8")
		}
		b = b[size:]
		if !(r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return s.syntaxError(i, fmt.Sprintf("illegal character code %U", r))
		}
	}
	return nil
}

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

// name reads a name at s.buf[i:] as encoding/xml's readName does (ASCII
// name bytes and any byte from 0x80), returning its end; end == i when
// there is none.
func (s *Scanner) name(i int) (end int, err error) {
	end, _, _ = s.scanName(i)
	if end == s.end {
		return end, s.short()
	}
	return end, nil
}

// scanName is name, also counting the name's colons and telling whether it
// is all ASCII.
func (s *Scanner) scanName(i int) (end, colons int, ascii bool) {
	ascii = true
	for end = i; end < s.end; end++ {
		switch c := s.buf[end]; nameByte[c] {
		case 0:
			return end, colons, ascii
		case 2:
			colons++
		case 3:
			ascii = false
		}
	}
	return end, colons, ascii
}

// nameByte classes the bytes of names as readName reads them: 0 ends a
// name, 1 is a name byte, 2 a colon, 3 a byte of a non-ASCII character.
var nameByte = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = 3
		case c == ':':
			t[c] = 2
		case isNameByte(byte(c)):
			t[c] = 1
		}
	}
	return t
}()

// validName reports whether b is an XML name. ASCII names are checked here;
// others by encoding/xml itself, so that both accept the same names.
func validName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		d := xml.NewDecoder(strings.NewReader("<" + string(b) + "/>"))
		_, err := d.RawToken()
		var se *xml.SyntaxError
		return !(errors.As(err, &se) && strings.HasPrefix(se.Msg, "invalid XML name"))
	}
	c := b[0]
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == ':'
}

// qname reads a qualified name at s.buf[i:] as encoding/xml's nsname does.
// ok is false when there is no name or it has more than one ':'; err is
// set for an invalid name.
func (s *Scanner) qname(i int) (end int, ok bool, err error) {
	end, colons, ascii := s.scanName(i)
	if end == s.end {
		return end, false, s.short()
	}
	if end == i {
		return end, false, nil
	}
	b := s.buf[i:end]
	if c := b[0]; ascii && !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == ':') || !ascii && !validName(b) {
		return end, false, s.syntaxError(end, "invalid XML name: "+string(b))
	}
	return end, colons <= 1, nil
}

// localName is the part of a qualified name encoding/xml reports as Local.
func localName(b []byte) []byte {
	if j := bytes.IndexByte(b, ':'); j > 0 && j < len(b)-1 {
		return b[j+1:]
	}
	return b
}

func (s *Scanner) space(i int) int {
	for i < s.end {
		switch s.buf[i] {
		case ' ', '\r', '\n', '\t':
			i++
		default:
			return i
		}
	}
	return i
}

// tagName reads the qualified name of a start tag (after "<") or an end
// tag (after "</"), what being how encoding/xml names it in its error.
func (s *Scanner) tagName(i int, what string) (raw []byte, end int, err error) {
	end, ok, err := s.qname(i)
	if err != nil {
		return nil, end, err
	}
	if !ok {
		if end >= s.end {
			return nil, end, s.short()
		}
		return nil, end, s.syntaxError(end, "expected element name after "+what)
	}
	return s.buf[i:end], end, nil
}

func (s *Scanner) startTag(i int) (Kind, error) {
	raw, i, err := s.tagName(i, "<")
	if err != nil {
		return 0, err
	}
	s.attrs = s.attrs[:0]
	s.abuf = s.abuf[:0]
	s.decoded = s.decoded[:0]
	empty := false
	for {
		i = s.space(i)
		if i >= s.end {
			return 0, s.short()
		}
		b := s.buf[i]
		i++
		if b == '/' {
			if i >= s.end {
				return 0, s.short()
			}
			if s.buf[i] != '>' {
				return 0, s.syntaxError(i+1, "expected /> in element")
			}
			i++
			empty = true
			break
		}
		if b == '>' {
			break
		}
		i--
		an := i
		var ok bool
		i, ok, err = s.qname(i)
		if err != nil {
			return 0, err
		}
		if !ok {
			if i >= s.end {
				return 0, s.short()
			}
			return 0, s.syntaxError(i, "expected attribute name in element")
		}
		local := localName(s.buf[an:i])
		i = s.space(i)
		if i >= s.end {
			return 0, s.short()
		}
		if s.buf[i] != '=' {
			return 0, s.syntaxError(i+1, "attribute name without = in element")
		}
		i = s.space(i + 1)
		if i >= s.end {
			return 0, s.short()
		}
		q := s.buf[i]
		i++
		if q != '"' && q != '\'' {
			return 0, s.syntaxError(i, "unquoted or missing attribute value in element")
		}
		if n := bytes.IndexByte(s.buf[i:s.end], q); n >= 0 && plain(s.buf[i:i+n]) && bytes.IndexByte(s.buf[i:i+n], '<') < 0 {
			s.attrs = append(s.attrs, RawAttr{Local: local, Value: s.buf[i : i+n]})
			i += n + 1
			continue
		}
		from := len(s.abuf)
		s.abuf, i, err = s.decode(i, s.end, int(q), s.abuf)
		if err != nil {
			return 0, err
		}
		s.attrs = append(s.attrs, RawAttr{Local: local})
		s.decoded = append(s.decoded, decodedAttr{k: len(s.attrs) - 1, from: from, to: len(s.abuf)})
	}
	s.push(raw)
	s.local = localName(raw)
	s.text = nil
	s.pos = i
	s.selfClosed = empty
	s.resolveDecoded()
	return StartTag, nil
}

// decodedAttr is an attribute whose value was decoded into abuf: abuf may
// move while later values are decoded, so the value is sliced once the
// whole tag is read.
type decodedAttr struct{ k, from, to int }

func (s *Scanner) resolveDecoded() {
	for _, d := range s.decoded {
		s.attrs[d.k].Value = s.abuf[d.from:d.to:d.to]
	}
	s.decoded = s.decoded[:0]
}

func (s *Scanner) push(raw []byte) {
	s.names = append(s.names, raw...)
	s.nameEnds = append(s.nameEnds, len(s.names))
}

// pop removes the innermost open element and returns its raw name (valid
// until the next push).
func (s *Scanner) pop() []byte {
	n := len(s.nameEnds)
	end := s.nameEnds[n-1]
	start := 0
	if n > 1 {
		start = s.nameEnds[n-2]
	}
	s.nameEnds = s.nameEnds[:n-1]
	raw := s.names[start:end]
	s.names = s.names[:start]
	return raw
}

func (s *Scanner) endTag(i int) (Kind, error) {
	raw, i, err := s.tagName(i, "</")
	if err != nil {
		return 0, err
	}
	i = s.space(i)
	if i >= s.end {
		return 0, s.short()
	}
	if s.buf[i] != '>' {
		return 0, s.syntaxError(i+1, "invalid characters between </"+string(localName(raw))+" and >")
	}
	i++
	if len(s.nameEnds) == 0 {
		return 0, s.syntaxError(i, "unexpected end element </"+string(localName(raw))+">")
	}
	n := len(s.nameEnds)
	start := 0
	if n > 1 {
		start = s.nameEnds[n-2]
	}
	open := s.names[start:s.nameEnds[n-1]]
	if !bytes.Equal(open, raw) {
		ol, el := localName(open), localName(raw)
		if !bytes.Equal(ol, el) {
			return 0, s.syntaxError(i, "element <"+string(ol)+"> closed by </"+string(el)+">")
		}
		ns := prefix(raw)
		if ns == "" {
			ns = `""`
		}
		return 0, s.syntaxError(i, "element <"+string(ol)+"> in space "+prefix(open)+" closed by </"+string(el)+"> in space "+ns)
	}
	s.pop()
	s.local = localName(raw)
	s.attrs = s.attrs[:0]
	s.text = nil
	s.pos = i
	return EndTag, nil
}

// prefix is the part of a qualified name encoding/xml reports as Space
// (before translation).
func prefix(b []byte) string {
	if j := bytes.IndexByte(b, ':'); j > 0 && j < len(b)-1 {
		return string(b[:j])
	}
	return ""
}

// procInst passes over a processing instruction; the XML declaration's
// version is checked and its encoding switched to, as encoding/xml does.
func (s *Scanner) procInst(i int) error {
	nameStart := i
	end, err := s.name(i)
	if err != nil {
		return err
	}
	if end == i {
		return s.syntaxError(end, "expected target name after <?")
	}
	target := s.buf[nameStart:end]
	if !validName(target) {
		return s.syntaxError(end, "invalid XML name: "+string(target))
	}
	i = s.space(end)
	n := bytes.Index(s.buf[i:s.end], []byte("?>"))
	if n < 0 {
		return s.short()
	}
	content := string(s.buf[i : i+n])
	isXML := string(target) == "xml"
	s.pos = i + n + 2
	if !isXML {
		return nil
	}
	if ver := procInstParam("version", content); ver != "" && ver != "1.0" {
		return fmt.Errorf("xml: unsupported version %q; only version 1.0 is supported", ver)
	}
	if enc := procInstParam("encoding", content); enc != "" && !strings.EqualFold(enc, "utf-8") {
		rest := append([]byte(nil), s.buf[s.pos:s.end]...)
		var src io.Reader = bytes.NewReader(rest)
		if s.rerr == nil {
			src = io.MultiReader(src, s.r)
		} else if s.rerr != io.EOF {
			src = io.MultiReader(src, errReader{s.rerr})
		}
		nr, err := CharsetReader(enc, src)
		if err != nil {
			return fmt.Errorf("xml: opening charset %q: %w", enc, err)
		}
		s.r, s.rerr, s.end = nr, nil, s.pos
	}
	return nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// procInstParam reads param="value" out of an XML declaration the way
// encoding/xml does.
func procInstParam(param, s string) string {
	param += "="
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || len(param)+k >= len(sub) {
			return ""
		}
		i += len(param) + k + 1
		if c := sub[len(param)+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

// bang reads what starts with "<!": a comment, a CDATA section or a
// declaration.
func (s *Scanner) bang(i int) (Kind, error) {
	if i >= s.end {
		return 0, s.short()
	}
	switch s.buf[i] {
	case '-':
		i++
		if i >= s.end {
			return 0, s.short()
		}
		if s.buf[i] != '-' {
			return 0, s.syntaxError(i+1, "invalid sequence <!- not part of <!--")
		}
		i++
		n := bytes.Index(s.buf[i:s.end], []byte("--"))
		if n < 0 || i+n+2 >= s.end {
			return 0, s.short()
		}
		j := i + n + 2
		if s.buf[j] != '>' {
			return 0, s.syntaxError(j+1, `invalid sequence "--" not allowed in comments`)
		}
		s.pos = j + 1
		return 0, nil
	case '[':
		i++
		for k := 0; k < 6; k++ {
			if i >= s.end {
				return 0, s.short()
			}
			if s.buf[i] != "CDATA["[k] {
				return 0, s.syntaxError(i+1, "invalid <![ sequence")
			}
			i++
		}
		return s.decodedText(i, s.end, 'C')
	}
	return 0, s.directive(i)
}

// directive passes over a declaration (<!DOCTYPE ...>) with the rules of
// encoding/xml: quoted '>' and nested <...> do not end it, comments inside
// are skipped. Nothing in it is acted on.
func (s *Scanner) directive(i int) error {
	i++ // the byte after "<!" is part of the directive
	var inquote byte
	depth := 0
	// again: the byte at i follows a '<' that began no comment;
	// encoding/xml looks at it without checking for the end.
	again := false
	for {
		if i >= s.end {
			return s.short()
		}
		b := s.buf[i]
		i++
		if !again && inquote == 0 && b == '>' && depth == 0 {
			s.pos = i
			return nil
		}
		again = false
		switch {
		case b == inquote:
			inquote = 0
		case inquote != 0:
		case b == '\'' || b == '"':
			inquote = b
		case b == '>':
			depth--
		case b == '<':
			k := 0
			for ; k < 3; k++ {
				if i+k >= s.end {
					return s.short()
				}
				if s.buf[i+k] != "!--"[k] {
					break
				}
			}
			if k < 3 {
				i += k
				depth++
				again = true
				continue
			}
			i += 3
			var b0, b1 byte
			for {
				if i >= s.end {
					return s.short()
				}
				c := s.buf[i]
				i++
				if b0 == '-' && b1 == '-' && c == '>' {
					break
				}
				b0, b1 = b1, c
			}
		}
	}
}

// ReadError is xmlx.ReadError for a Scanner.
func (s *Scanner) ReadError(doc string, err error) error {
	line, col := s.Pos()
	return readError(line, col, doc, err)
}

// Errorf is a parser's own error, placed after the current token.
func (s *Scanner) Errorf(format string, args ...any) error {
	line, col := s.Pos()
	return report.AtLine(line, col, fmt.Errorf(format, args...))
}

// Interner turns byte slices into strings, sharing one string per distinct
// value: report texts repeat (a plugin's name, description and solution on
// every host it fires on), and a shared string is neither copied nor
// collected again. It holds at most maxBytes of text, and starts over when
// full, so that memory does not grow with the report. The zero value is
// not usable; use NewInterner.
type Interner struct {
	m        map[string]string
	size     int
	maxBytes int
	// recent is a direct-mapped cache in front of m, keyed by a hash of a
	// few bytes: short values that repeat item after item (a port, a
	// protocol, a severity) are found without hashing them whole.
	recent [256]string
}

// NewInterner shares strings up to maxBytes in all.
func NewInterner(maxBytes int) *Interner {
	return &Interner{m: map[string]string{}, maxBytes: maxBytes}
}

// String returns b as a string, shared with earlier equal ones.
func (in *Interner) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	h := (uint(len(b))*131 + uint(b[0])*31 + uint(b[len(b)/2])*7 + uint(b[len(b)-1])) % uint(len(in.recent))
	if s := in.recent[h]; s == string(b) {
		return s
	}
	s, ok := in.m[string(b)]
	if !ok {
		s = string(b)
		if len(s) > in.maxBytes/64 {
			return s // too big to be worth a place
		}
		if in.size+len(s) > in.maxBytes {
			clear(in.m)
			in.size = 0
		}
		in.m[s] = s
		in.size += len(s)
	}
	in.recent[h] = s
	return s
}
