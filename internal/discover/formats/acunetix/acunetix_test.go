package acunetix_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/acunetix"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

const formatName = "acunetix"

// countExceptions holds deliberate differences from DefectDojo's counts.
var countExceptions = map[string]int{}

func TestContent(t *testing.T) {
	tests := []struct {
		file  string
		index int
		want  summary
	}{
		{"acunetix/XML_http_example_co_id_.xml", 0, summary{
			ToolID: "/Crawler/12-Crawler_Form_NO_CSRF.js", Title: "HTML form without CSRF protection",
			Severity: model.SevMedium, Kind: model.KindWebWeakness, CWEs: []int{352},
			CVSS: []string{"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:N", "AV:N/AC:H/Au:N/C:N/I:P/A:N"},
			URL:  "http://example.co.id/h/search", Asset: "http://example.co.id", Instances: 3,
		}},
		{"acunetix/XML_http_example_co_id_.xml", 6, summary{
			ToolID: "/httpdata/CSP_not_implemented.js", Title: "Content Security Policy (CSP) not implemented",
			Severity: model.SevInfo, Kind: model.KindWebWeakness, CWEs: []int{16}, CVSS: []string{"AV:N/AC:L/Au:N/C:N/I:N/A:N"},
			URL: "http://example.co.id/", Asset: "http://example.co.id", Instances: 1,
		}},
		{"acunetix/XML_http_example_co_id_port_num.xml", 0, summary{
			ToolID: "/Crawler/12-Crawler_Form_NO_CSRF.js", Title: "HTML form without CSRF protection",
			Severity: model.SevMedium, Kind: model.KindWebWeakness, CWEs: []int{352},
			CVSS: []string{"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:N", "AV:N/AC:H/Au:N/C:N/I:P/A:N"},
			URL:  "http://example.co.id:9000/h/search", Asset: "http://example.co.id:9000", Instances: 3,
		}},
		{"acunetix/many_findings.xml", 1, summary{
			ToolID: "/Scripts/PerServer/VirtualHost_Audit.script", Title: "Possible virtual host found",
			Severity: model.SevLow, Kind: model.KindWebWeakness, CWEs: []int{200},
			CVSS: []string{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "AV:N/AC:L/Au:N/C:P/I:N/A:N"},
			URL:  "http://www.itsecgames.com/", Asset: "http://www.itsecgames.com", Instances: 1,
		}},
		{"acunetix/many_findings_with_port_number.xml", 0, summary{
			ToolID: "slow-loris", Title: "Slow HTTP Denial of Service Attack",
			Severity: model.SevMedium, Kind: model.KindWebWeakness,
			CVSS: []string{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", "AV:N/AC:L/Au:N/C:N/I:N/A:P"},
			URL:  "http://www.itsecgames.com:8080/", Asset: "http://www.itsecgames.com:8080", Instances: 1,
		}},
		{"acunetix/acunetix360_many_findings.json", 1, summary{
			ToolID: "ConfirmedBooleanSqlInjection", Title: "Boolean Based SQL Injection",
			Severity: model.SevCritical, Kind: model.KindWebWeakness, CWEs: []int{89},
			CVSS: []string{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"},
			URL:  "http://php.testsparker.com/artist.php?id=-1%20OR%2017-7%3d10", Param: "id",
			Asset: "http://php.testsparker.com", Instances: 1,
		}},
		{"acunetix/acunetix360_multiple_cwe.json", 0, summary{
			ToolID: "CookieNotMarkedAsHttpOnly", Title: "Cookie Not Marked as HttpOnly",
			Severity: model.SevMedium, Kind: model.KindWebWeakness, CWEs: []int{16, 200},
			CVSS: []string{"CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:U/C:H/I:N/A:N/E:H/RL:O/RC:C"},
			URL:  "http://php.testsparker.com/auth/login.php", Asset: "http://php.testsparker.com", Instances: 1,
		}},
	}
	for _, tt := range tests {
		rec := reporttest.ParseCorpus(t, acunetix.New(), tt.file)
		if tt.index >= len(rec.Observations) {
			t.Errorf("%s: only %d observations", tt.file, len(rec.Observations))
			continue
		}
		if diff := cmp.Diff(tt.want, summarize(rec.Observations[tt.index])); diff != "" {
			t.Errorf("%s[%d] (-want +got):\n%s", tt.file, tt.index, diff)
		}
	}
}

func TestContentDetails(t *testing.T) {
	rec := reporttest.ParseCorpus(t, acunetix.New(), "acunetix/acunetix360_one_finding.json")
	o := rec.Observations[0]
	if want := "https://online.acunetix360.com/issues/detail/735f4503-e9eb-4b4c-4306-ad49020a4c4b"; !contains(o.Finding.References, want) {
		t.Errorf("references %v lack %s", o.Finding.References, want)
	}
	if !strings.Contains(o.Evidence, "GET /auth/login.php HTTP/1.1") || !strings.Contains(o.Evidence, "Identified Cookie(s): PHPSESSID") {
		t.Errorf("evidence %q lacks the request line or the cookie", o.Evidence)
	}
	wantAsset := report.AssetRef{Kind: model.AssetWebApp, Name: "http://php.testsparker.com", Identifiers: []model.Identifier{
		{Kind: model.IDURL, Value: "http://php.testsparker.com"}, {Kind: model.IDFQDN, Value: "php.testsparker.com"}}}
	if diff := cmp.Diff(wantAsset, o.Asset); diff != "" {
		t.Errorf("asset (-want +got):\n%s", diff)
	}
	if o.Finding.Remediation == "" || o.Finding.Description == "" {
		t.Errorf("remediation or description empty")
	}

	// The zero-finding report still covers its target.
	rec = reporttest.ParseCorpus(t, acunetix.New(), "acunetix/acunetix360_zero_finding.json")
	if len(rec.Observations) != 0 || len(rec.Assets) != 1 || rec.Assets[0].Name != "http://php.testsparker.com" {
		t.Errorf("zero-finding report: assets %+v, %d observations", rec.Assets, len(rec.Observations))
	}

	// The constructed report spans several web applications; every
	// observation sits on the asset of its own URL.
	rec = reporttest.ParseCorpus(t, acunetix.New(), "acunetix/acunetix360_many_findings_large_constructed.json")
	if len(rec.Assets) < 2 {
		t.Errorf("large report: %d assets", len(rec.Assets))
	}
	for _, o := range rec.Observations {
		if !strings.HasPrefix(o.Finding.Location.URL, o.Asset.Name+"/") {
			t.Fatalf("observation at %s on asset %s", o.Finding.Location.URL, o.Asset.Name)
		}
	}
}

func TestErrors(t *testing.T) {
	checkErrors(t, map[string][]byte{
		"empty":            nil,
		"blank":            []byte("  \n"),
		"garbage":          []byte("not a report at all"),
		"wrong xml root":   []byte(`<?xml version="1.0"?><issues></issues>`),
		"wrong json":       []byte(`{"Vulnerabilities": 3}`),
		"json no vulns":    []byte(`{"Generated": "x"}`),
		"unclosed xml":     []byte(`<ScanGroup><Scan><StartURL>http://a</StartURL><ReportItems><ReportItem><Name>x</Name>`),
		"item without url": []byte(`<ScanGroup><Scan><ReportItems><ReportItem><Name>x</Name></ReportItem></ReportItems></Scan></ScanGroup>`),
	}, "acunetix/many_findings.xml", "acunetix/acunetix360_many_findings.json")
}

var fuzzSeeds = []string{
	`<?xml version="1.0"?><ScanGroup><Scan><StartURL>http://a.example:8080</StartURL><ReportItems>` +
		`<ReportItem><Name>XSS</Name><ModuleName>/x.js</ModuleName><Affects>/p</Affects><Severity>high</Severity>` +
		`<CWEList><CWE>CWE-79</CWE></CWEList><CVSS3><Descriptor>CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:N</Descriptor></CVSS3>` +
		`</ReportItem></ReportItems></Scan></ScanGroup>`,
	`{"Generated":"x","Target":{"Url":"https://b.example/"},"Vulnerabilities":[{"Name":"n","Type":"T",` +
		`"Url":"https://b.example/x?a=1","Severity":"High","State":"Present","Classification":{"Cwe":"16,200",` +
		`"Cvss":{"Vector":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}},"HttpRequest":{"Content":"GET /x HTTP/1.1",` +
		`"Method":"GET","Parameters":[{"Name":"a","Vulnerable":true}]},"KnownVulnerabilities":[{"Title":"CVE-2020-1234"}]}]}`,
}

var fuzzCorpus = []string{"acunetix/watson_test_unique.xml", "acunetix/acunetix360_one_finding.json", "acunetix/issue_10435.json"}
