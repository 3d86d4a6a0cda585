// Package postgres opens ctem's PostgreSQL store (pgx v5). Large upserts go
// through COPY into a staging table and one INSERT ... ON CONFLICT.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ctemhq/ctem/internal/store/migrations"
	"github.com/ctemhq/ctem/internal/store/sqlstore"
)

// Open connects to dsn (a postgres:// URL or key=value string) and applies
// pending migrations.
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s: %w", redact(cfg), err)
	}
	db := stdlib.OpenDBFromPool(pool)
	s := sqlstore.New(sqlstore.Config{
		Dialect: "postgres", Writer: db, Reader: db, Migrations: migrations.For("postgres"),
		Bulk:  bulk{},
		Close: func() error { pool.Close(); return nil },
	})
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// redact names the server without credentials, for error messages.
func redact(cfg *pgxpool.Config) string {
	return fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
}

type bulk struct{}

// withPgx runs fn on the pgx connection under conn, which holds the open
// transaction, so COPY and the statements around it share it.
func withPgx(conn *sql.Conn, fn func(c *pgx.Conn) error) error {
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: unexpected driver connection %T", dc)
		}
		return fn(sc.Conn())
	})
}

func copyRows[T interface{ Values() []any }](rows []T) pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) { return rows[i].Values(), nil })
}

func (bulk) stage(ctx context.Context, c *pgx.Conn, table, stage string, cols []string) error {
	_, err := c.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE IF NOT EXISTS %s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA`,
		stage, strings.Join(cols, ", "), table))
	if err != nil {
		return err
	}
	_, err = c.Exec(ctx, "TRUNCATE "+stage)
	return err
}

func (b bulk) UpsertFindings(ctx context.Context, conn *sql.Conn, rows []sqlstore.FindingRow) (map[string]int64, error) {
	ids := make(map[string]int64, len(rows))
	err := withPgx(conn, func(c *pgx.Conn) error {
		if allFresh(rows, func(r *sqlstore.FindingRow) bool { return r.Fresh }) {
			return b.copyFreshFindings(ctx, c, rows, ids)
		}
		if err := b.stage(ctx, c, "findings", "stage_findings", sqlstore.FindingColumns); err != nil {
			return fmt.Errorf("stage findings: %w", err)
		}
		if _, err := c.CopyFrom(ctx, pgx.Identifier{"stage_findings"}, sqlstore.FindingColumns, copyRows(rows)); err != nil {
			return fmt.Errorf("copy findings: %w", err)
		}
		cols := strings.Join(sqlstore.FindingColumns, ", ")
		res, err := c.Query(ctx, "INSERT INTO findings ("+cols+") SELECT "+cols+" FROM stage_findings"+sqlstore.FindingConflict)
		if err != nil {
			return fmt.Errorf("upsert findings: %w", err)
		}
		defer res.Close()
		return sqlstore.ReadIDs(res, ids)
	})
	return ids, err
}

func allFresh[T any](rows []T, fresh func(*T) bool) bool {
	for i := range rows {
		if !fresh(&rows[i]) {
			return false
		}
	}
	return true
}

// copyFreshFindings copies findings no row of which is stored straight
// into the table, with ids reserved from its identity sequence first: no
// staging table, no conflict handling. The import's lock keeps other
// writers out, so "fresh" stays true.
func (bulk) copyFreshFindings(ctx context.Context, c *pgx.Conn, rows []sqlstore.FindingRow, ids map[string]int64) error {
	// One call reserves the ids: the import's lock keeps every other
	// writer of findings waiting, so nothing takes ids in between.
	var last int64
	if err := c.QueryRow(ctx, "SELECT setval(pg_get_serial_sequence('findings', 'id'), nextval(pg_get_serial_sequence('findings', 'id')) + $1 - 1)",
		len(rows)).Scan(&last); err != nil {
		return fmt.Errorf("copy findings: %w", err)
	}
	first := last - int64(len(rows)) + 1
	cols := append([]string{"id"}, sqlstore.FindingColumns...)
	src := pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) { return append([]any{first + int64(i)}, rows[i].Values()...), nil })
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"findings"}, cols, src); err != nil {
		return fmt.Errorf("copy findings: %w", err)
	}
	for i := range rows {
		ids[rows[i].Fingerprint] = first + int64(i)
	}
	return nil
}

func (b bulk) UpsertDetections(ctx context.Context, conn *sql.Conn, rows []sqlstore.DetectionRow) error {
	return withPgx(conn, func(c *pgx.Conn) error {
		if allFresh(rows, func(r *sqlstore.DetectionRow) bool { return r.Fresh }) {
			// See copyFreshFindings.
			if _, err := c.CopyFrom(ctx, pgx.Identifier{"detections"}, sqlstore.DetectionColumns, copyRows(rows)); err != nil {
				return fmt.Errorf("copy detections: %w", err)
			}
			return nil
		}
		if err := b.stage(ctx, c, "detections", "stage_detections", sqlstore.DetectionColumns); err != nil {
			return fmt.Errorf("stage detections: %w", err)
		}
		if _, err := c.CopyFrom(ctx, pgx.Identifier{"stage_detections"}, sqlstore.DetectionColumns, copyRows(rows)); err != nil {
			return fmt.Errorf("copy detections: %w", err)
		}
		cols := strings.Join(sqlstore.DetectionColumns, ", ")
		if _, err := c.Exec(ctx, "INSERT INTO detections ("+cols+") SELECT "+cols+" FROM stage_detections"+sqlstore.DetectionConflict); err != nil {
			return fmt.Errorf("upsert detections: %w", err)
		}
		return nil
	})
}

// WithSchema returns dsn with search_path set to schema, for isolated test
// and benchmark databases.
func WithSchema(dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}
