package storetest

import (
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// RunRescore runs the conformance tests of what rescoring needs of a
// store: bulk priority writes, the narrow and full finding scans with
// every selection, the selection estimate and imported assets.
func RunRescore(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"SetPrioritiesBulk", testSetPrioritiesBulk},
		{"ScanRescoreSelections", testScanRescore},
		{"ScanRescoreNarrowFields", testScanRescoreFields},
		{"ImportedAssets", testImportedAssets},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// vulnFinding is a finding of vuln on assetID.
func vulnFinding(assetID int64, vuln string, n int) store.FindingWrite {
	w := finding(assetID, fmt.Sprintf("vuln|%s|%d", vuln, n), vuln)
	w.Finding.VulnID = vuln
	return w
}

func testSetPrioritiesBulk(t *testing.T, s store.Store) {
	_, a := seed(t, s, "bulk", model.Identifier{Kind: model.IDHostname, Value: "bulk"})
	var ws []store.FindingWrite
	for i := range 1234 {
		ws = append(ws, vulnFinding(a, "CVE-2024-0001", i))
	}
	fps, _ := importOnce(t, s, "scanner-a", a, t0, ws...)
	var ids []int64
	for _, id := range fps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	due := t0.AddDate(0, 0, 30)
	// Out of order, 1234 rows (every statement size), one id twice (the
	// last wins), one without an SLA.
	var ups []store.PriorityUpdate
	for i := len(ids) - 1; i >= 0; i-- {
		u := store.PriorityUpdate{FindingID: ids[i], Band: "P2", Score: 400 + i%200, Explanation: "", Policy: "p/1", DecidedAt: t0, SLADue: &due, Owner: fmt.Sprint("team", i%3)}
		if i == 7 {
			u.SLADue = nil
		}
		ups = append(ups, u)
	}
	ups = append(ups, store.PriorityUpdate{FindingID: ids[0], Band: "P0", Score: 999, Policy: "p/1", DecidedAt: t0.Add(time.Hour), SLADue: &due, Owner: "last"})
	if err := s.SetPriorities(ctx(), ups); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPriorities(ctx(), nil); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		f, err := s.GetFinding(ctx(), id)
		if err != nil {
			t.Fatal(err)
		}
		want := model.Priority{Band: "P2", Score: 400 + i%200, Policy: "p/1", DecidedAt: t0}
		wantOwner, wantDue := fmt.Sprint("team", i%3), &due
		switch i {
		case 0:
			want, wantOwner = model.Priority{Band: "P0", Score: 999, Policy: "p/1", DecidedAt: t0.Add(time.Hour)}, "last"
		case 7:
			wantDue = nil
		}
		if d := cmp.Diff(want, f.Priority); d != "" || f.Owner != wantOwner || !equalTime(f.SLADue, wantDue) {
			t.Fatalf("finding %d (#%d): priority (-want +got):\n%s owner %q due %v", id, i, d, f.Owner, f.SLADue)
		}
	}
}

func equalTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// rescoreEstate is three assets with findings of three CVEs, one fixed
// and one accepted.
type rescoreEstate struct {
	a, b, c int64
	ids     map[string]int64 // by "asset/vuln/n"
	open    []int64          // open finding ids, sorted
}

func newRescoreEstate(t *testing.T, s store.Store) rescoreEstate {
	var e rescoreEstate
	_, e.a = seed(t, s, "a", model.Identifier{Kind: model.IDHostname, Value: "a"})
	_, e.b = seed(t, s, "b", model.Identifier{Kind: model.IDHostname, Value: "b"})
	_, e.c = seed(t, s, "c", model.Identifier{Kind: model.IDHostname, Value: "c"})
	e.ids = map[string]int64{}
	add := func(asset int64, name string, vulns ...string) {
		var ws []store.FindingWrite
		var keys []string
		for i, v := range vulns {
			ws = append(ws, vulnFinding(asset, v, i))
			keys = append(keys, fmt.Sprintf("%s/%s/%d", name, v, i))
		}
		ids, _ := importOnce(t, s, "scanner-a", asset, t0, ws...)
		for i, w := range ws {
			e.ids[keys[i]] = ids[w.Finding.Fingerprint]
		}
	}
	add(e.a, "a", "CVE-1", "CVE-1", "CVE-2", "")
	add(e.b, "b", "CVE-2", "CVE-3", "CVE-3")
	add(e.c, "c", "CVE-1", "CVE-3")
	// c's second import no longer reports its CVE-3: fixed.
	importOnce(t, s, "scanner-a", e.c, t0.Add(time.Hour), vulnFinding(e.c, "CVE-1", 0))
	if err := s.SetFindingStatus(ctx(), e.ids["b/CVE-3/2"], model.StatusAccepted, "compensated"); err != nil {
		t.Fatal(err)
	}
	for k, id := range e.ids {
		if k != "c/CVE-3/1" && k != "b/CVE-3/2" {
			e.open = append(e.open, id)
		}
	}
	slices.Sort(e.open)
	return e
}

