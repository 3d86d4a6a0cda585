package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/sqlite"
	"github.com/ctemhq/ctem/internal/store/sqlstore"
	"github.com/ctemhq/ctem/internal/store/storetest"
)

// openTemp opens a fresh database in a temporary folder.
func openTemp(t *testing.T) store.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ctem.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T)        { storetest.Run(t, openTemp) }
func TestIntelConformance(t *testing.T)   { storetest.RunIntel(t, openTemp) }
func TestRescoreConformance(t *testing.T) { storetest.RunRescore(t, openTemp) }

// An import runs without foreign key checks (see sqlstore's Ingest); the
// connection must have them back afterwards, whether the import committed
// or failed.
func TestForeignKeysBackAfterImport(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ctem.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, fail := range []bool{false, true} {
		err := s.Ingest(ctx, func(tx store.IngestTx) error {
			if fail {
				return errors.New("boom")
			}
			return nil
		})
		if (err != nil) != fail {
			t.Fatalf("Ingest = %v", err)
		}
		var on int
		if err := s.Writer().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil || on != 1 {
			t.Errorf("after an import (failed: %v): foreign_keys = %d, %v; want 1", fail, on, err)
		}
	}
}

// Migration 3 rebuilds the findings table with foreign keys off; they
// must be on again once the store is open, and the schema consistent.
func TestForeignKeysOnAfterMigrations(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ctem.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var on int
	if err := s.Writer().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil || on != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", on, err)
	}
	rows, err := s.Writer().QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Error("foreign_key_check reports violations")
	}
	var ok string
	if err := s.Writer().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check = %q, %v", ok, err)
	}
}

// On SQLite an import writes its times as SQL literals; they must be the
// very text the driver writes for a bound time, or times would sort and
// compare wrongly against those written elsewhere.
func TestLiteralTimesMatchBoundTimes(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ctem.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, at := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 7, 0, time.FixedZone("CET", 3600)),
	} {
		err := s.Ingest(ctx, func(tx store.IngestTx) error {
			imp := model.Import{Source: "test", StartedAt: at}
			if err := tx.BeginImport(ctx, &imp); err != nil {
				return err
			}
			a := model.Asset{Kind: model.AssetHost, Name: fmt.Sprint("h", i), FirstSeen: at, LastSeen: at,
				Identifiers: []model.Identifier{{Kind: model.IDHostname, Value: fmt.Sprint("h", i)}}}
			if err := tx.CreateAsset(ctx, &a, imp.ID, "new-asset"); err != nil {
				return err
			}
			f := model.Finding{AssetID: a.ID, Fingerprint: model.Fingerprint(a.ID, "k"), Kind: model.KindVulnerability, Title: "t", Severity: model.SevHigh}
			ids, err := tx.UpsertFindings(ctx, []store.FindingWrite{{Finding: f, Key: "k", Source: "test"}}, at)
			if err != nil {
				return err
			}
			if err := tx.UpsertDetections(ctx, []store.DetectionWrite{{FindingID: ids[f.Fingerprint], Source: "test"}}, imp.ID, at); err != nil {
				return err
			}
			return tx.SetCoverage(ctx, "test", []int64{a.ID}, imp.ID, at)
		})
		if err != nil {
			t.Fatal(err)
		}
		var bound, finding, detection string
		err = s.Writer().QueryRowContext(ctx, `SELECT c.seen_at, f.first_seen, d.last_seen FROM coverage c
			JOIN findings f ON f.asset_id = c.asset_id JOIN detections d ON d.finding_id = f.id WHERE c.asset_id = ?`, i+1).
			Scan(&bound, &finding, &detection)
		if err != nil {
			t.Fatal(err)
		}
		if finding != bound || detection != bound {
			t.Errorf("%v: finding %q, detection %q; bound time %q", at, finding, detection, bound)
		}
	}
}

// A new database gets PageSize; an existing one keeps its own.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	pageSize := func(s *sqlstore.Store) int {
		t.Helper()
		var n int
		if err := s.Writer().QueryRowContext(ctx, "PRAGMA page_size").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	fresh := filepath.Join(t.TempDir(), "ctem.db")
	s, err := sqlite.Open(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := s.Writer().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if got := pageSize(s); got != sqlite.PageSize {
		t.Errorf("new database: page_size = %d, want %d", got, sqlite.PageSize)
	}
	s.Close()

	old := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = sqlite.Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := pageSize(s); got != 4096 {
		t.Errorf("existing database: page_size = %d, want 4096 (kept)", got)
	}
}
