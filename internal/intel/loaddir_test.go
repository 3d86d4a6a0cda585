package intel

import (
	"context"
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

type loaded struct {
	Outcome string
	Version string
	Rows    int
	Added   int
	Removed int
}

func summarize(t *testing.T, dir string, rs []Result) map[string]loaded {
	t.Helper()
	m := map[string]loaded{}
	for _, r := range rs {
		rel, err := filepath.Rel(dir, r.Source)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.ToSlash(rel)] = loaded{r.Outcome, r.Version, r.Rows, r.Added, r.Removed}
	}
	return m
}

// TestLoadDir loads the shared feeds folder as an air-gapped site would.
func TestLoadDir(t *testing.T) {
	ctx := context.Background()
	dir := reporttest.FeedsDir(t)
	dir, _ = filepath.Abs(dir)
	st := openSQLite(t)
	res, err := LoadDir(ctx, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]loaded{
		"README.txt":                                             {Outcome: "skipped"},
		"cvss/cvss-bt-2024-03-04.csv.gz":                         {Outcome: "skipped"},
		"kev/known_exploited_vulnerabilities.csv":                {Outcome: "skipped"},
		"kev/known_exploited_vulnerabilities_schema.json":        {Outcome: "skipped"},
		"nvd/cve_api_json_2.0.schema":                            {Outcome: "skipped"},
		"kev/known_exploited_vulnerabilities.json":               {"loaded", "2025.08.25", 1404, 1404, 0},
		"kev/known_exploited_vulnerabilities-2026.08.07.json":    {"loaded", "2026.08.07", 1662, 258, 0},
		"epss/epss_scores-2026-01-30.csv.gz":                     {"loaded", "2026-01-30 v2025.03.14", 313089, 0, 0},
		"epss/epss_scores-2025-08-28.csv.gz":                     {"loaded", "2025-08-28 v2025.03.14", 291419, 0, 0},
		"epss/epss_scores-2024-01-13.csv.gz":                     {"loaded", "2024-01-13 v2023.03.01", 221346, 0, 0},
		"epss/epss_scores-2023-10-27.csv.gz":                     {"loaded", "2023-10-27 v2023.03.01", 216206, 0, 0},
		"nvd/nvd-go_cves-1999.json.gz":                           {"loaded", "2023-07-13T23:33:19Z", 200, 0, 0},
		"nvd/nvd-go_cves-2023.json.gz":                           {"loaded", "2023-07-18T06:46:32Z", 200, 0, 0},
		"nvd/nvd-go_cves-CVE-2023-0001.json.gz":                  {"loaded", "2023-07-28T05:46:22Z", 1, 0, 0},
		"nvd/vuls-data-update_cves-CVE-2021-44228_kev_ssvc.json": {"loaded", "2026-06-18T00:00:00Z", 1, 0, 0},
		"nvd/vuls-data-update_cves-CVE-2024-4819_cvssv40.json":   {"loaded", "2024-06-29T16:54:34Z", 1, 0, 0},
		"nvd/vuls-data-update_cves-empty.json":                   {"loaded", "2023-11-10T07:37:10Z", 0, 0, 0},
		"nvd/vuls-data-update_cves-page-startIndex0-3of8.json":   {"loaded", "2023-11-10T08:41:24Z", 3, 0, 0},
	}
	if d := cmp.Diff(want, summarize(t, dir, res)); d != "" {
		t.Errorf("LoadDir (-want +got):\n%s", d)
	}
	// Catalogs load in release order, whatever the file names.
	if i, j := indexOf(res, "-2026.08.07.json"), indexOf(res, "vulnerabilities.json"); i < j {
		t.Errorf("KEV 2026.08.07 loaded before 2025.08.25")
	}

	vi, err := st.VulnIntel(ctx, []string{"CVE-2021-44228"})
	if err != nil {
		t.Fatal(err)
	}
	l := vi["CVE-2021-44228"]
	if !l.KEV || !l.KEVRansomware || l.EPSS != 0.94358 || l.EPSSModel != "v2025.03.14" || l.CVSS[0].Score != 10 || l.SSVCExploitation != "active" {
		t.Errorf("log4j = %+v", l)
	}
	// The history holds every day (loaded newest first); the view follows
	// the newest.
	hist, err := st.EPSSHistory(ctx, "CVE-2021-44228", time.Time{}, time.Time{})
	if err != nil || len(hist) != 4 || hist[0].ModelVersion != "v2023.03.01" || !hist[0].Date.Equal(date("2023-10-27")) ||
		!hist[3].Date.Equal(date("2026-01-30")) {
		t.Errorf("log4j EPSS history = %+v, %v", hist, err)
	}
	// For a backtest: the score known on a date.
	sc, err := st.EPSSAt(ctx, "CVE-2021-44228", date("2024-06-01"))
	if err != nil || !sc.Date.Equal(date("2024-01-13")) || sc.ModelVersion != "v2023.03.01" {
		t.Errorf("EPSSAt(2024-06-01) = %+v, %v", sc, err)
	}

	// Again: nothing changed.
	res, err = LoadDir(ctx, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Outcome != store.SyncUnchanged && r.Outcome != "skipped" {
			t.Errorf("second load of %s: %+v", r.Source, r)
		}
	}
}

