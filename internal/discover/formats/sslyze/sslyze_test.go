package sslyze_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/sslyze"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestManifest(t *testing.T) {
	reporttest.CorpusDir(t)
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "sslyze" || row.Expected < 0 {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, sslyze.New(), row.File)
			if got := len(rec.Observations); got != row.Expected {
				t.Errorf("observations = %d, want %d", got, row.Expected)
			}
			if len(rec.Assets) == 0 {
				t.Error("scanned servers not reported as assets")
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for sslyze")
	}
}

func TestContent(t *testing.T) {
	reporttest.CorpusDir(t)
	f := sslyze.New()
	https := model.Location{Port: 443, Protocol: "tcp", Service: "https", URL: "https://example.com"}

	t.Run("one_target_one_vuln_new", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "sslyze/one_target_one_vuln_new.json")
		o := rec.Observations[0]
		if o.Finding.Title != "Unrecommended cipher suites for TLS 1.2" || o.Finding.Severity != model.SevMedium ||
			o.Finding.Kind != model.KindMisconfiguration || o.Finding.RuleID != "sslyze-tls12-unrecommended-ciphers" {
			t.Errorf("finding = %+v", o.Finding)
		}
		if !strings.Contains(o.Finding.Description, "example.com:443") || !strings.Contains(o.Evidence, "TLS_RSA_WITH_AES_256_GCM_SHA384") {
			t.Errorf("description %q evidence %q", o.Finding.Description, o.Evidence)
		}
		if len(o.Finding.References) != 1 || !strings.Contains(o.Finding.References[0], "bsi.bund.de") {
			t.Errorf("references = %q", o.Finding.References)
		}
		if diff := cmp.Diff(https, o.Finding.Location); diff != "" {
			t.Errorf("location (-want +got):\n%s", diff)
		}
		want := report.AssetRef{Kind: model.AssetHost, Name: "example.com", Identifiers: []model.Identifier{
			{Kind: model.IDFQDN, Value: "example.com"}, {Kind: model.IDIPv4, Value: "1.1.1.1"},
		}}
		if diff := cmp.Diff(want, o.Asset); diff != "" {
			t.Errorf("asset (-want +got):\n%s", diff)
		}
	})

	t.Run("one_target_one_vuln_old", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "sslyze/one_target_one_vuln_old.json")
		o := rec.Observations[0]
		if o.Finding.Title != "Certificate validation problems" || o.Finding.Severity != model.SevMedium || o.Asset.Name != "www.example.com" || o.Finding.Location.Port != 443 {
			t.Errorf("finding = %+v on %q", o.Finding, o.Asset.Name)
		}
		if !strings.Contains(o.Evidence, "certificate has expired (trust store Mozilla") || !cmp.Equal(o.Finding.CWEs, []int{295}) {
			t.Errorf("evidence %q CWEs %v", o.Evidence, o.Finding.CWEs)
		}
	})

	t.Run("one_target_many_vuln_old", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "sslyze/one_target_many_vuln_old.json")
		for i, cve := range []string{"CVE-2014-0160", "CVE-2014-0224"} {
			o := rec.Observations[i]
			if o.Finding.VulnID != cve || len(o.Finding.Aliases) != 0 || o.Finding.Kind != model.KindVulnerability || o.ToolID != cve || o.Finding.Severity != model.SevHigh {
				t.Errorf("finding[%d] = %+v", i, o.Finding)
			}
		}
	})

	t.Run("two_targets_many_vuln_new", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "sslyze/two_targets_many_vuln_new.json")
		o := rec.Observations[0]
		if o.Finding.Title != "Unrecommended cipher suites for TLS 1.2" || o.Asset.Name != "example.com" || o.Finding.Location.Port != 443 {
			t.Errorf("finding[0] = %q on %q", o.Finding.Title, o.Asset.Name)
		}
		o = rec.Observations[1]
		if o.Finding.Title != "TLS 1.0 enabled" || o.Finding.Severity != model.SevMedium || o.Asset.Name != "example2.com" ||
			o.Finding.Location.Port != 443 || !strings.Contains(o.Finding.Description, "example2.com:443 accepts TLS 1.0") {
			t.Errorf("finding[1] = %+v on %q", o.Finding, o.Asset.Name)
		}
		if len(rec.Assets) != 2 {
			t.Errorf("assets = %d, want 2", len(rec.Assets))
		}
	})

	t.Run("xml", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "sslyze/report_one_target_three_vuln.xml")
		var titles []string
		for _, o := range rec.Observations {
			titles = append(titles, o.Finding.Title)
		}
		want := []string{"TLS 1.0 enabled", "TLS 1.1 enabled", "Unrecommended cipher suites for TLS 1.2"}
		if diff := cmp.Diff(want, titles); diff != "" {
			t.Errorf("titles (-want +got):\n%s", diff)
		}
		if a := rec.Assets[0]; a.Name != "google.com" || len(a.Identifiers) != 2 {
			t.Errorf("asset = %+v", a)
		}
	})

	t.Run("zero vulnerabilities still covers the host", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "sslyze/one_target_zero_vuln_new.json")
		if len(rec.Observations) != 0 || len(rec.Assets) != 1 || rec.Assets[0].Name != "example.com" {
			t.Errorf("assets %+v observations %d", rec.Assets, len(rec.Observations))
		}
	})
}

