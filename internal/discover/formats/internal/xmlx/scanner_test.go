package xmlx_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
)

// decoderTokens is what an encoding/xml Decoder (made by NewDecoder) reads
// with Token, in the form scannerTokens gives: the reference a Scanner must
// match, error texts included.
func decoderTokens(doc []byte) []string {
	dec := xmlx.NewDecoder(bytes.NewReader(doc))
	var out []string
	for {
		tok, err := dec.Token()
		if err != nil {
			return append(out, describeErr(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			s := "<" + t.Name.Local
			for _, a := range t.Attr {
				s += fmt.Sprintf(" %s=%q", a.Name.Local, a.Value)
			}
			out = append(out, s+">")
		case xml.EndElement:
			out = append(out, "</"+t.Name.Local+">")
		case xml.CharData:
			out = append(out, fmt.Sprintf("%q", string(t)))
		}
	}
}

func scannerTokens(r io.Reader) []string {
	sc := xmlx.NewScanner(r)
	var out []string
	for {
		k, err := sc.Next()
		if err != nil {
			return append(out, describeErr(err))
		}
		switch k {
		case xmlx.StartTag:
			s := "<" + string(sc.Name())
			for _, a := range sc.Attrs() {
				s += fmt.Sprintf(" %s=%q", a.Local, a.Value)
			}
			out = append(out, s+">")
		case xmlx.EndTag:
			out = append(out, "</"+string(sc.Name())+">")
		case xmlx.Text:
			out = append(out, fmt.Sprintf("%q", string(sc.Text())))
		}
	}
}

func describeErr(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("error line %d: %s", se.Line, se.Msg)
	}
	if err == io.EOF {
		return "EOF"
	}
	return "error: " + err.Error()
}

// scannerCases are documents where a hand-written tokenizer easily differs
// from encoding/xml.
var scannerCases = []string{
	`<a x="1" y='2'>t</a>`,
	`<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>`,
	`<r>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#x1F600;</r>`,
	`<r a="&lt;&#10;&amp;">&#0;</r>`,
	`<r>&#x;</r>`, `<r>&#12</r>`, `<r>&;</r>`, `<r>&nbsp;</r>`, `<r>& </r>`, `<r>&#X41;</r>`, `<r>&#99999999999;</r>`,
	"<r>a\r\nb\rc\n\r\n</r>", "<r a='x\r\ny'/>",
	`<r><![CDATA[<&>]]]]><![CDATA[>]]></r>`, `<r>]]></r>`, `<r a="]]>"/>`, `<r><![CDATA[x`, `<r><![CDAT[x]]></r>`,
	`<r><!-- c --><!----><!-- - --></r>`, `<r><!-- -- --></r>`, `<r><!- x --></r>`, `<r><!---></r>`,
	`<r><?pi data?><?pi?></r>`, `<??>`, `<?xml version="1.1"?><r/>`, `<?xml version="1.0" encoding="latin1"?><r a="\xe9">\xe9</r>`,
	`<?xml version="1.0" encoding="ebcdic"?><r/>`,
	`<!DOCTYPE r [ <!-- > --> <!ELEMENT r ANY> '>' ]><r/>`, `<!DOCTYPE r <x <!-y> >><r/>`, `<!>x><r/>`, `<!x<!--y-->z><r/>`,
	`<a:b xmlns:a="u" a:c="1" xmlns:d="2"></a:b>`, `<a:b></a:c>`, `<a:b></c:b>`, `<a:b></b>`, `<b></a:b>`, `<a:b:c/>`, `<a: x/>`, `<:a/>`, `<a b:="1"/>`,
	`<a></b>`, `</a>`, `<a>`, `<a`, `<a b`, `<a b=`, `<a b="1`, `<a b="1"`, `<a b="1"/`, `<a/ >`, `<a b=1/>`, `<a b/>`, `<a b="<"/>`, `<a b="1"c="2"/>`,
	`< a/>`, `<1a/>`, `<-a/>`, `<a.b-c_d/>`, "<\xc3\xa9t\xc3\xa9/>", "<a\xe2\x80\x8b/>", "<\xe2\x80\x8ba/>", "<a\xff/>",
	"<r>\x01</r>", "<r>\xff</r>", "<r>\xef\xbf\xbe</r>", "<r a='\x01'/>", "<r>\t\n</r>", "\xef\xbb\xbf<r/>",
	`<r>x</r>trailing`, `<r/><s/>`, ``, `   `, `text`, `<r>&amp`, `<r>&#`, `<r>&#x`, `<r>&#x4`, `<r a="&amp`,
	`<a></a >`, `</ a>`, `<a></a b>`, `<a><?x`, `<a><!`, `<a><!-`, `<a><!--`, `<a><!-- -`, `<a><!-- --`, `<a><![`, `<a><!DOC`,
}

func TestScannerMatchesDecoder(t *testing.T) {
	for _, doc := range scannerCases {
		t.Run(doc, func(t *testing.T) {
			want := decoderTokens([]byte(doc))
			if diff := cmp.Diff(want, scannerTokens(strings.NewReader(doc))); diff != "" {
				t.Errorf("(-encoding/xml +Scanner):\n%s", diff)
			}
			// One byte at a time: every token crosses a buffer refill.
			if diff := cmp.Diff(want, scannerTokens(iotest.OneByteReader(strings.NewReader(doc)))); diff != "" {
				t.Errorf("one byte at a time (-encoding/xml +Scanner):\n%s", diff)
			}
		})
	}
}

func FuzzScanner(f *testing.F) {
	for _, doc := range scannerCases {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		want := decoderTokens(doc)
		if diff := cmp.Diff(want, scannerTokens(bytes.NewReader(doc))); diff != "" {
			t.Errorf("(-encoding/xml +Scanner):\n%s", diff)
		}
		if diff := cmp.Diff(want, scannerTokens(iotest.HalfReader(bytes.NewReader(doc)))); diff != "" {
			t.Errorf("half reads (-encoding/xml +Scanner):\n%s", diff)
		}
	})
}

func TestInterner(t *testing.T) {
	in := xmlx.NewInterner(64 << 10)
	tests := []struct {
		in   string
		want string
	}{
		{"", ""}, {"tcp", "tcp"}, {"general", "general"}, {"tcp", "tcp"}, {strings.Repeat("x", 5000), strings.Repeat("x", 5000)},
	}
	for _, tc := range tests {
		b := []byte(tc.in)
		got := in.String(b)
		if len(b) > 0 {
			b[0] = '#' // the string must not share the caller's bytes
		}
		if got != tc.want {
			t.Errorf("String(%.10q) = %.10q, want %.10q", tc.in, got, tc.want)
		}
	}
	// A value seen before comes back as the same string, not a copy.
	a, b := in.String([]byte("shared value")), in.String([]byte("shared value"))
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("equal values not shared")
	}
}
