package intel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/store"
)

func feedFile(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join(reporttest.FeedsDir(t), filepath.FromSlash(rel))
}

// open opens a feeds file (a path relative to the feeds folder, or absolute).
func open(t testing.TB, rel string) *os.File {
	t.Helper()
	if !filepath.IsAbs(rel) {
		rel = feedFile(t, rel)
	}
	f, err := os.Open(rel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func date(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

func datePtr(s string) *time.Time { d := date(s); return &d }

func TestParseKEV(t *testing.T) {
	for _, tc := range []struct {
		file     string
		version  string
		released time.Time
		n        int
		known    int
	}{
		{"kev/known_exploited_vulnerabilities.json", "2025.08.25", time.Date(2025, 8, 25, 17, 4, 19, 979600000, time.UTC), 1404, 293},
		{"kev/known_exploited_vulnerabilities-2026.08.07.json", "2026.08.07", time.Date(2026, 8, 7, 16, 45, 47, 64800000, time.UTC), 1662, -1},
	} {
		t.Run(tc.version, func(t *testing.T) {
			cat, err := ParseKEV(open(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if cat.Version != tc.version || !cat.Released.Equal(tc.released) || cat.Count != tc.n || len(cat.Entries) != tc.n {
				t.Fatalf("catalog %s released %s count %d with %d entries", cat.Version, cat.Released, cat.Count, len(cat.Entries))
			}
			known := 0
			var log4j store.KEVEntry
			for _, e := range cat.Entries {
				if e.Ransomware {
					known++
				}
				if e.VulnID == "CVE-2021-44228" {
					log4j = e
				}
			}
			if tc.known >= 0 && known != tc.known {
				t.Errorf("%d entries with known ransomware use, want %d", known, tc.known)
			}
			want := store.KEVEntry{VulnID: "CVE-2021-44228", VendorProject: "Apache", Product: "Log4j2",
				Name: "Apache Log4j2 Remote Code Execution Vulnerability", DateAdded: date("2021-12-10"), DueDate: datePtr("2021-12-24"),
				Ransomware:       true,
				ShortDescription: "Apache Log4j2 contains a vulnerability where JNDI features do not protect against attacker-controlled JNDI-related endpoints, allowing for remote code execution.",
				RequiredAction:   log4j.RequiredAction, Notes: "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
				CWEs: []string{"CWE-20", "CWE-400", "CWE-502"}}
			if d := cmp.Diff(want, log4j); d != "" {
				t.Errorf("log4j entry (-want +got):\n%s", d)
			}
			if !strings.HasPrefix(log4j.RequiredAction, "For all affected software assets") {
				t.Errorf("requiredAction = %q", log4j.RequiredAction)
			}
		})
	}
}

func TestParseEPSS(t *testing.T) {
	for _, tc := range []struct {
		file  string
		day   string
		model string
		rows  int
		first store.EPSSScore
		check map[string][2]float64
	}{
		{"epss/epss_scores-2026-01-30.csv.gz", "2026-01-30T12:55:00Z", "v2025.03.14", 313089,
			store.EPSSScore{VulnID: "CVE-1999-0001", EPSS: 0.01151, Percentile: 0.78086},
			map[string][2]float64{"CVE-2021-44228": {0.94358, 0.99959}, "CVE-1999-1170": {2e-05, 0.00039}}},
		// Two gzip members: the metadata line, then header and rows.
		{"epss/epss_scores-2023-10-27.csv.gz", "2023-10-27T00:00:00Z", "v2023.03.01", 216206,
			store.EPSSScore{VulnID: "CVE-1999-0001", EPSS: 0.01167, Percentile: 0.83383}, nil},
		{"epss/epss_scores-2024-01-13.csv.gz", "2024-01-13T00:00:00Z", "v2023.03.01", 221346, store.EPSSScore{}, nil},
		{"epss/epss_scores-2025-08-28.csv.gz", "2025-08-28T12:55:00Z", "v2025.03.14", 291419, store.EPSSScore{}, nil},
	} {
		t.Run(tc.day, func(t *testing.T) {
			er, err := NewEPSSReader(open(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			at, _ := time.Parse(time.RFC3339, tc.day)
			if d := er.Day(); d.ModelVersion != tc.model || !d.ScoredAt.Equal(at) || !d.Date.Equal(day(at)) {
				t.Errorf("Day = %+v", d)
			}
			n := 0
			found := map[string][2]float64{}
			for sc, err := range er.Scores() {
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 && tc.first.VulnID != "" && sc != tc.first {
					t.Errorf("first row = %+v, want %+v", sc, tc.first)
				}
				if _, ok := tc.check[sc.VulnID]; ok {
					found[sc.VulnID] = [2]float64{sc.EPSS, sc.Percentile}
				}
				n++
			}
			if n != tc.rows || er.Rows() != tc.rows {
				t.Errorf("%d rows, want %d", n, tc.rows)
			}
			if d := cmp.Diff(tc.check, found, cmpEmpty); d != "" {
				t.Errorf("scores (-want +got):\n%s", d)
			}
		})
	}
}

var cmpEmpty = cmp.Transformer("empty", func(m map[string][2]float64) map[string][2]float64 {
	if len(m) == 0 {
		return nil
	}
	return m
})

func TestParseNVD(t *testing.T) {
	var recs []store.CVERecord
	page, err := ParseNVD(open(t, "nvd/vuls-data-update_cves-CVE-2021-44228_kev_ssvc.json"), func(r store.CVERecord) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if page.TotalResults != 1 || page.Records != 1 || page.Format != "NVD_CVE" || len(recs) != 1 {
		t.Fatalf("page = %+v", page)
	}
	r := recs[0]
	if r.ID != "CVE-2021-44228" || r.Status != "Analyzed" || !r.LastModified.Equal(time.Date(2026, 6, 17, 4, 12, 5, 460000000, time.UTC)) {
		t.Errorf("record = %+v", r)
	}
	if len(r.CVSS) != 3 || r.CVSS[0] != (store.CVSSMetric{Source: "nvd@nist.gov", Type: "Primary", Version: "3.1",
		Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10, Severity: "CRITICAL"}) || r.CVSS[2].Version != "2.0" || r.CVSS[2].Score != 9.3 || r.CVSS[2].Severity != "HIGH" {
		t.Errorf("CVSS = %+v", r.CVSS)
	}
	wantSSVC := &store.SSVC{Source: "134c704f-9b21-4f2e-91b3-4a467353bcc0", Role: "CISA Coordinator", Version: "2.0.3",
		Timestamp: time.Date(2025, 2, 4, 14, 25, 34, 416117000, time.UTC), Exploitation: "active", Automatable: "yes", TechnicalImpact: "total"}
	if d := cmp.Diff(wantSSVC, r.SSVC); d != "" {
		t.Errorf("SSVC (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"CWE-20", "CWE-400", "CWE-502", "CWE-917"}, r.CWEs); d != "" {
		t.Errorf("CWEs (-want +got):\n%s", d)
	}
	if !r.CISAExploitAdd.Equal(date("2021-12-10")) || !r.CISAActionDue.Equal(date("2021-12-24")) || r.CISAVulnerabilityName != "Apache Log4j2 Remote Code Execution Vulnerability" {
		t.Errorf("CISA fields = %v %v %q", r.CISAExploitAdd, r.CISAActionDue, r.CISAVulnerabilityName)
	}
	if len(r.ExploitRefs) == 0 || !strings.Contains(strings.Join(r.ExploitRefs, " "), "packetstormsecurity.com/files/165261") {
		t.Errorf("exploit refs = %v", r.ExploitRefs)
	}

	// CVSS v4.0 comes first.
	recs = nil
	if _, err := ParseNVD(open(t, "nvd/vuls-data-update_cves-CVE-2024-4819_cvssv40.json"), func(r store.CVERecord) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := recs[0].CVSS; len(got) != 3 || got[0].Version != "4.0" || got[0].Score != 5.3 || got[1].Version != "3.1" || got[2].Version != "2.0" || recs[0].SSVC != nil {
		t.Errorf("CVE-2024-4819 CVSS = %+v", got)
	}

	for _, tc := range []struct {
		file           string
		total, start   int
		records, rej   int
		withV2, withV3 int
	}{
		{"nvd/nvd-go_cves-1999.json.gz", 220273, 0, 200, 3, 197, 1},
		{"nvd/nvd-go_cves-2023.json.gz", 220499, 200000, 200, 1, 1, 202},
		{"nvd/nvd-go_cves-CVE-2023-0001.json.gz", 1, 0, 1, 0, 0, 1},
		{"nvd/vuls-data-update_cves-page-startIndex0-3of8.json", 8, 0, 3, 0, -1, -1},
		{"nvd/vuls-data-update_cves-empty.json", 0, 0, 0, 0, 0, 0},
	} {
		rej, v2, v3 := 0, 0, 0
		page, err := ParseNVD(open(t, tc.file), func(r store.CVERecord) error {
			if r.Status == "Rejected" {
				rej++
			}
			for _, c := range r.CVSS {
				switch c.Version {
				case "2.0":
					v2++
				case "3.0", "3.1":
					v3++
				}
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if page.TotalResults != tc.total || page.StartIndex != tc.start || page.Records != tc.records || rej != tc.rej ||
			(tc.withV2 >= 0 && v2 < tc.withV2) || (tc.withV3 >= 0 && v3 < tc.withV3) {
			t.Errorf("%s: page %+v, %d rejected, %d v2 and %d v3 metrics", tc.file, page, rej, v2, v3)
		}
	}
}

func TestMalformed(t *testing.T) {
	kev := func(s string) error { _, err := ParseKEV(strings.NewReader(s)); return err }
	epss := func(s string) error {
		er, err := NewEPSSReader(strings.NewReader(s))
		if err != nil {
			return err
		}
		for _, err := range er.Scores() {
			if err != nil {
				return err
			}
		}
		return nil
	}
	nvd := func(s string) error {
		_, err := ParseNVD(strings.NewReader(s), func(store.CVERecord) error { return nil })
		return err
	}
	const kevHead = `{"catalogVersion":"2025.08.25","dateReleased":"2025-08-25T17:04:19.9796Z","count":1,"vulnerabilities":[`
	const epssHead = "#model_version:v2025.03.14,score_date:2026-01-30T12:55:00Z\ncve,epss,percentile\nCVE-1999-0001,0.01151,0.78086\n"
	const nvdHead = `{"resultsPerPage":1,"startIndex":0,"totalResults":1,"format":"NVD_CVE","version":"2.0","timestamp":"2023-07-28T05:46:22.353","vulnerabilities":[`
	for _, tc := range []struct {
		name  string
		parse func(string) error
		in    string
		want  string // the error text
	}{
		{"kev truncated", kev, kevHead + `{"cveID":"CVE-2021-44228","dateAdded":"2021-12-10"`, "input: byte 103: unexpected EOF"},
		{"kev bad id", kev, kevHead + `{"cveID":"CVE-21-1","dateAdded":"2021-12-10"}]}`, `input: byte 103: vulnerabilities[0]: cveID "CVE-21-1" is not a CVE id`},
		{"kev bad date", kev, kevHead + `{"cveID":"CVE-2021-44228","dateAdded":"12/10/2021"}]}`, `input: byte 103: vulnerabilities[0]: CVE-2021-44228: dateAdded "12/10/2021" is not a date (YYYY-MM-DD)`},
		{"kev wrong type", kev, kevHead + `{"cveID":"CVE-2021-44228","dateAdded":20211210}]}`, "input: byte 149: json: cannot unmarshal number into Go struct field kevJSON.dateAdded of type string"},
		{"kev twice", kev, kevHead + `{"cveID":"CVE-2021-44228","dateAdded":"2021-12-10"},{"cveID":"CVE-2021-44228","dateAdded":"2021-12-10"}]}`, "input: byte 155: vulnerabilities[1]: CVE-2021-44228 is listed twice"},
		{"kev not a catalog", kev, `{"vulnerabilities":[]}`, "input: byte 22: not a KEV catalog: no catalogVersion"},
		{"kev trailing data", kev, kevHead + `]} {}`, "input: byte 107: unexpected data after the JSON document"},
		{"epss bad number", epss, epssHead + "CVE-1999-1170,2e-0x5,0.00039\n", `input:4:15: CVE-1999-1170: epss: "2e-0x5" is not a number`},
		{"epss out of range", epss, epssHead + "CVE-1999-1170,1.5,0.00039\n", `input:4:15: CVE-1999-1170: epss: "1.5" is not between 0 and 1`},
		{"epss fields", epss, epssHead + "CVE-1999-1170,0.1\n", "input:4:1: 2 fields, want 3 (cve,epss,percentile)"},
		{"epss bad id", epss, epssHead + "CVE-1999-11x0,0.1,0.2\n", `input:4:1: "CVE-1999-11x0" is not a CVE id`},
		{"epss repeated", epss, epssHead + "CVE-1999-0001,0.1,0.2\n", "input:4:1: CVE-1999-0001 is scored twice"},
		{"epss no header", epss, "#model_version:v1\n", "input:2:1: not an EPSS file: no header (cve,epss,percentile)"},
		{"epss wrong header", epss, "id,score\nCVE-1999-0001,0.1\n", `input:1:1: not an EPSS file: header "id,score" lacks the cve and epss columns`},
		{"epss bad date", epss, "#model_version:v1,score_date:yesterday\ncve,epss\n", `input:1:1: score_date: cannot parse time "yesterday"`},
		{"epss bad gzip", epss, "\x1f\x8bnot gzip", "input:1:1: gzip: gzip: invalid header"},
		{"nvd truncated", nvd, nvdHead + `{"cve":{"id":"CVE-2023-0001"`, "input: byte 144: unexpected EOF"},
		{"nvd bad id", nvd, nvdHead + `{"cve":{"id":"GHSA-1"}}]}`, `input: byte 144: vulnerabilities[0]: id "GHSA-1" is not a CVE id`},
		{"nvd no cve", nvd, nvdHead + `{"id":"CVE-2023-0001"}]}`, "input: byte 144: vulnerabilities[0]: no cve object"},
		{"nvd bad metric", nvd, nvdHead + `{"cve":{"id":"CVE-2023-0001","metrics":{"cvssMetricV31":{}}}}]}`, "input: byte 144: vulnerabilities[0]: CVE-2023-0001: metrics.cvssMetricV31: json: cannot unmarshal object into Go value of type []intel.nvdCVSS"},
		{"nvd wrong format", nvd, `{"format":"CVE_RECORD","vulnerabilities":[]}`, `input: byte 22: not an NVD CVE API response: format "CVE_RECORD"`},
		{"nvd not nvd", nvd, `[1,2]`, `input: byte 1: expected a JSON object, found "["`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.parse(tc.in)
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a ParseError", err, err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
		})
	}
}
