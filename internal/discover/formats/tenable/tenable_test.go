package tenable_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/tenable"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// countExceptions lists corpus files where ctem deliberately counts
// differently from DefectDojo. ctem emits one observation per (asset,
// plugin, port, protocol), the unit Tenable itself counts as a vulnerability
// instance; an observation belongs to exactly one asset, so results of
// different hosts can never be merged.
var countExceptions = map[string]struct {
	want   int
	reason string
}{
	// DefectDojo keys .nessus findings by severity+title only, merging all 7
	// hosts and all ports: 296 ReportItems on 7 hosts become 32.
	"tenable/nessus/nessus_v_unknown.xml": {296, "DefectDojo merges a plugin across hosts and ports"},
	// "Nessus SYN scanner" reports two open ports (443, 264) of the one host;
	// they are two exposed services.
	"tenable/nessus/nessus_many_vuln.xml": {7, "DefectDojo merges a plugin across ports"},
	// Tenable.sc exports have no "Host" column, so DefectDojo's key (title,
	// host, port, ...) sees "No host" everywhere and merges 1.2.3.4:443 with
	// 2.3.4.5:443 (and :1433).
	"tenable/issue_11102.csv": {3, "DefectDojo merges Tenable.sc rows of different IPs"},
	"tenable/issue_9612.csv":  {3, "DefectDojo merges Tenable.sc rows of different IPs"},
}

func TestManifestCounts(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := tenable.New()
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "tenable" {
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
		t.Fatal("no tenable rows in the manifest")
	}
}

// brief is the part of an observation most content tests compare.
type brief struct {
	ToolID   string
	Kind     model.FindingKind
	Title    string
	Severity model.Severity
	VulnID   string
	Aliases  []string
	Location model.Location
}

func short(o report.Observation) brief {
	return brief{
		ToolID: o.ToolID, Kind: o.Finding.Kind, Title: o.Finding.Title, Severity: o.Finding.Severity,
		VulnID: o.Finding.VulnID, Aliases: o.Finding.Aliases, Location: o.Finding.Location,
	}
}

