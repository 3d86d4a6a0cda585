// Package storetest is the conformance suite every store backend runs: the
// same tests, against SQLite and PostgreSQL.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// Opener returns a new, empty, migrated store for one test.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Migrations", testMigrations},
		{"FindingIdentityMigration", testFindingIdentityMigration},
		{"EmptyLists", testEmptyLists},
		{"AssetsAndIdentifiers", testAssets},
		{"CreatedAssetsVisible", testCreatedAssetsVisible},
		{"FindingUpsertAndLifecycle", testFindingLifecycle},
		{"UpsertKeepsCreatorFields", testCreatorFields},
		{"FindingTexts", testFindingTexts},
		{"BulkUpsert", testBulkUpsert},
		{"MixedSourceBatch", testMixedSourceBatch},
		{"FreshBatch", testFreshBatch},
		{"ManualStatus", testManualStatus},
		{"FilterAndPaging", testFilterPaging},
		{"RollbackOnError", testRollback},
		{"MergeAndSplit", testMergeSplit},
		{"Settings", testSettings},
		{"ScopesContextPriorities", testContext},
		{"ParallelReadersAndWriters", testParallel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ctx() context.Context { return context.Background() }

func testMigrations(t *testing.T, s store.Store) {
	ms, err := s.MigrationStatus(ctx())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations")
	}
	for _, m := range ms {
		if m.AppliedAt.IsZero() {
			t.Errorf("migration %d %s not applied", m.Version, m.Name)
		}
	}
	// Migrating again is a no-op.
	if err := s.Migrate(ctx()); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx()); err != nil {
		t.Fatal(err)
	}
}

