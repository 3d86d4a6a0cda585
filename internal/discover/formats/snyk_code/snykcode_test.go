package snykcode_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/snyk_code"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

type got struct {
	Title    string
	Rule     string
	File     string
	Line     int
	Severity model.Severity
	CWEs     []int
	Anchor   string
}

func TestIssue9270(t *testing.T) {
	rec := parse(t, "snyk_code/snykcode_issue_9270.json")
	o := rec.Observations[0]
	want := got{Title: "Cross-site Scripting (XSS)", Rule: "javascript/XSS", File: "frontend/src/app/score-board/score-board.component.ts", Line: 216,
		Severity: model.SevMedium, CWEs: []int{79}, Anchor: "041274fc0869f892f98d45c0bd6903f2cfad48bc93a806c69ccfdb2c86f32781:7921a677.4773f344.607187b5.a517c54b.ef9f7d82.8020cfdf.df7e59ba.cde67692.72e8bf12.664e3b30.21371afe.dee12555.fbac9e17.787328db.83265159.de97a755"}
	g := got{Title: o.Finding.Title, Rule: o.Finding.RuleID, File: o.Finding.Location.File, Line: o.Finding.Location.Line,
		Severity: o.Finding.Severity, CWEs: o.Finding.CWEs, Anchor: o.Anchor}
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("first finding (-want +got):\n%s", d)
	}
	if o.Finding.Kind != model.KindCodeWeakness || o.ToolSeverity != "warning" {
		t.Errorf("kind %q tool severity %q", o.Finding.Kind, o.ToolSeverity)
	}
	if !strings.Contains(o.Evidence, "priority score 504") {
		t.Errorf("evidence %q", o.Evidence)
	}
	if !strings.Contains(o.Finding.Description, "bypassSecurityTrustHtml") {
		t.Errorf("description %q", o.Finding.Description)
	}
	sev := map[model.Severity]int{}
	cwes := 0
	for _, o := range rec.Observations {
		sev[o.Finding.Severity]++
		if len(o.Finding.CWEs) > 0 {
			cwes++
		}
	}
	if len(sev) < 2 || cwes == 0 {
		t.Errorf("severities %v, %d with CWEs", sev, cwes)
	}
}

func TestLevels(t *testing.T) {
	in := `{"version":"2.1.0","runs":[{"results":[
{"ruleId":"a","level":"error","message":{"text":"x"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"f.js"},"region":{"startLine":1}}}]},
{"ruleId":"b","level":"note","message":{"text":"x"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"f.js"},"region":{"startLine":2}}}]},
{"ruleId":"c","message":{"text":"x"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"f.js"},"region":{"startLine":3}}}]},
{"ruleId":"d","level":"error","suppressions":[{"kind":"external"}],"message":{"text":"x"}}],
"tool":{"driver":{"name":"SnykCode","rules":[{"id":"a","shortDescription":{"text":"Rule A"},"properties":{"cwe":["CWE-89","CWE-90"]}}]}}}]}`
	rec := parseString(t, in)
	var sev []model.Severity
	for _, o := range rec.Observations {
		sev = append(sev, o.Finding.Severity)
	}
	if d := cmp.Diff([]model.Severity{model.SevHigh, model.SevLow, model.SevMedium}, sev); d != "" {
		t.Errorf("severities (-want +got):\n%s", d)
	}
	// Results came before the tool: rules still apply.
	if rec.Observations[0].Finding.Title != "Rule A" || !cmp.Equal(rec.Observations[0].Finding.CWEs, []int{89, 90}) {
		t.Errorf("%+v", rec.Observations[0].Finding)
	}
	if len(rec.Assets) != 1 || rec.Assets[0].Kind != model.AssetRepository {
		t.Errorf("assets %+v", rec.Assets)
	}
}

func TestDetectOnlySnykCode(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	for _, p := range []string{"sarif/codeQL-output.sarif", "govulncheck/issue_15033_sarif.json", "sarif/semgrepowasp-benchmark-sample.sarif"} {
		if s := snykcode.New().Detect(reporttest.Head(t, dir+"/"+p)); s != 0 {
			t.Errorf("%s claimed with %d", p, s)
		}
	}
	if s := snykcode.New().Detect(reporttest.Head(t, dir+"/snyk/snykcode_issue_9270.json")); s < 90 {
		t.Errorf("snyk code file in the snyk folder scored %d", s)
	}
}
