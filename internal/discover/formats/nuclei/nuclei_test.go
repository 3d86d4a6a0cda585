package nuclei_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/nuclei"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

const formatName = "nuclei"

// countExceptions holds deliberate differences from DefectDojo's counts.
var countExceptions = map[string]int{
	// DefectDojo merges results of one template and matcher by host name
	// alone, so tech-detect on http://127.0.0.1:8080 (WebGoat) and
	// http://127.0.0.1:9090 (WebWolf) become one finding twice over. They
	// are two web applications: ctem keeps them apart (18, not 16).
	"nuclei/many_findings.json": 18,
}

func TestContent(t *testing.T) {
	tests := []struct {
		file, toolID string
		index        int // among the observations with that tool id
		want         summary
		port         int
	}{
		{"nuclei/many_findings_new.json", "CVE-2018-15473", 0, summary{
			ToolID: "CVE-2018-15473", Title: "OpenSSH Username Enumeration v7.7", Severity: model.SevMedium,
			Kind: model.KindVulnerability, VulnID: "CVE-2018-15473", CWEs: []int{362},
			CVSS: []string{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}, Asset: "nuclei-example.com", Instances: 1,
		}, 22},
		{"nuclei/many_findings_new.json", "prometheus-metrics", 0, summary{
			ToolID: "prometheus-metrics", Title: "Exposed Prometheus metrics", Severity: model.SevLow,
			Kind: model.KindWebWeakness, URL: "https://nuclei-example.com/metrics", Asset: "https://nuclei-example.com", Instances: 1,
		}, 443},
		{"nuclei/many_findings_third.json", "http-missing-security-headers", 0, summary{
			ToolID: "http-missing-security-headers", Title: "HTTP Missing Security Headers", Severity: model.SevInfo,
			Kind: model.KindWebWeakness, URL: "https://example.com", Asset: "https://example.com", Instances: 1,
		}, 443},
		{"nuclei/many_findings.json", "openssh5.3-detect", 0, summary{
			ToolID: "openssh5.3-detect", Title: "OpenSSH 5.3 Detection", Severity: model.SevLow,
			Kind: model.KindExposedService, Asset: "nuclei-example.com", Instances: 1,
		}, 22},
		{"nuclei/many_findings.json", "phpmyadmin-setup", 0, summary{
			ToolID: "phpmyadmin-setup", Title: "phpMyAdmin setup page", Severity: model.SevMedium, Kind: model.KindWebWeakness,
			URL: "https://nuclei-example.com/phpmyadmin/setup/index.php", Asset: "https://nuclei-example.com", Instances: 1,
		}, 443},
		{"nuclei/many_findings.json", "tech-detect", 3, summary{
			ToolID: "tech-detect", Title: "Wappalyzer Technology Detection", Severity: model.SevInfo, Kind: model.KindWebWeakness,
			URL: "http://127.0.0.1:9090/WebWolf", Asset: "http://127.0.0.1:9090", Instances: 1,
		}, 9090},
		{"nuclei/many_findings.json", "mysql-native-password-bruteforce", 0, summary{
			ToolID: "mysql-native-password-bruteforce", Title: "MySQL DB with enabled native password", Severity: model.SevInfo,
			Kind: model.KindExposedService, Asset: "nuclei-example.com", Instances: 1,
		}, 3306},
		{"nuclei/multi_cwe_fabricated.json", "multi-cwe-template", 0, summary{
			ToolID: "multi-cwe-template", Title: "Multiple CWE Example", Severity: model.SevHigh, Kind: model.KindVulnerability,
			VulnID: "CVE-2021-0001", CWEs: []int{79, 89}, URL: "https://example.com/login", Asset: "https://example.com", Instances: 1,
		}, 443},
		{"nuclei/invalid_cwe.json", "mysql-native-password-bruteforce", 0, summary{
			ToolID: "mysql-native-password-bruteforce", Title: "MySQL DB with enabled native password", Severity: model.SevInfo,
			Kind: model.KindExposedService, Asset: "nuclei-example.com", Instances: 1,
		}, 3306},
		{"nuclei/issue_9201.json", "favicon-detect", 0, summary{
			ToolID: "favicon-detect", Title: "favicon-detection", Severity: model.SevInfo, Kind: model.KindWebWeakness,
			URL: "https://example.com/favicon.ico%c0", Asset: "https://example.com", Instances: 1,
		}, 443},
		{"nuclei/multiple_v3.json", "tls-version", 0, summary{
			ToolID: "tls-version", Title: "TLS Version - Detect", Severity: model.SevInfo, Kind: model.KindMisconfiguration,
			Asset: "www.asdf.de", Instances: 2,
		}, 443},
		{"nuclei/issue_14071.json", "dvwa-default-login", 0, summary{
			ToolID: "dvwa-default-login", Title: "DVWA Default Login", Severity: model.SevCritical, Kind: model.KindWebWeakness,
			CWEs: []int{798}, URL: "http://dvwa_dvwa_1/index.php", Asset: "http://dvwa_dvwa_1", Instances: 1,
		}, 80},
		{"nuclei/issue_14071.json", "cookies-without-httponly", 0, summary{
			ToolID: "cookies-without-httponly", Title: "Cookies without HttpOnly attribute - Detect", Severity: model.SevInfo,
			Kind: model.KindWebWeakness, CVSS: []string{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"},
			URL: "http://dvwa_dvwa_1/", Asset: "http://dvwa_dvwa_1", Instances: 1,
		}, 80},
	}
	for _, tt := range tests {
		rec := reporttest.ParseCorpus(t, nuclei.New(), tt.file)
		var matches []report.Observation
		for _, o := range rec.Observations {
			if o.ToolID == tt.toolID {
				matches = append(matches, o)
			}
		}
		if tt.index >= len(matches) {
			t.Errorf("%s: %d observations of %s", tt.file, len(matches), tt.toolID)
			continue
		}
		o := matches[tt.index]
		if diff := cmp.Diff(tt.want, summarize(o)); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.file, tt.toolID, diff)
		}
		if o.Finding.Location.Port != tt.port {
			t.Errorf("%s %s: port %d, want %d", tt.file, tt.toolID, o.Finding.Location.Port, tt.port)
		}
	}
}

