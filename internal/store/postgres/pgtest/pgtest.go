// Package pgtest gives tests an isolated PostgreSQL store: a schema of its
// own in the database named by CTEM_TEST_POSTGRES, dropped afterwards.
// Without the variable tests skip, except under CI=true where PostgreSQL
// must be there.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ctemhq/ctem/internal/store/postgres"
	"github.com/ctemhq/ctem/internal/store/sqlstore"
)

// DSN returns the test server's DSN, skipping or failing when it is unset.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("CTEM_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("CTEM_TEST_POSTGRES is not set; CI must run the PostgreSQL tests")
		}
		tb.Skip("CTEM_TEST_POSTGRES is not set; skipping PostgreSQL tests")
	}
	return dsn
}

// Open creates a fresh schema and returns a migrated store using it.
func Open(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	dsn := DSN(tb)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("PostgreSQL at CTEM_TEST_POSTGRES is unreachable: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "ctem_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close(ctx)
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	s, err := postgres.Open(ctx, postgres.WithSchema(dsn, schema))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
