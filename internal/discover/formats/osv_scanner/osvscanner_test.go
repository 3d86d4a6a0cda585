package osvscanner_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func byTool(t *testing.T, rec *reporttest.Recorder, id string) report.Observation {
	t.Helper()
	for _, o := range rec.Observations {
		if o.ToolID == id {
			return o
		}
	}
	t.Fatalf("no finding %s", id)
	return report.Observation{}
}

func TestSomeFindings(t *testing.T) {
	rec := parse(t, "osv_scanner/some_findings.json")
	o := rec.Observations[0]
	f := o.Finding
	if o.ToolID != "MAL-2023-1035" || f.VulnID != "MAL-2023-1035" || !cmp.Equal(f.Aliases, []string{"GHSA-8348-2q94-ffjx"}) {
		t.Errorf("ids %q %q %v", o.ToolID, f.VulnID, f.Aliases)
	}
	// A malicious package ranks critical (DefectDojo: Low, for want of a severity).
	if f.Severity != model.SevCritical || !cmp.Equal(f.CWEs, []int{506}) || f.Title != "Malicious code in flot-axis (npm)" {
		t.Errorf("%q %v %q", f.Severity, f.CWEs, f.Title)
	}
	want := model.Component{Name: "flot-axis", Version: "0.0.0", PURL: "pkg:npm/flot-axis@0.0.0", Ecosystem: "npm", Path: "/tmp/components/yarn.lock"}
	if d := cmp.Diff(want, f.Component); d != "" {
		t.Errorf("component (-want +got):\n%s", d)
	}
}

func TestManyFindings(t *testing.T) {
	rec := parse(t, "osv_scanner/many_findings.json")
	g := byTool(t, rec, "GHSA-25mq-v84q-4j7r")
	if g.Finding.VulnID != "CVE-2022-31090" || g.Finding.Severity != model.SevHigh || g.ToolSeverity != "HIGH" {
		t.Errorf("%+v", g.Finding)
	}
	if g.Finding.Component.Name != "guzzlehttp/guzzle" || g.Finding.Component.Path != "/tmpcardmarket-api/composer.lock" ||
		g.Finding.Component.FixedVersion != "6.5.8" || g.Finding.Component.PURL != "pkg:composer/guzzlehttp/guzzle@6.3.3" {
		t.Errorf("%+v", g.Finding.Component)
	}
	if len(g.Finding.CVSS) != 1 || g.Finding.CVSS[0].Vector != "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N" {
		t.Errorf("cvss %+v", g.Finding.CVSS)
	}
	// GHSA-g4mx-q9vg-27p4 and PYSEC-2023-212 are one vulnerability: one finding.
	u := byTool(t, rec, "GHSA-g4mx-q9vg-27p4")
	if u.Finding.VulnID != "CVE-2023-45803" || !cmp.Equal(u.Finding.Aliases, []string{"GHSA-g4mx-q9vg-27p4", "PYSEC-2023-212"}) {
		t.Errorf("urllib3 %q %v", u.Finding.VulnID, u.Finding.Aliases)
	}
	for _, o := range rec.Observations {
		if o.ToolID == "PYSEC-2023-212" {
			t.Errorf("PYSEC-2023-212 reported apart from its group")
		}
	}
	dj := byTool(t, rec, "GHSA-53qw-q765-4fww")
	if !strings.Contains(strings.Join(dj.Finding.References, "\n"), "https://nvd.nist.gov/vuln/detail/CVE-2021-45115") {
		t.Errorf("references %v", dj.Finding.References)
	}
	if !strings.Contains(dj.Finding.Remediation, "2.2.26") || dj.Finding.Component.FixedVersion != "3.2.11" {
		t.Errorf("remediation %q fixed %q", dj.Finding.Remediation, dj.Finding.Component.FixedVersion)
	}
	// A git source: the package is a commit.
	git := byTool(t, rec, "CVE-2023-50094")
	if git.Finding.Component.Version != "f5f3c22f3ed5a6804a2a8d9ee9fa43044cfa24a6" || git.Finding.Severity != model.SevHigh {
		t.Errorf("git %+v %q", git.Finding.Component, git.Finding.Severity)
	}
	if len(rec.Assets) != 1 || rec.Assets[0].Kind != model.AssetRepository {
		t.Errorf("assets %+v", rec.Assets)
	}
}

func TestMultiCWEAndUngrouped(t *testing.T) {
	rec := parse(t, "osv_scanner/multi_cwe_fabricated.json")
	if d := cmp.Diff([]int{79, 89}, rec.Observations[0].Finding.CWEs); d != "" {
		t.Errorf("cwes (-want +got):\n%s", d)
	}
	// Without groups, records sharing an alias are one vulnerability.
	in := `{"results":[{"source":{"path":"requirements.txt","type":"lockfile"},"packages":[{"package":{"name":"requests","version":"2.25.1","ecosystem":"PyPI"},
"vulnerabilities":[{"id":"GHSA-j8r2-6x86-q33q","aliases":["CVE-2023-32681","PYSEC-2023-74"],"database_specific":{"severity":"MODERATE"}},{"id":"PYSEC-2023-74","aliases":["CVE-2023-32681","GHSA-j8r2-6x86-q33q"]},{"id":"GHSA-other","aliases":["CVE-2099-0001"]}]}]}]}`
	got := parseString(t, in)
	if len(got.Observations) != 2 || got.Observations[0].Finding.VulnID != "CVE-2023-32681" || got.Observations[0].Finding.Severity != model.SevMedium {
		t.Errorf("%+v", got.Observations)
	}
}
