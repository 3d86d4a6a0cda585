package semgrep_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type got struct {
	Rule     string
	File     string
	Line     int
	Severity model.Severity
	CWEs     []int
}

func summarize(o report.Observation) got {
	return got{Rule: o.Finding.RuleID, File: o.Finding.Location.File, Line: o.Finding.Location.Line,
		Severity: o.Finding.Severity, CWEs: o.Finding.CWEs}
}

func TestOneFinding(t *testing.T) {
	rec := parse(t, "semgrep/one_finding.json")
	o := rec.Observations[0]
	want := got{Rule: "java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle", File: "src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02194.java",
		Line: 64, Severity: model.SevMedium, CWEs: []int{696}}
	if d := cmp.Diff(want, summarize(o)); d != "" {
		t.Errorf("finding (-want +got):\n%s", d)
	}
	if o.Finding.Kind != model.KindCodeWeakness || o.ToolSeverity != "WARNING" {
		t.Errorf("kind %q tool severity %q", o.Finding.Kind, o.ToolSeverity)
	}
	if o.Finding.Remediation != `javax crypto Cipher.getInstance("AES/GCM/NoPadding");` {
		t.Errorf("remediation %q", o.Finding.Remediation)
	}
	if !strings.Contains(o.Evidence, `javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("DES/CBC/PKCS5Padding");`) {
		t.Errorf("evidence %q", o.Evidence)
	}
	if !strings.Contains(o.Finding.Description, "Using CBC with PKCS5Padding is susceptible to padding orcale attacks") {
		t.Errorf("description %q", o.Finding.Description)
	}
	if o.Finding.Title != "Using CBC with PKCS5Padding is susceptible to padding orcale attacks" {
		t.Errorf("title %q", o.Finding.Title)
	}
	if !strings.HasPrefix(o.Anchor, "sha256:") {
		t.Errorf("anchor %q", o.Anchor)
	}
	if d := cmp.Diff([]string{"https://capec.mitre.org/data/definitions/463.html", "https://find-sec-bugs.github.io/bugs.htm#PADDING_ORACLE"}, o.Finding.References); d != "" {
		t.Errorf("references (-want +got):\n%s", d)
	}
}

func TestManyVulns(t *testing.T) {
	rec := parse(t, "semgrep/many_vulns.json")
	all := map[int]got{}
	for _, i := range []int{0, 2, 4, 37} {
		g := summarize(rec.Observations[i])
		g.CWEs = nil
		all[i] = g
	}
	want := map[int]got{
		0:  {Rule: "python.lang.correctness.tempfile.flush.tempfile-without-flush", File: "tasks.py", Line: 186, Severity: model.SevHigh},
		2:  {Rule: "python.lang.maintainability.useless-ifelse.useless-if-conditional", File: "utils.py", Line: 503, Severity: model.SevMedium},
		4:  {Rule: "python.lang.security.insecure-hash-algorithms.insecure-hash-algorithm-md5", File: "tools/sslyze/parser_xml.py", Line: 124, Severity: model.SevMedium},
		37: {Rule: rec.Observations[37].Finding.RuleID, File: "management/commands/csv_findings_export.py", Line: 33, Severity: model.SevHigh},
	}
	if d := cmp.Diff(want, all); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int{327}, rec.Observations[4].Finding.CWEs); d != "" {
		t.Errorf("cwe (-want +got):\n%s", d)
	}
}

func TestCWEListAndFingerprint(t *testing.T) {
	rec := parse(t, "semgrep/cwe_list.json")
	o := rec.Observations[0]
	want := got{Rule: "javascript.express.security.audit.express-check-csurf-middleware-usage.express-check-csurf-middleware-usage", File: "index.js", Line: 12, Severity: model.SevLow, CWEs: []int{352}}
	if d := cmp.Diff(want, summarize(o)); d != "" {
		t.Errorf("finding (-want +got):\n%s", d)
	}
	if o.Anchor != "143cb0c62f3740d62180cbde3ffa976e" {
		t.Errorf("anchor %q", o.Anchor)
	}
	multi := parse(t, "semgrep/multiple_cwes_fabricated.json")
	if d := cmp.Diff([]int{327, 696}, multi.Observations[0].Finding.CWEs); d != "" {
		t.Errorf("cwes (-want +got):\n%s", d)
	}
}

