package burp_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/burp"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

const formatName = "burp"

// countExceptions holds deliberate differences from DefectDojo's counts.
var countExceptions = map[string]int{}

func TestContent(t *testing.T) {
	tests := []struct {
		file  string
		index int
		want  summary
	}{
		{"burp/issue4399.xml", 0, summary{
			ToolID: "16777728", Title: "Unencrypted communications", Severity: model.SevLow,
			Kind: model.KindWebWeakness, CWEs: []int{326}, URL: "http://testphp.vulnweb.com/",
			Asset: "http://testphp.vulnweb.com", Instances: 1,
		}},
		{"burp/issue4399.xml", 10, summary{
			ToolID: "4197376", Title: "Input returned in response (reflected)", Severity: model.SevInfo,
			Kind: model.KindWebWeakness, CWEs: []int{20, 116}, URL: "http://testphp.vulnweb.com/comment.php",
			Param: "name", Asset: "http://testphp.vulnweb.com", Instances: 12,
		}},
		{"burp/issue4399.xml", 19, summary{
			ToolID: "3146256", Title: "External service interaction (HTTP)", Severity: model.SevHigh,
			Kind: model.KindWebWeakness, CWEs: []int{918, 406}, URL: "http://testphp.vulnweb.com/showimage.php",
			Param: "file", Asset: "http://testphp.vulnweb.com", Instances: 1,
		}},
		{"burp/one_finding_with_blank_response.xml", 0, summary{
			ToolID: "1049088", Title: "SQL injection", Severity: model.SevHigh, Kind: model.KindWebWeakness,
			URL: "http://bwa/bodgeit/basket.jsp", Param: "b_id", Asset: "http://bwa", Instances: 1,
		}},
		{"burp/one_finding_with_cwe.xml", 0, summary{
			ToolID: "7340288", Title: "Cacheable HTTPS response", Severity: model.SevInfo, Kind: model.KindWebWeakness,
			CWEs: []int{524, 525}, URL: "https://example.com/test/v4/public/users/fake", Asset: "https://example.com", Instances: 1,
		}},
		{"burp/seven_findings.xml", 0, summary{
			ToolID: "5245344", Title: "Frameable response (potential Clickjacking)", Severity: model.SevInfo,
			Kind: model.KindWebWeakness, URL: "http://bwa/bodgeit/", Asset: "http://bwa", Instances: 3,
		}},
	}
	for _, tt := range tests {
		rec := reporttest.ParseCorpus(t, burp.New(), tt.file)
		if tt.index >= len(rec.Observations) {
			t.Errorf("%s: only %d observations", tt.file, len(rec.Observations))
			continue
		}
		if diff := cmp.Diff(tt.want, summarize(rec.Observations[tt.index])); diff != "" {
			t.Errorf("%s[%d] (-want +got):\n%s", tt.file, tt.index, diff)
		}
	}

	rec := reporttest.ParseCorpus(t, burp.New(), "burp/one_finding_with_blank_response.xml")
	o := rec.Observations[0]
	if o.Finding.Location.Method != "POST" || !strings.HasPrefix(o.Evidence, "POST /bodgeit/basket.jsp") {
		t.Errorf("method %q, evidence %q: want the decoded POST request line", o.Finding.Location.Method, o.Evidence)
	}
	if o.Finding.Remediation == "" || o.Finding.Description == "" {
		t.Errorf("remediation or description empty: %+v", o.Finding)
	}
	rec = reporttest.ParseCorpus(t, burp.New(), "burp/issue4399.xml")
	if o, ok := byToolID(rec.Observations, "5243904", ""); !ok || !contains(o.Finding.References, "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Referrer-Policy") {
		t.Errorf("Cross-domain Referer leakage: references %v", o.Finding.References)
	}
}

func TestErrors(t *testing.T) {
	checkErrors(t, map[string][]byte{
		"empty":            nil,
		"garbage":          []byte("not xml"),
		"wrong root":       []byte(`<?xml version="1.0"?><ScanGroup/>`),
		"unclosed":         []byte(`<issues burpVersion="1"><issue><name>x</name>`),
		"issue sans host":  []byte(`<issues><issue><name>x</name><type>1</type></issue></issues>`),
		"undefined entity": []byte(`<issues><issue><name>&xxe;</name></issue></issues>`),
	}, "burp/seven_findings.xml")
}

var fuzzSeeds = []string{
	`<?xml version="1.0"?><issues burpVersion="2021.4.2"><issue><serialNumber>1</serialNumber><type>1049088</type>` +
		`<name>SQL injection</name><host ip="10.0.0.1">https://a.example:8443</host><path>/x</path>` +
		`<location>/x [id parameter]</location><severity>High</severity><confidence>Firm</confidence>` +
		`<vulnerabilityClassifications><![CDATA[<a>CWE-89: x</a>]]></vulnerabilityClassifications>` +
		`<requestresponse><request method="GET" base64="true">R0VUIC94IEhUVFAvMS4xDQo=</request></requestresponse></issue></issues>`,
}

var fuzzCorpus = []string{"burp/one_finding_with_cwe.xml", "burp/one_finding_with_blank_response.xml"}
