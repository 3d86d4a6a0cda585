// Package sqlstore implements store.Store over database/sql with SQL that
// SQLite and PostgreSQL both accept ($N placeholders, ON CONFLICT,
// RETURNING). The backends differ only in how they open connections, in
// their migrations, and in an optional bulk path for large upserts.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/ctemhq/ctem/internal/store"
)

// Config describes one backend.
type Config struct {
	Dialect string // "sqlite" or "postgres"
	// Writer is the connection pool for writes (SQLite: one connection).
	Writer *sql.DB
	// Reader serves reads; it may be Writer.
	Reader *sql.DB
	// Migrations holds the dialect's goose migrations at its root.
	Migrations fs.FS
	// Bulk, when set, upserts large batches faster than multi-row VALUES
	// (PostgreSQL: COPY into a staging table, then INSERT ... SELECT).
	Bulk BulkUpserter
	// Close releases anything beyond the two pools.
	Close func() error
}

// BulkUpserter writes large batches of findings and detections.
type BulkUpserter interface {
	// Both run on conn, inside the transaction begun on it.
	UpsertFindings(ctx context.Context, conn *sql.Conn, rows []FindingRow) (map[string]int64, error)
	UpsertDetections(ctx context.Context, conn *sql.Conn, rows []DetectionRow) error
}

// Store is the shared implementation.
type Store struct {
	cfg  Config
	rb   *rebinder
	r, w handle // the read and write pools, through the rebinder
}

var _ store.Store = (*Store)(nil)

// New returns a store over cfg.
func New(cfg Config) *Store {
	if cfg.Reader == nil {
		cfg.Reader = cfg.Writer
	}
	rb := &rebinder{on: cfg.Dialect == "sqlite"}
	return &Store{cfg: cfg, rb: rb, r: handle{e: cfg.Reader, rb: rb}, w: handle{e: cfg.Writer, rb: rb}}
}

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.cfg.Dialect }

// Writer exposes the write pool to backend-specific code and tests.
func (s *Store) Writer() *sql.DB { return s.cfg.Writer }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.cfg.Reader.PingContext(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	var n int
	if err := s.cfg.Reader.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}

// Close closes the pools.
func (s *Store) Close() error {
	var errs []error
	if s.cfg.Reader != s.cfg.Writer {
		errs = append(errs, s.cfg.Reader.Close())
	}
	errs = append(errs, s.cfg.Writer.Close())
	if s.cfg.Close != nil {
		errs = append(errs, s.cfg.Close())
	}
	return errors.Join(errs...)
}

func (s *Store) provider() (*goose.Provider, error) {
	dialect := goose.DialectSQLite3
	if s.cfg.Dialect == "postgres" {
		dialect = goose.DialectPostgres
	}
	return goose.NewProvider(dialect, s.cfg.Writer, s.cfg.Migrations)
}

// Migrate applies pending migrations.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// MigrateTo migrates the schema up or down to version, for an operator
// undoing an upgrade and for the migrations' own tests.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if version < current {
		_, err = p.DownTo(ctx, version)
	} else {
		_, err = p.UpTo(ctx, version)
	}
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// MigrationStatus lists migrations and whether each is applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]store.Migration, error) {
	p, err := s.provider()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	out := make([]store.Migration, 0, len(st))
	for _, m := range st {
		mm := store.Migration{Version: m.Source.Version, Name: baseName(m.Source.Path)}
		if m.State == goose.StateApplied {
			mm.AppliedAt = m.AppliedAt.UTC()
		}
		out = append(out, mm)
	}
	return out, nil
}

func baseName(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// placeholders returns "$from, $from+1, ..." for n values.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// chunks splits n items into runs of at most size.
func chunks(n, size int, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += size {
		hi := min(lo+size, n)
		if err := fn(lo, hi); err != nil {
			return err
		}
	}
	return nil
}