func TestTargets(t *testing.T) {
	// Matchers tell results of one template apart.
	rec := reporttest.ParseCorpus(t, nuclei.New(), "nuclei/many_findings_third.json")
	if got := rec.Observations[0].Finding.RuleID; got != "http-missing-security-headers:x-content-type-options" {
		t.Errorf("rule %q", got)
	}
	// DNS results are about a domain, SSL ones about the host.
	rec = reporttest.ParseCorpus(t, nuclei.New(), "nuclei/multiple_v3.json")
	kinds := map[model.AssetKind]int{}
	for _, a := range rec.Assets {
		kinds[a.Kind]++
	}
	if diff := cmp.Diff(map[model.AssetKind]int{model.AssetDomain: 1, model.AssetHost: 1}, kinds); diff != "" {
		t.Errorf("asset kinds (-want +got):\n%s", diff)
	}
	// A result without any target goes to the report's only target.
	rec = reporttest.ParseCorpus(t, nuclei.New(), "nuclei/issue_14071.json")
	o, _ := byToolID(rec.Observations, "nameserver-fingerprint", "")
	if o.Asset.Name != "http://dvwa_dvwa_1" || len(rec.Assets) != 1 {
		t.Errorf("nameserver-fingerprint on %q; assets %v", o.Asset.Name, rec.Assets)
	}
	// Credentials extracted by default-login templates stay out of evidence.
	for _, o := range rec.Observations {
		if strings.Contains(o.Evidence, "password") {
			t.Errorf("%s evidence %q", o.ToolID, o.Evidence)
		}
	}
}

func TestArrayAndLines(t *testing.T) {
	line := `{"template-id":"git-config","info":{"name":"Git Config","severity":"medium"},"type":"http",` +
		`"host":"https://a.example","matched-at":"https://a.example/.git/config"}`
	for name, in := range map[string]string{
		"lines": line + "\n" + line + "\n",
		"array": "[" + line + "," + line + "]",
		"bom":   "\xef\xbb\xbf" + line,
	} {
		rec := &reporttest.Recorder{}
		if err := nuclei.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(rec.Observations) != 1 || len(rec.Assets) != 1 {
			t.Errorf("%s: %d observations, %d assets", name, len(rec.Observations), len(rec.Assets))
		}
	}
}

func TestErrors(t *testing.T) {
	checkErrors(t, map[string][]byte{
		"garbage":     []byte("[INF] nuclei"),
		"no template": []byte(`{"info":{"name":"x"}}`),
		"bad json":    []byte(`{"template-id":"x",}`),
		"trailing":    []byte(`[{"template-id":"x","info":{}}] x`),
		"type":        []byte(`{"template-id":3}`),
	}, "nuclei/many_findings.json", "nuclei/multiple_v3.json")
}

var fuzzSeeds = []string{
	`{"template-id":"CVE-2018-15473","info":{"name":"OpenSSH","severity":"medium","tags":["network"],"reference":"https://x.example",` +
		`"classification":{"cve-id":["cve-2018-15473"],"cwe-id":["cwe-362"],"cvss-metrics":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}},` +
		`"type":"network","host":"a.example","matched-at":"a.example:22","ip":"10.0.0.1","extracted-results":["SSH-2.0"]}` + "\n" +
		`{"templateID":"tech-detect","info":{"name":"Tech","severity":"info","tags":"tech,x"},"type":"http","host":"http://b.example:8080",` +
		`"matched":"http://b.example:8080/x","matcher_name":"nginx"}`,
	`[{"template-id":"dns-x","info":{"name":"DNS","severity":"info"},"type":"dns","host":"c.example","matched-at":"c.example"},` +
		`{"template-id":"js","info":{"name":"JS","severity":"low"},"type":"javascript","port":"80","url":"/http://d.example/"}]`,
}

var fuzzCorpus = []string{"nuclei/many_findings_new.json", "nuclei/multi_cwe_fabricated.json", "nuclei/issue_9201.json"}
