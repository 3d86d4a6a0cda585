package discover

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats"
	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/sqlite"
)

// Content hashes are stored and compared across imports: the recipe must
// not change (every finding in a database would count as updated), and a
// change of any one field must change the hash.
func TestFindingHash(t *testing.T) {
	full := model.Finding{Kind: model.KindVulnerability, Title: "<script>&\u2028", Description: "bad \xff utf-8",
		Severity: model.SevCritical, VulnID: "CVE-2024-1", Aliases: []string{"GHSA-1"}, CWEs: []int{79, 89},
		CVSS:   []model.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}},
		RuleID: "r1", Component: model.Component{Name: "openssl", Version: "1.0"},
		Location:   model.Location{Port: 443, Protocol: "tcp"},
		References: []string{"https://example.test/a"}, Remediation: "upgrade"}
	hash := func(f model.Finding) string {
		js := store.EncodeFinding(&f)
		return findingHash(&f, &js)
	}
	pins := []struct {
		name         string
		f            model.Finding
		hash, legacy string
	}{
		{"empty", model.Finding{}, "9f3a2461570a8d584255", "ac193769cab5c4c925641b81"},
		{"full", full, "d03302f97112f64d0bd9", "1a80773f3d62ea1995339dac"},
	}
	for _, p := range pins {
		if got := hash(p.f); got != p.hash {
			t.Errorf("%s: findingHash = %s, want %s", p.name, got, p.hash)
		}
		if got := legacyFindingHash(&p.f); got != p.legacy || len(got) != legacyHashLen {
			t.Errorf("%s: legacyFindingHash = %s, want %s", p.name, got, p.legacy)
		}
	}
	changes := map[string]func(f *model.Finding){
		"kind":        func(f *model.Finding) { f.Kind = model.KindSecret },
		"title":       func(f *model.Finding) { f.Title += "x" },
		"description": func(f *model.Finding) { f.Description += "x" },
		"severity":    func(f *model.Finding) { f.Severity = model.SevLow },
		"vuln id":     func(f *model.Finding) { f.VulnID = "CVE-2024-2" },
		"aliases":     func(f *model.Finding) { f.Aliases = nil },
		"cwes":        func(f *model.Finding) { f.CWEs = []int{79} },
		"cvss":        func(f *model.Finding) { f.CVSS = nil },
		"rule":        func(f *model.Finding) { f.RuleID = "r2" },
		"component":   func(f *model.Finding) { f.Component.FixedVersion = "1.1" },
		"location":    func(f *model.Finding) { f.Location.Port = 80 },
		"remediation": func(f *model.Finding) { f.Remediation = "" },
		"references":  func(f *model.Finding) { f.References = append(f.References, "b") },
		// Fields cannot trade bytes: they are length-prefixed.
		"title into description": func(f *model.Finding) { f.Title, f.Description = full.Title+"b", full.Description[1:] },
	}
	for name, change := range changes {
		f := full
		f.Aliases, f.CWEs, f.References = append([]string(nil), full.Aliases...), append([]int(nil), full.CWEs...), append([]string(nil), full.References...)
		change(&f)
		if hash(f) == hash(full) {
			t.Errorf("changing the %s leaves the hash as it was", name)
		}
	}
}

// A database written by a version before findingHash holds legacy hashes:
// re-importing the same report counts its findings unchanged, not updated,
// and leaves them with current hashes.
func TestLegacyContentHashesStillMatch(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ctem.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg, err := formats.Registry()
	if err != nil {
		t.Fatal(err)
	}
	p := New(st, reg, nil)
	report := filepath.Join(t.TempDir(), "scan.json")
	if err := os.WriteFile(report, []byte(`{"ctem": "findings/v1", "findings": [
		{"asset": {"kind": "host", "identifiers": {"hostname": "db01"}}, "kind": "vulnerability", "title": "one", "vuln_id": "CVE-2024-0001", "severity": "high", "references": ["https://a.test"]},
		{"asset": {"kind": "host", "identifiers": {"hostname": "db01"}}, "kind": "vulnerability", "title": "two", "vuln_id": "CVE-2024-0002", "severity": "low"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	imp := func() model.ImportCounts {
		t.Helper()
		res, err := p.ImportFile(ctx, report, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return res[0].Import.Counts
	}
	imp()

	// The hashes an earlier version stored: the legacy recipe over the
	// observations as the pipeline normalizes them.
	format, err := reg.Lookup("ctem")
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(report)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	ch := make(chan batch, 1)
	sink := &batchSink{ctx: ctx, out: ch, size: 100}
	if err := format.Parse(ctx, in, sink); err != nil {
		t.Fatal(err)
	}
	if err := sink.flush(); err != nil {
		t.Fatal(err)
	}
	b := <-ch
	setHashes := func(hashOf func(f *model.Finding) string) {
		t.Helper()
		for i := range b.obs {
			f := &b.obs[i].Finding
			if _, err := st.Writer().ExecContext(ctx, "UPDATE findings SET content_hash = $1 WHERE text_id IN (SELECT id FROM finding_texts WHERE title = $2)", hashOf(f), f.Title); err != nil {
				t.Fatal(err)
			}
		}
	}
	setHashes(legacyFindingHash)
	if c := imp(); c.Unchanged != 2 || c.Updated != 0 {
		t.Errorf("re-import over legacy hashes: %d unchanged, %d updated; want 2 and 0", c.Unchanged, c.Updated)
	}
	rows, err := st.Writer().QueryContext(ctx, "SELECT content_hash FROM findings")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h string
		rows.Scan(&h)
		if len(h) != 20 {
			t.Errorf("content hash %q after the re-import, want a current one", h)
		}
	}
	rows.Close()
	// A legacy hash that does not match is a change.
	setHashes(func(*model.Finding) string { return strings.Repeat("0", legacyHashLen) })
	if c := imp(); c.Unchanged != 0 || c.Updated != 2 {
		t.Errorf("re-import over other legacy hashes: %d unchanged, %d updated; want 0 and 2", c.Unchanged, c.Updated)
	}
}
