package qualys_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/qualys"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// ctemCounts lists files where ctem's count differs from the manifest.
// DefectDojo's CSV parser merges every row of one QID into one finding with
// several endpoints; ctem keeps one observation per host and QID (the
// sample's QID 105971 is on four hosts: 3 findings in DefectDojo, 6 here).
var ctemCounts = map[string]int{
	"qualys/Qualys_Sample_Report.csv": 6,
}

func TestManifest(t *testing.T) {
	reporttest.CorpusDir(t)
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "qualys" || row.Expected < 0 {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, qualys.New(), row.File)
			want, ok := ctemCounts[row.File]
			if !ok {
				want = row.Expected
			}
			if got := len(rec.Observations); got != want {
				t.Errorf("observations = %d, want %d", got, want)
			}
			if ok {
				// DefectDojo's grouping rebuilt from ctem's output.
				qids := map[string]bool{}
				for _, o := range rec.Observations {
					qids[o.ToolID] = true
				}
				if len(qids) != row.Expected {
					t.Errorf("distinct QIDs = %d, manifest says %d", len(qids), row.Expected)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for qualys")
	}
}

func find(rec *reporttest.Recorder, qid, host string) (report.Observation, bool) {
	for _, o := range rec.Observations {
		if o.ToolID == qid && o.Asset.Name == host {
			return o, true
		}
	}
	return report.Observation{}, false
}

func TestXMLContent(t *testing.T) {
	reporttest.CorpusDir(t)
	rec := reporttest.ParseCorpus(t, qualys.New(), "qualys/Qualys_Sample_Report.xml")

	o := rec.Observations[0]
	if o.Finding.Title != "DNS Host Name" || o.ToolID != "6" || o.Finding.Severity != model.SevInfo || o.Asset.Name != "demo13.s02.sjc01.qualys.com" {
		t.Errorf("finding[0] = %q %q %s on %q", o.ToolID, o.Finding.Title, o.Finding.Severity, o.Asset.Name)
	}

	amdIDs := []string{"CVE-2018-8930", "CVE-2018-8931", "CVE-2018-8932", "CVE-2018-8933", "CVE-2018-8934", "CVE-2018-8935", "CVE-2018-8936"}
	for _, host := range []string{"demo13.s02.sjc01.qualys.com", "demo14.s02.sjc01.qualys.com"} {
		o, ok := find(rec, "370876", host)
		if !ok {
			t.Fatalf("QID 370876 not on %s", host)
		}
		if o.Finding.Title != "AMD Processors Multiple Security Vulnerabilities (RYZENFALL/MASTERKEY/CHIMERA-FW/FALLOUT)" || o.Finding.Severity != model.SevHigh {
			t.Errorf("%s: %q %s", host, o.Finding.Title, o.Finding.Severity)
		}
		ids := append([]string{o.Finding.VulnID}, o.Finding.Aliases...)
		// All seven CVEs; the canonical id is the first the report lists.
		if diff := cmp.Diff(amdIDs, sorted(ids)); diff != "" {
			t.Errorf("%s ids (-want +got):\n%s", host, diff)
		}
		// The QID's base vector applies on every host (DefectDojo drops it
		// on demo14, whose detection carries only a final score).
		want := []model.CVSS{
			{Version: "3.0", Vector: "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 9},
			{Version: "2.0", Vector: "AV:N/AC:M/Au:N/C:C/I:C/A:C", Score: 9.3},
		}
		if diff := cmp.Diff(want, o.Finding.CVSS); diff != "" {
			t.Errorf("%s CVSS (-want +got):\n%s", host, diff)
		}
	}

	ntp, ok := find(rec, "121695", "demo14.s02.sjc01.qualys.com")
	if !ok {
		t.Fatal("QID 121695 not on demo14")
	}
	if ntp.Finding.Title != `NTP "monlist" Feature Denial of Service Vulnerability` || ntp.Finding.VulnID != "CVE-2013-5211" || len(ntp.Finding.Aliases) != 0 {
		t.Errorf("NTP monlist = %q %q %q", ntp.Finding.Title, ntp.Finding.VulnID, ntp.Finding.Aliases)
	}
	if !strings.Contains(ntp.Evidence, "port 123 over UDP") {
		t.Errorf("NTP monlist evidence = %q", ntp.Evidence)
	}

	// Qualys' own 1-5 levels: the manifest's "legacy" histogram.
	hist := map[model.Severity]int{}
	for _, o := range rec.Observations {
		hist[o.Finding.Severity]++
	}
	wantHist := map[model.Severity]int{model.SevInfo: 177, model.SevLow: 65, model.SevMedium: 46, model.SevHigh: 6, model.SevCritical: 7}
	if diff := cmp.Diff(wantHist, hist); diff != "" {
		t.Errorf("severity histogram (-want +got):\n%s", diff)
	}

	if len(rec.Assets) != 7 {
		t.Errorf("assets = %d, want 7", len(rec.Assets))
	}
	var win7 *report.AssetRef
	for i := range rec.Assets {
		if rec.Assets[i].Name == "trn-win7.trn.qualys.com" {
			win7 = &rec.Assets[i]
		}
	}
	if win7 == nil {
		t.Fatal("host trn-win7 missing")
	}
	want := report.AssetRef{
		Kind: model.AssetHost,
		Name: "trn-win7.trn.qualys.com",
		Identifiers: []model.Identifier{
			{Kind: model.IDFQDN, Value: "trn-win7.trn.qualys.com"},
			{Kind: model.IDIPv4, Value: "64.41.200.247"},
		},
		Attributes: map[string]string{"os": "Windows 2008 R2/7", "netbios": "trn-win7"},
	}
	if diff := cmp.Diff(want, *win7); diff != "" {
		t.Errorf("asset (-want +got):\n%s", diff)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestCSVContent(t *testing.T) {
	reporttest.CorpusDir(t)
	rec := reporttest.ParseCorpus(t, qualys.New(), "qualys/Qualys_Sample_Report.csv")
	o := rec.Observations[0]
	if o.Finding.Title != "EOL/Obsolete Software: Microsoft ASP.NET 1.0 Detected" || o.ToolID != "105971" ||
		o.Finding.Severity != model.SevCritical || o.Asset.Name != "ip-10-98-57-180.eu-west-1.compute.internal" {
		t.Errorf("finding[0] = %q %q %s on %q", o.ToolID, o.Finding.Title, o.Finding.Severity, o.Asset.Name)
	}
	if diff := cmp.Diff([]model.CVSS{{Version: "3.0", Vector: "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:U/RC:C", Score: 8.1}}, o.Finding.CVSS); diff != "" {
		t.Errorf("CVSS (-want +got):\n%s", diff)
	}
	// The same NetBIOS name on three hosts is not an identifier.
	for _, a := range rec.Assets {
		for _, id := range a.Identifiers {
			if id.Value == "ec2amaz-n4oq6hs" {
				t.Errorf("%s: NetBIOS name used as identifier", a.Name)
			}
		}
	}
	win, ok := find(rec, "91762", "ip-10-98-57-180.eu-west-1.compute.internal")
	if !ok || win.Finding.VulnID != "CVE-2021-31192" || len(win.Finding.Aliases) != 22 {
		t.Errorf("May 2021 update ids = %q + %d aliases", win.Finding.VulnID, len(win.Finding.Aliases))
	}

	pci := reporttest.ParseCorpus(t, qualys.New(), "qualys/monthly_pci_issue6932.csv")
	o = pci.Observations[0]
	if o.Finding.Title != "Web Server Stopped Responding" || o.Finding.Severity != model.SevMedium || o.ToolID != "86476" ||
		o.Finding.Location != (model.Location{Port: 80, Protocol: "tcp"}) || o.Asset.Name != "abv.xyw.com.fj" {
		t.Errorf("PCI finding = %+v", o)
	}
}

func TestFixedAndPreamble(t *testing.T) {
	in := "\"Scan Results\",\"2024\"\n\"Company\",\"x\"\n\n" +
		`"IP","DNS","NetBIOS","OS","QID","Title","Vuln Status","Type","Severity","Port","Protocol","CVE ID","Threat"` + "\n" +
		`"10.0.0.1","web.example.com","WEB","Linux","11","Open","Active","Vuln","4","443","tcp","CVE-2020-0001","t"` + "\n" +
		`"10.0.0.1","web.example.com","WEB","Linux","12","Gone","Fixed","Vuln","5","443","tcp","",""` + "\n" +
		`"10.0.0.2","","","","12","Gone","Fixed","Vuln","5","443","tcp","",""` + "\n"
	rec := &reporttest.Recorder{}
	if err := qualys.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Observations) != 1 || rec.Observations[0].ToolID != "11" || rec.Observations[0].Finding.Severity != model.SevHigh {
		t.Errorf("observations = %+v", rec.Observations)
	}
	// The host with only a fixed detection is still covered.
	if len(rec.Assets) != 2 {
		t.Errorf("assets = %d, want 2", len(rec.Assets))
	}
	if qualys.New().Detect([]byte(in)) == 0 {
		t.Error("CSV with a preamble not detected")
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := qualys.New()
	files, _ := filepath.Glob(filepath.Join(dir, "qualys", "*"))
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
		if filepath.Base(filepath.Dir(p)) == "qualys" {
			continue
		}
		if s := f.Detect(reporttest.Head(t, p)); s != 0 {
			t.Errorf("%s: Detect = %d, want 0", strings.TrimPrefix(p, dir), s)
		}
	}
}

func TestErrors(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	xmlData, err := os.ReadFile(filepath.Join(dir, "qualys", "Qualys_Sample_Report.xml"))
	if err != nil {
		t.Fatal(err)
	}
	csvData, err := os.ReadFile(filepath.Join(dir, "qualys", "Qualys_Sample_Report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":         "",
		"garbage":       "\x00\x01\x02 garbage",
		"truncated xml": string(xmlData[:len(xmlData)/3]),
		"wrong root":    `<WAS_SCAN_REPORT></WAS_SCAN_REPORT>`,
		"no header":     "a,b\n1,2\n",
		// Cut inside a quoted field: the quote never closes.
		"truncated csv": string(csvData[:900]),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := qualys.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
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