func TestContentByIndex(t *testing.T) {
	f := tenable.New()
	tests := []struct {
		file string
		idx  map[int]brief
	}{
		{"tenable/nessus/issue_6992.nessus", map[int]brief{
			// severity attr 2 (CVSS v2 5.0), but CVSS v3 7.5 rates it High.
			0: {"142591", model.KindVulnerability, "PHP < 7.3.24 Multiple Vulnerabilities", model.SevHigh, "", nil,
				model.Location{Port: 80, Protocol: "tcp", Service: "http"}},
		}},
		{"tenable/nessus/nessus_with_cvssv3.nessus", map[int]brief{
			3: {"40984", model.KindVulnerability, "Browsable Web Directories", model.SevMedium, "", nil,
				model.Location{Port: 80, Protocol: "tcp", Service: "http"}},
		}},
		{"tenable/nessus/nessus_v_unknown.xml", map[int]brief{
			0: {"19506", model.KindVulnerability, "Nessus Scan Information", model.SevInfo, "", nil, model.Location{}},
		}},
		{"tenable/nessus_was/nessus_was_many_vuln.xml", map[int]brief{
			0: {"98104", model.KindWebWeakness, "Cross-Site Scripting (XSS)", model.SevHigh, "", nil,
				model.Location{Protocol: "http", URL: "http://google.com"}},
		}},
		{"tenable/nessus/nessus-template.csv", map[int]brief{
			0: {"42873", model.KindVulnerability, "SSL Medium Strength Cipher Suites Supported (SWEET32)", model.SevHigh, "CVE-2016-2183", nil,
				model.Location{Port: 3389, Protocol: "tcp"}},
			1: {"11213", model.KindVulnerability, "HTTP TRACE / TRACK Methods Allowed", model.SevMedium, "CVE-2003-1567", nil,
				model.Location{Port: 443, Protocol: "tcp"}},
		}},
		{"tenable/nessus/nessus_many_vuln.csv", map[int]brief{
			0: {"35291", model.KindVulnerability, "SSL Certificate Signed Using Weak Hashing Algorithm", model.SevMedium, "CVE-2004-2761", nil,
				model.Location{Port: 443, Protocol: "tcp"}},
			3: {"65821", model.KindVulnerability, "SSL RC4 Cipher Suites Supported (Bar Mitzvah)", model.SevMedium, "CVE-2013-2566", []string{"CVE-2015-2808"},
				model.Location{Port: 443, Protocol: "tcp"}},
		}},
		{"tenable/nessus/nessus_many_vuln2-all.csv", map[int]brief{
			0: {"10107", model.KindVulnerability, "HTTP Server Type and Version", model.SevInfo, "", nil,
				model.Location{Port: 80, Protocol: "tcp"}},
			25: {"95631", model.KindVulnerability, "SSL Certificate Signed Using Weak Hashing Algorithm (Known CA)", model.SevInfo, "CVE-2004-2761", nil,
				model.Location{Port: 443, Protocol: "tcp"}},
		}},
		{"tenable/nessus/nessus_many_vuln2-default.csv", map[int]brief{
			0: {"10107", model.KindVulnerability, "HTTP Server Type and Version", model.SevInfo, "", nil,
				model.Location{Port: 80, Protocol: "tcp"}},
			25: {"95631", model.KindVulnerability, "SSL Certificate Signed Using Weak Hashing Algorithm (Known CA)", model.SevInfo, "CVE-2004-2761", nil,
				model.Location{Port: 443, Protocol: "tcp"}},
		}},
		{"tenable/nessus/nessus_new.csv", map[int]brief{
			// DefectDojo titles these rows with the asset name ("Blah1");
			// the plugin name is the title.
			0: {"33851", model.KindVulnerability, "Network daemons not managed by the package system", model.SevLow, "", nil,
				model.Location{}},
		}},
		{"tenable/nessus_was/nessus_was_one_vuln.csv", map[int]brief{
			0: {"98104", model.KindWebWeakness, "Cross-Site Scripting (XSS)", model.SevHigh, "", nil,
				model.Location{Protocol: "http", URL: "http://google.com"}},
		}},
		{"tenable/issue_9612.csv", map[int]brief{
			0: {"73756", model.KindVulnerability, "Microsoft SQL Server Unsupported Version Detection (remote check)", model.SevCritical, "", nil,
				model.Location{Port: 1433, Protocol: "tcp"}},
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

func find(t *testing.T, rec *reporttest.Recorder, toolID string) []report.Observation {
	t.Helper()
	var out []report.Observation
	for _, o := range rec.Observations {
		if o.ToolID == toolID {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no observation with ToolID %s", toolID)
	}
	return out
}

func cvssVectors(o report.Observation) []string {
	var v []string
	for _, c := range o.Finding.CVSS {
		v = append(v, c.Vector)
	}
	return v
}

func TestContentDetails(t *testing.T) {
	f := tenable.New()

	t.Run("cvss3 vector", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "tenable/nessus/nessus_with_cvssv3.nessus")
		o := rec.Observations[3]
		if diff := cmp.Diff([]string{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", "AV:N/AC:L/Au:N/C:P/I:N/A:N"}, cvssVectors(o)); diff != "" {
			t.Errorf("CVSS (-want +got):\n%s", diff)
		}
		// Two ReportItems of plugin 58987 on port 80 (two PHP installs) are
		// one observation holding both outputs.
		php := find(t, rec, "58987")
		if len(php) != 1 {
			t.Fatalf("plugin 58987: %d observations, want 1", len(php))
		}
		for _, s := range []string{"5.6.40-38", "Installed version : 5.1.6"} {
			if !strings.Contains(php[0].Evidence, s) {
				t.Errorf("merged evidence lacks %q:\n%s", s, php[0].Evidence)
			}
		}
	})

	t.Run("cwe", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "tenable/nessus/nessus_with_cwe-.nessus")
		o := rec.Observations[0]
		if diff := cmp.Diff([]int{94, 119, 399}, o.Finding.CWEs); diff != "" {
			t.Errorf("CWEs (-want +got):\n%s", diff)
		}
		if o.Finding.VulnID != "CVE-2006-1015" || len(o.Finding.Aliases) != 14 {
			t.Errorf("VulnID %s + %d aliases, want CVE-2006-1015 + 14", o.Finding.VulnID, len(o.Finding.Aliases))
		}
		if o.Finding.Severity != model.SevHigh || o.ToolSeverity != "High" {
			t.Errorf("severity %s / %q, want high / High", o.Finding.Severity, o.ToolSeverity)
		}
		if o.Finding.Remediation != "Upgrade to PHP version 5.2.0 or later." {
			t.Errorf("remediation %q", o.Finding.Remediation)
		}
		if diff := cmp.Diff([]string{"http://www.hardened-php.net/advisory_092006.133.html", "http://www.php.net/releases/5_2_0.php"}, o.Finding.References); diff != "" {
			t.Errorf("references (-want +got):\n%s", diff)
		}
		if o.Finding.Component.Name != "php" {
			t.Errorf("component %+v, want php", o.Finding.Component)
		}
	})

	t.Run("installed and fixed version", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "tenable/nessus/issue_6992.nessus")
		want := model.Component{Name: "php", Version: "5.1.6", FixedVersion: "7.3.24"}
		if diff := cmp.Diff(want, rec.Observations[0].Finding.Component); diff != "" {
			t.Errorf("component (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "AV:N/AC:L/Au:N/C:N/I:N/A:P"}, cvssVectors(rec.Observations[0])); diff != "" {
			t.Errorf("CVSS (-want +got):\n%s", diff)
		}
	})

	t.Run("port scanner is an exposed service per port", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "tenable/nessus/nessus_many_vuln.xml")
		var got []brief
		for _, o := range find(t, rec, "11219") {
			got = append(got, short(o))
		}
		want := []brief{
			{"11219", model.KindExposedService, "Nessus SYN scanner", model.SevInfo, "", nil, model.Location{Port: 443, Protocol: "tcp", Service: "https"}},
			{"11219", model.KindExposedService, "Nessus SYN scanner", model.SevInfo, "", nil, model.Location{Port: 264, Protocol: "tcp", Service: "fw1-topology-download"}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("one CVE on seven hosts", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "tenable/nessus/nessus_v_unknown.xml")
		var hosts []string
		for _, o := range rec.Observations {
			if o.Finding.VulnID == "CVE-2005-1794" {
				hosts = append(hosts, o.Asset.Name)
			}
		}
		if len(hosts) != 7 {
			t.Errorf("CVE-2005-1794 on %d hosts %v, want 7", len(hosts), hosts)
		}
	})

	t.Run("tenable.sc csv", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "tenable/nessus/nessus_many_vuln.csv")
		o := rec.Observations[0]
		if diff := cmp.Diff([]string{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N/E:P/RL:O/RC:C", "AV:N/AC:L/Au:N/C:N/I:P/A:N/E:POC/RL:OF/RC:C"}, cvssVectors(o)); diff != "" {
			t.Errorf("CVSS (-want +got):\n%s", diff)
		}
		if o.Finding.Component.Name != "md5" {
			t.Errorf("component %+v, want md5", o.Finding.Component)
		}
		if diff := cmp.Diff([]int{310}, o.Finding.CWEs); diff != "" {
			t.Errorf("CWEs (-want +got):\n%s", diff)
		}
		if o.Asset.Name != "10.1.1.1" {
			t.Errorf("asset %q, want 10.1.1.1", o.Asset.Name)
		}
		if strings.HasPrefix(o.Evidence, "Plugin Output:") || !strings.HasPrefix(o.Evidence, "The following certificates") {
			t.Errorf("evidence %q", o.Evidence)
		}
	})

	t.Run("tenable.sc remediation and references", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "tenable/issue_11102.csv")
		o := rec.Observations[0]
		if !strings.HasPrefix(o.Finding.Remediation, "Reconfigure the affected application if possible to avoid use of mediu") {
			t.Errorf("remediation %q", o.Finding.Remediation)
		}
		if len(o.Finding.References) == 0 || o.Finding.References[0] != "https://www.openssl.org/blog/blog/2016/08/24/sweet32/" {
			t.Errorf("references %v", o.Finding.References)
		}
		if o.Finding.Severity != model.SevHigh || o.ToolSeverity != "High" {
			t.Errorf("severity %s / %q", o.Finding.Severity, o.ToolSeverity)
		}
	})

	t.Run("nessus csv xref cwe", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "tenable/nessus/nessus-template.csv")
		if diff := cmp.Diff([]int{16, 200}, rec.Observations[1].Finding.CWEs); diff != "" {
			t.Errorf("CWEs (-want +got):\n%s", diff)
		}
	})

	t.Run("tenable.io cvss", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "tenable/nessus/nessus_new.csv")
		o := rec.Observations[0]
		if len(o.Finding.CVSS) == 0 || o.Finding.CVSS[0].Score != 3.1 {
			t.Errorf("CVSS %+v, want a v3 score 3.1 first", o.Finding.CVSS)
		}
		if o.Finding.Description == "" {
			t.Error("description from the unnamed column is missing")
		}
	})

	t.Run("tenable.sc all medium", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "tenable/nessus/nessus_many_vuln.csv")
		for i, o := range rec.Observations {
			if o.Finding.Severity != model.SevMedium {
				t.Errorf("finding[%d] severity %s, want medium", i, o.Finding.Severity)
			}
		}
	})

	t.Run("was findings", func(t *testing.T) {
		for _, file := range []string{"tenable/nessus_was/nessus_was_many_vuln.csv", "tenable/nessus_was/nessus_was_many_vuln.xml"} {
			rec := reporttest.ParseCorpus(t, f, file)
			for i, o := range rec.Observations {
				if o.Asset.Kind != model.AssetWebApp || o.Asset.Name != "http://google.com" || o.Finding.VulnID != "" ||
					o.Finding.Kind != model.KindWebWeakness || o.Finding.Location.Protocol != "http" {
					t.Errorf("%s finding[%d]: asset %s %s, vuln %q, kind %s, protocol %q", file, i,
						o.Asset.Kind, o.Asset.Name, o.Finding.VulnID, o.Finding.Kind, o.Finding.Location.Protocol)
				}
			}
		}
	})

	t.Run("was xml cwe", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "tenable/nessus_was/nessus_was_many_vuln.xml")
		if diff := cmp.Diff([]int{79}, rec.Observations[0].Finding.CWEs); diff != "" {
			t.Errorf("CWEs (-want +got):\n%s", diff)
		}
	})
}

