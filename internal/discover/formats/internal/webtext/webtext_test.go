package webtext_test

import (
	"reflect"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/webtext"
)

func TestFromHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain  text\t here", "plain text here"},
		{"<p>First</p><p>Second &amp; third</p>", "First\n\nSecond & third"},
		{"<ul><li>one</li><li>two</li></ul>", "- one\n- two"},
		{"a<br/>b<BR>c", "a\nb\nc"},
		{"<b>bold</b> and <a href=\"x\">link</a>", "bold and link"},
		{"<div>x</div>\n\n\n\n<div>y</div>", "x\n\ny"},
		{"&lt;script&gt;", "<script>"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := webtext.FromHTML(tt.in); got != tt.want {
			t.Errorf("FromHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTidy(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  a  \r\n  b \u00a0 c  ", "a\nb c"},
		{"a\n\n\n\n\nb", "a\n\nb"},
		{"\n\n a \n\n", "a"},
	}
	for _, tt := range tests {
		if got := webtext.Tidy(tt.in); got != tt.want {
			t.Errorf("Tidy(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLinks(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`<a href="https://a.example/x?a=1&amp;b=2">A</a> see https://b.example/y.`, []string{"https://a.example/x?a=1&b=2", "https://b.example/y"}},
		{`https://a.example/ and again https://a.example/`, []string{"https://a.example/"}},
		{`<a href='ftp://files.example/'>f</a> (http://c.example/z)`, []string{"http://c.example/z"}},
		{"no links", nil},
	}
	for _, tt := range tests {
		if got := webtext.Links(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Links(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFirstLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"GET /x HTTP/1.1\r\nHost: a\r\n", "GET /x HTTP/1.1"},
		{"\n\n  HTTP/1.1 200 OK  \nServer: x", "HTTP/1.1 200 OK"},
		{" \n \n", ""},
	}
	for _, tt := range tests {
		if got := webtext.FirstLine(tt.in); got != tt.want {
			t.Errorf("FirstLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
