package versioncmp_test

import (
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/versioncmp"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.2.3", "1.2.3", 0},
		{"1.2.3", "1.2.10", -1},
		{"1.10.0", "1.9.9", 1},
		{"1.2", "1.2.1", -1},
		{"1.2.1", "1.2", 1},
		{"1.0.0-2", "1.0.0-rc", 1},
		{"1.0.0", "1.0.0-rc1", -1}, // the shorter first: no pre-release rule
		{"1.0.0-rc1", "1.0.0", 1},
		{"1.0.0-alpha", "1.0.0-beta", -1},
		{"v1.2.3", "1.2.3", -1}, // "v" is a word, and a word sorts before a number
		{"2.0.0+incompatible", "2.0.0", 1},
		{"", "", 0},
		{"", "0", -1},
		{"18446744073709551616", "1", -1}, // beyond uint64: read as a word
	}
	for _, tt := range tests {
		if got := versioncmp.Compare(tt.a, tt.b); got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
