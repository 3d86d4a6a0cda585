// Package sqlite opens ctem's embedded store: one SQLite file through the
// pure-Go modernc driver, in WAL mode, with one writer connection and a
// separate pool of read-only connections.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"runtime"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/ctemhq/ctem/internal/store/migrations"
	"github.com/ctemhq/ctem/internal/store/sqlstore"
)

// PageSize is the page size of a database Open creates. SQLite's default,
// 4 KiB, made a first import of a million findings spend a sixth of its
// time moving pages one system call at a time (spilling them to the WAL
// and checkpointing them into the file); 16 KiB pages make that import
// about 25 % faster, and a first rescoring too. Larger pages gain nothing
// more there and cost small imports, whose commits write a few whole
// pages of each table and index: 2,000 Trivy files took 12.2 s with 16 KiB
// pages, 12.4 s with 4 KiB, 13.7 s with 32 KiB (docs/benchmarks.md).
// Readers map the file, so a larger page costs them nothing on point reads.
const PageSize = 16384

// Open opens (creating if needed) the SQLite database at path and applies
// pending migrations.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	if err := create(ctx, path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	dsn := func(readOnly bool) string {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "foreign_keys(ON)")
		q.Add("_pragma", "cache_size(-65536)")
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Set("_time_format", "sqlite")
		if readOnly {
			q.Add("_pragma", "query_only(ON)")
			// Readers map the file instead of copying pages into their
			// caches: every commit of the writer empties a reader's page
			// cache, and the driver allocates and frees those pages one by
			// one (a 1M-finding rescoring spent more there than reading).
			// Mapped pages are clean file pages, shared and reclaimable.
			q.Add("_pragma", "mmap_size(4294967296)")
		} else {
			q.Set("_txlock", "immediate")
		}
		return "file:" + path + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn(false))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// SQLite allows one writer at a time; one connection makes writers
	// queue in Go instead of failing with SQLITE_BUSY.
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Keep every reader open: database/sql closes idle connections beyond
	// two by default, and a reopened connection starts with an empty page
	// cache whose pages the driver allocates (and later frees) one by one
	// — on a 1M-finding rescoring that churn cost more than the reads.
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	r.SetMaxIdleConns(max(4, runtime.NumCPU()))
	r.SetConnMaxIdleTime(0)
	s := sqlstore.New(sqlstore.Config{Dialect: "sqlite", Writer: w, Reader: r, Migrations: migrations.For("sqlite")})
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// create gives a database that does not exist yet (or is still empty) its
// page size, before WAL mode fixes it: the driver applies a DSN's
// journal_mode before its page_size, so the two are set here, in order,
// on one connection. An existing database keeps its page size.
func create(ctx context.Context, path string) error {
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range []string{fmt.Sprintf("PRAGMA page_size = %d", PageSize), "PRAGMA journal_mode = WAL"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
