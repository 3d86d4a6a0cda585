// Package open picks and opens a store backend from a database setting.
package open

import (
	"context"
	"strings"

	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/postgres"
	"github.com/ctemhq/ctem/internal/store/sqlite"
)

// DefaultPath is the embedded database used when nothing else is named.
const DefaultPath = "ctem.db"

// IsPostgres reports whether db names a PostgreSQL server.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Open opens db: a postgres:// URL, or else the path of a SQLite file.
func Open(ctx context.Context, db string) (store.Store, error) {
	if db == "" {
		db = DefaultPath
	}
	if IsPostgres(db) {
		return postgres.Open(ctx, db)
	}
	return sqlite.Open(ctx, db)
}
