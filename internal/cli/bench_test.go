package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchIngestProfiles runs a tiny bench and checks it wrote one CPU
// profile per round.
func TestBenchIngestProfiles(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "cpu.prof")
	r := run(t, dir, nil, "bench", "ingest", "--assets", "3", "--findings-per-asset", "4", "--cpuprofile", prof)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"first import", "12 findings (12 new, 0 unchanged)", "unchanged re-import", "12 findings (0 new, 12 unchanged)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, p := range []string{prof, prof + ".reimport"} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("profile %s: %v", p, err)
		}
	}
}
