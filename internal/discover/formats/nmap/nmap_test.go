package nmap_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/nmap"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// countExceptions lists corpus files where ctem deliberately counts
// differently from DefectDojo, with the reason.
var countExceptions = map[string]struct {
	want   int
	reason string
}{
	// DefectDojo keys open-port findings by port number alone, so port 80
	// and 443 of two different hosts collapse into 2 findings. ctem keeps
	// one observation per (host, port): 2 hosts x 2 open ports.
	"nmap/issue12411.xml": {4, "DefectDojo merges open ports across hosts"},
}

func TestManifestCounts(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := nmap.New()
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "nmap" {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec, err := reporttest.ParseFile(t, f, filepath.Join(dir, row.File))
			if strings.Contains(row.Details, "parse expected to raise") {
				if err == nil {
					t.Fatalf("parse succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if row.Expected < 0 {
				return
			}
			want := row.Expected
			if ex, ok := countExceptions[row.File]; ok {
				want = ex.want
			}
			if got := len(rec.Observations); got != want {
				t.Errorf("observations = %d, want %d (manifest %d)", got, want, row.Expected)
			}
		})
	}
	if n == 0 {
		t.Fatal("no nmap rows in the manifest")
	}
}

// brief is the part of an observation the content tests compare.
type brief struct {
	ToolID    string
	Kind      model.FindingKind
	Title     string
	Severity  model.Severity
	VulnID    string
	Component model.Component
	Location  model.Location
}

func short(o report.Observation) brief {
	return brief{
		ToolID: o.ToolID, Kind: o.Finding.Kind, Title: o.Finding.Title, Severity: o.Finding.Severity,
		VulnID: o.Finding.VulnID, Component: o.Finding.Component, Location: o.Finding.Location,
	}
}

