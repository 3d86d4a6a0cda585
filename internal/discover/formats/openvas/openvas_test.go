package openvas_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/openvas"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestManifest(t *testing.T) {
	reporttest.CorpusDir(t)
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "openvas" || row.Expected < 0 {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, openvas.New(), row.File)
			if got := len(rec.Observations); got != row.Expected {
				t.Errorf("observations = %d, want %d", got, row.Expected)
			}
			if row.Expected > 0 && len(rec.Assets) == 0 {
				t.Error("no assets reported")
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for openvas")
	}
}

func find(t *testing.T, rec *reporttest.Recorder, title string) report.Observation {
	t.Helper()
	for _, o := range rec.Observations {
		if o.Finding.Title == title {
			return o
		}
	}
	t.Fatalf("no observation titled %q", title)
	return report.Observation{}
}

func TestContent(t *testing.T) {
	reporttest.CorpusDir(t)
	f := openvas.New()

	t.Run("many_vuln.csv", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "openvas/many_vuln.csv")
		o := rec.Observations[3]
		if o.Finding.Title != "HTTP Brute Force Logins With Default Credentials Reporting" || o.Finding.Severity != model.SevHigh {
			t.Errorf("finding[3] = %q %s", o.Finding.Title, o.Finding.Severity)
		}
		if diff := cmp.Diff(model.Location{Port: 9200, Protocol: "tcp"}, o.Finding.Location); diff != "" {
			t.Errorf("location (-want +got):\n%s", diff)
		}
		wantAsset := report.AssetRef{Kind: model.AssetHost, Name: "logsrv", Identifiers: []model.Identifier{
			{Kind: model.IDHostname, Value: "logsrv"}, {Kind: model.IDIPv4, Value: "192.168.118.212"},
		}}
		if diff := cmp.Diff(wantAsset, o.Asset); diff != "" {
			t.Errorf("asset (-want +got):\n%s", diff)
		}
		o = rec.Observations[2]
		if o.Finding.VulnID != "CVE-2011-3389" || !cmp.Equal(o.Finding.Aliases, []string{"CVE-2015-0204"}) {
			t.Errorf("finding[2] ids = %q %q", o.Finding.VulnID, o.Finding.Aliases)
		}
		if o.ToolID != "1.3.6.1.4.1.25623.1.0.117274" || o.ToolSeverity != "Medium" {
			t.Errorf("finding[2] tool id/severity = %q %q", o.ToolID, o.ToolSeverity)
		}
	})

	t.Run("one_vuln.csv", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "openvas/one_vuln.csv")
		o := rec.Observations[0]
		if o.Finding.Title != "SSH Weak Encryption Algorithms Supported" || o.Finding.Severity != model.SevMedium {
			t.Errorf("finding = %q %s", o.Finding.Title, o.Finding.Severity)
		}
		if o.Asset.Name != "10.0.0.8" || !cmp.Equal(o.Asset.Identifiers, []model.Identifier{{Kind: model.IDIPv4, Value: "10.0.0.8"}}) {
			t.Errorf("asset = %+v", o.Asset)
		}
		if diff := cmp.Diff(model.Location{Port: 22, Protocol: "tcp"}, o.Finding.Location); diff != "" {
			t.Errorf("location (-want +got):\n%s", diff)
		}
	})

	t.Run("many_vuln.xml", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "openvas/many_vuln.xml")
		o := rec.Observations[0]
		// DefectDojo: str(finding[0].locations[0]) = tcp://192.168.1.1001:512.
		if o.Finding.Location != (model.Location{Port: 512, Protocol: "tcp"}) {
			t.Errorf("finding[0] location = %+v", o.Finding.Location)
		}
		var hasAddr bool
		for _, id := range o.Asset.Identifiers {
			// Not a valid IPv4 address, so kept as a plain name.
			hasAddr = hasAddr || id == model.Identifier{Kind: model.IDName, Value: "192.168.1.1001"}
		}
		if !hasAddr {
			t.Errorf("asset identifiers = %+v", o.Asset.Identifiers)
		}
		if o.Finding.VulnID != "CVE-1999-0618" || o.Finding.Severity != model.SevHigh || o.Evidence == "" {
			t.Errorf("finding[0] = %+v", o)
		}
		// An empty threat word falls back to the score (4.0: medium).
		var fallback bool
		for _, o := range rec.Observations {
			if o.ToolID == "1.3.6.1.4.1.25623.1.0.106223" {
				fallback = o.Finding.Severity == model.SevMedium && o.ToolSeverity == "4.0"
			}
		}
		if !fallback {
			t.Error("result without a threat word not rated from its score")
		}
	})

	t.Run("one_vuln.xml", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "openvas/one_vuln.xml")
		o := find(t, rec, "Mozilla Firefox Security Update (mfsa_2023-32_2023-36) - Windows")
		if o.Finding.Severity != model.SevHigh || o.ToolID != "1.3.6.1.4.1.25623.1.0.832260" {
			t.Errorf("finding = %+v", o)
		}
		if o.Finding.VulnID != "CVE-2023-4573" || len(o.Finding.Aliases) != 11 {
			t.Errorf("ids = %q %d aliases", o.Finding.VulnID, len(o.Finding.Aliases))
		}
		if !cmp.Equal(o.Finding.References, []string{"https://www.mozilla.org/en-US/security/advisories/mfsa2023-34/"}) {
			t.Errorf("references = %q", o.Finding.References)
		}
		if !strings.Contains(o.Finding.Remediation, "Upgrade to version 117") || !strings.Contains(o.Evidence, "Installed version: 116.0.3") {
			t.Errorf("remediation %q / evidence %q", o.Finding.Remediation, o.Evidence)
		}
		if o.Finding.Location != (model.Location{Protocol: "tcp"}) {
			t.Errorf("general/tcp location = %+v", o.Finding.Location)
		}
	})

	t.Run("report_detail_v2.xml", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "openvas/report_detail_v2.xml")
		o := rec.Observations[0]
		var v3 bool
		for _, c := range o.Finding.CVSS {
			v3 = v3 || (c.Vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" && c.Score == 9.8)
		}
		if !v3 {
			t.Errorf("CVSS = %+v, want the 9.8 v3.1 vector", o.Finding.CVSS)
		}
		if o.Asset.Name != "server99" || o.Finding.Location != (model.Location{Port: 42, Protocol: "tcp"}) {
			t.Errorf("asset %q location %+v", o.Asset.Name, o.Finding.Location)
		}
	})

	t.Run("report_using_CVE.csv", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "openvas/report_using_CVE.csv")
		o := rec.Observations[4]
		if o.Finding.Title != "CVE-2014-0117" || o.Finding.Severity != model.SevMedium || o.Finding.VulnID != "CVE-2014-0117" {
			t.Errorf("finding[4] = %q %s %q", o.Finding.Title, o.Finding.Severity, o.Finding.VulnID)
		}
	})

	t.Run("report_using_openVAS.csv", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "openvas/report_using_openVAS.csv")
		o := rec.Observations[2]
		if o.Finding.Title != "Apache HTTP Server Detection Consolidation" || o.Finding.Severity != model.SevInfo ||
			o.Finding.VulnID != "" || o.ToolSeverity != "Log" {
			t.Errorf("finding[2] = %+v", o)
		}
	})

	t.Run("report_combine_v2.csv", func(t *testing.T) {
		// Two identical rows (same host, NVT and port): one observation.
		rec := reporttest.ParseCorpus(t, f, "openvas/report_combine_v2.csv")
		if len(rec.Observations) != 1 {
			t.Errorf("observations = %d, want 1", len(rec.Observations))
		}
	})
}

