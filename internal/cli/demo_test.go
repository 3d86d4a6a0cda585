package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func TestDemoWithFeeds(t *testing.T) {
	feeds := reporttest.FeedsDir(t)
	dir := t.TempDir()
	t.Chdir(dir) // the demo writes ctem.yaml and its reports in the working directory
	r := run(t, dir, nil, "demo", "--feeds", feeds)
	if r.code != 0 {
		t.Fatalf("demo = %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"wrote ctem.yaml",
		"threat intel: loaded",
		"week 2: imported 3 reports",
		"90 fixed",
		"1 reopened",
		"merged across tools: 96 findings",
		"open by priority band",
		"1. P0",
		"CVE-2019-0708 on jump0006.acme.example — Active (KEV)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ctem.yaml")); err != nil {
		t.Errorf("ctem.yaml not written: %v", err)
	}
	// Running it again shows the same database without importing twice.
	r = run(t, dir, nil, "demo", "--feeds", feeds)
	if r.code != 0 || !strings.Contains(r.stdout, "already holds the demo's imports") {
		t.Errorf("second demo = %d %s", r.code, r.stdout)
	}
	r = run(t, dir, nil, "scopes", "list", "--output", "json")
	var scopes []map[string]any
	json.Unmarshal([]byte(r.stdout), &scopes)
	if len(scopes) != 3 {
		t.Errorf("demo scopes = %s", r.stdout)
	}
	r = run(t, dir, nil, "feeds", "status", "--output", "json")
	var st []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st) != 3 {
		t.Errorf("feeds status = %v %s", err, r.stdout)
	}
	r = run(t, dir, nil, "findings", "list", "--vuln", "CVE-2021-44228", "--output", "json")
	var fs []map[string]any
	json.Unmarshal([]byte(r.stdout), &fs)
	if len(fs) != 1 {
		t.Fatalf("log4shell findings = %s", r.stdout)
	}
	r = run(t, dir, nil, "findings", "explain", itoa(int(fs[0]["id"].(float64))))
	if !strings.Contains(r.stdout, "CISA KEV") || !strings.Contains(r.stdout, "what would change it:") {
		t.Errorf("explain log4shell:\n%s", r.stdout)
	}
}
