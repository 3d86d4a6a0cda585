package burpsuitedast_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	burpsuitedast "github.com/ctemhq/ctem/internal/discover/formats/burp_suite_dast"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

const formatName = "burp_suite_dast"

// countExceptions holds deliberate differences from DefectDojo's counts.
var countExceptions = map[string]int{}

func TestContent(t *testing.T) {
	tests := []struct {
		file  string
		index int
		want  summary
	}{
		{"burp_suite_dast/many_vulns.html", 0, summary{
			ToolID: "Cross-origin resource sharing: arbitrary origin trusted", Title: "Cross-origin resource sharing: arbitrary origin trusted",
			Severity: model.SevHigh, Kind: model.KindWebWeakness, CWEs: []int{942},
			URL: "https://example.com/redacted", Asset: "https://example.com", Instances: 1,
		}},
		{"burp_suite_dast/many_vulns.html", 3, summary{
			ToolID: "TLS certificate", Title: "TLS certificate", Severity: model.SevInfo, Kind: model.KindWebWeakness,
			CWEs: []int{295, 326, 327}, URL: "https://example.com/", Asset: "https://example.com", Instances: 1,
		}},
		{"burp_suite_dast/many_vulns.html", 5, summary{
			ToolID: "WAF Detected: redacted", Title: "WAF Detected: redacted", Severity: model.SevInfo, Kind: model.KindWebWeakness,
			URL: "https://example.com/redacted", Asset: "https://example.com", Instances: 1,
		}},
		{"burp_suite_dast/many_vulns_updated_format.html", 0, summary{
			ToolID: "Strict transport security not enforced", Title: "Strict transport security not enforced",
			Severity: model.SevLow, Kind: model.KindWebWeakness, CWEs: []int{523},
			URL: "https://instance.example.com/fe/m3/m-login", Asset: "https://instance.example.com", Instances: 7,
		}},
		{"burp_suite_dast/many_vulns_updated_format.html", 5, summary{
			ToolID: "Content security policy: allows form hijacking", Title: "Content security policy: allows form hijacking",
			Severity: model.SevInfo, Kind: model.KindWebWeakness, CWEs: []int{116},
			URL: "https://instance.example.com/fe/m3/m-login", Asset: "https://instance.example.com", Instances: 7,
		}},
		{"burp_suite_dast/many_vulns_updated_format.html", 11, summary{
			ToolID: "Input returned in response (reflected)", Title: "Input returned in response (reflected)",
			Severity: model.SevInfo, Kind: model.KindWebWeakness, CWEs: []int{20, 116},
			URL: "http://instance.example.com/fe/m3/m-login", Asset: "http://instance.example.com", Instances: 1,
		}},
	}
	for _, tt := range tests {
		rec := reporttest.ParseCorpus(t, burpsuitedast.New(), tt.file)
		if tt.index >= len(rec.Observations) {
			t.Errorf("%s: only %d observations", tt.file, len(rec.Observations))
			continue
		}
		if diff := cmp.Diff(tt.want, summarize(rec.Observations[tt.index])); diff != "" {
			t.Errorf("%s[%d] (-want +got):\n%s", tt.file, tt.index, diff)
		}
	}

	rec := reporttest.ParseCorpus(t, burpsuitedast.New(), "burp_suite_dast/many_vulns.html")
	o := rec.Observations[0]
	if !strings.HasPrefix(o.Finding.Description, "The application implements an HTML5 cross-origin resource sharing (CORS) policy") ||
		!strings.Contains(o.Finding.Description, "An HTML5 cross-origin resource sharing (CORS) policy controls") {
		t.Errorf("description %q", o.Finding.Description)
	}
	if !contains(o.Finding.References, "https://portswigger.net/web-security/cors") || o.Finding.Location.Method != "POST" {
		t.Errorf("references %v, method %q", o.Finding.References, o.Finding.Location.Method)
	}
	rec = reporttest.ParseCorpus(t, burpsuitedast.New(), "burp_suite_dast/many_vulns_updated_format.html")
	o = rec.Observations[0]
	if !strings.HasPrefix(o.Finding.Description, "The application fails to prevent users from connecting to it over unencrypted connections") ||
		!strings.HasPrefix(o.Finding.Remediation, "The application should instruct web browsers to only access the application using HTTPS") ||
		!contains(o.Finding.References, "https://developer.mozilla.org/en-US/docs/Web/Security/HTTP_strict_transport_security") ||
		!strings.HasPrefix(o.Evidence, "GET /fe/m3/m-login HTTP/2") {
		t.Errorf("HSTS finding: %+v, evidence %q", o.Finding, o.Evidence)
	}
	if len(rec.Assets) != 2 {
		t.Errorf("assets %v", rec.Assets)
	}
}

func TestErrors(t *testing.T) {
	checkErrors(t, map[string][]byte{
		"empty":        nil,
		"garbage":      []byte("text only"),
		"other html":   []byte(`<html><body><h1>Hello</h1></body></html>`),
		"unclosed tag": []byte(`<html><body>Burp Suite Enterprise Edition<div class="x`),
		"no end":       []byte(`<html><body>Burp Suite Enterprise Edition<table class="issue-table"><tr class="issue-type-row"><td>X [1]</td></tr>`),
		"bad site":     []byte(`<html><body>Burp Suite DAST<h1>Issues found on ::</h1><table class="issue-table"><tr class="issue-type-row"><td>X [1]</td></tr><tr><td>/a</td><td>High</td></tr></table></body></html>`),
	}, "burp_suite_dast/many_vulns.html")
}

var fuzzSeeds = []string{
	`<html><head><title>Scan Remediation Report #1</title><style>a{}</style></head><body>` +
		`<span class="label">Generated by Burp Suite Enterprise Edition | 2024-11-06</span>` +
		`<h1>Issues found on https://a.example</h1><table class='issue-table'><tbody>` +
		`<tr class="issue-type-row"><td colspan="4">SQL injection [2]</td></tr>` +
		`<tr><td class="issue-path">/x</td><td>High</td><td>Certain</td><td><a href="#1">&gt;&gt;</a></td></tr>` +
		`<tr><td class="issue-path">/y</td><td>Medium</td><td>Firm</td><td><a href="#2">&gt;&gt;</a></td></tr></tbody></table>` +
		`<div class="section details"><h1>More details for https://a.example</h1></div>` +
		`<div class="section details"><div class="issue-container"><a name="1"></a><h2>SQL injection</h2><a href="">/x</a>` +
		`<h3>Issue detail:</h3><div>The id parameter <b>is</b> injectable. CVE-2020-1234</div>` +
		`<h3>References</h3><div><ul><li><a href="https://portswigger.net/web-security/sql-injection">SQLi</a></li></ul></div>` +
		`<h3>Vulnerability classifications</h3><div><ul><li><a href="https://cwe.mitre.org/data/definitions/89.html">CWE-89: SQLi</a></li></ul></div>` +
		`<div class="evidence-container"><h3>Request:</h3><div class="request-response">GET /x?id=1 HTTP/2
Host: a.example</div></div></div></div></body></html>`,
}

var fuzzCorpus = []string{}
