package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/sqlite"
	"github.com/ctemhq/ctem/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ctem.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

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
