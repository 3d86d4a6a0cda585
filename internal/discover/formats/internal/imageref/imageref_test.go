package imageref_test

import (
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/imageref"
)

const sha = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestDigest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nginx@" + sha, sha},
		{" " + sha + " ", sha},
		{"registry.example:5000/app@SHA512:abc", "SHA512:abc"},
		{"md5:abc", ""},
		{"nginx:1.25", ""},
		{"sha256:", ""},
		{"sha256:a/b", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := imageref.Digest(tt.in); got != tt.want {
			t.Errorf("Digest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRef(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nginx", "nginx"},
		{"nginx:1.25", "nginx:1.25"},
		{" registry.example:5000/team/app:v2 ", "registry.example:5000/team/app:v2"},
		{"nginx@" + sha, "nginx@" + sha},
		{"docker:nginx:latest", "nginx:latest"},
		{"registry:ghcr.io/a/b", "ghcr.io/a/b"},
		{"docker://alpine", "alpine"},
		{sha, ""},
		{"image.tar", ""},
		{"bom.JSON", ""},
		{"docker-archive:img.tar", ""},
		{"dir:.", ""},
		{"https://example.com/x", ""},
		{"./relative/path", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := imageref.Ref(tt.in); got != tt.want {
			t.Errorf("Ref(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
