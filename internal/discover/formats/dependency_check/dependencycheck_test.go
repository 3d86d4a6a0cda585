package dependencycheck_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type got struct {
	Tool     string
	VulnID   string
	Name     string
	Version  string
	Path     string
	Severity model.Severity
}

func summarize(o report.Observation) got {
	return got{Tool: o.ToolID, VulnID: o.Finding.VulnID, Name: o.Finding.Component.Name, Version: o.Finding.Component.Version,
		Path: o.Finding.Component.Path, Severity: o.Finding.Severity}
}

func TestMultipleVulnerabilities(t *testing.T) {
	rec := parse(t, "dependency_check/multiple_vulnerabilities_has_multiple_findings.xml")
	var all []got
	for _, o := range rec.Observations {
		all = append(all, summarize(o))
	}
	cwe400 := "CWE-400: Uncontrolled Resource Consumption ('Resource Exhaustion')"
	want := []got{
		{"CVE-0000-0001", "CVE-0000-0001", "org.dom4j:dom4j", "2.1.1.redhat-00001", "adapter-ear1.ear: dom4j-2.1.1.jar", model.SevHigh},
		{"NPM-1500", "NPM-1500", "yargs-parser", "5.0.0", "yargs-parser:5.0.0", model.SevLow},
		{"CVE-2020-7608", "CVE-2020-7608", "yargs-parser", "5.0.0", "yargs-parser:5.0.0", model.SevHigh},
		{cwe400, "", "yargs-parser", "5.0.0", "yargs-parser:5.0.0", model.SevHigh},
		{"CVE-0000-0001", "CVE-0000-0001", "org.dom4j:dom4j", "2.1.1.redhat-00001", "adapter-ear2.ear: dom4j-2.1.1.jar", model.SevHigh},
		{"CVE-0000-0001", "CVE-0000-0001", "dom4j", "2.1.1", "adapter-ear3.ear: dom4j-2.1.1.jar", model.SevHigh},
		{"CVE-0000-0001", "CVE-0000-0001", "jquery", "3.1.1", "adapter-ear4.ear: liquibase-core-3.5.3.jar: jquery.js", model.SevHigh},
		{"CVE-2019-7238", "CVE-2019-7238", "jquery", "3.1.1", "adapter-ear4.ear: liquibase-core-3.5.3.jar: jquery.js", model.SevCritical},
		{"CVE-2017-1000487", "CVE-2017-1000487", "jquery", "3.1.1", "adapter-ear4.ear: liquibase-core-3.5.3.jar: jquery.js", model.SevCritical},
	}
	if d := cmp.Diff(want, all); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	first := rec.Observations[0]
	if first.Finding.Title != "CVE-0000-0001 in org.dom4j:dom4j:2.1.1.redhat-00001" || first.Finding.Component.PURL != "pkg:maven/org.dom4j/dom4j@2.1.1.redhat-00001" {
		t.Errorf("title %q purl %q", first.Finding.Title, first.Finding.Component.PURL)
	}
	if !strings.Contains(first.Evidence, "also at: /var/lib/adapter-ear8.ear/dom4j-2.1.1.jar") {
		t.Errorf("evidence %q", first.Evidence)
	}
	cve := rec.Observations[2].Finding
	if len(cve.CVSS) != 1 || cve.CVSS[0].Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N" {
		t.Errorf("cvss %+v", cve.CVSS)
	}
	if d := cmp.Diff([]int{400}, rec.Observations[3].Finding.CWEs); d != "" {
		t.Errorf("cwes (-want +got):\n%s", d)
	}
	sup := rec.Observations[7]
	if !strings.Contains(sup.Evidence, "suppressed in Dependency-Check: no reason given") || !strings.Contains(rec.Observations[8].Evidence, "suppressed in Dependency-Check: This is our reason for not to upgrade it.") {
		t.Errorf("suppression evidence %q / %q", sup.Evidence, rec.Observations[8].Evidence)
	}
	// The suppressed CVE-2019-7238 has no vulnerability-level severity: its
	// CVSS v3 rating (CRITICAL) wins over the v2 one (HIGH).
	if len(sup.Finding.CVSS) != 2 {
		t.Errorf("cvss %+v", sup.Finding.CVSS)
	}
	if len(rec.Assets) != 1 || rec.Assets[0].Name != "Test Project" {
		t.Errorf("assets %+v", rec.Assets)
	}
}

func TestSingleVuln(t *testing.T) {
	rec := parse(t, "dependency_check/single_vuln.xml")
	o := rec.Observations[0]
	want := got{"CVE-0000-0001", "CVE-0000-0001", "org.owasp:library", "6.7.8", "component2.dll", model.SevMedium}
	if d := cmp.Diff(want, summarize(o)); d != "" {
		t.Errorf("finding (-want +got):\n%s", d)
	}
	if o.ToolSeverity != "Moderate" || o.Finding.Remediation != "Update org.owasp:library:6.7.8 to a version without CVE-0000-0001." {
		t.Errorf("tool severity %q remediation %q", o.ToolSeverity, o.Finding.Remediation)
	}
	// Old reports spell CVSS v2 out in the vulnerability itself.
	if len(o.Finding.CVSS) != 1 || o.Finding.CVSS[0].Vector != "AV:N/AC:L/Au:N/C:P/I:P/A:P" {
		t.Errorf("cvss %+v", o.Finding.CVSS)
	}
}

func TestVersion653(t *testing.T) {
	rec := parse(t, "dependency_check/version-6.5.3.xml")
	o := rec.Observations[0]
	f := o.Finding
	if f.Component.Name != "org.apache.logging.log4j:log4j-api" || f.Component.Version != "2.12.4" || f.Component.Path != "log4j-api-2.12.4.jar" || f.Severity != model.SevLow {
		t.Errorf("%+v %q", f.Component, f.Severity)
	}
	if !strings.Contains(f.Description, "Improper validation of certificate with host mismatch in Apache Log4j") {
		t.Errorf("description %q", f.Description)
	}
	var vectors []string
	for _, c := range f.CVSS {
		vectors = append(vectors, c.Vector)
	}
	if d := cmp.Diff([]string{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N", "AV:N/AC:M/Au:N/C:P/I:N/A:N"}, vectors); d != "" {
		t.Errorf("vectors (-want +got):\n%s", d)
	}
	if f.CVSS[0].Score != 3.7 || !cmp.Equal(f.CWEs, []int{295}) {
		t.Errorf("score %v cwes %v", f.CVSS[0].Score, f.CWEs)
	}
	multi := parse(t, "dependency_check/version-6.5.3_multi_cwe_fabricated.xml")
	if d := cmp.Diff([]int{295, 297}, multi.Observations[0].Finding.CWEs); d != "" {
		t.Errorf("cwes (-want +got):\n%s", d)
	}
}

func TestEmptyProjectName(t *testing.T) {
	rec := parse(t, "dependency_check/dc_empty.xml")
	if len(rec.Observations) != 0 || len(rec.Assets) != 1 || len(rec.Assets[0].Identifiers) != 0 || rec.Assets[0].Kind != model.AssetRepository {
		t.Errorf("%+v", rec)
	}
}