// testFindingIdentityMigration fills a database at the schema before
// migration 3 (findings unique by fingerprint) and migrates it: every row
// and every reference to a finding survives (SQLite rebuilds the table),
// (asset, key) is unique, descriptive texts move to finding_texts, one
// row per distinct text (migration 5), and the migrations go down and up
// again.
func testFindingIdentityMigration(t *testing.T, st store.Store) {
	s, ok := st.(interface {
		MigrateTo(ctx context.Context, version int64) error
		Writer() *sql.DB
	})
	if !ok {
		t.Skip("the store cannot migrate to a version")
	}
	if err := s.MigrateTo(ctx(), 2); err != nil {
		t.Fatal(err)
	}
	db := s.Writer()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO imports (id, source, started_at) VALUES (1, 'trivy', $1)`, t0)
	exec(`INSERT INTO assets (id, kind, name, first_seen, last_seen) VALUES (1, 'host', 'a', $1, $2), (2, 'host', 'b', $3, $4)`, t0, t0, t0, t0)
	for i, f := range []struct {
		asset int64
		key   string
	}{{1, "vuln|CVE-1"}, {1, "vuln|CVE-2"}, {2, "vuln|CVE-1"}} {
		exec(`INSERT INTO findings (id, asset_id, fingerprint, fkey, origin_asset_id, source, kind, title, severity, status,
			first_seen, last_seen, updated_at, priority_band) VALUES ($1, $2, $3, $4, $5, 'trivy', 'vulnerability', $6, 'high', 'open', $7, $8, $9, 'P2')`,
			i+1, f.asset, model.Fingerprint(f.asset, f.key), f.key, f.asset, f.key, t0, t0, t0)
		exec(`INSERT INTO detections (finding_id, source, present, first_seen, last_seen, import_id) VALUES ($1, 'trivy', TRUE, $2, $3, 1)`, i+1, t0, t0)
	}
	exec(`INSERT INTO scope_findings (scope, finding_id) VALUES ('web', 2)`)
	exec(`INSERT INTO exceptions (finding_id, kind, reason, created_at) VALUES (3, 'accepted', 'why', $1)`, t0)

	check := func(stage string) {
		t.Helper()
		var findings, detections, scoped, excepted int
		var band string
		err := db.QueryRowContext(ctx(), `SELECT (SELECT COUNT(*) FROM findings), (SELECT COUNT(*) FROM detections d JOIN findings f ON f.id = d.finding_id),
			(SELECT COUNT(*) FROM scope_findings s JOIN findings f ON f.id = s.finding_id), (SELECT COUNT(*) FROM exceptions e JOIN findings f ON f.id = e.finding_id),
			(SELECT priority_band FROM findings WHERE id = 3)`).Scan(&findings, &detections, &scoped, &excepted, &band)
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		if got, want := []any{findings, detections, scoped, excepted, band}, []any{3, 3, 1, 1, "P2"}; !cmp.Equal(got, want) {
			t.Errorf("%s: findings, joined detections, scope rows, exceptions, band = %v, want %v", stage, got, want)
		}
	}
	// Titles are stored once per distinct text from migration 5 on.
	titles := func(stage string) {
		t.Helper()
		fs, err := st.ListFindings(ctx(), store.FindingFilter{AllStatus: true})
		var got []string
		for _, f := range fs {
			got = append(got, f.Title)
		}
		var texts int
		if err == nil {
			err = db.QueryRowContext(ctx(), "SELECT COUNT(*) FROM finding_texts").Scan(&texts)
		}
		if want := []string{"vuln|CVE-1", "vuln|CVE-2", "vuln|CVE-1"}; err != nil || !cmp.Equal(got, want) || texts != 2 {
			t.Errorf("%s: titles %v, %d texts, %v; want %v, 2 texts", stage, got, texts, err, want)
		}
	}
	if err := st.Migrate(ctx()); err != nil {
		t.Fatal(err)
	}
	check("after migrating up")
	titles("after migrating up")
	_, err := db.ExecContext(ctx(), `INSERT INTO findings (asset_id, fingerprint, fkey, origin_asset_id, source, kind, text_id, severity, status,
		first_seen, last_seen, updated_at) VALUES (1, 'other', 'vuln|CVE-1', 1, 'grype', 'vulnerability', 1, 'high', 'open', $1, $2, $3)`, t0, t0, t0)
	if err == nil {
		t.Error("a second finding of the same asset and key was accepted")
	} else if !strings.Contains(strings.ToLower(err.Error()), "unique") {
		t.Errorf("a second finding of the same asset and key: %v, want a unique constraint error", err)
	}
	if err := s.MigrateTo(ctx(), 2); err != nil {
		t.Fatal(err)
	}
	check("after migrating down")
	var title string
	if err := db.QueryRowContext(ctx(), "SELECT title FROM findings WHERE id = 3").Scan(&title); err != nil || title != "vuln|CVE-1" {
		t.Errorf("after migrating down: title of finding 3 = %q, %v; want vuln|CVE-1", title, err)
	}
	if err := st.Migrate(ctx()); err != nil {
		t.Fatal(err)
	}
	check("after migrating up again")
	titles("after migrating up again")
	// The store works on the migrated data.
	fs, err := st.ListFindings(ctx(), store.FindingFilter{AssetID: 1})
	if err != nil || len(fs) != 2 || fs[0].Fingerprint != model.Fingerprint(1, "vuln|CVE-1") {
		t.Errorf("ListFindings = %v, %v", fs, err)
	}
}

func testEmptyLists(t *testing.T, s store.Store) {
	as, err := s.ListAssets(ctx(), store.AssetFilter{})
	if err != nil || len(as) != 0 {
		t.Fatalf("ListAssets = %v, %v", as, err)
	}
	fs, err := s.ListFindings(ctx(), store.FindingFilter{AllStatus: true})
	if err != nil || len(fs) != 0 {
		t.Fatalf("ListFindings = %v, %v", fs, err)
	}
	if _, err := s.GetFinding(ctx(), 42); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetFinding(42) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetAsset(ctx(), 42); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetAsset(42) = %v, want ErrNotFound", err)
	}
}

// seed creates an import and one asset with identifiers, returning both ids.
func seed(t *testing.T, s store.Store, name string, ids ...model.Identifier) (importID, assetID int64) {
	t.Helper()
	err := s.Ingest(ctx(), func(tx store.IngestTx) error {
		imp := model.Import{Source: "test", StartedAt: t0, File: name}
		if err := tx.BeginImport(ctx(), &imp); err != nil {
			return err
		}
		a := model.Asset{Kind: model.AssetHost, Name: name, Identifiers: ids, Attributes: map[string]string{"os": "linux"}, FirstSeen: t0, LastSeen: t0}
		if err := tx.CreateAsset(ctx(), &a, imp.ID, "new-asset"); err != nil {
			return err
		}
		importID, assetID = imp.ID, a.ID
		imp.FinishedAt = t0
		return tx.FinishImport(ctx(), imp)
	})
	if err != nil {
		t.Fatal(err)
	}
	return importID, assetID
}

// testCreatedAssetsVisible: the store may write created assets later
// than CreateAsset returns (a batch at a time), but every other call of the
// transaction, and its commit, sees them.
func testCreatedAssetsVisible(t *testing.T, s store.Store) {
	_, first := seed(t, s, "first", model.Identifier{Kind: model.IDHostname, Value: "first"})
	hostname := func(i int) model.Identifier {
		return model.Identifier{Kind: model.IDHostname, Value: fmt.Sprint("h", i)}
	}
	var created []int64
	err := s.Ingest(ctx(), func(tx store.IngestTx) error {
		imp := model.Import{Source: "test", StartedAt: t0}
		if err := tx.BeginImport(ctx(), &imp); err != nil {
			return err
		}
		// More than one block of reserved ids and one multi-row statement.
		for i := range 300 {
			a := model.Asset{Kind: model.AssetHost, Name: fmt.Sprint("h", i), Identifiers: []model.Identifier{hostname(i)},
				Attributes: map[string]string{"os": "linux"}, FirstSeen: t0, LastSeen: t0}
			if err := tx.CreateAsset(ctx(), &a, imp.ID, "new-asset"); err != nil {
				return err
			}
			if a.ID <= first || slices.Contains(created, a.ID) {
				t.Errorf("asset %d: id %d, after %d and %v", i, a.ID, first, created)
			}
			created = append(created, a.ID)
			if i == 10 {
				recs, err := tx.LookupIdentifiers(ctx(), []model.Identifier{hostname(10)})
				if err != nil || len(recs) != 1 || recs[0].AssetID != a.ID {
					t.Errorf("LookupIdentifiers of a just-created asset = %+v, %v; want asset %d", recs, err, a.ID)
				}
				as, err := tx.LoadAssets(ctx(), []int64{a.ID})
				if err != nil || len(as) != 1 || as[0].Name != "h10" || len(as[0].Identifiers) != 1 {
					t.Errorf("LoadAssets of a just-created asset = %+v, %v", as, err)
				}
			}
		}
		// A finding on the last asset, which nothing has written yet.
		last := created[len(created)-1]
		if _, err := tx.UpsertFindings(ctx(), []store.FindingWrite{finding(last, "k", "t")}, t0); err != nil {
			return err
		}
		// The last assets are written by the commit alone.
		a := model.Asset{Kind: model.AssetHost, Name: "h300", Identifiers: []model.Identifier{hostname(300)}, FirstSeen: t0, LastSeen: t0}
		if err := tx.CreateAsset(ctx(), &a, imp.ID, "new-asset"); err != nil {
			return err
		}
		created = append(created, a.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	as, err := s.ListAssets(ctx(), store.AssetFilter{Page: store.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	names := map[int64]string{}
	for _, a := range as {
		if len(a.Identifiers) == 1 {
			names[a.ID] = a.Identifiers[0].Value
		}
	}
	for i, id := range created {
		if want := fmt.Sprint("h", i); names[id] != want {
			t.Errorf("asset %d: identifier %q, want %q", id, names[id], want)
		}
	}
	fs, err := s.ListFindings(ctx(), store.FindingFilter{AssetID: created[299]})
	if err != nil || len(fs) != 1 || fs[0].AssetName != "h299" {
		t.Errorf("findings of asset h299 = %+v, %v", fs, err)
	}
}

func testAssets(t *testing.T, s store.Store) {
	ip := model.Identifier{Kind: model.IDIPv4, Value: "10.0.0.1"}
	hn := model.Identifier{Kind: model.IDHostname, Value: "web01"}
	_, id := seed(t, s, "web01", hn, ip)
	got, err := s.GetAsset(ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := model.Asset{ID: id, Kind: model.AssetHost, Name: "web01", Identifiers: []model.Identifier{hn, ip},
		Attributes: map[string]string{"os": "linux"}, FirstSeen: t0, LastSeen: t0}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("GetAsset (-want +got):\n%s", d)
	}
	err = s.Ingest(ctx(), func(tx store.IngestTx) error {
		recs, err := tx.LookupIdentifiers(ctx(), []model.Identifier{ip, {Kind: model.IDIPv4, Value: "10.9.9.9"}})
		if err != nil {
			return err
		}
		if len(recs) != 1 || recs[0].AssetID != id || recs[0].Rule != "new-asset" {
			return fmt.Errorf("LookupIdentifiers = %+v", recs)
		}
		return tx.AddIdentifiers(ctx(), id, []model.Identifier{ip, {Kind: model.IDMAC, Value: "aa:bb:cc:dd:ee:ff"}}, 0, "shared-ip", t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.AssetHistory(ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Identifiers) != 3 || h.Identifiers[2].Rule != "shared-ip" {
		t.Errorf("history = %+v", h)
	}
	if n, err := s.CountAssets(ctx(), store.AssetFilter{Kind: model.AssetHost}); err != nil || n != 1 {
		t.Errorf("CountAssets = %d, %v", n, err)
	}
}

func finding(assetID int64, key, title string) store.FindingWrite {
	f := model.Finding{AssetID: assetID, Fingerprint: model.Fingerprint(assetID, key), Kind: model.KindVulnerability, Title: title,
		Severity: model.SevHigh, VulnID: "CVE-2024-0001", Aliases: []string{"GHSA-xxxx-yyyy-zzzz"}, CWEs: []int{79},
		CVSS:      []model.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}},
		Component: model.Component{Name: "openssl", Version: "3.0.1", FixedVersion: "3.0.13"},
		Location:  model.Location{Port: 443, Protocol: "tcp"}, References: []string{"https://example.test/a"}}
	return store.FindingWrite{Finding: f, Key: key, Source: "scanner-a", ContentHash: title}
}

// testMixedSourceBatch writes one batch of findings and one of detections
// from two sources (the SQLite store writes a batch's one source as a
// literal; two must be bound), large enough for the bulk paths, with
// sources that need quoting.
func testMixedSourceBatch(t *testing.T, s store.Store) {
	_, asset := seed(t, s, "h", model.Identifier{Kind: model.IDHostname, Value: "h"})
	sources := []string{"scanner-a", "o'brien:scan"}
	var ws []store.FindingWrite
	for i := range 200 {
		w := finding(asset, fmt.Sprint("k", i), fmt.Sprint("t", i))
		w.Source = sources[i%2]
		ws = append(ws, w)
	}
	err := s.Ingest(ctx(), func(tx store.IngestTx) error {
		imp := model.Import{Source: "mixed", StartedAt: t0}
		if err := tx.BeginImport(ctx(), &imp); err != nil {
			return err
		}
		ids, err := tx.UpsertFindings(ctx(), ws, t0)
		if err != nil {
			return err
		}
		var ds []store.DetectionWrite
		for i, w := range ws {
			ds = append(ds, store.DetectionWrite{FindingID: ids[w.Finding.Fingerprint], Source: sources[(i+1)%2], ToolID: "T", Severity: "High"})
		}
		return tx.UpsertDetections(ctx(), ds, imp.ID, t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := s.ListFindings(ctx(), store.FindingFilter{AssetID: asset})
	if err != nil || len(fs) != 200 {
		t.Fatalf("ListFindings = %d findings, %v", len(fs), err)
	}
	for _, f := range fs {
		i := 0
		fmt.Sscanf(f.Title, "t%d", &i)
		if got, want := f.Sources, []string{sources[(i+1)%2]}; !cmp.Equal(got, want) {
			t.Fatalf("finding %q: sources %v, want %v (its detection's)", f.Title, got, want)
		}
		if !f.FirstSeen.Equal(t0) {
			t.Fatalf("finding %q: first seen %v, want %v", f.Title, f.FirstSeen, t0)
		}
	}
	var creators map[string]int
	err = s.Ingest(ctx(), func(tx store.IngestTx) error {
		creators = map[string]int{}
		states, err := tx.AssetFindingStates(ctx(), sources[0], []int64{asset})
		for _, st := range states {
			creators[st.Source]++
		}
		return err
	})
	if want := map[string]int{sources[0]: 100, sources[1]: 100}; err != nil || !cmp.Equal(creators, want) {
		t.Errorf("findings by creating source = %v, %v; want %v", creators, err, want)
	}
}

// testFreshBatch writes batches the caller marks fresh (no finding or
// detection of theirs is stored), which PostgreSQL copies straight into
// the tables: the ids returned are the stored ones, and a later upsert of
// the same findings updates them.
func testFreshBatch(t *testing.T, s store.Store) {
	_, asset := seed(t, s, "h", model.Identifier{Kind: model.IDHostname, Value: "h"})
	var ws []store.FindingWrite
	for i := range 100 {
		w := finding(asset, fmt.Sprint("k", i), fmt.Sprint("t", i))
		w.Fresh = true
		ws = append(ws, w)
	}
	var ids map[string]int64
	err := s.Ingest(ctx(), func(tx store.IngestTx) error {
		imp := model.Import{Source: "scanner-a", StartedAt: t0}
		if err := tx.BeginImport(ctx(), &imp); err != nil {
			return err
		}
		var err error
		if ids, err = tx.UpsertFindings(ctx(), ws, t0); err != nil {
			return err
		}
		var ds []store.DetectionWrite
		for _, w := range ws {
			ds = append(ds, store.DetectionWrite{FindingID: ids[w.Finding.Fingerprint], Source: "scanner-a", ToolID: "T", Fresh: true})
		}
		return tx.UpsertDetections(ctx(), ds, imp.ID, t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := s.ListFindings(ctx(), store.FindingFilter{AssetID: asset})
	if err != nil || len(fs) != 100 {
		t.Fatalf("ListFindings = %d findings, %v", len(fs), err)
	}
	for _, f := range fs {
		if ids[f.Fingerprint] != f.ID || !cmp.Equal(f.Sources, []string{"scanner-a"}) {
			t.Fatalf("finding %s: id %d, upsert said %d; sources %v", f.Fingerprint, f.ID, ids[f.Fingerprint], f.Sources)
		}
	}
	for i := range ws {
		ws[i].Fresh, ws[i].Finding.Title = false, "again"
	}
	again, _ := importOnce(t, s, "scanner-a", asset, t0.Add(time.Hour), ws...)
	if !cmp.Equal(again, ids) {
		t.Errorf("the upsert after a fresh batch returned other ids")
	}
	if n, err := s.CountFindings(ctx(), store.FindingFilter{AllStatus: true}); n != 100 || err != nil {
		t.Errorf("CountFindings = %d, %v; want 100", n, err)
	}
}

// importOnce writes findings and their detections for one source the way
// the pipeline does, and applies the coverage rule to assetID.
func importOnce(t *testing.T, s store.Store, source string, assetID int64, at time.Time, ws ...store.FindingWrite) (ids map[string]int64, fixed int) {
	t.Helper()
	err := s.Ingest(ctx(), func(tx store.IngestTx) error {
		imp := model.Import{Source: source, StartedAt: at}
		if err := tx.BeginImport(ctx(), &imp); err != nil {
			return err
		}
		for i := range ws {
			ws[i].Source = source
		}
		var err error
		ids, err = tx.UpsertFindings(ctx(), ws, at)
		if err != nil {
			return err
		}
		seen := map[int64]bool{}
		var ds []store.DetectionWrite
		var reopen []int64
		states, err := tx.FindingStates(ctx(), source, findingKeys(ws))
		if err != nil {
			return err
		}
		for fp, id := range ids {
			seen[id] = true
			ds = append(ds, store.DetectionWrite{FindingID: id, Source: source, ToolID: "T-" + fp[:4], Severity: "High", ContentHash: "h"})
			if states[fp].Status == model.StatusFixed {
				reopen = append(reopen, id)
			}
		}
		if err := tx.UpsertDetections(ctx(), ds, imp.ID, at); err != nil {
			return err
		}
		if err := tx.ReopenFindings(ctx(), reopen, at); err != nil {
			return err
		}
		var absent []int64
		if err := tx.PresentDetections(ctx(), source, []int64{assetID}, func(d, f int64) error {
			if !seen[f] {
				absent = append(absent, d)
			}
			return nil
		}); err != nil {
			return err
		}
		if fixed, err = tx.MarkAbsent(ctx(), absent, imp.ID, at); err != nil {
			return err
		}
		return tx.SetCoverage(ctx(), source, []int64{assetID}, imp.ID, at)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, fixed
}

// findingKeys are the identities of ws.
func findingKeys(ws []store.FindingWrite) []store.FindingKey {
	out := make([]store.FindingKey, len(ws))
	for i, w := range ws {
		out[i] = store.FindingKey{AssetID: w.Finding.AssetID, Key: w.Key}
	}
	return out
}

func testFindingLifecycle(t *testing.T, s store.Store) {
	_, asset := seed(t, s, "web01", model.Identifier{Kind: model.IDHostname, Value: "web01"})
	a, b := finding(asset, "vuln|CVE-2024-0001", "first"), finding(asset, "vuln|CVE-2024-0002", "second")
	ids, fixed := importOnce(t, s, "scanner-a", asset, t0, a, b)
	if len(ids) != 2 || fixed != 0 {
		t.Fatalf("first import: ids %v fixed %d", ids, fixed)
	}
	got, err := s.GetFinding(ctx(), ids[a.Finding.Fingerprint])
	if err != nil {
		t.Fatal(err)
	}
	want := a.Finding
	want.ID, want.AssetName, want.Status, want.FirstSeen, want.LastSeen, want.Sources = got.ID, "web01", model.StatusOpen, t0, t0, []string{"scanner-a"}
	want.Validation = model.ValidationUnknown
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("GetFinding (-want +got):\n%s", d)
	}
	// A second source reports the same finding: one finding, two detections.
	t1 := t0.Add(time.Hour)
	importOnce(t, s, "scanner-b", asset, t1, finding(asset, "vuln|CVE-2024-0001", "other title"))
	dets, err := s.FindingDetections(ctx(), got.ID)
	if err != nil || len(dets) != 2 {
		t.Fatalf("detections = %+v, %v", dets, err)
	}
	// Source A no longer sees b: b is fixed; a is still seen by B and A.
	t2 := t1.Add(time.Hour)
	_, fixed = importOnce(t, s, "scanner-a", asset, t2, finding(asset, "vuln|CVE-2024-0001", "first"))
	if fixed != 1 {
		t.Errorf("fixed = %d, want 1", fixed)
	}
	fb, _ := s.GetFinding(ctx(), ids[b.Finding.Fingerprint])
	if fb.Status != model.StatusFixed || fb.FixedAt == nil || !fb.FixedAt.Equal(t2) {
		t.Errorf("b = %s fixed at %v, want fixed at %v", fb.Status, fb.FixedAt, t2)
	}
	fa, _ := s.GetFinding(ctx(), ids[a.Finding.Fingerprint])
	if fa.Status != model.StatusOpen || !fa.LastSeen.Equal(t2) {
		t.Errorf("a = %s last seen %v, want open, %v", fa.Status, fa.LastSeen, t2)
	}
	// A sees b again: reopened.
	t3 := t2.Add(time.Hour)
	importOnce(t, s, "scanner-a", asset, t3, finding(asset, "vuln|CVE-2024-0001", "first"), finding(asset, "vuln|CVE-2024-0002", "second"))
	fb, _ = s.GetFinding(ctx(), ids[b.Finding.Fingerprint])
	if fb.Status != model.StatusReopened || fb.ReopenCount != 1 || fb.FixedAt != nil {
		t.Errorf("b = %s reopen %d fixed %v, want reopened once", fb.Status, fb.ReopenCount, fb.FixedAt)
	}
	n, err := s.CountFindings(ctx(), store.FindingFilter{})
	if err != nil || n != 2 {
		t.Errorf("open findings = %d, %v", n, err)
	}
}

func testCreatorFields(t *testing.T, s store.Store) {
	_, asset := seed(t, s, "h", model.Identifier{Kind: model.IDHostname, Value: "h"})
	ids, _ := importOnce(t, s, "scanner-a", asset, t0, finding(asset, "k", "from A"))
	importOnce(t, s, "scanner-b", asset, t0, finding(asset, "k", "from B"))
	f, _ := s.GetFinding(ctx(), ids[model.Fingerprint(asset, "k")])
	if f.Title != "from A" {
		t.Errorf("title = %q, want the creating source's", f.Title)
	}
	importOnce(t, s, "scanner-a", asset, t0, finding(asset, "k", "from A, updated"))
	f, _ = s.GetFinding(ctx(), f.ID)
	if f.Title != "from A, updated" {
		t.Errorf("title = %q, want the creator's update", f.Title)
	}
}

// testFindingTexts: findings with the same descriptive text share one
// stored copy, across batches, imports and assets; any difference (even
// characters moved from one field to the next) is another text; a finding
// whose text changes refers to the new one.
func testFindingTexts(t *testing.T, s store.Store) {
	db, ok := s.(interface{ Writer() *sql.DB })
	if !ok {
		t.Skip("the store has no SQL handle")
	}
	texts := func() (n int) {
		t.Helper()
		if err := db.Writer().QueryRowContext(ctx(), "SELECT COUNT(*) FROM finding_texts").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	_, a := seed(t, s, "a", model.Identifier{Kind: model.IDHostname, Value: "a"})
	_, b := seed(t, s, "b", model.Identifier{Kind: model.IDHostname, Value: "b"})
	with := func(asset int64, key, title, description string) store.FindingWrite {
		w := finding(asset, key, title)
		w.Finding.Description, w.Finding.Remediation = description, "Upgrade openssl."
		w.ContentHash = title + "/" + description
		return w
	}
	// 64 findings per asset: past the bulk paths' threshold.
	batch := func(asset int64) []store.FindingWrite {
		var ws []store.FindingWrite
		for i := range 64 {
			ws = append(ws, with(asset, fmt.Sprint("k", i), "Shared", "One text"))
		}
		return append(ws, with(asset, "ab", "ab", "c"), with(asset, "a", "a", "bc"))
	}
	ids, _ := importOnce(t, s, "scanner-a", a, t0, batch(a)...)
	importOnce(t, s, "scanner-a", b, t0, batch(b)...)
	if n := texts(); n != 3 {
		t.Errorf("after two imports of 66 findings with 3 distinct texts: %d texts stored, want 3", n)
	}
	f, err := s.GetFinding(ctx(), ids[model.Fingerprint(a, "k7")])
	want := []string{"Shared", "One text", "Upgrade openssl.", "https://example.test/a"}
	if got := []string{f.Title, f.Description, f.Remediation, strings.Join(f.References, " ")}; err != nil || !cmp.Equal(got, want) {
		t.Errorf("finding k7: title, description, remediation, references = %q, %v; want %q", got, err, want)
	}
	f, err = s.GetFinding(ctx(), ids[model.Fingerprint(a, "a")])
	if err != nil || f.Title != "a" || f.Description != "bc" {
		t.Errorf("finding a: %q / %q, %v; want a / bc", f.Title, f.Description, err)
	}

	ws := batch(a)
	ws[7] = with(a, "k7", "Shared", "One text, revised")
	importOnce(t, s, "scanner-a", a, t0.Add(time.Hour), ws...)
	if n := texts(); n != 4 {
		t.Errorf("after one finding's text changed: %d texts stored, want 4", n)
	}
	fs, err := s.ListFindings(ctx(), store.FindingFilter{AssetID: a})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range fs {
		got[f.Title+" / "+f.Description]++
	}
	if want := map[string]int{"Shared / One text": 63, "Shared / One text, revised": 1, "ab / c": 1, "a / bc": 1}; !cmp.Equal(got, want) {
		t.Errorf("texts of asset a's findings = %v, want %v", got, want)
	}
}

// testBulkUpsert writes batches large enough for the backends' bulk paths,
// mixing new findings with existing ones whose creator changed them.
func testBulkUpsert(t *testing.T, s store.Store) {
	_, asset := seed(t, s, "h", model.Identifier{Kind: model.IDHostname, Value: "h"})
	batch := func(lo, hi int, title string) []store.FindingWrite {
		var ws []store.FindingWrite
		for i := lo; i < hi; i++ {
			ws = append(ws, finding(asset, fmt.Sprint("k", i), fmt.Sprint(title, i)))
		}
		return ws
	}
	first, _ := importOnce(t, s, "scanner-a", asset, t0, batch(0, 300, "v1 ")...)
	second, fixed := importOnce(t, s, "scanner-a", asset, t0.Add(time.Hour), batch(150, 450, "v2 ")...)
	if len(first) != 300 || len(second) != 300 || fixed != 150 {
		t.Fatalf("ids %d and %d, fixed %d; want 300, 300, 150", len(first), len(second), fixed)
	}
	fs, err := s.ListFindings(ctx(), store.FindingFilter{AllStatus: true, AssetID: asset})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fs {
		got[f.Fingerprint] = fmt.Sprint(f.Title, " ", f.Status)
		if id, ok := first[f.Fingerprint]; ok && id != f.ID {
			t.Errorf("finding %s changed id: %d, then %d", f.Fingerprint, id, f.ID)
		}
		if id, ok := second[f.Fingerprint]; ok && id != f.ID {
			t.Errorf("finding %s: upsert returned id %d, stored as %d", f.Fingerprint, id, f.ID)
		}
	}
	err = s.Ingest(ctx(), func(tx store.IngestTx) error {
		byAsset, err := tx.AssetFindingStates(ctx(), "scanner-a", []int64{asset})
		if err != nil {
			return err
		}
		byFP, err := tx.FindingStates(ctx(), "scanner-a", findingKeys(batch(0, 450, "")))
		if err != nil {
			return err
		}
		if len(byAsset) != 450 {
			t.Errorf("AssetFindingStates: %d findings, want 450", len(byAsset))
		}
		if d := cmp.Diff(byFP, byAsset); d != "" {
			t.Errorf("AssetFindingStates differs from FindingStates (-by fingerprint +by asset):\n%s", d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i := range 450 {
		v, st := "v2 ", model.StatusOpen
		if i < 150 {
			v, st = "v1 ", model.StatusFixed
		}
		want[model.Fingerprint(asset, fmt.Sprint("k", i))] = fmt.Sprint(v, i, " ", st)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
}

func testManualStatus(t *testing.T, s store.Store) {
	_, asset := seed(t, s, "h", model.Identifier{Kind: model.IDHostname, Value: "h"})
	ids, _ := importOnce(t, s, "scanner-a", asset, t0, finding(asset, "k", "t"))
	id := ids[model.Fingerprint(asset, "k")]
	if err := s.SetFindingStatus(ctx(), id, model.StatusFixed, ""); err == nil {
		t.Error("setting fixed by hand should fail")
	}
	if err := s.SetFindingStatus(ctx(), id, model.StatusFalsePositive, "test host"); err != nil {
		t.Fatal(err)
	}
	// Imports neither fix nor reopen a manual state.
	importOnce(t, s, "scanner-a", asset, t0.Add(time.Hour))
	importOnce(t, s, "scanner-a", asset, t0.Add(2*time.Hour), finding(asset, "k", "t"))
	f, _ := s.GetFinding(ctx(), id)
	if f.Status != model.StatusFalsePositive || f.StatusNote != "test host" {
		t.Errorf("status = %s %q, want false_positive kept", f.Status, f.StatusNote)
	}
	if err := s.SetFindingStatus(ctx(), 9999, model.StatusAccepted, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

func testFilterPaging(t *testing.T, s store.Store) {
	_, asset := seed(t, s, "h", model.Identifier{Kind: model.IDHostname, Value: "h"})
	var ws []store.FindingWrite
	for i := 0; i < 100; i++ { // past the bulk-path threshold
		w := finding(asset, fmt.Sprintf("k%03d", i), fmt.Sprintf("f%02d", i))
		if i%5 == 0 {
			w.Finding.Severity = model.SevCritical
		}
		ws = append(ws, w)
	}
	importOnce(t, s, "scanner-a", asset, t0, ws...)
	var all []int64
	after := int64(0)
	for {
		page, err := s.ListFindings(ctx(), store.FindingFilter{Page: store.Page{After: after, Limit: 10}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, f := range page {
			all = append(all, f.ID)
		}
		after = page[len(page)-1].ID
	}
	if len(all) != 100 {
		t.Errorf("paged %d findings, want 100", len(all))
	}
	crit, err := s.ListFindings(ctx(), store.FindingFilter{Severities: []model.Severity{model.SevCritical}})
	if err != nil || len(crit) != 20 {
		t.Errorf("critical = %d, %v", len(crit), err)
	}
	bySource, err := s.ListFindings(ctx(), store.FindingFilter{Source: "scanner-a", AssetID: asset, VulnID: "CVE-2024-0001"})
	if err != nil || len(bySource) != 100 {
		t.Errorf("by source = %d, %v", len(bySource), err)
	}
	none, err := s.ListFindings(ctx(), store.FindingFilter{Statuses: []model.Status{model.StatusFixed}})
	if err != nil || len(none) != 0 {
		t.Errorf("fixed = %d, %v", len(none), err)
	}
}

func testRollback(t *testing.T, s store.Store) {
	_, asset := seed(t, s, "h", model.Identifier{Kind: model.IDHostname, Value: "h"})
	boom := errors.New("boom")
	err := s.Ingest(ctx(), func(tx store.IngestTx) error {
		imp := model.Import{Source: "x", StartedAt: t0}
		if err := tx.BeginImport(ctx(), &imp); err != nil {
			return err
		}
		if _, err := tx.UpsertFindings(ctx(), []store.FindingWrite{finding(asset, "k", "t")}, t0); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Ingest = %v, want boom", err)
	}
	n, _ := s.CountFindings(ctx(), store.FindingFilter{AllStatus: true})
	imps, _ := s.ListImports(ctx(), store.Page{})
	if n != 0 || len(imps) != 1 {
		t.Errorf("after rollback: %d findings, %d imports; want 0 and the seed import only", n, len(imps))
	}
}

func testMergeSplit(t *testing.T, s store.Store) {
	_, a := seed(t, s, "a", model.Identifier{Kind: model.IDHostname, Value: "a"})
	_, b := seed(t, s, "b", model.Identifier{Kind: model.IDIPv4, Value: "10.0.0.2"})
	importOnce(t, s, "scanner-a", a, t0, finding(a, "shared", "on a"))
	onB, _ := importOnce(t, s, "scanner-b", b, t0, finding(b, "shared", "on b"), finding(b, "only-b", "only on b"))
	// The duplicate the merge drops belongs to a filtered scope.
	if err := s.SetScopeFindings(ctx(), map[string][]int64{"s": {onB[model.Fingerprint(b, "shared")]}}); err != nil {
		t.Fatal(err)
	}
	err := s.Ingest(ctx(), func(tx store.IngestTx) error {
		return tx.MergeAssets(ctx(), a, b, "shared-strong-identifier:fqdn", 0, t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := s.ListFindings(ctx(), store.FindingFilter{AssetID: a})
	if len(fs) != 2 {
		t.Fatalf("after merge asset a has %d findings, want 2 (shared combined)", len(fs))
	}
	for _, f := range fs {
		if f.Fingerprint == model.Fingerprint(a, "shared") && len(f.Sources) != 2 {
			t.Errorf("combined finding sources = %v, want both", f.Sources)
		}
	}
	got, err := s.GetAsset(ctx(), b)
	if err != nil || got.ID != a || len(got.Identifiers) != 2 {
		t.Errorf("GetAsset(b) = %+v, %v; want a with both identifiers", got, err)
	}
	if n, _ := s.CountAssets(ctx(), store.AssetFilter{}); n != 1 {
		t.Errorf("live assets = %d, want 1", n)
	}
	into, err := s.SplitAsset(ctx(), b)
	if err != nil || into != a {
		t.Fatalf("SplitAsset = %d, %v", into, err)
	}
	if n, _ := s.CountAssets(ctx(), store.AssetFilter{}); n != 2 {
		t.Errorf("live assets after split = %d, want 2", n)
	}
	fb, _ := s.ListFindings(ctx(), store.FindingFilter{AssetID: b})
	if len(fb) != 1 || fb[0].Title != "only on b" {
		t.Errorf("b's findings after split = %+v", fb)
	}
	err = s.Ingest(ctx(), func(tx store.IngestTx) error {
		blocked, err := tx.MergeBlocked(ctx(), b, a)
		if err == nil && !blocked {
			err = errors.New("split pair not blocked")
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
	if _, err := s.SplitAsset(ctx(), a); err == nil {
		t.Error("splitting an unmerged asset should fail")
	}
}

func testSettings(t *testing.T, s store.Store) {
	calls := 0
	mk := func() (string, error) { calls++; return fmt.Sprint("v", calls), nil }
	v1, err := s.Setting(ctx(), "k", mk)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := s.Setting(ctx(), "k", mk)
	if err != nil || v1 != v2 || v1 != "v1" {
		t.Errorf("Setting = %q, %q, %v", v1, v2, err)
	}
}

func testParallel(t *testing.T, s store.Store) {
	_, asset := seed(t, s, "h", model.Identifier{Kind: model.IDHostname, Value: "h"})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				err := s.Ingest(ctx(), func(tx store.IngestTx) error {
					// Every writer upserts the same fingerprints: upserts,
					// not check-then-insert, so none fails on a duplicate.
					_, err := tx.UpsertFindings(ctx(), []store.FindingWrite{finding(asset, "same", "t"), finding(asset, fmt.Sprint("w", w, i), "t")}, t0)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, err := s.ListFindings(ctx(), store.FindingFilter{AllStatus: true}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n, _ := s.CountFindings(ctx(), store.FindingFilter{AllStatus: true})
	if n != 21 {
		t.Errorf("findings = %d, want 21", n)
	}
}

func testContext(t *testing.T, s store.Store) {
	_, a := seed(t, s, "a", model.Identifier{Kind: model.IDHostname, Value: "a"})
	_, b := seed(t, s, "b", model.Identifier{Kind: model.IDHostname, Value: "b"})
	ids, _ := importOnce(t, s, "scanner-a", a, t0, finding(a, "k", "t"))
	if err := s.SetScopeMembers(ctx(), map[string][]int64{"prod": {a, b}, "pci": {a}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetScopeMembers(ctx(), map[string][]int64{"prod": {a, b}, "pci": {a}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ScopeMembers(ctx(), []int64{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[int64][]string{a: {"pci", "prod"}, b: {"prod"}}, got); d != "" {
		t.Errorf("scope members (-want +got):\n%s", d)
	}
	if n, _ := s.CountAssets(ctx(), store.AssetFilter{Scope: "pci"}); n != 1 {
		t.Errorf("assets in pci = %d", n)
	}
	if n, _ := s.CountFindings(ctx(), store.FindingFilter{Scope: "pci"}); n != 1 {
		t.Errorf("findings in pci = %d", n)
	}
	// A finding selector narrows a scope to some of its assets' findings.
	if err := s.SetScopeFindings(ctx(), map[string][]int64{"pci": nil}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountFindings(ctx(), store.FindingFilter{Scope: "pci"}); n != 0 {
		t.Errorf("findings in pci with an empty selection = %d", n)
	}
	if err := s.SetScopeFindings(ctx(), map[string][]int64{"pci": {ids[model.Fingerprint(a, "k")]}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountFindings(ctx(), store.FindingFilter{Scope: "pci"}); n != 1 {
		t.Errorf("findings in pci with the finding selected = %d", n)
	}
	if n, _ := s.CountFindings(ctx(), store.FindingFilter{Scope: "prod"}); n != 1 {
		t.Errorf("findings in prod (no selector) = %d", n)
	}
	err = s.UpdateAssetContext(ctx(), []store.AssetContext{{AssetID: a, Criticality: 5, InternetExposed: true, Owner: "payments", Tags: map[string]string{"env": "prod"}}})
	if err != nil {
		t.Fatal(err)
	}
	as, _ := s.GetAsset(ctx(), a)
	if as.Criticality != 5 || !as.InternetExposed || as.Owner != "payments" || as.Tags["env"] != "prod" {
		t.Errorf("asset context = %+v", as)
	}
	due := t0.Add(7 * 24 * time.Hour)
	id := ids[model.Fingerprint(a, "k")]
	err = s.SetPriorities(ctx(), []store.PriorityUpdate{{FindingID: id, Band: "P1", Score: 950, Explanation: `{"rules":["kev"]}`, Policy: "ctem-default/1", DecidedAt: t0, SLADue: &due, Owner: "payments"}})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := s.GetFinding(ctx(), id)
	if f.Priority.Band != "P1" || f.Priority.Score != 950 || f.SLADue == nil || !f.SLADue.Equal(due) || f.Owner != "payments" || !f.Priority.DecidedAt.Equal(t0) {
		t.Errorf("priority = %+v due %v owner %q", f.Priority, f.SLADue, f.Owner)
	}
}
