package qualyswebapp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	qualyswebapp "github.com/ctemhq/ctem/internal/discover/formats/qualys_webapp"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

const formatName = "qualys_webapp"

// countExceptions holds deliberate differences from DefectDojo's counts.
var countExceptions = map[string]int{}

// TestSeverities checks the manifest's non-informational counts, which
// ctem matches with DefectDojo's default (information gathered is
// informational); DefectDojo's enable_weakness option has no counterpart.
func TestSeverities(t *testing.T) {
	for file, want := range map[string]int{
		"qualys_webapp/qualys_webapp_many_vuln.xml": 3,
		"qualys_webapp/qualys_webapp_no_vuln.xml":   0,
		"qualys_webapp/qualys_webapp_one_vuln.xml":  1,
	} {
		rec := reporttest.ParseCorpus(t, qualyswebapp.New(), file)
		n := 0
		for _, o := range rec.Observations {
			if o.Finding.Severity != model.SevInfo {
				n++
			}
		}
		if n != want {
			t.Errorf("%s: %d non-informational observations, want %d", file, n, want)
		}
	}
}

func TestContent(t *testing.T) {
	tests := []struct {
		file, qid string
		want      summary
	}{
		{"qualys_webapp/qualys_webapp_many_vuln.xml", "150004", summary{
			ToolID: "150004", Title: "Path-Based Vulnerability", Severity: model.SevLow, Kind: model.KindWebWeakness,
			CWEs: []int{22}, URL: "https://store.example.com/js/xdr/core/lang/xdr_en.json.gz", Asset: "https://store.example.com", Instances: 1,
		}},
		{"qualys_webapp/qualys_webapp_many_vuln.xml", "150246", summary{
			ToolID: "150246", Title: "Path-relative stylesheet import (PRSSI) vulnerability", Severity: model.SevLow, Kind: model.KindWebWeakness,
			URL: "https://store.example.com/index.html", Asset: "https://store.example.com", Instances: 2,
		}},
		{"qualys_webapp/qualys_webapp_one_vuln.xml", "150085", summary{
			ToolID: "150085", Title: "Slow HTTP POST vulnerability", Severity: model.SevMedium, Kind: model.KindWebWeakness,
			CWEs: []int{772}, URL: "https://services.example.com/", Asset: "https://services.example.com", Instances: 1,
		}},
		{"qualys_webapp/qualys_webapp_no_vuln.xml", "150202", summary{
			ToolID: "150202", Title: "Missing header: X-Content-Type-Options", Severity: model.SevInfo, Kind: model.KindWebWeakness,
			URL: "https://exweb.example.com/", Asset: "https://exweb.example.com", Instances: 1,
		}},
	}
	for _, tt := range tests {
		rec := reporttest.ParseCorpus(t, qualyswebapp.New(), tt.file)
		o, ok := byToolID(rec.Observations, tt.qid, "")
		if !ok {
			t.Errorf("%s: no QID %s", tt.file, tt.qid)
			continue
		}
		if diff := cmp.Diff(tt.want, summarize(o)); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.file, tt.qid, diff)
		}
	}
	rec := reporttest.ParseCorpus(t, qualyswebapp.New(), "qualys_webapp/qualys_webapp_one_vuln.xml")
	o := rec.Observations[0]
	if o.Finding.Location.Method != "POST" || !strings.HasPrefix(o.Evidence, "POST https://services.example.com/") ||
		o.Finding.Description == "" || o.Finding.Remediation == "" {
		t.Errorf("observation %+v", o)
	}
}

const webappReport = `<?xml version="1.0" encoding="UTF-8"?>
<WAS_WEBAPP_REPORT>
  <RESULTS>
    <WEB_APPLICATION>
      <NAME>Portal</NAME>
      <URL>https://portal.example:8443/</URL>
      <VULNERABILITY_LIST>
        <VULNERABILITY><UNIQUE_ID>u1</UNIQUE_ID><QID>150001</QID><URL>https://portal.example:8443/search?q=1</URL><PARAM>q</PARAM>
          <FIRST_TIME_DETECTED>01 Jan 2024 01:00AM GMT</FIRST_TIME_DETECTED></VULNERABILITY>
      </VULNERABILITY_LIST>
      <INFORMATION_GATHERED_LIST>
        <INFORMATION_GATHERED><UNIQUE_ID>u2</UNIQUE_ID><QID>6</QID><DATA base64="true">cG9ydGFsLmV4YW1wbGU=</DATA></INFORMATION_GATHERED>
      </INFORMATION_GATHERED_LIST>
    </WEB_APPLICATION>
  </RESULTS>
  <GLOSSARY><QID_LIST>
    <QID><QID>150001</QID><CATEGORY>Confirmed Vulnerability</CATEGORY><SEVERITY>5</SEVERITY><TITLE>Reflected XSS</TITLE>
      <GROUP>XSS</GROUP><CWE>CWE-79</CWE><DESCRIPTION>XSS</DESCRIPTION><IMPACT>bad</IMPACT><SOLUTION>encode</SOLUTION></QID>
    <QID><QID>6</QID><SEVERITY>1</SEVERITY><TITLE>DNS Host Name</TITLE><GROUP>IG-DIAG</GROUP></QID>
  </QID_LIST></GLOSSARY>
</WAS_WEBAPP_REPORT>`

func TestWebAppReport(t *testing.T) {
	rec := &reporttest.Recorder{}
	if err := qualyswebapp.New().Parse(context.Background(), strings.NewReader(webappReport), rec); err != nil {
		t.Fatal(err)
	}
	var got []summary
	for _, o := range rec.Observations {
		got = append(got, summarize(o))
	}
	want := []summary{
		{ToolID: "150001", Title: "Reflected XSS", Severity: model.SevCritical, Kind: model.KindWebWeakness, CWEs: []int{79},
			URL: "https://portal.example:8443/search?q=1", Param: "q", Asset: "https://portal.example:8443", Instances: 1},
		{ToolID: "6", Title: "DNS Host Name", Severity: model.SevInfo, Kind: model.KindWebWeakness,
			URL: "https://portal.example:8443/", Asset: "https://portal.example:8443", Instances: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rec.Observations[1].Evidence != "portal.example" {
		t.Errorf("decoded data %q", rec.Observations[1].Evidence)
	}
}

func TestErrors(t *testing.T) {
	checkErrors(t, map[string][]byte{
		"empty":      nil,
		"garbage":    []byte("qualys"),
		"wrong root": []byte(`<SCAN/>`),
		"unclosed":   []byte(`<WAS_SCAN_REPORT><RESULTS>`),
		"no qid":     []byte(`<WAS_SCAN_REPORT><RESULTS><VULNERABILITY_LIST><VULNERABILITY><URL>https://a/</URL></VULNERABILITY></VULNERABILITY_LIST></RESULTS></WAS_SCAN_REPORT>`),
		"no url":     []byte(`<WAS_SCAN_REPORT><RESULTS><INFORMATION_GATHERED_LIST><INFORMATION_GATHERED><QID>6</QID></INFORMATION_GATHERED></INFORMATION_GATHERED_LIST></RESULTS></WAS_SCAN_REPORT>`),
	}, "qualys_webapp/qualys_webapp_one_vuln.xml")
}

var fuzzSeeds = []string{webappReport}

var fuzzCorpus = []string{}
