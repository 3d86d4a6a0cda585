package zap_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/zap"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

const formatName = "zap"

// countExceptions holds deliberate differences from DefectDojo's counts.
var countExceptions = map[string]int{}

func TestContent(t *testing.T) {
	tests := []struct {
		file  string
		index int
		want  summary
	}{
		{"zap/dvwa_baseline_dojo.xml", 0, summary{
			ToolID: "10020", Title: "X-Frame-Options Header Not Set", Severity: model.SevMedium, Kind: model.KindWebWeakness,
			CWEs: []int{16}, URL: "http://172.17.0.2/", Param: "X-Frame-Options", Asset: "http://172.17.0.2", Instances: 11,
		}},
		{"zap/dvwa_baseline_dojo.xml", 18, summary{
			ToolID: "2", Title: "Private IP Disclosure", Severity: model.SevLow, Kind: model.KindWebWeakness,
			CWEs: []int{200}, URL: "http://172.17.0.2/phpinfo.php", Asset: "http://172.17.0.2", Instances: 3,
		}},
		{"zap/juicy2.xml", 0, summary{
			ToolID: "10015", Title: "Incomplete or No Cache-control Header Set", Severity: model.SevLow, Kind: model.KindWebWeakness,
			CWEs: []int{525}, URL: "https://juice-shop.herokuapp.com/assets/",
			Param: "Cache-Control", Asset: "https://juice-shop.herokuapp.com", Instances: 20,
		}},
		{"zap/juicy2.xml", 5, summary{
			ToolID: "10055", Title: "CSP: Wildcard Directive", Severity: model.SevMedium, Kind: model.KindWebWeakness,
			CWEs: []int{693}, URL: "https://juice-shop.herokuapp.com/assets",
			Asset: "https://juice-shop.herokuapp.com", Instances: 2,
		}},
		{"zap/zap-results-first-scan.xml", 14, summary{
			ToolID: "10062", Title: "PII Disclosure", Severity: model.SevHigh, Kind: model.KindWebWeakness,
			CWEs: []int{359}, URL: "http://bodgeit.securecodebox-demo.svc:8080/bodgeit/contact.jsp",
			Asset: "http://bodgeit.securecodebox-demo.svc:8080", Instances: 1,
		}},
		{"zap/zap_2.16.1_with_req_resp.xml", 1, summary{
			ToolID: "10029", Title: "Cookie Poisoning", Severity: model.SevInfo, Kind: model.KindWebWeakness,
			CWEs: []int{565}, URL: "https://example-domain.com/cpapi/api/InvalidateCacheByKey?rehydrate=true",
			Param: "rehydrate", Asset: "https://example-domain.com", Instances: 5,
		}},
	}
	for _, tt := range tests {
		rec := reporttest.ParseCorpus(t, zap.New(), tt.file)
		if tt.index >= len(rec.Observations) {
			t.Errorf("%s: only %d observations", tt.file, len(rec.Observations))
			continue
		}
		if diff := cmp.Diff(tt.want, summarize(rec.Observations[tt.index])); diff != "" {
			t.Errorf("%s[%d] (-want +got):\n%s", tt.file, tt.index, diff)
		}
	}

	rec := reporttest.ParseCorpus(t, zap.New(), "zap/zap_2.16.1_with_req_resp.xml")
	o := rec.Observations[0]
	if o.Finding.Location.Method != "POST" || !strings.HasPrefix(o.Evidence, "POST https://example-domain.com/cpapi/api/account/verifypasswordless") ||
		strings.Contains(o.Evidence, "authorization") {
		t.Errorf("evidence %q", o.Evidence)
	}
	if o.Finding.Remediation == "" || o.Finding.Description == "" || len(o.Finding.References) == 0 {
		t.Errorf("finding %+v", o.Finding)
	}

	// A site without alerts is still covered.
	rec = reporttest.ParseCorpus(t, zap.New(), "zap/empty_2.9.0.xml")
	if len(rec.Observations) != 0 || len(rec.Assets) != 1 || rec.Assets[0].Name != "https://isaac.nl" {
		t.Errorf("empty report: %+v", rec)
	}
}

