package scope

import (
	"strings"
	"testing"
	"time"

	"github.com/ctemhq/ctem/internal/prioritize"
)

func TestPrioritizationSection(t *testing.T) {
	c, err := Parse("ctem.yaml", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Policy().Version(); v != prioritize.DefaultVersion {
		t.Errorf("default policy = %s", v)
	}
	c, err = Parse("ctem.yaml", []byte("prioritization:\n  name: acme\n  epss_threshold: 0.2\n"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Policy().Version(); !strings.HasPrefix(v, "acme/2+") {
		t.Errorf("configured policy version = %s, want acme/2+<hash>", v)
	}
	tests := []struct{ yaml, want string }{
		{"prioritization:\n  epss_threshold: 2\n", "ctem.yaml:2:3: prioritization: prioritize: policy: epss_threshold 2"},
		{"prioritization:\n  name: x\n  nonsense: 1\n", "ctem.yaml:2:3: prioritization: line 3: field nonsense not found"},
		{"prioritization: 3\n", "ctem.yaml:1:17: prioritization: expected a mapping of policy settings"},
	}
	for _, tc := range tests {
		_, err := Parse("ctem.yaml", []byte(tc.yaml), time.Now())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
}
