package intel

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/store"
)

// seedFile returns a feeds file for seeding a fuzz target, or nil when the
// feeds folder is absent (fuzzing then starts from the synthetic seeds).
func seedFile(rel string, limit int) []byte {
	dir := os.Getenv("CTEM_FEEDS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "feeds")
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, int64(limit)))
	return b
}

// headLines returns the first n lines of a (gzip'd) feeds file.
func headLines(rel string, n int) []byte {
	b := seedFile(rel, 1<<20)
	if b == nil {
		return nil
	}
	r, err := decompress(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	var out []byte
	sc := bufio.NewScanner(r)
	for i := 0; i < n && sc.Scan(); i++ {
		out = append(append(out, sc.Bytes()...), '\n')
	}
	return out
}

func mustPositioned(t *testing.T, err error) {
	t.Helper()
	var pe *report.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error without a position: %v (%T)", err, err)
	}
}

func FuzzParseKEV(f *testing.F) {
	f.Add([]byte(`{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2025.08.25","dateReleased":"2025-08-25T17:04:19.9796Z","count":2,"vulnerabilities":[` +
		`{"cveID":"CVE-2021-44228","vendorProject":"Apache","product":"Log4j2","vulnerabilityName":"Apache Log4j2 Remote Code Execution Vulnerability","dateAdded":"2021-12-10","shortDescription":"JNDI","requiredAction":"Apply updates.","dueDate":"2021-12-24","knownRansomwareCampaignUse":"Known","notes":"https://nvd.nist.gov/vuln/detail/CVE-2021-44228","cwes":["CWE-20","CWE-400","CWE-502"]},` +
		`{"cveID":"CVE-2021-34527","vendorProject":"Microsoft ","product":"Windows","dateAdded":"2021-11-03","dueDate":"2021-07-20","knownRansomwareCampaignUse":"Unknown","cwes":[],"forensicTriage":"Yes"}]}`))
	f.Add([]byte(`{"catalogVersion":"x","dateReleased":"2025-08-25","vulnerabilities":null}`))
	f.Add(gz([]byte(`{"catalogVersion":"x","dateReleased":"2025-08-25T00:00:00Z","vulnerabilities":[]}`)))
	f.Fuzz(func(t *testing.T, b []byte) {
		cat, err := ParseKEV(bytes.NewReader(b))
		if err != nil {
			mustPositioned(t, err)
			return
		}
		if cat.Version == "" || cat.Released.IsZero() {
			t.Fatalf("catalog without version or release: %+v", cat)
		}
		seen := map[string]bool{}
		for _, e := range cat.Entries {
			if !cveID.MatchString(e.VulnID) || seen[e.VulnID] || e.DateAdded.IsZero() {
				t.Fatalf("bad entry %+v", e)
			}
			seen[e.VulnID] = true
		}
	})
}

func FuzzParseEPSS(f *testing.F) {
	synthetic := []byte("#model_version:v2025.03.14,score_date:2026-01-30T12:55:00Z\ncve,epss,percentile\nCVE-1999-0001,0.01151,0.78086\r\nCVE-1999-1170,2e-05,8e-05\n\nCVE-2021-44228,0.94358,0.99959")
	f.Add(synthetic)
	f.Add(gz(synthetic))
	f.Add(append(gz([]byte("#model_version:v2023.03.01,score_date:2023-10-27T00:00:00+0000\n")), gz([]byte("cve,epss,percentile\nCVE-1999-0001,0.01167,0.83383\n"))...))
	f.Add([]byte("cve,epss\nCVE-2021-0001,1\n"))
	if b := headLines("epss/epss_scores-2026-01-30.csv.gz", 40); b != nil {
		f.Add(b)
		f.Add(gz(b))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		er, err := NewEPSSReader(bytes.NewReader(b))
		if err != nil {
			mustPositioned(t, err)
			return
		}
		n := 0
		for sc, err := range er.Scores() {
			if err != nil {
				mustPositioned(t, err)
				return
			}
			if !cveID.MatchString(sc.VulnID) || sc.EPSS < 0 || sc.EPSS > 1 || sc.Percentile < 0 || sc.Percentile > 1 {
				t.Fatalf("bad score %+v", sc)
			}
			n++
		}
		if er.Rows() != n {
			t.Fatalf("Rows() = %d, read %d", er.Rows(), n)
		}
	})
}

