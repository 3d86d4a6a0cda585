package storetest

import (
	"errors"
	"fmt"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// RunIntel runs the threat-intel part of the suite (store.IntelStore).
func RunIntel(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, is store.IntelStore)
	}{
		{"KEVAdditionsAndRemovals", intelOnly(testKEVHistory)},
		{"KEVRejectsBadCatalog", intelOnly(testKEVBad)},
		{"EPSSDaysAndView", intelOnly(testEPSSDays)},
		{"EPSSBatchesAndRollback", intelOnly(testEPSSRollback)},
		{"CVERecords", intelOnly(testCVERecords)},
		{"FeedSyncs", intelOnly(testFeedSyncs)},
		{"ChangedVulns", testChangedVulns},
		{"ConcurrentLoads", intelOnly(testConcurrentLoads)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			is, ok := s.(store.IntelStore)
			if !ok {
				t.Fatalf("%T does not implement store.IntelStore", s)
			}
			tc.fn(t, s, is)
		})
	}
}

func intelOnly(fn func(t *testing.T, is store.IntelStore)) func(t *testing.T, s store.Store, is store.IntelStore) {
	return func(t *testing.T, _ store.Store, is store.IntelStore) { fn(t, is) }
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// mark returns a time strictly between what was written before the call
// and what is written after it.
func mark() time.Time {
	time.Sleep(2 * time.Millisecond)
	t := time.Now()
	time.Sleep(2 * time.Millisecond)
	return t
}

func datePtr(s string) *time.Time { t := date(s); return &t }

func kevEntry(id, added string, ransomware bool) store.KEVEntry {
	return store.KEVEntry{VulnID: id, VendorProject: "Vendor", Product: "Product " + id, Name: id + " Vulnerability",
		DateAdded: date(added), DueDate: datePtr(added), Ransomware: ransomware, ShortDescription: "desc",
		RequiredAction: "Apply updates.", Notes: "https://nvd.nist.gov/vuln/detail/" + id, CWEs: []string{"CWE-20"}}
}

func testKEVHistory(t *testing.T, s store.IntelStore) {
	r1 := time.Date(2025, 8, 25, 17, 4, 19, 979600000, time.UTC)
	r2 := r1.AddDate(0, 0, 7)
	r3 := r2.AddDate(0, 0, 7)
	x, y, z := kevEntry("CVE-2021-0001", "2021-11-03", false), kevEntry("CVE-2022-0002", "2022-01-10", false), kevEntry("CVE-2023-0003", "2023-05-01", true)
	c1 := store.KEVCatalog{Version: "2025.08.25", Released: r1, Count: 3, Entries: []store.KEVEntry{x, y, z}}
	added, removed, err := s.LoadKEV(ctx(), c1)
	if err != nil || added != 3 || removed != 0 {
		t.Fatalf("LoadKEV(c1) = %d, %d, %v; want 3, 0", added, removed, err)
	}
	// The same catalog again changes nothing.
	if added, removed, err := s.LoadKEV(ctx(), c1); err != nil || added != 0 || removed != 0 {
		t.Fatalf("LoadKEV(c1) again = %d, %d, %v; want 0, 0", added, removed, err)
	}
	vi, err := s.VulnIntel(ctx(), []string{x.VulnID, z.VulnID, "CVE-1999-0001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vi) != 2 || !vi[z.VulnID].KEV || !vi[z.VulnID].KEVRansomware || !vi[z.VulnID].KEVDateAdded.Equal(date("2023-05-01")) ||
		!vi[z.VulnID].KEVDueDate.Equal(date("2023-05-01")) || vi[x.VulnID].KEVRansomware {
		t.Fatalf("VulnIntel after c1 = %+v", vi)
	}

	// c2: x turns ransomware Known and its dateAdded is corrected; y is
	// removed; w is added.
	before := mark()
	x2 := x
	x2.Ransomware = true
	x2.DateAdded = date("2021-11-02")
	w := kevEntry("CVE-2025-0004", "2025-08-30", false)
	w.ForensicTriage = "Yes"
	c2 := store.KEVCatalog{Version: "2025.09.01", Released: r2, Count: 3, Entries: []store.KEVEntry{w, x2, z}}
	added, removed, err = s.LoadKEV(ctx(), c2)
	if err != nil || added != 1 || removed != 1 {
		t.Fatalf("LoadKEV(c2) = %d, %d, %v; want 1, 1", added, removed, err)
	}
	changed, err := s.ChangedVulns(ctx(), before, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{x.VulnID, y.VulnID, w.VulnID}, changed); d != "" {
		t.Errorf("ChangedVulns after c2 (-want +got):\n%s", d)
	}
	vi, err = s.VulnIntel(ctx(), []string{x.VulnID, y.VulnID, w.VulnID})
	if err != nil {
		t.Fatal(err)
	}
	if vi[y.VulnID].KEV || vi[y.VulnID].KEVDateAdded != nil || !vi[x.VulnID].KEVRansomware || !vi[x.VulnID].KEVDateAdded.Equal(date("2021-11-02")) || !vi[w.VulnID].KEV {
		t.Errorf("VulnIntel after c2 = %+v", vi)
	}

	// An older catalog is refused and changes nothing.
	c0 := store.KEVCatalog{Version: "2025.08.01", Released: r1.AddDate(0, 0, -24), Entries: []store.KEVEntry{x}}
	if _, _, err := s.LoadKEV(ctx(), c0); !errors.Is(err, store.ErrStale) {
		t.Fatalf("LoadKEV(older) = %v, want ErrStale", err)
	}

	// c3: y is listed again: a second listing period.
	c3 := store.KEVCatalog{Version: "2025.09.08", Released: r3, Count: 4, Entries: []store.KEVEntry{w, x2, y, z}}
	if added, removed, err := s.LoadKEV(ctx(), c3); err != nil || added != 1 || removed != 0 {
		t.Fatalf("LoadKEV(c3) = %d, %d, %v; want 1, 0", added, removed, err)
	}
	hist, err := s.KEVEntries(ctx(), store.KEVFilter{IDs: []string{y.VulnID, w.VulnID}, IncludeRemoved: true})
	if err != nil {
		t.Fatal(err)
	}
	wantW := w
	wantW.CatalogVersion, wantW.FirstSeenAt = "2025.09.01", r2
	wantY1 := y
	wantY1.CatalogVersion, wantY1.FirstSeenAt = "2025.09.08", r3
	wantY0 := y
	wantY0.CatalogVersion, wantY0.FirstSeenAt, wantY0.RemovedAt, wantY0.RemovedVersion = "2025.08.25", r1, &r2, "2025.09.01"
	if d := cmp.Diff([]store.KEVEntry{wantY1, wantY0, wantW}, hist, cmpopts.EquateApproxTime(time.Millisecond)); d != "" {
		t.Errorf("KEVEntries history (-want +got):\n%s", d)
	}
	listed, err := s.KEVEntries(ctx(), store.KEVFilter{})
	if err != nil || len(listed) != 4 {
		t.Fatalf("KEVEntries listed = %d, %v; want 4", len(listed), err)
	}
	cats, err := s.KEVCatalogs(ctx())
	if err != nil {
		t.Fatal(err)
	}
	if len(cats) != 3 || cats[0].Version != "2025.09.08" || cats[0].Entries != 4 || cats[1].Added != 1 || cats[1].Removed != 1 {
		t.Errorf("KEVCatalogs = %+v", cats)
	}
}

func testKEVBad(t *testing.T, s store.IntelStore) {
	r := time.Date(2025, 8, 25, 0, 0, 0, 0, time.UTC)
	bad := []store.KEVCatalog{
		{Version: "", Released: r, Entries: []store.KEVEntry{kevEntry("CVE-2021-0001", "2021-11-03", false)}},
		{Version: "2025.08.25", Released: r, Entries: []store.KEVEntry{kevEntry("CVE-2021-0001", "2021-11-03", false), kevEntry("CVE-2021-0001", "2021-11-03", false)}},
		{Version: "2025.08.25", Released: r, Entries: []store.KEVEntry{{DateAdded: r}}},
	}
	for i, c := range bad {
		if _, _, err := s.LoadKEV(ctx(), c); err == nil {
			t.Errorf("LoadKEV(bad %d) succeeded", i)
		}
	}
	if es, err := s.KEVEntries(ctx(), store.KEVFilter{IncludeRemoved: true}); err != nil || len(es) != 0 {
		t.Errorf("KEVEntries after bad loads = %v, %v", es, err)
	}
	if cats, err := s.KEVCatalogs(ctx()); err != nil || len(cats) != 0 {
		t.Errorf("KEVCatalogs after bad loads = %v, %v", cats, err)
	}
}

// scores yields EPSS scores from triples of id, epss, percentile.
func scores(vals ...any) iter.Seq2[store.EPSSScore, error] {
	return func(yield func(store.EPSSScore, error) bool) {
		for i := 0; i+2 < len(vals); i += 3 {
			if !yield(store.EPSSScore{VulnID: vals[i].(string), EPSS: vals[i+1].(float64), Percentile: vals[i+2].(float64)}, nil) {
				return
			}
		}
	}
}

func testEPSSDays(t *testing.T, s store.IntelStore) {
	d1, d2, d0 := date("2026-01-29"), date("2026-01-30"), date("2025-08-28")
	day := func(d time.Time, model string) store.EPSSDay {
		return store.EPSSDay{Date: d, ScoredAt: d.Add(12*time.Hour + 55*time.Minute), ModelVersion: model, SHA256: "sha-" + d.Format("0102")}
	}
	n, err := s.LoadEPSS(ctx(), day(d1, "v2025.03.14"), scores("CVE-2021-44228", 0.94358, 0.99959, "CVE-1999-0001", 0.01151, 0.78086, "CVE-2020-0001", 5e-05, 0.001))
	if err != nil || n != 3 {
		t.Fatalf("LoadEPSS(d1) = %d, %v", n, err)
	}
	before := mark()
	// d2: one score moves, one only in percentile, CVE-2020-0001 is gone,
	// CVE-2026-0001 is new.
	n, err = s.LoadEPSS(ctx(), day(d2, "v2025.03.14"), scores("CVE-2021-44228", 0.94358, 0.99960, "CVE-1999-0001", 0.02, 0.8, "CVE-2026-0001", 0.5, 0.9))
	if err != nil || n != 3 {
		t.Fatalf("LoadEPSS(d2) = %d, %v", n, err)
	}
	vi, err := s.VulnIntel(ctx(), []string{"CVE-2021-44228", "CVE-1999-0001", "CVE-2020-0001", "CVE-2026-0001"})
	if err != nil {
		t.Fatal(err)
	}
	log4j := vi["CVE-2021-44228"]
	if log4j.EPSS != 0.94358 || log4j.EPSSPercentile != 0.99960 || log4j.EPSSModel != "v2025.03.14" || log4j.EPSSDate == nil || !log4j.EPSSDate.Equal(d2) {
		t.Errorf("VulnIntel[log4j] = %+v", log4j)
	}
	if gone := vi["CVE-2020-0001"]; gone.EPSS != 0 || gone.EPSSDate != nil {
		t.Errorf("VulnIntel[unscored] = %+v", gone)
	}
	if v := vi["CVE-2026-0001"]; v.EPSS != 0.5 {
		t.Errorf("VulnIntel[new] = %+v", v)
	}
	changed, err := s.ChangedVulns(ctx(), before, false)
	if err != nil {
		t.Fatal(err)
	}
	// Not log4j: only its percentile moved.
	if d := cmp.Diff([]string{"CVE-1999-0001", "CVE-2020-0001", "CVE-2026-0001"}, changed); d != "" {
		t.Errorf("ChangedVulns (-want +got):\n%s", d)
	}

	// An older day goes into the history only.
	if n, err := s.LoadEPSS(ctx(), day(d0, "v2025.03.14"), scores("CVE-2021-44228", 0.9, 0.99, "CVE-1999-0001", 0.03, 0.7)); err != nil || n != 2 {
		t.Fatalf("LoadEPSS(d0) = %d, %v", n, err)
	}
	vi, err = s.VulnIntel(ctx(), []string{"CVE-1999-0001"})
	if err != nil || vi["CVE-1999-0001"].EPSS != 0.02 {
		t.Errorf("VulnIntel after loading an older day = %+v, %v", vi, err)
	}

	for _, tc := range []struct {
		at   time.Time
		want float64
		date time.Time
	}{
		{d0, 0.03, d0}, {d1.AddDate(0, 0, -1), 0.03, d0}, {d1, 0.01151, d1}, {d1.Add(13 * time.Hour), 0.01151, d1}, {d2, 0.02, d2}, {d2.AddDate(1, 0, 0), 0.02, d2},
	} {
		got, err := s.EPSSAt(ctx(), "CVE-1999-0001", tc.at)
		if err != nil || got.EPSS != tc.want || !got.Date.Equal(tc.date) || got.ModelVersion != "v2025.03.14" {
			t.Errorf("EPSSAt(%s) = %+v, %v; want %v on %s", tc.at, got, err, tc.want, tc.date.Format("2006-01-02"))
		}
	}
	if _, err := s.EPSSAt(ctx(), "CVE-1999-0001", d0.AddDate(0, 0, -1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EPSSAt(before history) = %v, want ErrNotFound", err)
	}
	if _, err := s.EPSSAt(ctx(), "CVE-2000-9999", d2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EPSSAt(unknown) = %v, want ErrNotFound", err)
	}
	hist, err := s.EPSSHistory(ctx(), "CVE-1999-0001", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.EPSSScore{
		{VulnID: "CVE-1999-0001", EPSS: 0.03, Percentile: 0.7, Date: d0, ModelVersion: "v2025.03.14"},
		{VulnID: "CVE-1999-0001", EPSS: 0.01151, Percentile: 0.78086, Date: d1, ModelVersion: "v2025.03.14"},
		{VulnID: "CVE-1999-0001", EPSS: 0.02, Percentile: 0.8, Date: d2, ModelVersion: "v2025.03.14"},
	}
	if d := cmp.Diff(want, hist); d != "" {
		t.Errorf("EPSSHistory (-want +got):\n%s", d)
	}
	if hist, err := s.EPSSHistory(ctx(), "CVE-1999-0001", d1, d1); err != nil || len(hist) != 1 {
		t.Errorf("EPSSHistory(d1..d1) = %v, %v", hist, err)
	}

	// Loading a day again replaces it.
	if n, err := s.LoadEPSS(ctx(), day(d1, "v2025.03.14"), scores("CVE-1999-0001", 0.011, 0.78)); err != nil || n != 1 {
		t.Fatalf("LoadEPSS(d1) again = %d, %v", n, err)
	}
	// CVE-2020-0001 was scored on d1 only, and the new d1 lacks it.
	if got, err := s.EPSSAt(ctx(), "CVE-2020-0001", d1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EPSSAt(CVE-2020-0001, d1) after reload = %+v, %v; want ErrNotFound", got, err)
	}
	days, err := s.EPSSDays(ctx())
	if err != nil {
		t.Fatal(err)
	}
	wantDays := []store.EPSSDay{
		{Date: d2, ScoredAt: d2.Add(12*time.Hour + 55*time.Minute), ModelVersion: "v2025.03.14", Rows: 3, SHA256: "sha-0130"},
		{Date: d1, ScoredAt: d1.Add(12*time.Hour + 55*time.Minute), ModelVersion: "v2025.03.14", Rows: 1, SHA256: "sha-0129"},
		{Date: d0, ScoredAt: d0.Add(12*time.Hour + 55*time.Minute), ModelVersion: "v2025.03.14", Rows: 2, SHA256: "sha-0828"},
	}
	if d := cmp.Diff(wantDays, days, cmpopts.IgnoreFields(store.EPSSDay{}, "LoadedAt")); d != "" {
		t.Errorf("EPSSDays (-want +got):\n%s", d)
	}
}

func testEPSSRollback(t *testing.T, s store.IntelStore) {
	d := date("2026-01-30")
	const n = 4321 // several statements on either backend's batch size
	many := func(fail bool) iter.Seq2[store.EPSSScore, error] {
		return func(yield func(store.EPSSScore, error) bool) {
			for i := range n {
				if !yield(store.EPSSScore{VulnID: fmt.Sprintf("CVE-2020-%05d", i), EPSS: float64(i) / n, Percentile: float64(i) / n}, nil) {
					return
				}
			}
			if fail {
				yield(store.EPSSScore{}, errors.New("line 4324: malformed"))
			}
		}
	}
	if _, err := s.LoadEPSS(ctx(), store.EPSSDay{Date: d, ModelVersion: "m"}, many(true)); err == nil {
		t.Fatal("LoadEPSS with a failing iterator succeeded")
	}
	if days, err := s.EPSSDays(ctx()); err != nil || len(days) != 0 {
		t.Fatalf("EPSSDays after failed load = %v, %v", days, err)
	}
	if vi, err := s.VulnIntel(ctx(), []string{"CVE-2020-00001"}); err != nil || len(vi) != 0 {
		t.Fatalf("VulnIntel after failed load = %v, %v", vi, err)
	}
	got, err := s.LoadEPSS(ctx(), store.EPSSDay{Date: d, ModelVersion: "m"}, many(false))
	if err != nil || got != n {
		t.Fatalf("LoadEPSS = %d, %v; want %d", got, err, n)
	}
	sc, err := s.EPSSAt(ctx(), "CVE-2020-04320", d)
	if err != nil || sc.EPSS != 4320.0/n {
		t.Errorf("EPSSAt(last row) = %+v, %v", sc, err)
	}
	// A CVE repeated in a day keeps its first score.
	dup := scores("CVE-2021-0001", 0.1, 0.5, "CVE-2021-0001", 0.2, 0.6)
	if got, err := s.LoadEPSS(ctx(), store.EPSSDay{Date: d.AddDate(0, 0, 1)}, dup); err != nil || got != 1 {
		t.Errorf("LoadEPSS(duplicate) = %d, %v; want 1", got, err)
	}
	if _, err := s.LoadEPSS(ctx(), store.EPSSDay{}, scores()); err == nil {
		t.Error("LoadEPSS without a date succeeded")
	}
}

func log4jRecord() store.CVERecord {
	ts := time.Date(2025, 2, 4, 14, 25, 34, 416117000, time.UTC)
	return store.CVERecord{
		ID: "CVE-2021-44228", SourceIdentifier: "security@apache.org",
		Published:    time.Date(2021, 12, 10, 10, 15, 9, 143000000, time.UTC),
		LastModified: time.Date(2026, 6, 17, 4, 12, 5, 460000000, time.UTC),
		Status:       "Analyzed", Description: "Apache Log4j2 JNDI features ...",
		CVSS: []store.CVSSMetric{
			{Source: "nvd@nist.gov", Type: "Primary", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10, Severity: "CRITICAL"},
			{Source: "134c704f-9b21-4f2e-91b3-4a467353bcc0", Type: "Secondary", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10, Severity: "CRITICAL"},
			{Source: "nvd@nist.gov", Type: "Primary", Version: "2.0", Vector: "AV:N/AC:M/Au:N/C:C/I:C/A:C", Score: 9.3, Severity: "HIGH"},
		},
		SSVC: &store.SSVC{Source: "134c704f-9b21-4f2e-91b3-4a467353bcc0", Role: "CISA Coordinator", Version: "2.0.3", Timestamp: ts,
			Exploitation: "active", Automatable: "yes", TechnicalImpact: "total"},
		CWEs:           []string{"CWE-20", "CWE-400", "CWE-502", "CWE-917"},
		ExploitRefs:    []string{"http://packetstormsecurity.com/files/165261/Apache-Log4j2-2.14.1-Information-Disclosure.html"},
		CISAExploitAdd: datePtr("2021-12-10"), CISAActionDue: datePtr("2021-12-24"),
		CISARequiredAction: "Apply updates.", CISAVulnerabilityName: "Apache Log4j2 Remote Code Execution Vulnerability",
	}
}

func testCVERecords(t *testing.T, s store.IntelStore) {
	rec := log4jRecord()
	plain := store.CVERecord{ID: "CVE-1999-0001", Status: "Modified", LastModified: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)}
	n, err := s.UpsertCVEs(ctx(), store.Records([]store.CVERecord{rec, plain}))
	if err != nil || n != 2 {
		t.Fatalf("UpsertCVEs = %d, %v", n, err)
	}
	got, err := s.CVERecords(ctx(), []string{rec.ID, plain.ID, "CVE-2000-0000"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]store.CVERecord{rec.ID: rec, plain.ID: plain}, got); d != "" {
		t.Errorf("CVERecords (-want +got):\n%s", d)
	}
	vi, err := s.VulnIntel(ctx(), []string{rec.ID})
	if err != nil {
		t.Fatal(err)
	}
	v := vi[rec.ID]
	wantCVSS := []model.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10}, {Version: "2.0", Vector: "AV:N/AC:M/Au:N/C:C/I:C/A:C", Score: 9.3}}
	if d := cmp.Diff(wantCVSS, v.CVSS); d != "" {
		t.Errorf("VulnIntel CVSS (-want +got):\n%s", d)
	}
	if v.SSVCExploitation != "active" || v.SSVCAutomatable != "yes" || v.SSVCTechImpact != "total" || len(v.ExploitReferences) != 1 || v.KEV {
		t.Errorf("VulnIntel = %+v", v)
	}

	// An older record is ignored; a newer one replaces.
	old := rec
	old.LastModified = rec.LastModified.AddDate(-1, 0, 0)
	old.SSVC = nil
	if n, err := s.UpsertCVEs(ctx(), store.Records([]store.CVERecord{old})); err != nil || n != 0 {
		t.Fatalf("UpsertCVEs(older) = %d, %v; want 0", n, err)
	}
	newer := rec
	newer.LastModified = rec.LastModified.Add(time.Hour)
	newer.SSVC = &store.SSVC{Exploitation: "poc", Automatable: "no", TechnicalImpact: "partial"}
	if n, err := s.UpsertCVEs(ctx(), store.Records([]store.CVERecord{newer})); err != nil || n != 1 {
		t.Fatalf("UpsertCVEs(newer) = %d, %v; want 1", n, err)
	}
	vi, err = s.VulnIntel(ctx(), []string{rec.ID})
	if err != nil || vi[rec.ID].SSVCExploitation != "poc" || vi[rec.ID].SSVCTechImpact != "partial" {
		t.Errorf("VulnIntel after newer record = %+v, %v", vi, err)
	}
	// A bad record fails the batch and changes nothing.
	bad := []store.CVERecord{{ID: "CVE-2024-0001", LastModified: time.Now()}, {ID: ""}}
	if _, err := s.UpsertCVEs(ctx(), store.Records(bad)); err == nil {
		t.Error("UpsertCVEs with an empty id succeeded")
	}
	if got, err := s.CVERecords(ctx(), []string{"CVE-2024-0001"}); err != nil || len(got) != 0 {
		t.Errorf("CVERecords after failed batch = %v, %v", got, err)
	}
}

func testFeedSyncs(t *testing.T, s store.IntelStore) {
	st, err := s.FeedStatus(ctx())
	if err != nil || len(st) != 3 || st[0].Feed != store.FeedKEV || st[0].LastSync != nil || !st[1].AsOf.IsZero() {
		t.Fatalf("FeedStatus on an empty store = %+v, %v", st, err)
	}
	if _, err := s.LastFeedSync(ctx(), store.FeedKEV, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LastFeedSync on an empty store = %v", err)
	}
	src := "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	ok := store.FeedSync{Feed: store.FeedKEV, Source: src, FetchedAt: t0, Version: "2025.08.25", ETag: `"abc"`,
		LastModified: "Mon, 25 Aug 2025 17:05:00 GMT", Rows: 1404, SHA256: "901b1f227941a387", Outcome: store.SyncLoaded}
	id, err := s.RecordFeedSync(ctx(), ok)
	if err != nil || id == 0 {
		t.Fatalf("RecordFeedSync = %d, %v", id, err)
	}
	failed := store.FeedSync{Feed: store.FeedKEV, Source: src, FetchedAt: t0.Add(time.Hour), Outcome: store.SyncFailed, Error: "cannot reach www.cisa.gov"}
	if _, err := s.RecordFeedSync(ctx(), failed); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordFeedSync(ctx(), store.FeedSync{Feed: store.FeedKEV}); err == nil {
		t.Error("RecordFeedSync without an outcome succeeded")
	}
	got, err := s.LastFeedSync(ctx(), store.FeedKEV, src)
	ok.ID = id
	if d := cmp.Diff(ok, got); err != nil || d != "" {
		t.Errorf("LastFeedSync (-want +got):\n%s%v", d, err)
	}
	if _, err := s.LastFeedSync(ctx(), store.FeedKEV, "/offline/kev.json"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LastFeedSync(other source) = %v, want ErrNotFound", err)
	}
	if _, _, err := s.LoadKEV(ctx(), store.KEVCatalog{Version: "2025.08.25", Released: t0, Entries: []store.KEVEntry{kevEntry("CVE-2021-0001", "2021-11-03", false)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadEPSS(ctx(), store.EPSSDay{Date: date("2026-01-30"), ModelVersion: "v2025.03.14"}, scores("CVE-2021-0001", 0.5, 0.9)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpsertCVEs(ctx(), store.Records([]store.CVERecord{log4jRecord()})); err != nil {
		t.Fatal(err)
	}
	st, err = s.FeedStatus(ctx())
	if err != nil {
		t.Fatal(err)
	}
	kev, epss, nvd := st[0], st[1], st[2]
	if kev.Version != "2025.08.25" || !kev.AsOf.Equal(t0) || kev.Rows != 1 || kev.History != 1 ||
		kev.LastSync == nil || kev.LastSync.Outcome != store.SyncFailed || kev.LastSuccess == nil || kev.LastSuccess.ID != id {
		t.Errorf("FeedStatus kev = %+v", kev)
	}
	if epss.Version != "v2025.03.14" || !epss.AsOf.Equal(date("2026-01-30")) || epss.Rows != 1 || epss.History != 1 || epss.LastSync != nil {
		t.Errorf("FeedStatus epss = %+v", epss)
	}
	if nvd.Rows != 1 || !nvd.AsOf.Equal(log4jRecord().LastModified) {
		t.Errorf("FeedStatus nvd = %+v", nvd)
	}
}

func testChangedVulns(t *testing.T, s store.Store, is store.IntelStore) {
	_, asset := seed(t, s, "web01", model.Identifier{Kind: model.IDHostname, Value: "web01"})
	importOnce(t, s, "scanner-a", asset, t0, finding(asset, "k1", "openssl")) // CVE-2024-0001
	since := mark()
	if _, err := is.LoadEPSS(ctx(), store.EPSSDay{Date: date("2026-01-30")},
		scores("CVE-2024-0001", 0.5, 0.9, "CVE-2024-0002", 0.1, 0.5)); err != nil {
		t.Fatal(err)
	}
	all, err := is.ChangedVulns(ctx(), since, false)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := is.ChangedVulns(ctx(), since, true)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"CVE-2024-0001", "CVE-2024-0002"}, all); d != "" {
		t.Errorf("ChangedVulns(all) (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"CVE-2024-0001"}, mine); d != "" {
		t.Errorf("ChangedVulns(in findings) (-want +got):\n%s", d)
	}
	if later, err := is.ChangedVulns(ctx(), time.Now().Add(time.Hour), false); err != nil || len(later) != 0 {
		t.Errorf("ChangedVulns(future) = %v, %v", later, err)
	}
}

// testConcurrentLoads: replicas loading the same feed at once (several
// `ctem serve` on one PostgreSQL) neither fail nor double-count.
func testConcurrentLoads(t *testing.T, s store.IntelStore) {
	cat := store.KEVCatalog{Version: "2025.08.25", Released: t0, Entries: []store.KEVEntry{
		kevEntry("CVE-2021-0001", "2021-11-03", false), kevEntry("CVE-2021-0002", "2021-11-03", true)}}
	d := store.EPSSDay{Date: date("2026-01-30"), ModelVersion: "v2025.03.14"}
	const n = 4
	var wg sync.WaitGroup
	added := make([]int, n)
	errs := make([]error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			added[i], _, errs[i] = s.LoadKEV(ctx(), cat)
		}()
		go func() {
			defer wg.Done()
			_, errs[n+i] = s.LoadEPSS(ctx(), d, scores("CVE-2021-0001", 0.1, 0.5, "CVE-2021-0002", 0.2, 0.6))
		}()
	}
	wg.Wait()
	total := 0
	for i := range n {
		total += added[i]
	}
	if err := errors.Join(errs...); err != nil || total != 2 {
		t.Fatalf("concurrent loads: %d added in all, %v", total, err)
	}
	days, err := s.EPSSDays(ctx())
	if err != nil || len(days) != 1 || days[0].Rows != 2 {
		t.Errorf("EPSSDays = %+v, %v", days, err)
	}
	if es, err := s.KEVEntries(ctx(), store.KEVFilter{IncludeRemoved: true}); err != nil || len(es) != 2 {
		t.Errorf("KEVEntries = %+v, %v", es, err)
	}
}
