package nonempty_test

import (
	"reflect"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
)

func TestNonEmpty(t *testing.T) {
	tests := []struct {
		in     []string
		first  string
		filter []string
		join   string // with ", "
	}{
		{[]string{" a ", "b"}, "a", []string{"a", "b"}, "a, b"},
		{[]string{"", " \n", "x"}, "x", []string{"x"}, "x"},
		{[]string{"", "  "}, "", nil, ""},
		{nil, "", nil, ""},
	}
	for _, tt := range tests {
		if got := nonempty.First(tt.in...); got != tt.first {
			t.Errorf("First(%q) = %q, want %q", tt.in, got, tt.first)
		}
		if got := nonempty.Filter(tt.in...); !reflect.DeepEqual(got, tt.filter) {
			t.Errorf("Filter(%q) = %q, want %q", tt.in, got, tt.filter)
		}
		if got := nonempty.Join(", ", tt.in...); got != tt.join {
			t.Errorf("Join(%q) = %q, want %q", tt.in, got, tt.join)
		}
	}
}

func TestFilterDoesNotAlias(t *testing.T) {
	in := []string{"a", "b"}
	out := nonempty.Filter(in...)
	out[0] = "changed"
	if in[0] != "a" {
		t.Error("Filter returned its argument's backing array")
	}
}
