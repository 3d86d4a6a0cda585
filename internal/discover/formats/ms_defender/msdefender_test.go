package msdefender_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	msdefender "github.com/ctemhq/ctem/internal/discover/formats/ms_defender"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestManifest(t *testing.T) {
	reporttest.CorpusDir(t)
	n := 0
	f := msdefender.New()
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "ms_defender" || row.Expected < 0 {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			// The same Format value parses the file twice: nothing may be
			// cached from one run to the next.
			for run := 0; run < 2; run++ {
				rec := reporttest.ParseCorpus(t, f, row.File)
				if got := len(rec.Observations); got != row.Expected {
					t.Errorf("run %d: observations = %d, want %d", run, got, row.Expected)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for ms_defender")
	}
}

func hasID(a report.AssetRef, id model.Identifier) bool {
	for _, have := range a.Identifiers {
		if have == id {
			return true
		}
	}
	return false
}

func TestContent(t *testing.T) {
	reporttest.CorpusDir(t)
	f := msdefender.New()

	t.Run("defender.zip", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "ms_defender/defender.zip")
		o := rec.Observations[2]
		if o.ToolID != "CVE-5678-9887" || o.Finding.VulnID != "CVE-5678-9887" || o.Finding.Severity != model.SevMedium || o.ToolSeverity != "Medium" {
			t.Errorf("finding[2] = %+v", o)
		}
		if !hasID(o.Asset, model.Identifier{Kind: model.IDIPv4, Value: "1.1.1.1"}) ||
			!hasID(o.Asset, model.Identifier{Kind: model.IDCloudID, Value: "wjeriowerjoiewrjoweirjeowij"}) {
			t.Errorf("asset = %+v", o.Asset)
		}
		if diff := cmp.Diff(model.Component{Name: "tools", Version: "1.2.3.4"}, o.Finding.Component); diff != "" {
			t.Errorf("component (-want +got):\n%s", diff)
		}
		if o.Finding.Title != "CVE-5678-9887 in packagvendor tools 1.2.3.4" || o.Finding.Kind != model.KindVulnerability {
			t.Errorf("title %q kind %s", o.Finding.Title, o.Finding.Kind)
		}
		// The second device has no vulnerability but is still covered.
		if len(rec.Assets) != 2 {
			t.Fatalf("assets = %d, want 2", len(rec.Assets))
		}
		want := report.AssetRef{
			Kind: model.AssetHost,
			Name: "afjweiofwejfio.com",
			Identifiers: []model.Identifier{
				{Kind: model.IDCloudID, Value: "fjweoifjewiofjweoifjeowifjowei"},
				{Kind: model.IDFQDN, Value: "afjweiofwejfio.com"},
				{Kind: model.IDIPv4, Value: "1.1.1.1"},
				{Kind: model.IDMAC, Value: "00:b0:d0:63:c2:26"},
				{Kind: model.IDCloudID, Value: "asdfasdfasdfasdf"},
			},
			Attributes: map[string]string{"os": "plat 123123", "external_ip": "1.1.1.1", "exposure_level": "Medium", "device_group": "NOOOOOOO"},
		}
		if diff := cmp.Diff(want, rec.Assets[1]); diff != "" {
			t.Errorf("vulnerability-free device (-want +got):\n%s", diff)
		}
	})

	t.Run("defender_error_handling.zip", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "ms_defender/defender_error_handling.zip")
		o := rec.Observations[0]
		// DefectDojo: three locations (DNS name, last and external IP);
		// ctem: one device with the name and internal address as
		// identifiers, the shared NAT address as an attribute.
		a := o.Asset
		if a.Name != "dvs-cstancu" || !hasID(a, model.Identifier{Kind: model.IDHostname, Value: "dvs-cstancu"}) ||
			!hasID(a, model.Identifier{Kind: model.IDIPv4, Value: "192.168.1.3"}) || hasID(a, model.Identifier{Kind: model.IDIPv4, Value: "20.113.1.6"}) {
			t.Errorf("asset = %+v", a)
		}
		// PowerShell-flattened interfaces: MACs of the interfaces that are up.
		if !hasID(a, model.Identifier{Kind: model.IDMAC, Value: "70:32:17:14:9c:ae"}) || hasID(a, model.Identifier{Kind: model.IDMAC, Value: "00:be:43:82:47:ea"}) {
			t.Errorf("MACs = %+v", a.Identifiers)
		}
		if o.Finding.VulnID != "CVE-2025-22480" || o.Finding.Severity != model.SevHigh || o.Finding.Component.Name != "supportassist" {
			t.Errorf("finding[0] = %+v", o.Finding)
		}
		o = rec.Observations[1]
		if o.Finding.Remediation != "Install KB5051989." {
			t.Errorf("remediation = %q", o.Finding.Remediation)
		}
	})

	t.Run("issue_11217.zip", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "ms_defender/issue_11217.zip")
		o := rec.Observations[0]
		if o.Finding.Severity != model.SevMedium || o.Asset.Name != "Max_Mustermann_iPad Air (17zoll) (2nd generation)" {
			t.Errorf("finding = %q on %q", o.Finding.Severity, o.Asset.Name)
		}
		// A free-text device name is not a host name identifier.
		for _, id := range o.Asset.Identifiers {
			if id.Kind == model.IDHostname || id.Kind == model.IDFQDN {
				t.Errorf("identifier %+v from a free-text device name", id)
			}
		}
	})

	t.Run("wrong machines", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "ms_defender/defender_wrong_machines.zip")
		o := rec.Observations[2]
		// No matching device: the machine id alone names the asset.
		if o.Finding.Severity != model.SevMedium || o.ToolID != "CVE-5678-9887" ||
			!cmp.Equal(o.Asset.Identifiers, []model.Identifier{{Kind: model.IDCloudID, Value: "wjeriowerjoiewrjoweirjeowij"}}) {
			t.Errorf("finding[2] = %+v", o)
		}
	})

	t.Run("json", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "ms_defender/report_one_vuln.json")
		o := rec.Observations[0]
		if o.Finding.Severity != model.SevLow || o.Finding.VulnID != "CVE-1234-5678" || o.Asset.Name != "fjweoifjewiofjweoifjeowifjowei" {
			t.Errorf("finding = %+v", o)
		}
		rec = reporttest.ParseCorpus(t, f, "ms_defender/report_many_vulns.json")
		if o := rec.Observations[2]; o.Finding.Severity != model.SevMedium || o.ToolID != "CVE-5678-9887" {
			t.Errorf("finding[2] = %+v", o)
		}
	})
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := msdefender.New()
	files, _ := filepath.Glob(filepath.Join(dir, "ms_defender", "*"))
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
		if filepath.Base(filepath.Dir(p)) == "ms_defender" {
			continue
		}
		if s := f.Detect(reporttest.Head(t, p)); s != 0 {
			t.Errorf("%s: Detect = %d, want 0", strings.TrimPrefix(p, dir), s)
		}
	}
	// A zip of something else is not ours.
	if s := f.Detect(makeZip(t, map[string]string{"report/data.json": "{}"})); s != 0 {
		t.Errorf("unrelated zip: Detect = %d", s)
	}
}

func makeZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestErrors(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	zipData, err := os.ReadFile(filepath.Join(dir, "ms_defender", "defender.zip"))
	if err != nil {
		t.Fatal(err)
	}
	jsonData, err := os.ReadFile(filepath.Join(dir, "ms_defender", "report_many_vulns.json"))
	if err != nil {
		t.Fatal(err)
	}
	many := map[string]string{"vulnerabilities/v.json": `{"value":[]}`}
	for i := 0; i < 1001; i++ {
		many[fmt.Sprintf("machines/m%04d.json", i)] = `{"value":[]}`
	}
	cases := map[string][]byte{
		"empty":           nil,
		"garbage":         []byte("not json"),
		"truncated json":  jsonData[:len(jsonData)/2],
		"no value":        []byte(`{"items":[]}`),
		"value not array": []byte(`{"value":{}}`),
		"truncated zip":   zipData[:len(zipData)/2],
		"no vulns in zip": makeZip(t, map[string]string{"machines/m.json": `{"value":[]}`}),
		"bad json in zip": makeZip(t, map[string]string{"vulnerabilities/v.json": `{"value":[{"id":`}),
		"too many":        makeZip(t, many),
		"no machine id":   []byte(`{"value":[{"id":"x","cveId":"CVE-2020-1234"}]}`),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := msdefender.New().Parse(context.Background(), bytes.NewReader(in), &reporttest.Recorder{})
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
