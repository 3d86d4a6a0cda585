package govulncheck_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/govulncheck"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func byTool(t *testing.T, rec *reporttest.Recorder, id, module string) report.Observation {
	t.Helper()
	for _, o := range rec.Observations {
		if o.ToolID == id && o.Finding.Component.Name == module {
			return o
		}
	}
	t.Fatalf("no finding %s in %s", id, module)
	return report.Observation{}
}

func TestStream(t *testing.T) {
	rec := parse(t, "govulncheck/issue_15033.json")
	sev := map[model.Severity]int{}
	for _, o := range rec.Observations {
		sev[o.Finding.Severity]++
		if o.Finding.Component.Name == "" {
			t.Errorf("%s without component", o.ToolID)
		}
	}
	// Reachability: 29 called symbols, 17 imported packages, 26 required modules.
	if d := cmp.Diff(map[model.Severity]int{model.SevHigh: 29, model.SevLow: 17, model.SevInfo: 26}, sev); d != "" {
		t.Errorf("severities (-want +got):\n%s", d)
	}
	o := byTool(t, rec, "GO-2024-3333", "golang.org/x/net")
	f := o.Finding
	if f.VulnID != "CVE-2024-45338" || f.Severity != model.SevLow {
		t.Errorf("%q %q", f.VulnID, f.Severity)
	}
	want := model.Component{Name: "golang.org/x/net", Version: "v0.25.0", FixedVersion: "v0.33.0", PURL: "pkg:golang/golang.org/x/net@v0.25.0", Ecosystem: "Go"}
	if d := cmp.Diff(want, f.Component); d != "" {
		t.Errorf("component (-want +got):\n%s", d)
	}
	if !contains(f.References, "https://pkg.go.dev/vuln/GO-2024-3333") {
		t.Errorf("references %v", f.References)
	}
	if rec.Assets[0].Name != "github.com/alielmi98/golang-expense-tracker-api" || rec.Assets[0].Kind != model.AssetRepository {
		t.Errorf("asset %+v", rec.Assets[0])
	}
}

func TestArray(t *testing.T) {
	rec := parse(t, "govulncheck/many_vulns_new_version.json")
	o := rec.Observations[0]
	f := o.Finding
	if o.ToolID != "GO-2023-1840" || f.VulnID != "CVE-2023-29403" || f.Component.Name != "stdlib" || f.Component.Version != "v1.20.1" {
		t.Errorf("%q %+v", o.ToolID, f)
	}
	// DefectDojo's v1 parser says Info; the vulnerable symbol is called.
	if f.Severity != model.SevHigh || !strings.Contains(o.Evidence, "reachability: symbol") {
		t.Errorf("%q %q", f.Severity, o.Evidence)
	}
	if !contains(f.References, "https://pkg.go.dev/vuln/GO-2023-1840") {
		t.Errorf("references %v", f.References)
	}
	if !strings.Contains(o.Evidence, "runtime.BlockProfile") {
		t.Errorf("evidence lacks the trace: %q", o.Evidence)
	}
}

func TestCustomSeverity(t *testing.T) {
	rec := parse(t, "govulncheck/many_vulns_new_version_custom_severity.json")
	var got [][3]string
	for _, o := range rec.Observations {
		got = append(got, [3]string{o.ToolID, o.Finding.VulnID, string(o.Finding.Severity)})
	}
	want := [][3]string{{"GO-2021-0113", "CVE-2021-38561", "low"}, {"GO-2022-1059", "CVE-2022-32149", "high"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if c := rec.Observations[0].Finding.Component; c.Name != "golang.org/x/text" || c.Version != "v0.3.5" {
		t.Errorf("component %+v", c)
	}
}

func TestLegacy(t *testing.T) {
	rec := parse(t, "govulncheck/many_vulns.json")
	var got [][3]string
	for _, o := range rec.Observations {
		got = append(got, [3]string{o.ToolID, o.Finding.VulnID, o.Finding.Component.Name + "@" + o.Finding.Component.Version})
	}
	want := [][3]string{
		{"GO-2022-1144", "CVE-2022-41717", "stdlib@v1.19.0"},
		{"GO-2022-1143", "CVE-2022-41720", "stdlib@v1.19.0"},
		{"GO-2022-0969", "CVE-2022-27664", "stdlib@v1.19.0"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if f := rec.Observations[0].Finding; f.Component.FixedVersion != "v1.19.4" || f.Severity != model.SevHigh {
		t.Errorf("fixed %q severity %q", f.Component.FixedVersion, f.Severity)
	}
	if rec.Assets[0].Name != "github.com/jharper-sec/evil-app" {
		t.Errorf("asset %+v", rec.Assets[0])
	}
}

func TestSARIFRejected(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	_, err := reporttest.ParseFile(t, govulncheckNew(), dir+"/govulncheck/issue_15033_sarif.json")
	if err == nil || !strings.Contains(err.Error(), "SARIF") {
		t.Errorf("error %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func govulncheckNew() report.Format { return govulncheck.New() }
