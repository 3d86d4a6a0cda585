package lead_test

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/report"
)

func TestSkipBOM(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\xef\xbb\xbf{}", "{}"},
		{"{}", "{}"},
		{"\xef\xbb", "\xef\xbb"},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := io.ReadAll(lead.SkipBOM(strings.NewReader(tt.in)))
		if err != nil || string(got) != tt.want {
			t.Errorf("SkipBOM(%q) read %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	br := bufio.NewReader(strings.NewReader("x"))
	if lead.SkipBOM(br) != br {
		t.Error("SkipBOM wraps a bufio.Reader again")
	}
}

func TestTrim(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\xef\xbb\xbf \r\n\t{", "{"},
		{"  <xml ", "<xml "},
		{"\xef\xbb\xbf", ""},
		{"a ", "a "},
	}
	for _, tt := range tests {
		if got := string(lead.Trim([]byte(tt.in))); got != tt.want {
			t.Errorf("Trim(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPeek(t *testing.T) {
	tests := []struct {
		in      string
		first   byte
		skipped int64
		err     string
	}{
		{"{}", '{', 0, ""},
		{"\xef\xbb\xbf\n  <a/>", '<', 6, ""},
		{" \t\r\n[", '[', 4, ""},
		{"", 0, 0, "input: byte 0: empty input: expected a ZAP report"},
		{"\xef\xbb\xbf  ", 0, 5, "input: byte 5: empty input: expected a ZAP report"},
	}
	for _, tt := range tests {
		br := bufio.NewReader(iotest.OneByteReader(strings.NewReader(tt.in)))
		first, skipped, err := lead.Peek(br, "a ZAP report")
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Peek(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || first != tt.first || skipped != tt.skipped {
			t.Errorf("Peek(%q) = %q, %d, %v; want %q, %d", tt.in, first, skipped, err, tt.first, tt.skipped)
			continue
		}
		// The first byte is not consumed.
		if b, _ := br.ReadByte(); b != tt.first {
			t.Errorf("Peek(%q) consumed the first byte", tt.in)
		}
	}
	boom := errors.New("boom")
	_, _, err := lead.Peek(bufio.NewReader(iotest.ErrReader(boom)), "x")
	var pe *report.ParseError
	if !errors.As(err, &pe) || !errors.Is(err, boom) || pe.Offset != 0 {
		t.Errorf("Peek on a failing reader = %v, want boom at offset 0", err)
	}
}

func TestShift(t *testing.T) {
	pe := func(off int64) error { return &report.ParseError{Offset: off, Err: errors.New("bad")} }
	tests := []struct {
		name string
		err  error
		by   int64
		want int64 // offset after, -2 for "not a ParseError"
	}{
		{"offset made absolute", pe(10), 3, 13},
		{"nothing skipped", pe(10), 0, 10},
		{"unknown offset kept", pe(-1), 3, -1},
		{"other errors untouched", errors.New("x"), 3, -2},
	}
	for _, tt := range tests {
		got := lead.Shift(tt.err, tt.by)
		var p *report.ParseError
		switch {
		case tt.want == -2:
			if got != tt.err {
				t.Errorf("%s: Shift changed %v", tt.name, tt.err)
			}
		case !errors.As(got, &p) || p.Offset != tt.want:
			t.Errorf("%s: Shift = %v, want offset %d", tt.name, got, tt.want)
		}
	}
	if lead.Shift(nil, 3) != nil {
		t.Error("Shift(nil) is not nil")
	}
}