func TestCSVAndXMLAgree(t *testing.T) {
	// The same result written both ways gives the same observation.
	xmlIn := `<report id="r" format_id="a994b278-1f62-11e1-96ac-406186ea4fc5"><report id="r"><results><result id="1"><name>SSH Weak Encryption Algorithms Supported</name><host>10.0.0.8<asset asset_id=""/><hostname></hostname></host><port>22/tcp</port><nvt oid="1.3.6.1.4.1.25623.1.0.105611"><name>SSH Weak Encryption Algorithms Supported</name><tags>summary=The remote SSH server is configured to allow weak encryption algorithms.|solution=Disable the weak encryption algorithms.</tags><refs><ref type="cve" id="CVE-2008-5161"/></refs></nvt><threat>Medium</threat><severity>4.3</severity><description>weak</description></result></results></report></report>`
	csvIn := "IP,Hostname,Port,Port Protocol,CVSS,Severity,Solution Type,NVT Name,Summary,Specific Result,NVT OID,CVEs,Solution\n" +
		"10.0.0.8,,22,tcp,4.3,Medium,Mitigation,SSH Weak Encryption Algorithms Supported,The remote SSH server is configured to allow weak encryption algorithms.,weak,1.3.6.1.4.1.25623.1.0.105611,CVE-2008-5161,Disable the weak encryption algorithms.\n"
	var got []report.Observation
	for _, in := range []string{xmlIn, csvIn} {
		rec := &reporttest.Recorder{}
		if err := openvas.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
			t.Fatal(err)
		}
		if len(rec.Observations) != 1 {
			t.Fatalf("observations = %d", len(rec.Observations))
		}
		got = append(got, rec.Observations[0])
	}
	if diff := cmp.Diff(got[0], got[1]); diff != "" {
		t.Errorf("XML vs CSV (-xml +csv):\n%s", diff)
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := openvas.New()
	files, _ := filepath.Glob(filepath.Join(dir, "openvas", "*"))
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
		if filepath.Base(filepath.Dir(p)) == "openvas" {
			continue
		}
		if s := f.Detect(reporttest.Head(t, p)); s != 0 {
			t.Errorf("%s: Detect = %d, want 0", strings.TrimPrefix(p, dir), s)
		}
	}
}

func TestErrors(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	xmlData, err := os.ReadFile(filepath.Join(dir, "openvas", "many_vuln.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":         "",
		"blank":         "  \n",
		"garbage":       "\x00\x01 not a report",
		"truncated xml": string(xmlData[:len(xmlData)/2]),
		"wrong root":    `<NexposeReport version="2.0"/>`,
		"csv no nvt":    "a,b,c\n1,2,3\n",
		"csv bad quote": "IP,NVT Name,NVT OID\n1.2.3.4,\"x\"y\"\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := openvas.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
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
