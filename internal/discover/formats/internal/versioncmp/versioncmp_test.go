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
		{"1.0.0", "1.0.0-rc1", 1}, // a pre-release comes before its release
		{"1.0.0-rc1", "1.0.0", -1},
		{"1.0.0-rc1", "1.0.0-rc2", -1},
		{"1.0.0-alpha", "1.0.0-beta", -1},
		{"1.0.0-Beta", "1.0.0-alpha", 1}, // words compare case-insensitively
		{"1.0-beta", "1.0.0", -1},
		{"1.0.0-beta", "1.0.0-beta.2", -1}, // a number after the tag: later
		{"1.2.3.Final", "1.2.3", 0},        // Maven's release qualifier
		{"1.2.3.RELEASE", "1.2.4", -1},
		{"1.0-sp1", "1.0", 1}, // a service pack comes after its release
		{"2.7.post1", "2.7", 1},
		{"v1.2.3", "1.2.3", 0},             // a leading v is not a word
		{"2.0.0+incompatible", "2.0.0", 0}, // build metadata is ignored
		{"1.0.0+build.5", "1.0.0-rc1", 1},
		{"vx", "v", 1},
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

// Compare is a consistent order: reflexive and antisymmetric on any input.
func FuzzCompare(f *testing.F) {
	for _, s := range [][2]string{{"1.0.0", "1.0.0-rc1"}, {"v2", "2.0+x"}, {"1.0.Final", "1.0-sp"}, {"", "a"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if c := versioncmp.Compare(a, a); c != 0 {
			t.Fatalf("Compare(%q, itself) = %d", a, c)
		}
		if x, y := versioncmp.Compare(a, b), versioncmp.Compare(b, a); x != -y {
			t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, x, b, a, y)
		}
	})
}
