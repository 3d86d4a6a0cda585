package snyk_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/snyk"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func find(t *testing.T, rec *reporttest.Recorder, toolID, pkg, version string) report.Observation {
	t.Helper()
	for _, o := range rec.Observations {
		if o.ToolID == toolID && o.Finding.Component.Name == pkg && o.Finding.Component.Version == version {
			return o
		}
	}
	t.Fatalf("no finding %s in %s@%s", toolID, pkg, version)
	return report.Observation{}
}

func TestSingleProjectFields(t *testing.T) {
	rec := parse(t, "snyk/single_project_one_vuln.json")
	o := rec.Observations[0]
	f := o.Finding
	if o.ToolID != "SNYK-JAVA-ORGAPACHESANTUARIO-460281" || f.VulnID != "CVE-2019-12400" || !cmp.Equal(f.Aliases, []string{"SNYK-JAVA-ORGAPACHESANTUARIO-460281"}) {
		t.Errorf("ids %q %q %v", o.ToolID, f.VulnID, f.Aliases)
	}
	if f.Title != "XML External Entity (XXE) Injection" || f.Severity != model.SevMedium || !cmp.Equal(f.CWEs, []int{611}) {
		t.Errorf("title %q severity %q cwes %v", f.Title, f.Severity, f.CWEs)
	}
	if len(f.CVSS) != 1 || f.CVSS[0].Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:L" {
		t.Errorf("cvss %+v", f.CVSS)
	}
	want := model.Component{Name: "org.apache.santuario:xmlsec", Version: "2.1.1", FixedVersion: "2.1.4",
		PURL: "pkg:maven/org.apache.santuario/xmlsec@2.1.1", Ecosystem: "maven", Path: "pom.xml"}
	if d := cmp.Diff(want, f.Component); d != "" {
		t.Errorf("component (-want +got):\n%s", d)
	}
	if f.Remediation != "Upgrade org.apache.santuario:xmlsec to 2.1.4." {
		t.Errorf("remediation %q", f.Remediation)
	}
	if !strings.Contains(o.Evidence, "com.test:myframework@1.0.0-SNAPSHOT > org.apache.santuario:xmlsec@2.1.1") {
		t.Errorf("evidence %q", o.Evidence)
	}
	wantAsset := report.AssetRef{Kind: model.AssetRepository, Name: "com.test:myframework",
		Identifiers: []model.Identifier{{Kind: model.IDName, Value: "com.test:myframework"}}}
	if d := cmp.Diff([]report.AssetRef{wantAsset}, rec.Assets); d != "" {
		t.Errorf("assets (-want +got):\n%s", d)
	}
}

func TestAllProjects(t *testing.T) {
	rec := parse(t, "snyk/all_projects_issue4277.json")
	o := find(t, rec, "SNYK-DOTNET-MICROSOFTASPNETCORE-174184", "Microsoft.AspNetCore", "2.2.0")
	if o.Finding.Severity != model.SevHigh || o.Finding.VulnID != "CVE-2019-0815" || o.Finding.Component.PURL != "pkg:nuget/Microsoft.AspNetCore@2.2.0" {
		t.Errorf("%+v", o.Finding)
	}
	var lodash, yargs bool
	for _, o := range rec.Observations {
		if o.Finding.Component.Name == "lodash" && o.Finding.Component.Version == "4.17.11" && o.Finding.VulnID == "CVE-2021-23337" && o.Finding.Severity == model.SevHigh {
			lodash = true
		}
		if o.Finding.Component.Name == "yargs-parser" && o.Finding.Component.Version == "5.0.0" && o.Finding.VulnID == "CVE-2020-7608" && o.Finding.Severity == model.SevMedium {
			yargs = true
		}
		if strings.HasPrefix(o.ToolID, "snyk:lic:") {
			t.Errorf("license issue kept: %s", o.ToolID)
		}
	}
	if !lodash || !yargs {
		t.Errorf("lodash %t yargs %t", lodash, yargs)
	}
	if len(rec.Assets) != 2 || rec.Assets[1].Name != "email-template-manager" {
		t.Errorf("assets %+v", rec.Assets)
	}
	// project-level manifests
	if o.Finding.Component.Path != `company.Api.project\src\obj\project.assets.json` {
		t.Errorf("path %q", o.Finding.Component.Path)
	}
}

func TestAmpersandsAndUpgrade(t *testing.T) {
	rec := parse(t, "snyk/single_project_one_vuln_with_ampersands.json")
	if !strings.Contains(rec.Observations[0].Evidence, "myproject@0.1.0 > @angular/localize@11.0.4 > @babel/core@7.8.3 > lodash@4.17.13") {
		t.Errorf("evidence %q", rec.Observations[0].Evidence)
	}
	up := parse(t, "snyk/single_project_upgrade_libs.json")
	o := find(t, up, "SNYK-JS-SHELLQUOTE-1766506", "shell-quote", "1.7.2")
	if o.Finding.Severity != model.SevHigh || o.Finding.Component.Path != "package-lock.json" || o.Finding.Remediation != "Upgrade react-scripts to 5.0.0." {
		t.Errorf("%+v", o.Finding)
	}
	if o.Finding.Component.FixedVersion != "1.7.3" {
		t.Errorf("fixed %q", o.Finding.Component.FixedVersion)
	}
}

func TestContainer(t *testing.T) {
	rec := parse(t, "snyk/snykcontainer_issue_epss.json")
	o := rec.Observations[0]
	if o.Finding.VulnID != "CVE-2023-4039" || o.Finding.Title != "CVE-2023-4039" || o.Finding.Severity != model.SevLow {
		t.Errorf("%+v", o.Finding)
	}
	want := model.Component{Name: "libgcc-s1", Version: "10.2.1-6", PURL: "pkg:deb/debian/libgcc-s1@10.2.1-6", Ecosystem: "debian:11"}
	if d := cmp.Diff(want, o.Finding.Component); d != "" {
		t.Errorf("component (-want +got):\n%s", d)
	}
	if !strings.Contains(o.Evidence, "EPSS 0.00046 (percentile 0.14414)") {
		t.Errorf("evidence %q", o.Evidence)
	}
	wantAsset := report.AssetRef{Kind: model.AssetImage, Name: "sarim04/juiceshop:latest",
		Identifiers: []model.Identifier{{Kind: model.IDImageRef, Value: "sarim04/juiceshop:latest"}}}
	if d := cmp.Diff([]report.AssetRef{wantAsset}, rec.Assets); d != "" {
		t.Errorf("assets (-want +got):\n%s", d)
	}
	// The embedded npm application's findings are on the same image.
	last := rec.Observations[len(rec.Observations)-1]
	if last.Asset.Name != "sarim04/juiceshop:latest" || last.Finding.Component.Path != "/juice-shop/package.json" || last.Finding.Component.Ecosystem != "npm" {
		t.Errorf("application finding %+v on %+v", last.Finding.Component, last.Asset)
	}
}

func TestSnykCodeDelegated(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	if s := snyk.New().Detect(reporttest.Head(t, dir+"/snyk/snykcode_issue_9270.json")); s != 0 {
		t.Errorf("snyk claims Snyk Code SARIF with %d; snyk_code should", s)
	}
	rec := parse(t, "snyk/snykcode_issue_9270.json")
	if rec.Observations[0].Finding.Kind != model.KindCodeWeakness {
		t.Errorf("kind %q", rec.Observations[0].Finding.Kind)
	}
}
