package burpapi_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	burpapi "github.com/ctemhq/ctem/internal/discover/formats/burp_api"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

const formatName = "burp_api"

// countExceptions holds deliberate differences from DefectDojo's counts.
var countExceptions = map[string]int{}

func TestContent(t *testing.T) {
	tests := []struct {
		file  string
		index int
		want  summary
	}{
		{"burp_api/example.json", 0, summary{
			ToolID: "5243392", Title: "TLS cookie without secure flag set", Severity: model.SevInfo,
			Kind: model.KindWebWeakness, URL: "https://whitespots.io/build-ssdlc", Asset: "https://whitespots.io", Instances: 1,
		}},
		{"burp_api/fix_issue_9128.json", 0, summary{
			ToolID: "8389632", Title: "Content type incorrectly stated", Severity: model.SevLow,
			Kind: model.KindWebWeakness, URL: "https://pentest-website.com/", Asset: "https://pentest-website.com", Instances: 1,
		}},
		{"burp_api/many_vulns.json", 2, summary{
			ToolID: "16777984", Title: "Strict transport security not enforced", Severity: model.SevLow,
			Kind: model.KindWebWeakness, URL: "https://juice-shop.herokuapp.com/", Asset: "https://juice-shop.herokuapp.com", Instances: 1,
		}},
	}
	for _, tt := range tests {
		rec := reporttest.ParseCorpus(t, burpapi.New(), tt.file)
		if tt.index >= len(rec.Observations) {
			t.Errorf("%s: only %d observations", tt.file, len(rec.Observations))
			continue
		}
		if diff := cmp.Diff(tt.want, summarize(rec.Observations[tt.index])); diff != "" {
			t.Errorf("%s[%d] (-want +got):\n%s", tt.file, tt.index, diff)
		}
	}

	// Every issue with evidence of a request names it.
	for _, file := range []string{"burp_api/example.json", "burp_api/fix_issue_9128.json", "burp_api/many_vulns.json", "burp_api/many_reqresp.json"} {
		rec := reporttest.ParseCorpus(t, burpapi.New(), file)
		if len(rec.Observations) == 0 || len(rec.Assets) != 1 {
			t.Errorf("%s: %d observations, %d assets", file, len(rec.Observations), len(rec.Assets))
		}
		for _, o := range rec.Observations {
			if o.ToolID == "16777472" { // TLS certificate: no request
				continue
			}
			if !strings.Contains(o.Evidence, " HTTP/") || o.Finding.Location.Method == "" {
				t.Errorf("%s: %s evidence %q lacks a request line", file, o.ToolID, o.Evidence)
			}
		}
	}
}

func TestBackground(t *testing.T) {
	// DefectDojo's test wants an impact: the issue background.
	rec := reporttest.ParseCorpus(t, burpapi.New(), "burp_api/fix_issue_9128.json")
	o := rec.Observations[0]
	if !strings.Contains(o.Finding.Description, "Issue background data") || o.Finding.Remediation != "remediation background data" {
		t.Errorf("description %q, remediation %q", o.Finding.Description, o.Finding.Remediation)
	}
}

func TestErrors(t *testing.T) {
	checkErrors(t, map[string][]byte{
		"empty":            nil,
		"garbage":          []byte("nope"),
		"array":            []byte(`[]`),
		"no events":        []byte(`{"task_id":"1"}`),
		"events not array": []byte(`{"issue_events":{}}`),
		"bad origin":       []byte(`{"issue_events":[{"type":"issue_found","issue":{"name":"x","origin":"::"}}]}`),
		"trailing":         []byte(`{"issue_events":[]} {}`),
	}, "burp_api/many_vulns.json")
}

var fuzzSeeds = []string{
	`{"task_id":"5","scan_status":"auditing","issue_events":[{"id":"1","type":"issue_found","issue":{"name":"SQL injection",` +
		`"type_index":1049088,"serial_number":"1","origin":"https://a.example:8443","path":"/x","severity":"high",` +
		`"confidence":"firm","description":"CVE-2020-1234","caption":"/x [id parameter]","evidence":[{"type":"FirstOrderEvidence",` +
		`"request_response":{"url":"https://a.example:8443/x","request":[{"type":"DataSegment","data":"R0VUIC94IEhUVFAvMS4xDQo="}]}}]}}]}`,
}

var fuzzCorpus = []string{"burp_api/fix_issue_9128.json"}
