package trufflehog3_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type got struct {
	Title    string
	Rule     string
	File     string
	Line     int
	Severity model.Severity
	Secret   string
	CWEs     []int
}

func summarize(o report.Observation) got {
	return got{Title: o.Finding.Title, Rule: o.Finding.RuleID, File: o.Finding.Location.File, Line: o.Finding.Location.Line,
		Severity: o.Finding.Severity, Secret: o.Secret, CWEs: o.Finding.CWEs}
}

func TestCurrent(t *testing.T) {
	rec := parse(t, "trufflehog3/issue_6999.json")
	o := rec.Observations[0]
	want := got{Title: "High Entropy", Rule: "high-entropy-based-rules2", File: "tests/Services/GoodDrafts/DataSets/4620060807393", Line: 2,
		Severity: model.SevMedium, Secret: "6B760A0478D4EB84EA8CD6202E866A4C", CWEs: []int{798}}
	if d := cmp.Diff(want, summarize(o)); d != "" {
		t.Errorf("finding (-want +got):\n%s", d)
	}
	if o.ToolSeverity != "MEDIUM" {
		t.Errorf("tool severity %q", o.ToolSeverity)
	}
	if strings.Contains(o.Evidence, o.Secret) || !strings.Contains(o.Evidence, "REDACTED") {
		t.Errorf("evidence %q", o.Evidence)
	}
}

func TestLegacy(t *testing.T) {
	rec := parse(t, "trufflehog3/many_vulns_legacy.json")
	want := got{Title: "Hard Coded High entropy", Rule: "High entropy", File: "fixtures/users.json", Severity: model.SevMedium, CWEs: []int{798}}
	if d := cmp.Diff(want, summarize(rec.Observations[0])); d != "" {
		t.Errorf("first finding (-want +got):\n%s", d)
	}
	rec = parse(t, "trufflehog3/many_vulns2_legacy.json")
	if d := cmp.Diff("test_all.py", rec.Observations[0].Finding.Location.File); d != "" {
		t.Errorf("file (-want +got):\n%s", d)
	}
	for _, o := range rec.Observations {
		if o.Secret != "" || strings.Contains(o.Evidence, "+") && strings.Contains(o.Evidence, "password") {
			t.Errorf("legacy findings carry no secret text: %q / %q", o.Secret, o.Evidence)
		}
	}
}

func TestDuplicatesAcrossCommits(t *testing.T) {
	in := `[{"rule":{"id":"aws","message":"AWS key","severity":"HIGH"},"path":"a.py","line":3,"secret":"AKIAIOSFODNN7EXAMPLE","commit":"c1"},
{"rule":{"id":"aws","message":"AWS key","severity":"HIGH"},"path":"a.py","line":"3","secret":"AKIAIOSFODNN7EXAMPLE","commit":"c2"}]`
	rec := parseString(t, in)
	if len(rec.Observations) != 1 {
		t.Fatalf("got %d findings, want 1", len(rec.Observations))
	}
	if rec.Observations[0].Finding.Severity != model.SevHigh || rec.Observations[0].Finding.Location.Line != 3 {
		t.Errorf("%+v", rec.Observations[0].Finding)
	}
	if len(rec.Assets) != 1 || rec.Assets[0].Kind != model.AssetRepository {
		t.Errorf("assets %+v", rec.Assets)
	}
}