func TestExtraChecks(t *testing.T) {
	// ROBOT and compression are reported too (DefectDojo ignores them).
	in := `{"sslyze_version":"5.2.0","server_scan_results":[
	 {"server_location":{"hostname":"mail.example.com","ip_address":"10.0.0.5","port":465},"scan_status":"COMPLETED",
	  "scan_result":{
	   "robot":{"status":"COMPLETED","result":{"robot_result":"VULNERABLE_STRONG_ORACLE"}},
	   "tls_compression":{"status":"COMPLETED","result":{"supports_compression":true}},
	   "heartbleed":{"status":"NOT_SCHEDULED","result":null},
	   "session_renegotiation":{"status":"COMPLETED","result":{"is_vulnerable_to_client_renegotiation_dos":true,"supports_secure_renegotiation":false}}}},
	 {"server_location":{"hostname":"down.example.com","ip_address":null,"port":443},"connectivity_status":"ERROR","scan_result":null}]}`
	rec := &reporttest.Recorder{}
	if err := sslyze.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range rec.Observations {
		got = append(got, o.ToolID+" "+string(o.Finding.Kind))
	}
	want := []string{"sslyze-session-renegotiation misconfiguration", "CVE-2017-13099 vulnerability", "CVE-2012-4929 vulnerability"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observations (-want +got):\n%s", diff)
	}
	if loc := rec.Observations[0].Finding.Location; loc != (model.Location{Port: 465, Protocol: "tcp", Service: "tls"}) {
		t.Errorf("non-HTTPS location = %+v", loc)
	}
	// The unreachable server was not scanned: not covered.
	if len(rec.Assets) != 1 || rec.Assets[0].Name != "mail.example.com" {
		t.Errorf("assets = %+v", rec.Assets)
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := sslyze.New()
	files, _ := filepath.Glob(filepath.Join(dir, "sslyze", "*"))
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	for _, p := range files {
		if s := f.Detect(reporttest.Head(t, p)); s <= 0 {
			t.Errorf("%s: Detect = %d, want > 0", filepath.Base(p), s)
		}
	}
	others, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	for _, p := range others {
		if filepath.Base(filepath.Dir(p)) == "sslyze" {
			continue
		}
		if s := f.Detect(reporttest.Head(t, p)); s != 0 {
			t.Errorf("%s: Detect = %d, want 0", strings.TrimPrefix(p, dir), s)
		}
	}
}

func TestErrors(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	jsonData, err := os.ReadFile(filepath.Join(dir, "sslyze", "one_target_one_vuln_new.json"))
	if err != nil {
		t.Fatal(err)
	}
	xmlData, err := os.ReadFile(filepath.Join(dir, "sslyze", "report_one_target_three_vuln.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":          "",
		"garbage":        "garbage",
		"truncated json": string(jsonData[:len(jsonData)/2]),
		"truncated xml":  string(xmlData[:len(xmlData)/2]),
		"no results":     `{"sslyze_version":"5.0.0"}`,
		"results object": `{"server_scan_results":{}}`,
		"wrong xml root": `<report/>`,
		"bad command":    `{"server_scan_results":[{"server_location":{"hostname":"a","port":443},"scan_result":{"heartbleed":{"status":"COMPLETED","result":{"is_vulnerable_to_heartbleed":"yes"}}}}]}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := sslyze.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want a *report.ParseError", err)
			}
			if pe.Line <= 0 && pe.Offset < 0 {
				t.Errorf("error has no position: %v", err)
			}
		})
	}
}