func TestAssets(t *testing.T) {
	f := tenable.New()
	tests := []struct {
		file  string
		count int
		first report.AssetRef
	}{
		{"tenable/nessus/nessus_v_unknown.xml", 7, report.AssetRef{
			Kind: model.AssetHost, Name: "qa3app09",
			Identifiers: []model.Identifier{
				{Kind: model.IDMAC, Value: "00:50:56:81:01:e3"},
				{Kind: model.IDIPv4, Value: "10.31.112.29"},
				{Kind: model.IDHostname, Value: "qa3app09"},
			},
			Attributes: map[string]string{"os": "Microsoft Windows Server 2008 R2 Standard Service Pack 1"},
		}},
		{"tenable/nessus/issue_6992.nessus", 1, report.AssetRef{
			Kind: model.AssetHost, Name: "testphp.vulnweb.com",
			Identifiers: []model.Identifier{
				{Kind: model.IDFQDN, Value: "testphp.vulnweb.com"},
				{Kind: model.IDIPv4, Value: "44.228.249.3"},
			},
			Attributes: map[string]string{"os": "Linux Kernel 2.6"},
		}},
		// No findings, but the application was scanned.
		{"tenable/nessus_was/nessus_was_no_vuln.xml", 1, report.AssetRef{
			Kind: model.AssetWebApp, Name: "http://google.com",
			Identifiers: []model.Identifier{{Kind: model.IDURL, Value: "http://google.com"}},
		}},
		{"tenable/nessus_was/nessus_was_many_vuln.csv", 1, report.AssetRef{
			Kind: model.AssetWebApp, Name: "http://google.com",
			Identifiers: []model.Identifier{{Kind: model.IDURL, Value: "http://google.com"}},
		}},
		{"tenable/issue_9612.csv", 2, report.AssetRef{
			Kind: model.AssetHost, Name: "ecodarchdb",
			Identifiers: []model.Identifier{
				{Kind: model.IDIPv4, Value: "2.3.4.5"},
				{Kind: model.IDHostname, Value: "ecodarchdb"},
				{Kind: model.IDMAC, Value: "9c:8e:99:1b:8b:dc"},
			},
		}},
		{"tenable/nessus/nessus_new.csv", 99, report.AssetRef{
			Kind: model.AssetHost, Name: "blah1",
			Identifiers: []model.Identifier{
				{Kind: model.IDIPv4, Value: "10.0.0.1"},
				{Kind: model.IDIPv6, Value: "fe80::20d:3aff:fe45:647f"},
				{Kind: model.IDHostname, Value: "blah1"},
				{Kind: model.IDMAC, Value: "00:0d:3a:45:64:7f"},
			},
			Attributes: map[string]string{
				"os":               "Linux Kernel 4.18.0-348.12.2.el8_5.x86_64 on AlmaLinux release 8.8 (Sapphire Caracal)",
				"tenable_asset_id": "aecb524a-c10d-4d41-89d9-fa887ae8fb00",
			},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, f, tc.file)
			if len(rec.Assets) != tc.count {
				t.Fatalf("assets = %d, want %d", len(rec.Assets), tc.count)
			}
			if diff := cmp.Diff(tc.first, rec.Assets[0]); diff != "" {
				t.Errorf("asset[0] (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := tenable.New()
	var mine []string
	for _, g := range []string{"tenable/*.*", "tenable/nessus/*", "tenable/nessus_was/*"} {
		m, _ := filepath.Glob(filepath.Join(dir, g))
		mine = append(mine, m...)
	}
	if len(mine) < 15 {
		t.Fatalf("found %d tenable corpus files, want at least 15", len(mine))
	}
	for _, p := range mine {
		if got := f.Detect(reporttest.Head(t, p)); got <= 0 {
			t.Errorf("%s: Detect = %d, want > 0", p, got)
		}
	}
	for _, o := range []string{"nmap", "openvas", "qualys", "nexpose", "nikto", "wiz", "prowler", "generic", "trivy", "sarif", "zap", "acunetix", "burp"} {
		paths, _ := filepath.Glob(filepath.Join(dir, o, "*"))
		for _, p := range paths {
			if got := f.Detect(reporttest.Head(t, p)); got != 0 {
				t.Errorf("%s: Detect = %d, want 0", p, got)
			}
		}
	}
	for _, s := range []string{"", "\n", "<NessusClientData>", "<html/><NessusClientData_v2>", "a,b,c\n1,2,3\n", "Plugin ID,Name\n"} {
		if got := f.Detect([]byte(s)); got != 0 {
			t.Errorf("Detect(%q) = %d, want 0", s, got)
		}
	}
}

const smallXML = `<?xml version="1.0" ?>
<NessusClientData_v2>
<Report name="r" xmlns:cm="http://www.nessus.org/cm">
<ReportHost name="10.0.0.5"><HostProperties>
<tag name="host-ip">10.0.0.5</tag><tag name="host-fqdn">DB1.corp.example</tag>
<tag name="mac-address">00:11:22:33:44:55
00:11:22:33:44:66</tag>
<tag name="operating-system">Linux Kernel 5.4
Linux Kernel 4.x</tag>
</HostProperties>
<ReportItem port="0" svc_name="general" protocol="tcp" severity="3" pluginID="21157" pluginName="Unix Compliance Checks" pluginFamily="Policy Compliance">
<cm:compliance-check-name>1.1.1 Ensure mounting of cramfs is disabled</cm:compliance-check-name>
<cm:compliance-check-id>abc123</cm:compliance-check-id>
<cm:compliance-result>FAILED</cm:compliance-result>
<cm:compliance-actual-value>cramfs loaded</cm:compliance-actual-value>
<cm:compliance-solution>Add install cramfs /bin/true</cm:compliance-solution>
</ReportItem>
<ReportItem port="0" svc_name="general" protocol="tcp" severity="0" pluginID="21157" pluginName="Unix Compliance Checks" pluginFamily="Policy Compliance">
<cm:compliance-check-name>1.1.2 passed check</cm:compliance-check-name>
<cm:compliance-result>PASSED</cm:compliance-result>
</ReportItem>
<ReportItem port="5432" svc_name="postgresql" protocol="tcp" severity="2" pluginID="999" pluginName="Fake">
<cve>CVE-2020-0002</cve><cve>cve-2020-0001</cve>
<cvss3_vector>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</cvss3_vector>
<risk_factor>Medium</risk_factor>
</ReportItem>
</ReportHost>
<ReportHost name="empty.example"><HostProperties></HostProperties></ReportHost>
</Report>
</NessusClientData_v2>`

func TestSmallXML(t *testing.T) {
	rec := &reporttest.Recorder{}
	if err := tenable.New().Parse(context.Background(), strings.NewReader(smallXML), rec); err != nil {
		t.Fatal(err)
	}
	wantAssets := []report.AssetRef{
		{Kind: model.AssetHost, Name: "db1.corp.example", Identifiers: []model.Identifier{
			{Kind: model.IDIPv4, Value: "10.0.0.5"},
			{Kind: model.IDFQDN, Value: "db1.corp.example"},
			{Kind: model.IDMAC, Value: "00:11:22:33:44:55"},
			{Kind: model.IDMAC, Value: "00:11:22:33:44:66"},
		}, Attributes: map[string]string{"os": "Linux Kernel 5.4"}},
		{Kind: model.AssetHost, Name: "empty.example", Identifiers: []model.Identifier{{Kind: model.IDFQDN, Value: "empty.example"}}},
	}
	if diff := cmp.Diff(wantAssets, rec.Assets); diff != "" {
		t.Errorf("assets (-want +got):\n%s", diff)
	}
	if len(rec.Observations) != 2 {
		t.Fatalf("observations = %d, want 2 (the passed check is not a finding)", len(rec.Observations))
	}
	c := rec.Observations[0]
	if c.Finding.Kind != model.KindMisconfiguration || c.ToolID != "abc123" || c.Finding.RuleID != "abc123" ||
		c.Finding.Title != "1.1.1 Ensure mounting of cramfs is disabled" || c.Finding.Severity != model.SevHigh ||
		!strings.Contains(c.Evidence, "cramfs loaded") || c.Finding.Remediation != "Add install cramfs /bin/true" {
		t.Errorf("compliance observation: %+v", c)
	}
	v := rec.Observations[1]
	// Severity follows cvss3_base_score, not the vector; there is none here.
	want := brief{"999", model.KindVulnerability, "Fake", model.SevMedium, "CVE-2020-0002", []string{"CVE-2020-0001"},
		model.Location{Port: 5432, Protocol: "tcp", Service: "postgresql"}}
	if diff := cmp.Diff(want, short(v)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	xmlHead := reporttest.Head(t, filepath.Join(dir, "tenable", "nessus", "nessus_many_vuln.xml"))
	inputs := map[string]string{
		"empty":         "",
		"blank":         "  \n\t",
		"garbage":       "\x00\x01garbage{]",
		"json":          `{"vulnerabilities": []}`,
		"wrong root":    `<?xml version="1.0"?><nmaprun></nmaprun>`,
		"v1":            `<NessusClientData><Report/></NessusClientData>`,
		"truncated":     string(xmlHead[:len(xmlHead)-100]),
		"unclosed":      `<NessusClientData_v2><Report><ReportHost name="a"><ReportItem port="1">`,
		"bad xml":       `<NessusClientData_v2><Report></ReportHost></Report></NessusClientData_v2>`,
		"other csv":     "IP,Hostname,Port,Port Protocol,CVSS,Severity,NVT Name\n1.2.3.4,a,80,tcp,5,Medium,x\n",
		"bad csv quote": "Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port,Name,Synopsis\n1,,,High,1.2.3.4,tcp,80,\"x\"y\"z,s\n2,,,High,1.2.3.4,tcp,80,\"unterminated\n",
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			err := tenable.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
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

// TestReadSizes parses the Nessus files of the corpus as a whole and one
// byte, then a few bytes, at a time: the XML scanner refills its buffer in
// the middle of every token, and what it reads must not depend on where.
func TestReadSizes(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "tenable", "*", "*.[nx][em][sl]*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no Nessus files in the corpus")
	}
	parse := func(r io.Reader) (*reporttest.Recorder, string) {
		rec := &reporttest.Recorder{}
		if err := tenable.New().Parse(context.Background(), r, rec); err != nil {
			return rec, err.Error()
		}
		return rec, ""
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			whole, wholeErr := parse(bytes.NewReader(b))
			for name, r := range map[string]io.Reader{
				"one byte":   iotest.OneByteReader(bytes.NewReader(b)),
				"half reads": iotest.HalfReader(bytes.NewReader(b)),
			} {
				rec, err := parse(r)
				if diff := cmp.Diff(whole, rec); diff != "" || err != wholeErr {
					t.Errorf("%s: error %q, want %q; (-whole +%s):\n%s", name, err, wholeErr, name, diff)
				}
			}
		})
	}
}
