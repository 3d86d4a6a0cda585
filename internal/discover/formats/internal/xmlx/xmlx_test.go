package xmlx_test

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
)

func TestCharsetReader(t *testing.T) {
	// Every Latin-1 byte is the rune of the same number.
	var all []byte
	var want strings.Builder
	for b := 0; b < 256; b++ {
		all = append(all, byte(b))
		want.WriteRune(rune(b))
	}
	tests := []struct {
		label string
		in    []byte
		want  string
		err   bool
	}{
		{"UTF-8", []byte("h\xc3\xa9"), "h\xc3\xa9", false},
		{" ascii ", []byte("abc"), "abc", false},
		{"ISO-8859-1", all, want.String(), false},
		{"latin1", []byte("caf\xe9"), "café", false},
		{"Windows-1252", []byte("\xa9 2024"), "© 2024", false},
		{"cp1252", []byte(""), "", false},
		{"koi8-r", []byte("x"), "", true},
	}
	for _, tt := range tests {
		r, err := xmlx.CharsetReader(tt.label, strings.NewReader(string(tt.in)))
		if tt.err {
			if err == nil {
				t.Errorf("CharsetReader(%q) accepted an unsupported encoding", tt.label)
			}
			continue
		}
		if err != nil {
			t.Fatalf("CharsetReader(%q): %v", tt.label, err)
		}
		// Small reads must not lose or split runes.
		got, err := io.ReadAll(iotest.OneByteReader(r))
		if err != nil || string(got) != tt.want {
			t.Errorf("CharsetReader(%q) read %q, %v; want %q", tt.label, got, err, tt.want)
		}
	}
}

func TestNewDecoderReadsLatin1(t *testing.T) {
	doc := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<r a=\"\xe9t\xe9\">gar\xe7on</r>"
	dec := xmlx.NewDecoder(strings.NewReader(doc))
	var v struct {
		A    string `xml:"a,attr"`
		Text string `xml:",chardata"`
	}
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	if v.A != "été" || v.Text != "garçon" {
		t.Errorf("decoded %q, %q; want été, garçon", v.A, v.Text)
	}
	if !dec.Strict {
		t.Error("NewDecoder is not strict")
	}
}

// at returns a decoder that has read doc to its end, for errors to be
// placed at its position.
func at(t *testing.T, doc string) *xml.Decoder {
	t.Helper()
	dec := xmlx.NewDecoder(strings.NewReader(doc))
	for {
		if _, err := dec.Token(); err == io.EOF {
			return dec
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

func TestErrors(t *testing.T) {
	syntax := func() (*xml.Decoder, error) {
		dec := xmlx.NewDecoder(strings.NewReader("<a>\n</b>"))
		for {
			if _, err := dec.Token(); err != nil {
				return dec, err
			}
		}
	}
	nmap := func(d *xml.Decoder, err error) error { return xmlx.ReadError(d, "nmap XML", err) }
	tests := []struct {
		name string
		wrap func(*xml.Decoder, error) error
		err  error // nil: the decoder's own syntax error
		want string
		eof  bool
	}{
		{"Error at a premature end", xmlx.Error, io.EOF, "input:2:5: unexpected EOF", true},
		{"Error of another kind", xmlx.Error, errors.New("boom"), "input:2:5: boom", false},
		{"TruncatedError at a premature end", xmlx.TruncatedError, io.EOF, "input:2:5: truncated XML: unexpected EOF", true},
		{"TruncatedError of another kind", xmlx.TruncatedError, errors.New("boom"), "input:2:5: boom", false},
		{"ReadError at a premature end", nmap, io.EOF, "input:2:5: reading nmap XML: unexpected EOF", true},
		{"ReadError at a syntax error", nmap, nil, "input:2:5: reading nmap XML: XML syntax error on line 2: element <a> closed by </b>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dec *xml.Decoder
			err := tt.err
			if err == nil {
				dec, err = syntax()
			} else {
				dec = at(t, "<a>\n</a>")
			}
			got := tt.wrap(dec, err)
			var pe *report.ParseError
			if !errors.As(got, &pe) || pe.Line != 2 {
				t.Fatalf("error %v is not a ParseError on line 2", got)
			}
			if got.Error() != tt.want {
				t.Errorf("error = %q, want %q", got.Error(), tt.want)
			}
			if errors.Is(got, io.ErrUnexpectedEOF) != tt.eof {
				t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = %v, want %v", got, !tt.eof, tt.eof)
			}
		})
	}
}

func TestReadErrorUsesTheSyntaxErrorLine(t *testing.T) {
	dec := at(t, "<a>\n\n\n</a>")
	got := xmlx.ReadError(dec, "Nessus XML", &xml.SyntaxError{Msg: "bad", Line: 2})
	var pe *report.ParseError
	if !errors.As(got, &pe) || pe.Line != 2 || pe.Column != 0 {
		t.Errorf("ReadError = %#v, want line 2 column 0", pe)
	}
}

func TestErrorf(t *testing.T) {
	dec := xmlx.NewDecoder(strings.NewReader("<?xml version=\"1.0\"?>\n<other/>"))
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			err := xmlx.Errorf(dec, "expected <nmaprun>, found <%s>", se.Name.Local)
			if err.Error() != "input:2:9: expected <nmaprun>, found <other>" {
				t.Errorf("Errorf = %q", err)
			}
			return
		}
	}
}

func TestAttr(t *testing.T) {
	se := xml.StartElement{Attr: []xml.Attr{{Name: xml.Name{Space: "ns", Local: "name"}, Value: "a"}, {Name: xml.Name{Local: "port"}, Value: "80"}}}
	tests := []struct{ name, want string }{{"name", "a"}, {"port", "80"}, {"host", ""}}
	for _, tt := range tests {
		if got := xmlx.Attr(se, tt.name); got != tt.want {
			t.Errorf("Attr(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestRootElement(t *testing.T) {
	tests := []struct {
		head, name string
		attrs      int
	}{
		{`<?xml version="1.0"?><!-- c --><report id="1" format="xml"><results>`, "report", 2},
		{"\ufeff<NexposeReport version=\"2.0\">", "NexposeReport", 1},
		{"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<ASSET_DATA_REPORT>\xe9", "ASSET_DATA_REPORT", 0},
		{`<?xml version="1.0" encoding="koi8-r"?><report>`, "", 0},
		{`{"json": true}`, "", 0},
		{``, "", 0},
	}
	for _, tt := range tests {
		name, attrs := xmlx.RootElement([]byte(tt.head))
		if name != tt.name || len(attrs) != tt.attrs {
			t.Errorf("RootElement(%q) = %q with %d attributes, want %q with %d", tt.head, name, len(attrs), tt.name, tt.attrs)
		}
	}
}

func TestOnlyProlog(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", true},
		{" \r\n\t", true},
		{`<?xml version="1.0"?>`, true},
		{"<?xml version=\"1.0\"?>\n<!DOCTYPE nmaprun>\n<?xml-stylesheet href=\"x.xsl\"?>\n<!-- comment -->\n", true},
		{`<?xml version="1.0"`, false},
		{`<!-- unterminated`, false},
		{`<?xml version="1.0"?><root>`, false},
		{`text`, false},
	}
	for _, tt := range tests {
		if got := xmlx.OnlyProlog([]byte(tt.in)); got != tt.want {
			t.Errorf("OnlyProlog(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
