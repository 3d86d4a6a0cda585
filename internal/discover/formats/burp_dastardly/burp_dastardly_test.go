package burpdastardly_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	burpdastardly "github.com/ctemhq/ctem/internal/discover/formats/burp_dastardly"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

const formatName = "burp_dastardly"

// countExceptions holds deliberate differences from DefectDojo's counts.
var countExceptions = map[string]int{}

func TestContent(t *testing.T) {
	rec := reporttest.ParseCorpus(t, burpdastardly.New(), "burp_dastardly/many_findings.xml")
	xss := []int{79, 80, 116, 159}
	want := []summary{
		{ToolID: "Cross-site scripting (reflected)", Title: "Cross-site scripting (reflected)", Severity: model.SevHigh,
			Kind: model.KindWebWeakness, CWEs: xss, URL: "https://ginandjuice.shop/catalog", Param: "searchTerm",
			Asset: "https://ginandjuice.shop", Instances: 1},
		{ToolID: "Cross-site scripting (reflected)", Title: "Cross-site scripting (reflected)", Severity: model.SevInfo,
			Kind: model.KindWebWeakness, CWEs: xss, URL: "https://ginandjuice.shop/catalog/subscribe", Param: "email",
			Asset: "https://ginandjuice.shop", Instances: 1},
		{ToolID: "Cross-site scripting (reflected)", Title: "Cross-site scripting (reflected)", Severity: model.SevHigh,
			Kind: model.KindWebWeakness, CWEs: xss, URL: "https://ginandjuice.shop/login", Param: "username",
			Asset: "https://ginandjuice.shop", Instances: 1},
		{ToolID: "Vulnerable JavaScript dependency", Title: "Vulnerable JavaScript dependency", Severity: model.SevLow,
			Kind: model.KindVulnerability, VulnID: "CVE-2020-7676", CWEs: []int{1104},
			URL: "https://ginandjuice.shop/resources/js/angular_1-7-7.js", Asset: "https://ginandjuice.shop", Instances: 1},
	}
	var got []summary
	for _, o := range rec.Observations {
		got = append(got, summarize(o))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	o := rec.Observations[3]
	if len(o.Finding.Aliases) != 6 || o.Finding.Location.Method != "GET" || o.Finding.Remediation == "" {
		t.Errorf("aliases %v, method %q, remediation %q", o.Finding.Aliases, o.Finding.Location.Method, o.Finding.Remediation)
	}
	if len(rec.Assets) != 1 {
		t.Errorf("assets %v", rec.Assets)
	}
}

func TestErrors(t *testing.T) {
	checkErrors(t, map[string][]byte{
		"empty":      nil,
		"garbage":    []byte("text"),
		"wrong root": []byte(`<issues/>`),
		"unclosed":   []byte(`<testsuites name="Dastardly scan results"><testsuite name="https://a/">`),
		"no host":    []byte(`<testsuites><testsuite><testcase name="x"><failure type="High">Severity: High</failure></testcase></testsuite></testsuites>`),
	}, "burp_dastardly/many_findings.xml")
}

var fuzzSeeds = []string{
	`<?xml version="1.0"?><testsuites failures="1" name="Dastardly scan results"><testsuite failures="1" name="https://a.example:443/x">` +
		`<testcase name="SQL injection"><failure message="SQL injection found at https://a.example/x" type="High"><![CDATA[
Severity: High

Host: https://a.example

Path: /x

Issue Detail
The value of the id request parameter is vulnerable. CVE-2021-1234

Evidence
Request:
GET /x?id=1 HTTP/2

Vulnerability Classifications
- CWE-89: SQL injection
]]></failure></testcase></testsuite></testsuites>`,
}

var fuzzCorpus = []string{}