func indexOf(rs []Result, suffix string) int {
	for i, r := range rs {
		if strings.HasSuffix(r.Source, suffix) {
			return i
		}
	}
	return -1
}

// TestLoadDirMalformed: broken files fail with their path and position,
// change nothing, and do not stop the good ones.
func TestLoadDirMalformed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	kevBad := write("kev/kev.json", `{"catalogVersion":"2025.08.25","dateReleased":"2025-08-25T17:04:19.9796Z","count":2,"vulnerabilities":[
{"cveID":"CVE-2021-44228","dateAdded":"2021-12-10","dueDate":"2021-12-24","knownRansomwareCampaignUse":"Known"},
{"cveID":"CVE-2021-45046","dateAdded":"2021-12-32"}]}`)
	epssBad := write("epss/epss_scores-2026-01-30.csv", "#model_version:v2025.03.14,score_date:2026-01-30T12:55:00Z\ncve,epss,percentile\nCVE-2021-44228,0.94358,0.99959\nCVE-2021-45046,0.9,\n")
	epssNoDate := write("epss/scores.csv", "cve,epss,percentile\nCVE-2021-44228,0.94358,0.99959\n")
	epssOld := write("epss/epss_scores-2021-05-01.csv", "cve,epss,percentile\nCVE-2021-0001,0.1,0.5\n")
	nvdBad := write("nvd/page.json", `{"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"CVE-2021-44228","metrics":{"cvssMetricV31":[{"cvssData":{"baseScore":"high"}}]}}}]}`)
	st := openSQLite(t)
	res, err := LoadDir(ctx, st, dir)
	if err == nil {
		t.Fatal("LoadDir of broken files succeeded")
	}
	want := map[string]string{
		kevBad:     kevBad + `: byte 217: vulnerabilities[1]: CVE-2021-45046: dateAdded "2021-12-32" is not a date (YYYY-MM-DD)`,
		epssBad:    epssBad + `:4:20: CVE-2021-45046: percentile: "" is not a number`,
		epssNoDate: epssNoDate + ":1:1: no score_date line, and no date in the file name",
		nvdBad:     nvdBad + `: byte 39: vulnerabilities[0]: CVE-2021-44228: metrics.cvssMetricV31: json: cannot unmarshal string into Go struct field .cvssData.baseScore of type float64`,
	}
	got := map[string]string{}
	for _, r := range res {
		if r.Err != nil {
			var pe *report.ParseError
			if !errors.As(r.Err, &pe) {
				t.Errorf("%s: %v is not a ParseError", r.Source, r.Err)
			}
			got[r.Source] = r.Err.Error()
		} else if r.Source != epssOld || r.Outcome != store.SyncLoaded || r.Version != "2021-05-01" {
			t.Errorf("%s: %+v", r.Source, r)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
	for _, e := range want {
		if !strings.Contains(err.Error(), e) {
			t.Errorf("joined error lacks %q", e)
		}
	}
	sts, err := st.FeedStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sts[0].Rows != 0 || sts[0].History != 0 || sts[1].History != 1 || sts[1].Version != "" || sts[2].Rows != 0 {
		t.Errorf("status after broken files: %+v", sts)
	}
	if vi, err := st.VulnIntel(ctx, []string{"CVE-2021-44228"}); err != nil || len(vi) != 0 {
		t.Errorf("VulnIntel = %v, %v", vi, err)
	}
	if _, err := LoadDir(ctx, st, filepath.Join(dir, "none")); err == nil {
		t.Error("LoadDir of a missing folder succeeded")
	}
}

// TestLoadDirWarnings: a catalog whose count is off loads with a warning;
// a catalog older than the one loaded is reported and not loaded.
func TestLoadDirWarnings(t *testing.T) {
	ctx := context.Background()
	st := openSQLite(t)
	dir := t.TempDir()
	cat := func(version, released, ids string) string {
		var es []string
		for _, id := range strings.Fields(ids) {
			es = append(es, `{"cveID":"`+id+`","dateAdded":"2021-11-03","dueDate":"2021-11-17","knownRansomwareCampaignUse":"Unknown"}`)
		}
		return `{"catalogVersion":"` + version + `","dateReleased":"` + released + `","count":3,"vulnerabilities":[` + strings.Join(es, ",") + `]}`
	}
	os.WriteFile(filepath.Join(dir, "b.json"), []byte(cat("2021.11.10", "2021-11-10T00:00:00Z", "CVE-2021-0001 CVE-2021-0003 CVE-2021-0004")), 0o644)
	res, err := LoadDir(ctx, st, dir)
	if err != nil || res[0].Outcome != store.SyncLoaded || len(res[0].Warnings) != 0 {
		t.Fatalf("LoadDir = %+v, %v", res, err)
	}
	os.WriteFile(filepath.Join(dir, "a.json"), []byte(cat("2021.11.03", "2021-11-03T00:00:00Z", "CVE-2021-0001 CVE-2021-0002")), 0o644)
	os.WriteFile(filepath.Join(dir, "c.json"), []byte(cat("2021.11.17", "2021-11-17T00:00:00Z", "CVE-2021-0001 CVE-2021-0005")), 0o644)
	res, err = LoadDir(ctx, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Result{}
	for _, r := range res {
		got[filepath.Base(r.Source)] = r
	}
	if r := got["a.json"]; r.Outcome != store.SyncUnchanged || len(r.Warnings) != 2 ||
		r.Warnings[1] != "stale: KEV catalog 2021.11.03 (released 2021-11-03T00:00:00Z) is older than catalog 2021.11.10 (released 2021-11-10T00:00:00Z); not loaded" {
		t.Errorf("older catalog: %+v", r)
	}
	if r := got["b.json"]; r.Outcome != store.SyncUnchanged {
		t.Errorf("same catalog: %+v", r)
	}
	if r := got["c.json"]; r.Outcome != store.SyncLoaded || r.Added != 1 || r.Removed != 2 ||
		len(r.Warnings) != 1 || r.Warnings[0] != "catalog 2021.11.17 says count 3 but lists 2 entries" {
		t.Errorf("newer catalog: %+v", r)
	}
	es, err := st.KEVEntries(ctx, store.KEVFilter{IncludeRemoved: true})
	if err != nil || len(es) != 4 {
		t.Fatalf("KEV entries = %+v, %v", es, err)
	}
	for _, e := range es {
		removed := e.VulnID == "CVE-2021-0003" || e.VulnID == "CVE-2021-0004"
		if removed != (e.RemovedAt != nil) || (removed && (e.RemovedVersion != "2021.11.17" || !e.RemovedAt.Equal(date("2021-11-17")))) {
			t.Errorf("entry %+v", e)
		}
	}
}
