package npmaudit7plus_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func byName(t *testing.T, rec *reporttest.Recorder, name string) report.Observation {
	t.Helper()
	for _, o := range rec.Observations {
		if o.Finding.Component.Name == name {
			return o
		}
	}
	t.Fatalf("no finding for %s", name)
	return report.Observation{}
}

func TestOneVuln(t *testing.T) {
	rec := parse(t, "npm_audit_7_plus/one_vuln.json")
	o := rec.Observations[0]
	f := o.Finding
	// debug has two advisories; the high one leads.
	if f.Severity != model.SevHigh || !cmp.Equal(f.CWEs, []int{1333, 400}) {
		t.Errorf("severity %q cwes %v", f.Severity, f.CWEs)
	}
	if len(f.CVSS) != 1 || f.CVSS[0].Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" {
		t.Errorf("cvss %+v", f.CVSS)
	}
	if f.VulnID != "GHSA-9vvw-cc9w-f27h" || !cmp.Equal(f.Aliases, []string{"GHSA-gxpj-cx7g-858c"}) || o.ToolID != "1094457" {
		t.Errorf("vuln id %q %v tool id %q", f.VulnID, f.Aliases, o.ToolID)
	}
	if f.Title != "debug Inefficient Regular Expression Complexity vulnerability (+1 more advisory)" {
		t.Errorf("title %q", f.Title)
	}
}

func TestManyVulns(t *testing.T) {
	rec := parse(t, "npm_audit_7_plus/many_vulns.json")
	fun := rec.Observations[len(rec.Observations)-3]
	if fun.Finding.Component.Name != "@vercel/fun" {
		// transitive packages are emitted after the ones with advisories
		fun = byName(t, rec, "@vercel/fun")
	}
	if fun.Finding.Severity != model.SevMedium || !strings.Contains(fun.Finding.Title, "@vercel/fun depends on vulnerable") {
		t.Errorf("%q %q", fun.Finding.Severity, fun.Finding.Title)
	}
	// @vercel/fun inherits debug's and semver's advisories.
	if fun.Finding.VulnID == "" || len(fun.Finding.Aliases) != 1 || !cmp.Equal(fun.Finding.CWEs, []int{400, 1333}) {
		t.Errorf("inherited ids %q %v cwes %v", fun.Finding.VulnID, fun.Finding.Aliases, fun.Finding.CWEs)
	}
	if fun.Finding.Component.PURL != "pkg:npm/%40vercel/fun" {
		t.Errorf("purl %q", fun.Finding.Component.PURL)
	}
	vercel := byName(t, rec, "vercel")
	if vercel.Finding.Component.FixedVersion != "32.3.0" || vercel.Finding.Remediation != "Upgrade vercel to 32.3.0 (a semver-major change)." {
		t.Errorf("vercel fix %q %q", vercel.Finding.Component.FixedVersion, vercel.Finding.Remediation)
	}
	// vercel reaches all three advisories through @vercel/fun and @vercel/node.
	if n := 1 + len(vercel.Finding.Aliases); n != 3 {
		t.Errorf("vercel inherits %d advisories", n)
	}
	debug := byName(t, rec, "debug")
	if debug.Finding.Component.FixedVersion != "" || !strings.Contains(debug.Evidence, "node_modules/@vercel/fun/node_modules/debug") {
		t.Errorf("debug %+v %q", debug.Finding.Component, debug.Evidence)
	}
}

func TestMultipleCWEs(t *testing.T) {
	rec := parse(t, "npm_audit_7_plus/multiple_cwes_fabricated.json")
	f := rec.Observations[0].Finding
	if f.Severity != model.SevHigh || !cmp.Equal(f.CWEs, []int{400, 1333}) {
		t.Errorf("%q %v", f.Severity, f.CWEs)
	}
	issue := parse(t, "npm_audit_7_plus/issue_10801.json")
	if g := issue.Observations[0].Finding; g.Severity != model.SevMedium || len(g.CWEs) != 0 || g.VulnID != "GHSA-pfrx-2q88-qq97" {
		t.Errorf("%+v", g)
	}
}