func FuzzParseNVD(f *testing.F) {
	f.Add([]byte(`{"resultsPerPage":1,"startIndex":0,"totalResults":1,"format":"NVD_CVE","version":"2.0","timestamp":"2026-06-18T00:00:00.000","vulnerabilities":[{"cve":{"id":"CVE-2021-44228","sourceIdentifier":"security@apache.org","published":"2021-12-10T10:15:09.143","lastModified":"2026-06-17T04:12:05.460","vulnStatus":"Analyzed","descriptions":[{"lang":"en","value":"JNDI"}],` +
		`"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H","baseScore":10.0,"baseSeverity":"CRITICAL"}}],` +
		`"cvssMetricV2":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"2.0","vectorString":"AV:N/AC:M/Au:N/C:C/I:C/A:C","baseScore":9.3},"baseSeverity":"HIGH"}],` +
		`"ssvcV203":[{"source":"134c704f-9b21-4f2e-91b3-4a467353bcc0","ssvcData":{"timestamp":"2025-02-04T14:25:34.416117Z","id":"CVE-2021-44228","options":[{"exploitation":"active"},{"automatable":"yes"},{"technicalImpact":"total"}],"role":"CISA Coordinator","version":"2.0.3"}}]},` +
		`"cisaExploitAdd":"2021-12-10","cisaActionDue":"2021-12-24","weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-917"}]}],` +
		`"references":[{"url":"http://packetstormsecurity.com/files/165261","tags":["Exploit"]}]}}]}`))
	for _, rel := range []string{"nvd/nvd-go_cves-CVE-2023-0001.json.gz", "nvd/vuls-data-update_cves-CVE-2024-4819_cvssv40.json",
		"nvd/vuls-data-update_cves-empty.json", "nvd/vuls-data-update_cves-page-startIndex0-3of8.json"} {
		if b := seedFile(rel, 64<<10); b != nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		nr, err := NewNVDReader(bytes.NewReader(b))
		if err != nil {
			mustPositioned(t, err)
			return
		}
		n := 0
		for rec, err := range nr.Records() {
			if err != nil {
				mustPositioned(t, err)
				return
			}
			if !cveID.MatchString(rec.ID) {
				t.Fatalf("bad id %q", rec.ID)
			}
			for _, c := range rec.CVSS {
				if c.Vector == "" || c.Version == "" {
					t.Fatalf("bad CVSS %+v", c)
				}
			}
			n++
		}
		if nr.Page().Records != n {
			t.Fatalf("Page().Records = %d, read %d", nr.Page().Records, n)
		}
	})
}

// TestDetect recognizes each feed by content.
func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		head []byte
		want string
	}{
		{[]byte("#model_version:v2025.03.14,score_date:2026-01-30T12:55:00Z\ncve,epss,percentile\n"), store.FeedEPSS},
		{gz([]byte("cve,epss,percentile\nCVE-1999-0001,0.1,0.2\n")), store.FeedEPSS},
		{[]byte(`{"title":"CISA Catalog","catalogVersion":"2025.08.25"`), store.FeedKEV},
		{[]byte(`{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"catalogVersion":{}}}`), ""},
		{gz([]byte(`{"resultsPerPage":2000,"startIndex":0,"totalResults":1,"format":"NVD_CVE"`)), store.FeedNVD},
		{[]byte("cve,cvss-bt_score,cvss-bt_severity\n"), ""},
		{[]byte("cveID,vendorProject,product\n"), ""},
		{[]byte("\x1f\x8b broken"), ""},
		{nil, ""},
	} {
		if got := Detect(tc.head); got != tc.want {
			t.Errorf("Detect(%q) = %q, want %q", tc.head, got, tc.want)
		}
	}
}
