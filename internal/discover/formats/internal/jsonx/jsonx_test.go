package jsonx_test

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/jsonx"
	"github.com/ctemhq/ctem/internal/discover/report"
)

func TestText(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{`"plain"`, "plain", false},
		{`"esc\"aped\u00e9"`, `esc"apedé`, false},
		{`"  padded  "`, "  padded  ", false},
		{`12.50`, "12.50", false},
		{`true`, "true", false},
		{`false`, "false", false},
		{`["a", 1, "", ["b", null]]`, "a, 1, b", false},
		{`{"k": "v"}`, "", false},
		{`null`, "", false},
		{`"unterminated`, "", true},
	}
	for _, tt := range tests {
		var v struct {
			T jsonx.Text `json:"t"`
		}
		err := json.Unmarshal([]byte(`{"t": `+tt.in+`}`), &v)
		if (err != nil) != tt.err {
			t.Errorf("Unmarshal(%s): error %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if !tt.err && string(v.T) != tt.want {
			t.Errorf("Unmarshal(%s) = %q, want %q", tt.in, v.T, tt.want)
		}
	}
	if got := jsonx.Text("  x y \n").String(); got != "x y" {
		t.Errorf("String() = %q, want trimmed", got)
	}
}

func TestFlatten(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{"s", "s"},
		{json.Number("3"), "3"},
		{true, "true"},
		{[]any{"a", []any{"b", json.Number("2")}, map[string]any{}}, "a, b, 2"},
		{map[string]any{"k": "v"}, ""},
	}
	for _, tt := range tests {
		if got := jsonx.Flatten(tt.in); got != tt.want {
			t.Errorf("Flatten(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSkipValue(t *testing.T) {
	tests := []struct {
		doc, next string
		err       bool
	}{
		{`"scalar" "next"`, "next", false},
		{`{"a": [1, {"b": 2}], "c": {}} "next"`, "next", false},
		{`[[], [[]]] "next"`, "next", false},
		{`{"a": [1, 2`, "", true}, // cut by a detection head
	}
	for _, tt := range tests {
		dec := json.NewDecoder(strings.NewReader(tt.doc))
		err := jsonx.SkipValue(dec)
		if (err != nil) != tt.err {
			t.Errorf("SkipValue(%s): error %v, want error %v", tt.doc, err, tt.err)
			continue
		}
		if tt.err {
			continue
		}
		if tok, err := dec.Token(); err != nil || tok != tt.next {
			t.Errorf("after SkipValue(%s): next token %v, %v; want %q", tt.doc, tok, err, tt.next)
		}
	}
}

func TestError(t *testing.T) {
	decodeErr := func(doc string, v any) (*json.Decoder, error) {
		dec := json.NewDecoder(strings.NewReader(doc))
		return dec, dec.Decode(v)
	}
	tests := []struct {
		name   string
		doc    string
		v      any
		offset int64
		eof    bool
	}{
		{"syntax error at its offset", `{"a": 1,, }`, &map[string]any{}, 9, false},
		{"type error at its offset", `{"a": "x"}`, &struct{ A int }{}, 9, false},
		{"premature end at the decoder's offset", `{"a": `, &map[string]any{}, 0, true},
		{"empty input", ``, &map[string]any{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, err := decodeErr(tt.doc, tt.v)
			if err == nil {
				t.Fatal("no error to place")
			}
			got := jsonx.Error(dec, err)
			var pe *report.ParseError
			if !errors.As(got, &pe) || pe.Offset != tt.offset {
				t.Errorf("Error(%v) = %#v, want a ParseError at offset %d", err, got, tt.offset)
			}
			if errors.Is(got, io.ErrUnexpectedEOF) != tt.eof {
				t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) != %v", got, tt.eof)
			}
		})
	}
}
