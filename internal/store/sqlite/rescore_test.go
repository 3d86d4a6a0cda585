package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/sqlite"
	"github.com/ctemhq/ctem/internal/store/storetest"
)

func TestRescoreConformance(t *testing.T) {
	storetest.RunRescore(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ctem.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