// scan runs ScanRescore and returns the ids in the order seen, checking
// batch sizes and that no id comes twice.
func scan(t *testing.T, s store.Store, sel store.RescoreSelection) []int64 {
	t.Helper()
	var ids []int64
	err := s.ScanRescore(ctx(), sel, func(b []model.Finding) error {
		if sel.Batch > 0 && len(b) > sel.Batch {
			t.Errorf("batch of %d, want at most %d", len(b), sel.Batch)
		}
		if len(b) == 0 {
			t.Error("empty batch")
		}
		for _, f := range b {
			if f.Status != model.StatusOpen && f.Status != model.StatusReopened {
				t.Errorf("finding %d is %s", f.ID, f.Status)
			}
			ids = append(ids, f.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(ids) {
		t.Errorf("%+v: ids seen twice: %v", sel, ids)
	}
	return sorted
}

func testScanRescore(t *testing.T, s store.Store) {
	e := newRescoreEstate(t, s)
	ids := func(keys ...string) []int64 {
		var out []int64
		for _, k := range keys {
			out = append(out, e.ids[k])
		}
		slices.Sort(out)
		return out
	}
	lo, hi, err := s.FindingIDBounds(ctx())
	if err != nil || lo != slices.Min(mapValues(e.ids)) || hi != slices.Max(mapValues(e.ids)) {
		t.Fatalf("FindingIDBounds = %d, %d, %v", lo, hi, err)
	}
	cases := []struct {
		name string
		sel  store.RescoreSelection
		want []int64
	}{
		{"all", store.RescoreSelection{All: true}, e.open},
		{"all, lists ignored", store.RescoreSelection{All: true, VulnIDs: []string{"CVE-9"}}, e.open},
		{"vuln", store.RescoreSelection{VulnIDs: []string{"CVE-1"}}, ids("a/CVE-1/0", "a/CVE-1/1", "c/CVE-1/0")},
		{"vulns, closed left out", store.RescoreSelection{VulnIDs: []string{"CVE-3", "CVE-9", "CVE-3"}}, ids("b/CVE-3/1")},
		{"asset", store.RescoreSelection{AssetIDs: []int64{e.a}}, ids("a/CVE-1/0", "a/CVE-1/1", "a/CVE-2/2", "a//3")},
		{"ids", store.RescoreSelection{IDs: []int64{e.ids["b/CVE-2/0"], e.ids["c/CVE-3/1"], e.ids["b/CVE-2/0"]}}, ids("b/CVE-2/0")},
		{"newer", store.RescoreSelection{NewerThan: e.ids["b/CVE-3/1"]}, ids("c/CVE-1/0")},
		{"union", store.RescoreSelection{VulnIDs: []string{"CVE-2"}, AssetIDs: []int64{e.c}, IDs: []int64{e.ids["a/CVE-1/0"], e.ids["a/CVE-2/2"]}},
			ids("a/CVE-2/2", "b/CVE-2/0", "c/CVE-1/0", "a/CVE-1/0")},
		{"nothing", store.RescoreSelection{}, nil},
	}
	for _, tc := range cases {
		for _, mode := range []string{"lookups", "scan", "scan in two", "full", "batch 1"} {
			sel := tc.sel
			switch mode {
			case "scan":
				sel.Scan = true
			case "scan in two":
				sel.Scan, sel.MinID, sel.MaxID = true, lo, (lo+hi)/2
			case "full":
				sel.Full = true
			case "batch 1":
				sel.Batch = 1
			}
			got := scan(t, s, sel)
			if mode == "scan in two" {
				sel.MinID, sel.MaxID = (lo+hi)/2+1, hi
				got = append(got, scan(t, s, sel)...)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("%s, %s: ids (-want +got):\n%s", tc.name, mode, d)
			}
		}
		n, err := s.CountRescore(ctx(), tc.sel)
		if err != nil || n < len(tc.want) {
			t.Errorf("%s: CountRescore = %d, %v; want at least %d", tc.name, n, err, len(tc.want))
		}
	}
	// fn's error stops the scan.
	stop := fmt.Errorf("stop")
	if err := s.ScanRescore(ctx(), store.RescoreSelection{All: true, Batch: 2}, func([]model.Finding) error { return stop }); err == nil {
		t.Error("ScanRescore ignored fn's error")
	}
}

func mapValues(m map[string]int64) []int64 {
	var out []int64
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func testScanRescoreFields(t *testing.T, s store.Store) {
	e := newRescoreEstate(t, s)
	id := e.ids["a/CVE-1/0"]
	decided := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
	due := decided.AddDate(0, 0, 14)
	if err := s.SetPriorities(ctx(), []store.PriorityUpdate{{FindingID: id, Band: "P1", Score: 650, Policy: "p/1", DecidedAt: decided, SLADue: &due, Owner: "payments"}}); err != nil {
		t.Fatal(err)
	}
	// No store method sets validation yet: SQL ($1 suits both backends).
	db, ok := s.(interface{ Writer() *sql.DB })
	if !ok {
		t.Skipf("store %T has no SQL handle", s)
	}
	if _, err := db.Writer().ExecContext(ctx(), "UPDATE findings SET validation = 'exploitable' WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	full, err := s.GetFinding(ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	var narrow, wide model.Finding
	for _, sel := range []store.RescoreSelection{{IDs: []int64{id}}, {IDs: []int64{id}, Full: true}} {
		err := s.ScanRescore(ctx(), sel, func(b []model.Finding) error {
			if len(b) != 1 {
				return fmt.Errorf("%d findings", len(b))
			}
			if sel.Full {
				wide = b[0]
			} else {
				narrow = b[0]
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff(full, wide); d != "" {
		t.Errorf("full scan differs from GetFinding (-get +scan):\n%s", d)
	}
	want := model.Finding{ID: id, AssetID: e.a, Kind: full.Kind, Severity: full.Severity, VulnID: "CVE-1", CVSS: full.CVSS,
		Validation: "exploitable", Status: model.StatusOpen, Owner: "payments", SLADue: &due,
		Priority: model.Priority{Band: "P1", Score: 650, DecidedAt: decided}}
	if d := cmp.Diff(want, narrow); d != "" {
		t.Errorf("narrow scan (-want +got):\n%s", d)
	}
}

func testImportedAssets(t *testing.T, s store.Store) {
	_, a := seed(t, s, "a", model.Identifier{Kind: model.IDHostname, Value: "a"})
	_, b := seed(t, s, "b", model.Identifier{Kind: model.IDHostname, Value: "b"})
	importOnce(t, s, "scanner-a", a, t0, vulnFinding(a, "CVE-1", 0))
	importOnce(t, s, "scanner-b", b, t0, vulnFinding(b, "CVE-1", 0))
	imps, err := s.ListImports(ctx(), store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var last []int64
	for _, im := range imps[len(imps)-2:] {
		last = append(last, im.ID)
	}
	got, err := s.ImportedAssets(ctx(), last)
	if err != nil || !slices.Equal(got, []int64{a, b}) {
		t.Errorf("ImportedAssets(%v) = %v, %v; want [%d %d]", last, got, err, a, b)
	}
	got, err = s.ImportedAssets(ctx(), last[1:])
	if err != nil || !slices.Equal(got, []int64{b}) {
		t.Errorf("ImportedAssets(%v) = %v, %v; want [%d]", last[1:], got, err, b)
	}
	if got, err := s.ImportedAssets(ctx(), nil); err != nil || len(got) != 0 {
		t.Errorf("ImportedAssets(nil) = %v, %v", got, err)
	}
}