const jsonReport = `{
	"@programName": "ZAP", "@version": "2.14.0", "@generated": "Mon, 1 Jan 2024 10:00:00",
	"site": [
		{"@name": "https://shop.example:8443", "@host": "shop.example", "@port": "8443", "@ssl": "true",
		 "alerts": [
			{"pluginid": "10038", "alertRef": "10038-1", "alert": "Content Security Policy (CSP) Header Not Set",
			 "name": "Content Security Policy (CSP) Header Not Set", "riskcode": "2", "confidence": "3",
			 "riskdesc": "Medium (High)", "desc": "<p>CSP is missing.</p>",
			 "instances": [
				{"uri": "https://shop.example:8443/", "method": "GET", "param": "", "attack": "", "evidence": "", "otherinfo": ""},
				{"uri": "https://shop.example:8443/cart", "method": "GET", "param": "", "attack": "", "evidence": "", "otherinfo": ""}],
			 "count": "2", "solution": "<p>Set the header.</p>",
			 "reference": "<p>https://developer.mozilla.org/en-US/docs/Web/HTTP/CSP</p>", "cweid": "693", "wascid": "15", "sourceid": "1"},
			{"pluginid": "10003", "alertRef": "10003", "alert": "Vulnerable JS Library", "riskcode": "2", "riskdesc": "Medium (Medium)",
			 "desc": "<p>old jquery</p>", "instances": [{"uri": "https://shop.example:8443/js/jquery.js", "method": "GET", "evidence": "jquery-1.8.1.min.js"}],
			 "otherinfo": "<p>CVE-2020-11023</p><p>CVE-2012-6708</p>", "cweid": "829"}
		 ]},
		{"@name": "http://quiet.example", "@host": "quiet.example", "@port": "80", "@ssl": "false", "alerts": []}
	]
}`

func TestJSON(t *testing.T) {
	rec := &reporttest.Recorder{}
	if err := zap.New().Parse(context.Background(), strings.NewReader(jsonReport), rec); err != nil {
		t.Fatal(err)
	}
	if score := zap.New().Detect([]byte(jsonReport)); score < 90 {
		t.Errorf("detect %d", score)
	}
	var got []summary
	for _, o := range rec.Observations {
		got = append(got, summarize(o))
	}
	want := []summary{
		{ToolID: "10038", Title: "Content Security Policy (CSP) Header Not Set", Severity: model.SevMedium, Kind: model.KindWebWeakness,
			CWEs: []int{693}, URL: "https://shop.example:8443/", Asset: "https://shop.example:8443", Instances: 2},
		{ToolID: "10003", Title: "Vulnerable JS Library", Severity: model.SevMedium, Kind: model.KindVulnerability, VulnID: "CVE-2020-11023",
			CWEs: []int{829}, URL: "https://shop.example:8443/js/jquery.js", Asset: "https://shop.example:8443", Instances: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rec.Observations[0].Finding.RuleID != "10038-1" || rec.Observations[0].ToolSeverity != "Medium" {
		t.Errorf("rule %q, tool severity %q", rec.Observations[0].Finding.RuleID, rec.Observations[0].ToolSeverity)
	}
	if len(rec.Assets) != 2 || rec.Assets[1].Name != "http://quiet.example" {
		t.Errorf("assets %+v", rec.Assets)
	}
}

func TestErrors(t *testing.T) {
	checkErrors(t, map[string][]byte{
		"empty":          nil,
		"garbage":        []byte("zap"),
		"wrong root":     []byte(`<issues/>`),
		"unclosed":       []byte(`<OWASPZAPReport><site name="http://a">`),
		"no site":        []byte(`<OWASPZAPReport><alertitem><alert>x</alert></alertitem></OWASPZAPReport>`),
		"json no site":   []byte(`{"@version":"2"}`),
		"json bad alert": []byte(`{"site":[{"@name":"http://a","alerts":[{"instances":5}]}]}`),
		"truncated json": []byte(jsonReport[:len(jsonReport)/2]),
	}, "zap/juicy2.xml")
}

var fuzzSeeds = []string{
	jsonReport,
	`<?xml version="1.0"?><OWASPZAPReport version="2.9.0"><site name="https://a.example" host="a.example" port="443" ssl="true">` +
		`<alerts><alertitem><pluginid>10011</pluginid><alert>Cookie</alert><riskcode>1</riskcode><riskdesc>Low (Medium)</riskdesc>` +
		`<desc>&lt;p&gt;x&lt;/p&gt;</desc><instances><instance><uri>https://a.example/x</uri><method>GET</method><param>p</param>` +
		`<evidence>Set-Cookie: p</evidence></instance></instances><cweid>614</cweid></alertitem></alerts></site></OWASPZAPReport>`,
}

var fuzzCorpus = []string{"zap/0_zap_sample.xml", "zap/empty_2.9.0.xml"}