// Semgrep's fingerprint is the anchor. (The corpus "line_26"/"line_27"
// twins are byte-identical; the line shift is tested on a crafted pair.)
func TestAnchorIgnoresLine(t *testing.T) {
	a := parse(t, "semgrep/semgrep_version_1_30_0_line_26.json")
	b := parse(t, "semgrep/semgrep_version_1_30_0_line_27.json")
	if len(a.Observations) != len(b.Observations) || len(a.Observations) == 0 {
		t.Fatalf("counts %d %d", len(a.Observations), len(b.Observations))
	}
	for i := range a.Observations {
		if a.Observations[i].Anchor == "" || a.Observations[i].Anchor != b.Observations[i].Anchor {
			t.Errorf("%d: anchors %q %q", i, a.Observations[i].Anchor, b.Observations[i].Anchor)
		}
	}
	doc := func(line string) string {
		return `{"results":[{"check_id":"r","path":"a.go","start":{"line":` + line + `,"col":1},"end":{"line":` + line + `,"col":9},"extra":{"message":"m","severity":"INFO","lines":"  x := y  ","metadata":{}}}]}`
	}
	x, y := parseString(t, doc("26")), parseString(t, doc("27"))
	if x.Observations[0].Anchor == "" || x.Observations[0].Anchor != y.Observations[0].Anchor {
		t.Errorf("snippet anchors differ: %q %q", x.Observations[0].Anchor, y.Observations[0].Anchor)
	}
}

func TestRepeatedAndSeverities(t *testing.T) {
	rec := parse(t, "semgrep/repeated_findings.json")
	want := got{Rule: "java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle", File: "src/main/java/org/owasp/benchmark/testcode/BenchmarkTest01150.java", Line: 66, Severity: model.SevMedium, CWEs: []int{696}}
	if d := cmp.Diff(want, summarize(rec.Observations[0])); d != "" {
		t.Errorf("finding (-want +got):\n%s", d)
	}
	many := parse(t, "semgrep/many_findings.json")
	if many.Observations[0].Finding.Severity != model.SevMedium || many.Observations[2].Finding.Severity != model.SevLow {
		t.Errorf("severities %q %q", many.Observations[0].Finding.Severity, many.Observations[2].Finding.Severity)
	}
}

func TestSupplyChainAPI(t *testing.T) {
	rec := parse(t, "semgrep/sca-deployments-vulns.json")
	o := rec.Observations[0]
	if o.Finding.Kind != model.KindVulnerability || o.Finding.VulnID != "CVE-2023-1428" || o.Finding.Severity != model.SevHigh {
		t.Errorf("finding %+v", o.Finding)
	}
	if d := cmp.Diff([]string{"GHSA-6628-q6j9-w8vg", "ssc-82207871-bbda-49be-b1af-49fd927a2f93"}, o.Finding.Aliases); d != "" {
		t.Errorf("aliases (-want +got):\n%s", d)
	}
	wantC := model.Component{Name: "grpcio", Version: "1.47.0", FixedVersion: "1.53.0", Path: "requirements3.txt"}
	if d := cmp.Diff(wantC, o.Finding.Component); d != "" {
		t.Errorf("component (-want +got):\n%s", d)
	}
	if o.Finding.Location.Line != 222 || !cmp.Equal(o.Finding.CWEs, []int{617}) {
		t.Errorf("line %d cwes %v", o.Finding.Location.Line, o.Finding.CWEs)
	}
	if o.Asset.Name != "example/rfv" || len(rec.Assets) != 22 {
		t.Errorf("asset %+v, %d assets", o.Asset, len(rec.Assets))
	}
}

func TestCLISupplyChain(t *testing.T) {
	in := `{"results":[{"check_id":"ssc-1234","path":"package-lock.json","start":{"line":10,"col":1},"end":{"line":10,"col":5},
"extra":{"message":"lodash is vulnerable","severity":"ERROR","lines":"requires login","fingerprint":"requires login",
"metadata":{"sca-vuln-database-identifier":"CVE-2021-23337","references":["https://github.com/advisories/GHSA-35jh-r3h4-6jhm"]},
"sca_info":{"reachable":false,"dependency_match":{"found_dependency":{"package":"lodash","version":"4.17.20","ecosystem":"npm","transitivity":"direct"},"lockfile":"package-lock.json"}}}}],"errors":[]}`
	rec := parseString(t, in)
	o := rec.Observations[0]
	if o.Finding.Kind != model.KindVulnerability || o.Finding.VulnID != "CVE-2021-23337" || o.Anchor != "" {
		t.Errorf("%+v anchor %q", o.Finding, o.Anchor)
	}
	if d := cmp.Diff(model.Component{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Path: "package-lock.json"}, o.Finding.Component); d != "" {
		t.Errorf("component (-want +got):\n%s", d)
	}
}
