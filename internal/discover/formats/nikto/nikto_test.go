package nikto_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/nikto"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

const formatName = "nikto"

// countExceptions holds deliberate differences from DefectDojo's counts.
var countExceptions = map[string]int{}

func TestContent(t *testing.T) {
	tests := []struct {
		file, toolID, title string
		want                summary
	}{
		{"nikto/juice-shop.json", "001811", "", summary{
			ToolID: "001811", Title: "This might be interesting.", Severity: model.SevMedium, Kind: model.KindWebWeakness,
			URL: "https://juice-shop.herokuapp.com/public/", Asset: "https://juice-shop.herokuapp.com", Instances: 1,
		}},
		{"nikto/juice-shop.json", "999986", "Retrieved via header: 1.1 vegur", summary{
			ToolID: "999986", Title: "Retrieved via header: 1.1 vegur", Severity: model.SevInfo, Kind: model.KindWebWeakness,
			URL: "https://juice-shop.herokuapp.com/", Asset: "https://juice-shop.herokuapp.com", Instances: 1,
		}},
		{"nikto/juice-shop.json", "740001", "", summary{
			ToolID: "740001", Title: "Potentially interesting backup/cert file found.", Severity: model.SevInfo, Kind: model.KindWebWeakness,
			URL: "https://juice-shop.herokuapp.com/52.51.36.193.alz", Asset: "https://juice-shop.herokuapp.com", Instances: 140,
		}},
		{"nikto/nikto-output.xml", "500008", "", summary{
			ToolID: "500008", Title: "favicon.ico file identifies this server as: Apache Tomcat", Severity: model.SevMedium,
			Kind: model.KindWebWeakness, URL: "http://localhost:8070/favicon.ico", Asset: "http://localhost:8070", Instances: 1,
		}},
		{"nikto/nikto-output.xml", "000366", "", summary{
			ToolID: "000366", Title: "/examples/servlets/index.html: Apache Tomcat default JSP pages present.", Severity: model.SevInfo,
			Kind: model.KindWebWeakness, URL: "http://localhost:8070/examples/servlets/index.html", Asset: "http://localhost:8070", Instances: 1,
		}},
		{"nikto/tdh.json", "999100", "Uncommon header 'x-cacheable' found, with contents: YES", summary{
			ToolID: "999100", Title: "Uncommon header 'x-cacheable' found, with contents: YES", Severity: model.SevInfo,
			Kind: model.KindWebWeakness, URL: "https://www.tdh.com/", Asset: "https://www.tdh.com", Instances: 1,
		}},
		{"nikto/nikto-report-one-vuln.xml", "999970", "", summary{
			ToolID: "999970", Title: "Finding 1.1", Severity: model.SevInfo, Kind: model.KindWebWeakness,
			URL: "https://192.168.0.24/", Asset: "https://192.168.0.24", Instances: 1,
		}},
	}
	for _, tt := range tests {
		rec := reporttest.ParseCorpus(t, nikto.New(), tt.file)
		o, ok := byToolID(rec.Observations, tt.toolID, tt.title)
		if !ok {
			t.Errorf("%s: no observation %s %q", tt.file, tt.toolID, tt.title)
			continue
		}
		if diff := cmp.Diff(tt.want, summarize(o)); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.file, tt.toolID, diff)
		}
	}

	// The XML target is known by its site name; the address Nikto used
	// is an attribute.
	rec := reporttest.ParseCorpus(t, nikto.New(), "nikto/nikto-output.xml")
	want := report.AssetRef{Kind: model.AssetWebApp, Name: "http://localhost:8070", Identifiers: []model.Identifier{
		{Kind: model.IDURL, Value: "http://localhost:8070"}, {Kind: model.IDHostname, Value: "localhost"}},
		Attributes: map[string]string{"ip": "127.0.0.1"}}
	if diff := cmp.Diff([]report.AssetRef{want}, rec.Assets); diff != "" {
		t.Errorf("assets (-want +got):\n%s", diff)
	}
	// Each target of a multi-target report is its own asset.
	rec = reporttest.ParseCorpus(t, nikto.New(), "nikto/nikto-report-many-vuln.xml")
	if len(rec.Assets) != 4 {
		t.Errorf("%d assets, want 4", len(rec.Assets))
	}
}

func TestErrors(t *testing.T) {
	checkErrors(t, map[string][]byte{
		"empty":        nil,
		"garbage":      []byte("- Nikto v2.5.0"),
		"wrong root":   []byte(`<issues/>`),
		"unclosed":     []byte(`<niktoscan><scandetails sitename="http://a:80/">`),
		"no target":    []byte(`<niktoscan><scandetails><item id="1"/></scandetails></niktoscan>`),
		"orphan item":  []byte(`<niktoscan><item id="1"><description>x</description></item></niktoscan>`),
		"json no host": []byte(`{"vulnerabilities":[]}`),
		"json port":    []byte(`{"host":"a","port":"x","vulnerabilities":[]}`),
		"json vulns":   []byte(`{"host":"a","port":"80","vulnerabilities":{}}`),
	}, "nikto/juice-shop.json", "nikto/nikto-output.xml")
}

var fuzzSeeds = []string{
	`<?xml version="1.0" ?><niktoscan><niktoscan version="2.1.6"><scandetails targetip="10.0.0.1" targethostname="a.example" ` +
		`targetport="8443" sitename="https://a.example:8443/"><item id="999970" osvdbid="3092" method="GET">` +
		`<description><![CDATA[CDATA[/x: Finding.]]></description><uri><![CDATA[/x]]></uri></item></scandetails></niktoscan></niktoscan>`,
	`[{"host":"b.example","ip":"10.0.0.2","port":"443","banner":"nginx","vulnerabilities":[{"id":"999100","OSVDB":"0",` +
		`"method":"GET","url":"/","msg":"Uncommon header","references":"https://x.example/CVE-2020-1234"}]}]`,
}

var fuzzCorpus = []string{"nikto/tdh.json", "nikto/nikto-report-many-vuln.xml"}
