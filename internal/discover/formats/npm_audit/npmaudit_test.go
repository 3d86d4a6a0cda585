package npmaudit_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/npm_audit"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func byEvidence(t *testing.T, rec *reporttest.Recorder, path string) report.Observation {
	t.Helper()
	for _, o := range rec.Observations {
		if strings.Contains(o.Evidence, path) {
			return o
		}
	}
	t.Fatalf("no finding with path %q", path)
	return report.Observation{}
}

func TestOneVuln(t *testing.T) {
	rec := parse(t, "npm_audit/one_vuln.json")
	o := rec.Observations[0]
	f := o.Finding
	want := model.Component{Name: "growl", Version: "1.9.2", FixedVersion: "1.10.2", PURL: "pkg:npm/growl@1.9.2", Ecosystem: "npm"}
	if d := cmp.Diff(want, f.Component); d != "" {
		t.Errorf("component (-want +got):\n%s", d)
	}
	if f.VulnID != "CVE-2017-16042" || !cmp.Equal(f.Aliases, []string{"NPM-146"}) || o.ToolID != "146" {
		t.Errorf("ids %q %v %q", f.VulnID, f.Aliases, o.ToolID)
	}
	if f.Severity != model.SevCritical || f.Title != "Command Injection" || !cmp.Equal(f.CWEs, []int{94}) {
		t.Errorf("%q %q %v", f.Severity, f.Title, f.CWEs)
	}
	wantRefs := []string{"https://www.npmjs.com/advisories/146", "https://github.com/tj/node-growl/issues/60", "https://github.com/tj/node-growl/pull/61"}
	if d := cmp.Diff(wantRefs, f.References); d != "" {
		t.Errorf("references (-want +got):\n%s", d)
	}
	if f.Remediation != "Update to version 1.10.2 or later." {
		t.Errorf("remediation %q", f.Remediation)
	}
	null := parse(t, "npm_audit/cwe_null.json")
	if c := null.Observations[0].Finding; c.Component.Name != "growl" || c.Component.Version != "1.9.2" || len(c.CWEs) != 0 {
		t.Errorf("cwe_null %+v", c)
	}
}

func TestManyVuln(t *testing.T) {
	rec := parse(t, "npm_audit/many_vuln.json")
	mime := byEvidence(t, rec, "censored_by_npm_audit>send>mime")
	if mime.Finding.VulnID != "CVE-2017-16138" || mime.Finding.Component.Name != "mime" || mime.Finding.Component.Version != "1.3.4" {
		t.Errorf("mime %+v", mime.Finding)
	}
	if len(mime.Finding.CWEs) != 0 {
		t.Errorf(`"CWE-" is no CWE: %v`, mime.Finding.CWEs)
	}
	fresh := byEvidence(t, rec, "express>fresh")
	if fresh.Finding.VulnID != "CVE-2017-16119" {
		t.Errorf("fresh %+v", fresh.Finding)
	}
	if d := cmp.Diff([]string{"mime", "1.3.4"}, []string{rec.Observations[4].Finding.Component.Name, rec.Observations[4].Finding.Component.Version}); d != "" {
		t.Errorf("finding 4 (-want +got):\n%s", d)
	}
}

func TestMultipleCWEs(t *testing.T) {
	rec := parse(t, "npm_audit/multiple_cwes2.json")
	f := rec.Observations[0].Finding
	if !cmp.Equal(f.CWEs, []int{918, 1333}) || f.VulnID != "CVE-2021-3807" || !cmp.Equal(f.Aliases, []string{"GHSA-93q8-gq69-wqmw", "NPM-1064843"}) {
		t.Errorf("%v %q %v", f.CWEs, f.VulnID, f.Aliases)
	}
	if len(f.CVSS) != 1 || f.CVSS[0].Vector != "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" || f.Severity != model.SevMedium {
		t.Errorf("%+v %q", f.CVSS, f.Severity)
	}
	// Two installed versions of one advisory's module: one finding, both in evidence.
	if !strings.Contains(rec.Observations[0].Evidence, "ansi-regex@3.0.0") || !strings.Contains(rec.Observations[0].Evidence, "ansi-regex@4.1.0") {
		t.Errorf("evidence %q", rec.Observations[0].Evidence)
	}
}

func TestErrorMessages(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	_, err := reporttest.ParseFile(t, npmauditNew(), dir+"/npm_audit/empty_with_error.json")
	if err == nil || !strings.Contains(err.Error(), "npm audit report contains errors:") || !strings.Contains(err.Error(), "ENOAUDIT") {
		t.Errorf("error %v", err)
	}
	_, err = reporttest.ParseFile(t, npmauditNew(), dir+"/npm_audit/many_vuln_npm7.json")
	if err == nil || !strings.Contains(err.Error(), "npm_audit_7_plus") {
		t.Errorf("error %v", err)
	}
}

func npmauditNew() report.Format { return npmaudit.New() }
