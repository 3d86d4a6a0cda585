package nexpose_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/formats/nexpose"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// ctemCounts is what ctem emits per corpus file where it differs from the
// manifest (DefectDojo's count). DefectDojo merges one issue across hosts
// and ports into one finding with many endpoints and adds a synthetic
// "Host Up" finding per report; ctem emits one observation per host, check
// and port, and no "Host Up" (an alive host is an asset, not an exposure).
// The test also rebuilds DefectDojo's grouping from ctem's output and checks
// it against the manifest, so the difference is exactly that.
var ctemCounts = map[string]int{
	"nexpose/dns.xml":         7,  // 6 = 5 distinct titles + Host Up
	"nexpose/many_vulns.xml":  55, // 38 = 37 distinct titles + Host Up
	"nexpose/report_auth.xml": 14, // 5 = 4 distinct titles + Host Up
}

func TestManifest(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "nexpose" || row.Expected < 0 {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, nexpose.New(), row.File)
			want, ok := ctemCounts[row.File]
			if !ok {
				want = row.Expected
			}
			if got := len(rec.Observations); got != want {
				t.Errorf("observations = %d, want %d", got, want)
			}
			if got := ddGroups(rec); got != row.Expected {
				t.Errorf("DefectDojo-style grouping = %d, manifest says %d", got, row.Expected)
			}
			if len(rec.Assets) == 0 {
				t.Error("no assets reported")
			}
			_ = dir
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for nexpose")
	}
}

// ddGroups counts findings the way DefectDojo's parser groups them: one per
// distinct (severity, title) over all hosts, plus one "Host Up" when the
// report has a host.
func ddGroups(rec *reporttest.Recorder) int {
	seen := map[string]bool{}
	for _, o := range rec.Observations {
		seen[string(o.Finding.Severity)+"|"+o.Finding.Title] = true
	}
	if len(rec.Assets) > 0 {
		return len(seen) + 1
	}
	return len(seen)
}

func byTitle(rec *reporttest.Recorder, title string) []report.Observation {
	var out []report.Observation
	for _, o := range rec.Observations {
		if o.Finding.Title == title {
			out = append(out, o)
		}
	}
	return out
}

type loc struct {
	Host     string
	Port     int
	Protocol string
}