func TestContent(t *testing.T) {
	f := nmap.New()
	ssh := model.Location{Port: 22, Protocol: "tcp", Service: "ssh"}
	sshVuln := model.Location{Port: 5022, Protocol: "tcp", Service: "ssh"}
	openssh := model.Component{Name: "openssh", Version: "7.4"}
	tests := []struct {
		file string
		idx  map[int]brief
	}{
		{"nmap/issue4406.xml", map[int]brief{
			0:  {"MSF:ILITIES/UBUNTU-CVE-2019-6111/", model.KindVulnerability, "MSF:ILITIES/UBUNTU-CVE-2019-6111/", model.SevMedium, "MSF:ILITIES/UBUNTU-CVE-2019-6111/", openssh, ssh},
			22: {"CVE-2019-6111", model.KindVulnerability, "CVE-2019-6111", model.SevMedium, "CVE-2019-6111", openssh, ssh},
			27: {"EXPLOITPACK:EBDBC5685E3276D648B4D14B75563283", model.KindVulnerability, "EXPLOITPACK:EBDBC5685E3276D648B4D14B75563283", model.SevMedium, "EXPLOITPACK:EBDBC5685E3276D648B4D14B75563283", openssh, ssh},
			48: {"port/9100/tcp", model.KindExposedService, "Open port: 9100/tcp", model.SevInfo, "", model.Component{}, model.Location{Port: 9100, Protocol: "tcp", Service: "jetdirect"}},
			66: {"port/31641/tcp", model.KindExposedService, "Open port: 31641/tcp", model.SevInfo, "", model.Component{}, model.Location{Port: 31641, Protocol: "tcp"}},
		}},
		{"nmap/nmap_script_vulners.xml", map[int]brief{
			0: {"CVE-2018-15919", model.KindVulnerability, "CVE-2018-15919", model.SevMedium, "CVE-2018-15919", openssh, sshVuln},
			1: {"CVE-2017-15906", model.KindVulnerability, "CVE-2017-15906", model.SevMedium, "CVE-2017-15906", openssh, sshVuln},
			2: {"port/5022/tcp", model.KindExposedService, "Open port: 5022/tcp", model.SevInfo, "", model.Component{Name: "OpenSSH", Version: "7.4"}, sshVuln},
		}},
		{"nmap/nmap_multiple_port.xml", map[int]brief{
			0: {"port/21/tcp", model.KindExposedService, "Open port: 21/tcp", model.SevInfo, "", model.Component{}, model.Location{Port: 21, Protocol: "tcp", Service: "ftp"}},
		}},
		{"nmap/issue12411.xml", map[int]brief{
			0: {"port/80/tcp", model.KindExposedService, "Open port: 80/tcp", model.SevInfo, "", model.Component{}, model.Location{Port: 80, Protocol: "tcp", Service: "http"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, f, tc.file)
			for i, want := range tc.idx {
				if i >= len(rec.Observations) {
					t.Fatalf("finding[%d] missing: only %d", i, len(rec.Observations))
				}
				if diff := cmp.Diff(want, short(rec.Observations[i])); diff != "" {
					t.Errorf("finding[%d] (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestAssets(t *testing.T) {
	f := nmap.New()
	tests := []struct {
		file string
		want []report.AssetRef
	}{
		{"nmap/nmap_multiple_port.xml", []report.AssetRef{{
			Kind: model.AssetHost, Name: "mocha2005.mochahost.com",
			Identifiers: []model.Identifier{
				{Kind: model.IDIPv4, Value: "198.38.82.159"},
				{Kind: model.IDFQDN, Value: "joaquinlp.me"},
				{Kind: model.IDFQDN, Value: "mocha2005.mochahost.com"},
			},
		}}},
		// No open ports, but the host was scanned: it must still be reported.
		{"nmap/nmap_0port.xml", []report.AssetRef{{
			Kind: model.AssetHost, Name: "localhost.localdomain",
			Identifiers: []model.Identifier{
				{Kind: model.IDIPv4, Value: "127.0.0.1"},
				{Kind: model.IDFQDN, Value: "localhost.localdomain"},
			},
		}}},
		{"nmap/issue12411.xml", []report.AssetRef{
			{Kind: model.AssetHost, Name: "par10s10-in-f238.1e100.net", Identifiers: []model.Identifier{
				{Kind: model.IDIPv4, Value: "172.217.18.238"},
				{Kind: model.IDFQDN, Value: "google.com"},
				{Kind: model.IDFQDN, Value: "par10s10-in-f238.1e100.net"},
				{Kind: model.IDHostname, Value: "lalala"},
			}},
			{Kind: model.AssetHost, Name: "amazon.com", Identifiers: []model.Identifier{
				{Kind: model.IDIPv4, Value: "54.239.28.85"},
				{Kind: model.IDFQDN, Value: "amazon.com"},
			}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, f, tc.file)
			if diff := cmp.Diff(tc.want, rec.Assets); diff != "" {
				t.Errorf("assets (-want +got):\n%s", diff)
			}
			for _, o := range rec.Observations {
				if o.Asset.Name == "" || len(o.Asset.Identifiers) == 0 {
					t.Errorf("%s: observation without asset identity", o.ToolID)
				}
			}
		})
	}
	rec := reporttest.ParseCorpus(t, f, "nmap/issue4406.xml")
	if got := rec.Assets[0].Attributes["os"]; got != "" {
		// issue4406 has no OS detection; make sure nothing is invented.
		t.Errorf("os = %q, want none", got)
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := nmap.New()
	mine, _ := filepath.Glob(filepath.Join(dir, "nmap", "*"))
	if len(mine) == 0 {
		t.Fatal("no nmap corpus files")
	}
	for _, p := range mine {
		if got := f.Detect(reporttest.Head(t, p)); got <= 0 {
			t.Errorf("%s: Detect = %d, want > 0", filepath.Base(p), got)
		}
	}
	others := []string{
		"tenable/nessus/nessus_v_unknown.xml",
		"tenable/nessus/nessus_many_vuln.csv",
		"openvas/many_vuln.xml",
		"nexpose/many_vulns.xml",
		"nikto/nikto-report-many-vuln.xml",
		"qualys/Qualys_Sample_Report.xml",
		"trivy",
		"sarif",
		"zap",
	}
	for _, o := range others {
		paths := []string{filepath.Join(dir, o)}
		if !strings.Contains(filepath.Base(o), ".") {
			paths, _ = filepath.Glob(filepath.Join(dir, o, "*"))
		}
		for _, p := range paths {
			if got := f.Detect(reporttest.Head(t, p)); got != 0 {
				t.Errorf("%s: Detect = %d, want 0", p, got)
			}
		}
	}
	for _, s := range []string{"", "{}", "<html><body>nmaprun</body></html>", "<foo/><nmaprun/>"} {
		if got := f.Detect([]byte(s)); got != 0 {
			t.Errorf("Detect(%q) = %d, want 0", s, got)
		}
	}
}

const small = `<?xml version="1.0"?>
<nmaprun scanner="nmap" start="1">
<host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/><address addr="AA:BB:CC:DD:EE:FF" addrtype="mac"/>
<hostnames><hostname name="web1" type="user"/></hostnames>
<ports><port protocol="tcp" portid="80"><state state="open"/><service name="http" product="nginx" version="1.19.0"/></port>
<port protocol="tcp" portid="81"><state state="closed"/></port></ports>
<os><osmatch name="Linux 5.X" accuracy="96"/><osmatch name="Linux 4.X" accuracy="90"/></os>
</host>
<host><status state="down"/><address addr="10.0.0.2" addrtype="ipv4"/></host>
</nmaprun>`

func TestSmall(t *testing.T) {
	rec := &reporttest.Recorder{}
	if err := nmap.New().Parse(context.Background(), strings.NewReader(small), rec); err != nil {
		t.Fatal(err)
	}
	wantAsset := report.AssetRef{
		Kind: model.AssetHost, Name: "web1",
		Identifiers: []model.Identifier{
			{Kind: model.IDIPv4, Value: "10.0.0.1"},
			{Kind: model.IDMAC, Value: "aa:bb:cc:dd:ee:ff"},
			{Kind: model.IDHostname, Value: "web1"},
		},
		Attributes: map[string]string{"os": "Linux 5.X"},
	}
	if diff := cmp.Diff([]report.AssetRef{wantAsset}, rec.Assets); diff != "" {
		t.Errorf("assets (-want +got):\n%s", diff)
	}
	if len(rec.Observations) != 1 {
		t.Fatalf("observations = %d, want 1", len(rec.Observations))
	}
	want := brief{"port/80/tcp", model.KindExposedService, "Open port: 80/tcp", model.SevInfo, "",
		model.Component{Name: "nginx", Version: "1.19.0"}, model.Location{Port: 80, Protocol: "tcp", Service: "http"}}
	if diff := cmp.Diff(want, short(rec.Observations[0])); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	full := reporttest.Head(t, filepath.Join(dir, "nmap", "issue4406.xml"))
	inputs := map[string]string{
		"empty":     "",
		"garbage":   "\x00\x01garbage{]",
		"json":      `{"nmaprun": 1}`,
		"wrongroot": `<?xml version="1.0"?><NessusClientData_v2></NessusClientData_v2>`,
		"truncated": string(full[:len(full)/2]),
		"unclosed":  `<nmaprun><host><address addr="1.2.3.4" addrtype="ipv4"/>`,
		"badxml":    `<nmaprun><host></port></host></nmaprun>`,
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			err := nmap.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want *report.ParseError", err, err)
			}
			if pe.Line <= 0 && pe.Offset < 0 {
				t.Errorf("error without position: %v", err)
			}
		})
	}
}