func locations(obs []report.Observation) []loc {
	var out []loc
	for _, o := range obs {
		out = append(out, loc{o.Asset.Name, o.Finding.Location.Port, o.Finding.Location.Protocol})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Host != out[j].Host {
			return out[i].Host < out[j].Host
		}
		if out[i].Port != out[j].Port {
			return out[i].Port < out[j].Port
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}

func TestContent(t *testing.T) {
	reporttest.CorpusDir(t)
	f := nexpose.New()

	t.Run("dns", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "nexpose/dns.xml")
		// DefectDojo: finding[1] has two locations dns://192.168.1.1#tcp and #udp.
		got := locations(byTitle(rec, "DNS server allows cache snooping"))
		want := []loc{{"192.168.1.1", 53, "tcp"}, {"192.168.1.1", 53, "udp"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cache snooping locations (-want +got):\n%s", diff)
		}
		got = locations(byTitle(rec, "Nameserver Processes Recursive Queries"))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("recursive queries locations (-want +got):\n%s", diff)
		}
		got = locations(byTitle(rec, "DNS Traffic Amplification"))
		if diff := cmp.Diff([]loc{{"192.168.1.1", 53, "udp"}}, got); diff != "" {
			t.Errorf("amplification locations (-want +got):\n%s", diff)
		}
		wantAsset := report.AssetRef{
			Kind: model.AssetHost,
			Name: "192.168.1.1",
			Identifiers: []model.Identifier{
				{Kind: model.IDIPv4, Value: "192.168.1.1"},
				{Kind: model.IDMAC, Value: "00:11:22:33:44:55"},
			},
			Attributes: map[string]string{"os": "Linux 2.6.32"},
		}
		if diff := cmp.Diff([]report.AssetRef{wantAsset}, rec.Assets); diff != "" {
			t.Errorf("assets (-want +got):\n%s", diff)
		}
		o := byTitle(rec, "DNS server allows cache snooping")[0]
		if o.ToolID != "dns-allows-cache-snooping" || o.Finding.Severity != model.SevMedium ||
			o.Finding.Kind != model.KindVulnerability || len(o.Finding.CVSS) != 1 ||
			o.Finding.CVSS[0].Vector != "AV:N/AC:L/Au:N/C:P/I:N/A:N" {
			t.Errorf("cache snooping observation = %+v", o)
		}
		if !strings.Contains(o.Evidence, "Received 4 answers") {
			t.Errorf("evidence = %q", o.Evidence)
		}
		open := byTitle(rec, "Open port UDP/53")
		if len(open) != 1 || open[0].Finding.Kind != model.KindExposedService || open[0].Finding.Severity != model.SevInfo {
			t.Errorf("open port UDP/53 = %+v", open)
		}
	})

	t.Run("many_vulns", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "nexpose/many_vulns.xml")
		tcp := byTitle(rec, "TCP Sequence Number Approximation Vulnerability")
		if len(tcp) != 3 {
			t.Fatalf("TCP sequence number findings = %d, want 3 (one per host)", len(tcp))
		}
		for _, o := range tcp {
			if o.Finding.Severity != model.SevMedium || o.Finding.VulnID != "CVE-2004-0230" || len(o.Finding.Aliases) != 0 {
				t.Errorf("TCP sequence finding = %+v", o.Finding)
			}
		}
		ts := byTitle(rec, "TCP timestamp response")
		if len(ts) != 5 {
			t.Fatalf("TCP timestamp findings = %d, want 5", len(ts))
		}
		for _, o := range ts {
			if o.Finding.Severity != model.SevLow || o.Finding.VulnID != "" || o.Finding.Location.Port != 0 {
				t.Errorf("TCP timestamp finding = %+v", o.Finding)
			}
		}
		ssh := byTitle(rec, `Default SSH password: root password "root"`)
		if len(ssh) != 1 || ssh[0].Finding.Location.Port != 22 || ssh[0].Finding.Location.Protocol != "tcp" {
			t.Errorf("default SSH password = %+v", ssh)
		}
		for _, title := range []string{"Missing HttpOnly Flag From Cookie", "TLS/SSL Server Supports DES and IDEA Cipher Suites", "Open port UDP/137"} {
			if len(byTitle(rec, title)) == 0 {
				t.Errorf("no finding titled %q", title)
			}
		}
		var named bool
		for _, a := range rec.Assets {
			if a.Name == "macbookpro-c9a7" {
				named = true
				if diff := cmp.Diff([]model.Identifier{{Kind: model.IDHostname, Value: "macbookpro-c9a7"}, {Kind: model.IDIPv4, Value: "192.168.1.37"}, {Kind: model.IDMAC, Value: "e4:ce:8f:49:0d:7c"}}, a.Identifiers); diff != "" {
					t.Errorf("identifiers (-want +got):\n%s", diff)
				}
			}
		}
		if !named {
			t.Error("host with a <name> not named after it")
		}
	})

	t.Run("report_auth", func(t *testing.T) {
		rec := reporttest.ParseCorpus(t, f, "nexpose/report_auth.xml")
		for _, c := range []struct {
			title string
			sev   model.Severity
			hosts int
		}{
			{"ICMP redirection enabled", model.SevHigh, 4},
			{"No password for Grub", model.SevMedium, 4},
			// DefectDojo lists 16 locations: four users on each of four
			// hosts; ctem keeps one finding per host with every user in
			// the evidence.
			{"User home directory mode unsafe", model.SevLow, 4},
		} {
			obs := byTitle(rec, c.title)
			if len(obs) != c.hosts {
				t.Errorf("%s: %d observations, want %d", c.title, len(obs), c.hosts)
				continue
			}
			for _, o := range obs {
				if o.Finding.Severity != c.sev || o.Finding.VulnID != "" {
					t.Errorf("%s: %+v", c.title, o.Finding)
				}
			}
		}
		home := byTitle(rec, "User home directory mode unsafe")[0]
		if !strings.Contains(home.Evidence, "user netdata") || !strings.Contains(home.Evidence, "user ubuntu") {
			t.Errorf("home directory evidence should list several keys: %q", home.Evidence)
		}
	})
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := nexpose.New()
	files, _ := filepath.Glob(filepath.Join(dir, "nexpose", "*"))
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	for _, p := range files {
		if s := f.Detect(reporttest.Head(t, p)); s <= 0 {
			t.Errorf("%s: Detect = %d, want > 0", filepath.Base(p), s)
		}
	}
	// No other tool's corpus file may be claimed.
	others, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	for _, p := range others {
		if filepath.Base(filepath.Dir(p)) == "nexpose" {
			continue
		}
		if s := f.Detect(reporttest.Head(t, p)); s != 0 {
			t.Errorf("%s: Detect = %d, want 0", strings.TrimPrefix(p, dir), s)
		}
	}
}

func TestErrors(t *testing.T) {
	reporttest.CorpusDir(t)
	data, err := os.ReadFile(filepath.Join(reporttest.CorpusDir(t), "nexpose", "dns.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":     "",
		"garbage":   "this is not xml at all",
		"truncated": string(data[:len(data)/2]),
		"wrongroot": `<?xml version="1.0"?><NessusClientData_v2></NessusClientData_v2>`,
		"badnest":   `<NexposeReport version="2.0"><nodes><node address="1.2.3.4"></nodes></NexposeReport>`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := nexpose.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
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

func TestNoFindingsStillReportsHost(t *testing.T) {
	in := `<?xml version="1.0" encoding="UTF-8"?>
<NexposeReport version="2.0"><nodes><node address="10.0.0.5" status="alive"><names><name>Web01.Example.com</name></names></node></nodes><VulnerabilityDefinitions/></NexposeReport>`
	rec := &reporttest.Recorder{}
	if err := nexpose.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
		t.Fatal(err)
	}
	want := []report.AssetRef{{
		Kind: model.AssetHost,
		Name: "web01.example.com",
		Identifiers: []model.Identifier{
			{Kind: model.IDFQDN, Value: "web01.example.com"},
			{Kind: model.IDIPv4, Value: "10.0.0.5"},
		},
	}}
	if diff := cmp.Diff(want, rec.Assets); diff != "" {
		t.Errorf("assets (-want +got):\n%s", diff)
	}
	if len(rec.Observations) != 0 {
		t.Errorf("observations = %d, want 0", len(rec.Observations))
	}
}
