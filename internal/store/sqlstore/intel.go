package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

var _ store.IntelStore = (*Store)(nil)

// Dates (KEV dateAdded, EPSS score dates) are DATE columns written as
// 'YYYY-MM-DD' text: SQLite keeps them as such (and compares them as text),
// PostgreSQL parses them.
const dateLayout = "2006-01-02"

func dateArg(t time.Time) string { return t.UTC().Format(dateLayout) }

func nullDateArg(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return dateArg(*t)
}

func nullTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// day truncates t to its UTC date.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Advisory lock keys: loads of one feed run one at a time across replicas
// sharing a PostgreSQL database (SQLite has a single writer anyway).
const (
	lockNone int64 = 0
	lockKEV  int64 = 0x6374656d0001 // "ctem" 1
	lockEPSS int64 = 0x6374656d0002
	// lockIngest serializes imports and the other transactions of inTx
	// (see store.IngestTx).
	lockIngest int64 = 0x6374656d0003
)

// writeTx runs fn in one write transaction, with statements prepared once
// per transaction, holding the advisory lock key (PostgreSQL) when set.
func (s *Store) writeTx(ctx context.Context, key int64, fn func(tx handle) error) error {
	tx, err := s.cfg.Writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	return runTx(tx, func() error {
		if key != lockNone && s.cfg.Dialect == "postgres" {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", key); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		return fn(s.txHandle(tx))
	})
}

// runTx runs fn in the open transaction tx and commits; on an error or a
// panic it rolls tx back (and re-panics).
func runTx(tx *sql.Tx, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			// A transaction whose context ended is rolled back already
			// (database/sql does it, or the server as the connection
			// closes): the error that ended it is the one to report.
			if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) &&
				!errors.Is(rerr, context.Canceled) && !errors.Is(rerr, context.DeadlineExceeded) {
				err = errors.Join(err, fmt.Errorf("rollback: %w", rerr))
			}
		}
	}()
	if err := fn(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// txHandle is a handle on tx that prepares each statement once per
// transaction.
func (s *Store) txHandle(tx *sql.Tx) handle {
	return handle{e: tx, rb: s.rb, stmts: &stmtCache{tx: tx, m: map[string]*sql.Stmt{}}}
}

// ---- KEV ----

const kevCols = `vuln_id, date_added, due_date, ransomware, vendor, product, name, short_description, required_action,
	notes, cwes, forensic_triage, catalog_version, first_seen_at, removed_at, removed_version`

type kevRow struct {
	id int64
	e  store.KEVEntry
}

func scanKEV(sc interface{ Scan(...any) error }, withID bool) (kevRow, error) {
	var r kevRow
	var added, due, first, removed timeCol
	dest := []any{&r.e.VulnID, &added, &due, &r.e.Ransomware, &r.e.VendorProject, &r.e.Product, &r.e.Name,
		&r.e.ShortDescription, &r.e.RequiredAction, &r.e.Notes, jsonCol{&r.e.CWEs}, &r.e.ForensicTriage,
		&r.e.CatalogVersion, &first, &removed, &r.e.RemovedVersion}
	if withID {
		dest = append([]any{&r.id}, dest...)
	}
	err := sc.Scan(dest...)
	r.e.DateAdded, r.e.DueDate, r.e.FirstSeenAt, r.e.RemovedAt = added.T, due.ptr(), first.T, removed.ptr()
	if len(r.e.CWEs) == 0 {
		r.e.CWEs = nil
	}
	return r, err
}

// kevSame reports whether two entries agree on everything the catalog says.
func kevSame(a, b store.KEVEntry) bool {
	return a.VulnID == b.VulnID && dateArg(a.DateAdded) == dateArg(b.DateAdded) && nullDateArg(a.DueDate) == nullDateArg(b.DueDate) &&
		a.Ransomware == b.Ransomware && a.VendorProject == b.VendorProject && a.Product == b.Product && a.Name == b.Name &&
		a.ShortDescription == b.ShortDescription && a.RequiredAction == b.RequiredAction && a.Notes == b.Notes &&
		slices.Equal(a.CWEs, b.CWEs) && a.ForensicTriage == b.ForensicTriage
}

// kevViewSame reports whether the fields the current view shows agree.
func kevViewSame(a, b store.KEVEntry) bool {
	return dateArg(a.DateAdded) == dateArg(b.DateAdded) && nullDateArg(a.DueDate) == nullDateArg(b.DueDate) && a.Ransomware == b.Ransomware
}

// LoadKEV records a KEV catalog: additions, removals and changed entries.
func (s *Store) LoadKEV(ctx context.Context, cat store.KEVCatalog) (added, removed int, err error) {
	if cat.Version == "" || cat.Released.IsZero() {
		return 0, 0, fmt.Errorf("load KEV: catalog has no version or release date")
	}
	seen := make(map[string]bool, len(cat.Entries))
	for _, e := range cat.Entries {
		if e.VulnID == "" {
			return 0, 0, fmt.Errorf("load KEV %s: entry without a CVE id", cat.Version)
		}
		if seen[e.VulnID] {
			return 0, 0, fmt.Errorf("load KEV %s: %s is listed twice", cat.Version, e.VulnID)
		}
		seen[e.VulnID] = true
	}
	released := cat.Released.UTC()
	now := time.Now().UTC()
	err = s.writeTx(ctx, lockKEV, func(tx handle) error {
		var newestVer string
		var newest timeCol
		err := tx.QueryRowContext(ctx, `SELECT catalog_version, date_released FROM kev_catalogs
			ORDER BY date_released DESC, loaded_at DESC LIMIT 1`).Scan(&newestVer, &newest)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case released.Before(newest.T):
			return fmt.Errorf("%w: KEV catalog %s (released %s) is older than catalog %s (released %s)",
				store.ErrStale, cat.Version, released.Format(time.RFC3339), newestVer, newest.T.Format(time.RFC3339))
		}

		rows, err := tx.QueryContext(ctx, `SELECT id, `+kevCols+` FROM kev_entries WHERE removed_at IS NULL`)
		if err != nil {
			return err
		}
		listed := map[string]kevRow{}
		for rows.Next() {
			r, err := scanKEV(rows, true)
			if err != nil {
				rows.Close()
				return err
			}
			listed[r.e.VulnID] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}

		var inserts []store.KEVEntry
		var view []store.KEVEntry // entries whose current view changes (kev = true)
		for _, e := range cat.Entries {
			old, ok := listed[e.VulnID]
			if !ok {
				inserts = append(inserts, e)
				view = append(view, e)
				continue
			}
			if kevSame(old.e, e) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE kev_entries SET date_added = $1, due_date = $2, ransomware = $3, vendor = $4,
				product = $5, name = $6, short_description = $7, required_action = $8, notes = $9, cwes = $10, forensic_triage = $11,
				updated_at = $12 WHERE id = $13`,
				dateArg(e.DateAdded), nullDateArg(e.DueDate), e.Ransomware, e.VendorProject, e.Product, e.Name, e.ShortDescription,
				e.RequiredAction, e.Notes, store.JSONText(e.CWEs, "[]"), e.ForensicTriage, now, old.id); err != nil {
				return fmt.Errorf("update KEV entry %s: %w", e.VulnID, err)
			}
			if !kevViewSame(old.e, e) {
				view = append(view, e)
			}
		}
		const ncol = 17
		err = chunks(len(inserts), 100, func(lo, hi int) error {
			q := "INSERT INTO kev_entries (" + kevCols + ", updated_at) VALUES "
			args := make([]any, 0, (hi-lo)*ncol)
			for i, e := range inserts[lo:hi] {
				if i > 0 {
					q += ", "
				}
				q += "(" + placeholders(len(args)+1, ncol) + ")"
				args = append(args, e.VulnID, dateArg(e.DateAdded), nullDateArg(e.DueDate), e.Ransomware, e.VendorProject, e.Product,
					e.Name, e.ShortDescription, e.RequiredAction, e.Notes, store.JSONText(e.CWEs, "[]"), e.ForensicTriage,
					cat.Version, released, nil, "", now)
			}
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		})
		if err != nil {
			return fmt.Errorf("insert KEV entries: %w", err)
		}
		added = len(inserts)

		var gone []string
		for id := range listed {
			if !seen[id] {
				gone = append(gone, id)
			}
		}
		slices.Sort(gone)
		removed = len(gone)
		err = chunks(len(gone), 500, func(lo, hi int) error {
			args := []any{released, cat.Version, now}
			for _, id := range gone[lo:hi] {
				args = append(args, listed[id].id)
			}
			_, err := tx.ExecContext(ctx, `UPDATE kev_entries SET removed_at = $1, removed_version = $2, updated_at = $3
				WHERE id IN (`+placeholders(4, hi-lo)+`)`, args...)
			return err
		})
		if err != nil {
			return fmt.Errorf("remove KEV entries: %w", err)
		}

		// The current view.
		for _, e := range view {
			var due any
			if e.DueDate != nil {
				due = day(*e.DueDate)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO vuln_intel (vuln_id, kev, kev_date_added, kev_due_date, kev_ransomware, updated_at)
				VALUES ($1, TRUE, $2, $3, $4, $5) ON CONFLICT (vuln_id) DO UPDATE SET kev = TRUE,
				kev_date_added = excluded.kev_date_added, kev_due_date = excluded.kev_due_date,
				kev_ransomware = excluded.kev_ransomware, updated_at = excluded.updated_at`,
				e.VulnID, day(e.DateAdded), due, e.Ransomware, now); err != nil {
				return fmt.Errorf("KEV view %s: %w", e.VulnID, err)
			}
		}
		err = chunks(len(gone), 500, func(lo, hi int) error {
			args := []any{now}
			for _, id := range gone[lo:hi] {
				args = append(args, id)
			}
			_, err := tx.ExecContext(ctx, `UPDATE vuln_intel SET kev = FALSE, kev_date_added = NULL, kev_due_date = NULL,
				kev_ransomware = FALSE, updated_at = $1 WHERE vuln_id IN (`+placeholders(2, hi-lo)+`)`, args...)
			return err
		})
		if err != nil {
			return fmt.Errorf("KEV view: %w", err)
		}

		_, err = tx.ExecContext(ctx, `INSERT INTO kev_catalogs (catalog_version, date_released, entries, added, removed, loaded_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (catalog_version) DO UPDATE SET date_released = excluded.date_released,
			entries = excluded.entries, added = kev_catalogs.added + excluded.added, removed = kev_catalogs.removed + excluded.removed,
			loaded_at = excluded.loaded_at`,
			cat.Version, released, len(cat.Entries), added, removed, now)
		return err
	})
	if errors.Is(err, store.ErrStale) {
		return 0, 0, err
	}
	if err != nil {
		return 0, 0, fmt.Errorf("load KEV %s: %w", cat.Version, err)
	}
	return added, removed, nil
}

// KEVEntries lists KEV entries by id; for each id listed periods first.
func (s *Store) KEVEntries(ctx context.Context, f store.KEVFilter) ([]store.KEVEntry, error) {
	var out []store.KEVEntry
	read := func(ids []string) error {
		w := &where{}
		if !f.IncludeRemoved {
			w.add("removed_at IS NULL")
		}
		if ids != nil {
			w.in("vuln_id", stringArgs(ids))
		}
		rows, err := s.r.QueryContext(ctx, "SELECT "+kevCols+" FROM kev_entries"+w.sql()+
			" ORDER BY vuln_id, CASE WHEN removed_at IS NULL THEN 0 ELSE 1 END, id DESC", w.args...)
		if err != nil {
			return fmt.Errorf("KEV entries: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanKEV(rows, false)
			if err != nil {
				return fmt.Errorf("KEV entries: %w", err)
			}
			out = append(out, r.e)
		}
		return rows.Err()
	}
	if len(f.IDs) == 0 {
		return out, read(nil)
	}
	ids := dedupSorted(f.IDs)
	err := chunks(len(ids), 500, func(lo, hi int) error { return read(ids[lo:hi]) })
	return out, err
}

// KEVCatalogs lists loaded catalogs, newest first.
func (s *Store) KEVCatalogs(ctx context.Context) ([]store.KEVCatalogInfo, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT catalog_version, date_released, entries, added, removed, loaded_at
		FROM kev_catalogs ORDER BY date_released DESC, loaded_at DESC`)
	if err != nil {
		return nil, fmt.Errorf("KEV catalogs: %w", err)
	}
	defer rows.Close()
	var out []store.KEVCatalogInfo
	for rows.Next() {
		var c store.KEVCatalogInfo
		var rel, at timeCol
		if err := rows.Scan(&c.Version, &rel, &c.Entries, &c.Added, &c.Removed, &at); err != nil {
			return nil, err
		}
		c.Released, c.LoadedAt = rel.T, at.T
		out = append(out, c)
	}
	return out, rows.Err()
}

// ---- EPSS ----

// epssBatch is how many scores go into one statement: three parameters a
// row on SQLite (the day, model and time are bound once); PostgreSQL binds
// three arrays, whatever their length.
func (s *Store) epssBatch() int {
	if s.cfg.Dialect == "postgres" {
		return 20000
	}
	return 1000
}

// LoadEPSS stores one day of scores, replacing the day if already loaded.
func (s *Store) LoadEPSS(ctx context.Context, d store.EPSSDay, rows iter.Seq2[store.EPSSScore, error]) (int, error) {
	if d.Date.IsZero() {
		return 0, fmt.Errorf("load EPSS: no score date")
	}
	date := dateArg(d.Date)
	dayTS := day(d.Date)
	scoredAt := d.ScoredAt.UTC()
	if scoredAt.IsZero() {
		scoredAt = dayTS
	}
	now := time.Now().UTC()
	n := 0
	err := s.writeTx(ctx, lockEPSS, func(tx handle) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM epss_days WHERE score_date = $1`, date).Scan(&exists); err != nil {
			return err
		}
		var newest timeCol
		if err := tx.QueryRowContext(ctx, `SELECT MAX(score_date) FROM epss_days`).Scan(&newest); err != nil {
			return err
		}
		current := !newest.Valid || !dayTS.Before(day(newest.T))
		if exists > 0 {
			// Replacing a day scans the history: rare (a corrected file).
			if _, err := tx.ExecContext(ctx, `DELETE FROM epss_scores WHERE score_date = $1`, date); err != nil {
				return err
			}
		}
		batch := make([]store.EPSSScore, 0, s.epssBatch())
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			m, err := s.insertEPSS(ctx, tx, date, d.ModelVersion, batch)
			if err != nil {
				return err
			}
			n += m
			if current {
				if err := s.viewEPSS(ctx, tx, dayTS, d.ModelVersion, now, batch); err != nil {
					return err
				}
			}
			batch = batch[:0]
			return nil
		}
		for sc, err := range rows {
			if err != nil {
				return err
			}
			if sc.VulnID == "" {
				return fmt.Errorf("score without a CVE id")
			}
			batch = append(batch, sc)
			if len(batch) == cap(batch) {
				if err := flush(); err != nil {
					return err
				}
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if current {
			// CVEs the newest day no longer scores (rejected ones) lose
			// their score in the current view.
			if _, err := tx.ExecContext(ctx, `UPDATE vuln_intel SET epss = 0, epss_percentile = 0, epss_model = '', epss_date = NULL,
				updated_at = $1 WHERE epss_date IS NOT NULL AND epss_date < $2`, now, dayTS); err != nil {
				return fmt.Errorf("EPSS view: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO epss_days (score_date, scored_at, model_version, row_count, sha256, loaded_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (score_date) DO UPDATE SET scored_at = excluded.scored_at,
			model_version = excluded.model_version, row_count = excluded.row_count, sha256 = excluded.sha256, loaded_at = excluded.loaded_at`,
			date, scoredAt, d.ModelVersion, n, d.SHA256, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("load EPSS %s: %w", date, err)
	}
	return n, nil
}

// insertEPSS inserts scores of one day; a CVE repeated within the day keeps
// its first score.
func (s *Store) insertEPSS(ctx context.Context, tx handle, date, model string, b []store.EPSSScore) (int, error) {
	var res sql.Result
	var err error
	if s.cfg.Dialect == "postgres" {
		ids, ps, pcts := epssArrays(b)
		res, err = tx.ExecContext(ctx, `INSERT INTO epss_scores (vuln_id, score_date, epss, percentile, model_version)
			SELECT v, $1::date, e, p, $2 FROM unnest($3::text[], $4::float8[], $5::float8[]) AS t(v, e, p)
			ON CONFLICT (vuln_id, score_date) DO NOTHING`, date, model, ids, ps, pcts)
	} else {
		q, args := epssValues(`INSERT INTO epss_scores (vuln_id, score_date, epss, percentile, model_version)
			SELECT column1, $1, column2, column3, $2 FROM (VALUES `, []any{date, model}, b)
		res, err = tx.ExecContext(ctx, q+`) AS v WHERE true ON CONFLICT (vuln_id, score_date) DO NOTHING`, args...)
	}
	if err != nil {
		return 0, fmt.Errorf("insert EPSS scores: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// epssViewConflict updates the current view; updated_at moves only when
// the probability or the model changes (the percentile and date move daily).
const epssViewConflict = ` ON CONFLICT (vuln_id) DO UPDATE SET
	updated_at = CASE WHEN vuln_intel.epss IS DISTINCT FROM excluded.epss OR vuln_intel.epss_model IS DISTINCT FROM excluded.epss_model
		THEN excluded.updated_at ELSE vuln_intel.updated_at END,
	epss = excluded.epss, epss_percentile = excluded.epss_percentile, epss_model = excluded.epss_model, epss_date = excluded.epss_date`

func (s *Store) viewEPSS(ctx context.Context, tx handle, dayTS time.Time, model string, now time.Time, b []store.EPSSScore) error {
	var err error
	if s.cfg.Dialect == "postgres" {
		ids, ps, pcts := epssArrays(b)
		_, err = tx.ExecContext(ctx, `INSERT INTO vuln_intel (vuln_id, epss, epss_percentile, epss_model, epss_date, updated_at)
			SELECT DISTINCT ON (v) v, e, p, $1, $2::timestamptz, $3::timestamptz FROM unnest($4::text[], $5::float8[], $6::float8[]) AS t(v, e, p)
			ORDER BY v`+epssViewConflict, model, dayTS, now, ids, ps, pcts)
	} else {
		q, args := epssValues(`INSERT INTO vuln_intel (vuln_id, epss, epss_percentile, epss_model, epss_date, updated_at)
			SELECT column1, column2, column3, $1, $2, $3 FROM (VALUES `, []any{model, dayTS, now}, b)
		_, err = tx.ExecContext(ctx, q+`) AS v WHERE true`+epssViewConflict, args...)
	}
	if err != nil {
		return fmt.Errorf("EPSS view: %w", err)
	}
	return nil
}

func epssArrays(b []store.EPSSScore) ([]string, []float64, []float64) {
	ids := make([]string, len(b))
	ps := make([]float64, len(b))
	pcts := make([]float64, len(b))
	for i, sc := range b {
		ids[i], ps[i], pcts[i] = sc.VulnID, sc.EPSS, sc.Percentile
	}
	return ids, ps, pcts
}

// epssValues appends "($n, $n+1, $n+2), ..." for b to q, after the
// leading arguments lead.
func epssValues(q string, lead []any, b []store.EPSSScore) (string, []any) {
	var sb strings.Builder
	sb.Grow(len(q) + len(b)*24)
	sb.WriteString(q)
	args := make([]any, 0, len(lead)+3*len(b))
	args = append(args, lead...)
	for i, sc := range b {
		if i > 0 {
			sb.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&sb, "($%d, $%d, $%d)", n+1, n+2, n+3)
		args = append(args, sc.VulnID, sc.EPSS, sc.Percentile)
	}
	return sb.String(), args
}

// EPSSDays lists the stored days, newest first.
func (s *Store) EPSSDays(ctx context.Context) ([]store.EPSSDay, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT score_date, scored_at, model_version, row_count, sha256, loaded_at
		FROM epss_days ORDER BY score_date DESC`)
	if err != nil {
		return nil, fmt.Errorf("EPSS days: %w", err)
	}
	defer rows.Close()
	var out []store.EPSSDay
	for rows.Next() {
		var d store.EPSSDay
		var date, scored, loaded timeCol
		if err := rows.Scan(&date, &scored, &d.ModelVersion, &d.Rows, &d.SHA256, &loaded); err != nil {
			return nil, err
		}
		d.Date, d.ScoredAt, d.LoadedAt = date.T, scored.T, loaded.T
		out = append(out, d)
	}
	return out, rows.Err()
}

const epssCols = `vuln_id, score_date, epss, percentile, model_version`

func scanEPSS(sc interface{ Scan(...any) error }) (store.EPSSScore, error) {
	var e store.EPSSScore
	var date timeCol
	err := sc.Scan(&e.VulnID, &date, &e.EPSS, &e.Percentile, &e.ModelVersion)
	e.Date = date.T
	return e, err
}

// EPSSAt returns id's score on the latest day on or before date.
func (s *Store) EPSSAt(ctx context.Context, id string, date time.Time) (store.EPSSScore, error) {
	e, err := scanEPSS(s.r.QueryRowContext(ctx, `SELECT `+epssCols+` FROM epss_scores
		WHERE vuln_id = $1 AND score_date <= $2 ORDER BY score_date DESC LIMIT 1`, id, dateArg(date)))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("EPSS score of %s on %s: %w", id, dateArg(date), store.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("EPSS score of %s: %w", id, err)
	}
	return e, nil
}

// EPSSHistory returns id's scores between two dates, oldest first.
func (s *Store) EPSSHistory(ctx context.Context, id string, from, to time.Time) ([]store.EPSSScore, error) {
	w := &where{}
	w.add("vuln_id = ?", id)
	if !from.IsZero() {
		w.add("score_date >= ?", dateArg(from))
	}
	if !to.IsZero() {
		w.add("score_date <= ?", dateArg(to))
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+epssCols+" FROM epss_scores"+w.sql()+" ORDER BY score_date", w.args...)
	if err != nil {
		return nil, fmt.Errorf("EPSS history of %s: %w", id, err)
	}
	defer rows.Close()
	var out []store.EPSSScore
	for rows.Next() {
		e, err := scanEPSS(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ---- CVE records ----

const cveCols = `vuln_id, source_identifier, published, last_modified, status, description, cvss, ssvc, cwes, exploit_refs,
	cisa_exploit_add, cisa_action_due, cisa_required_action, cisa_vulnerability_name`

// viewCVSS orders a record's CVSS for the current view: the record's order
// (preferred first), one entry per distinct version and vector.
func viewCVSS(ms []store.CVSSMetric) []model.CVSS {
	var out []model.CVSS
	for _, m := range ms {
		c := model.CVSS{Version: m.Version, Vector: m.Vector, Score: m.Score}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// UpsertCVEs stores CVE records newer than the stored ones and refreshes
// the current view from them.
func (s *Store) UpsertCVEs(ctx context.Context, recs iter.Seq2[store.CVERecord, error]) (int, error) {
	now := time.Now().UTC()
	n := 0
	err := s.writeTx(ctx, lockNone, func(tx handle) error {
		for r, err := range recs {
			if err != nil {
				return err
			}
			if r.ID == "" {
				return fmt.Errorf("CVE record without an id")
			}
			var ssvc any
			if r.SSVC != nil {
				ssvc = store.JSONText(r.SSVC, "{}")
			}
			rows, err := tx.QueryContext(ctx, `INSERT INTO cve_records (`+cveCols+`, fetched_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
				ON CONFLICT (vuln_id) DO UPDATE SET source_identifier = excluded.source_identifier, published = excluded.published,
				last_modified = excluded.last_modified, status = excluded.status, description = excluded.description,
				cvss = excluded.cvss, ssvc = excluded.ssvc, cwes = excluded.cwes, exploit_refs = excluded.exploit_refs,
				cisa_exploit_add = excluded.cisa_exploit_add, cisa_action_due = excluded.cisa_action_due,
				cisa_required_action = excluded.cisa_required_action, cisa_vulnerability_name = excluded.cisa_vulnerability_name,
				fetched_at = excluded.fetched_at
				WHERE cve_records.last_modified IS NULL OR excluded.last_modified IS NULL OR excluded.last_modified >= cve_records.last_modified
				RETURNING vuln_id`,
				r.ID, r.SourceIdentifier, nullTimeArg(r.Published), nullTimeArg(r.LastModified), r.Status, r.Description,
				store.JSONText(r.CVSS, "[]"), ssvc, store.JSONText(r.CWEs, "[]"), store.JSONText(r.ExploitRefs, "[]"),
				nullDateArg(r.CISAExploitAdd), nullDateArg(r.CISAActionDue), r.CISARequiredAction, r.CISAVulnerabilityName, now)
			if err != nil {
				return fmt.Errorf("CVE record %s: %w", r.ID, err)
			}
			written := rows.Next()
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("CVE record %s: %w", r.ID, err)
			}
			if !written {
				continue // older than what is stored
			}
			n++
			var ex, au, ti string
			if r.SSVC != nil {
				ex, au, ti = r.SSVC.Exploitation, r.SSVC.Automatable, r.SSVC.TechnicalImpact
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO vuln_intel (vuln_id, cvss, ssvc_exploitation, ssvc_automatable,
				ssvc_technical_impact, exploit_refs, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (vuln_id) DO UPDATE SET
				updated_at = CASE WHEN vuln_intel.cvss IS DISTINCT FROM excluded.cvss
					OR vuln_intel.ssvc_exploitation IS DISTINCT FROM excluded.ssvc_exploitation
					OR vuln_intel.ssvc_automatable IS DISTINCT FROM excluded.ssvc_automatable
					OR vuln_intel.ssvc_technical_impact IS DISTINCT FROM excluded.ssvc_technical_impact
					OR vuln_intel.exploit_refs IS DISTINCT FROM excluded.exploit_refs
					THEN excluded.updated_at ELSE vuln_intel.updated_at END,
				cvss = excluded.cvss, ssvc_exploitation = excluded.ssvc_exploitation, ssvc_automatable = excluded.ssvc_automatable,
				ssvc_technical_impact = excluded.ssvc_technical_impact, exploit_refs = excluded.exploit_refs`,
				r.ID, store.JSONText(viewCVSS(r.CVSS), "[]"), ex, au, ti, store.JSONText(r.ExploitRefs, "[]"), now); err != nil {
				return fmt.Errorf("CVE view %s: %w", r.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("upsert CVE records: %w", err)
	}
	return n, nil
}

// CVERecords reads CVE records by id.
func (s *Store) CVERecords(ctx context.Context, ids []string) (map[string]store.CVERecord, error) {
	out := map[string]store.CVERecord{}
	ids = dedupSorted(ids)
	err := chunks(len(ids), 500, func(lo, hi int) error {
		rows, err := s.r.QueryContext(ctx, `SELECT `+cveCols+` FROM cve_records WHERE vuln_id IN (`+placeholders(1, hi-lo)+`)`,
			stringArgs(ids[lo:hi])...)
		if err != nil {
			return fmt.Errorf("CVE records: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r store.CVERecord
			var pub, mod, add, due timeCol
			var ssvc store.SSVC
			var hasSSVC sql.NullString
			if err := rows.Scan(&r.ID, &r.SourceIdentifier, &pub, &mod, &r.Status, &r.Description, jsonCol{&r.CVSS},
				jsonRaw{&hasSSVC}, jsonCol{&r.CWEs}, jsonCol{&r.ExploitRefs}, &add, &due, &r.CISARequiredAction,
				&r.CISAVulnerabilityName); err != nil {
				return fmt.Errorf("CVE records: %w", err)
			}
			if hasSSVC.Valid && hasSSVC.String != "" {
				if err := (jsonCol{&ssvc}).Scan(hasSSVC.String); err != nil {
					return fmt.Errorf("CVE record %s: %w", r.ID, err)
				}
				r.SSVC = &ssvc
			}
			r.Published, r.LastModified, r.CISAExploitAdd, r.CISAActionDue = pub.T, mod.T, add.ptr(), due.ptr()
			r.CVSS = nilIfEmpty(r.CVSS)
			r.CWEs = nilIfEmpty(r.CWEs)
			r.ExploitRefs = nilIfEmpty(r.ExploitRefs)
			out[r.ID] = r
		}
		return rows.Err()
	})
	return out, err
}

// jsonRaw scans a nullable JSON column as text.
type jsonRaw struct{ s *sql.NullString }

func (j jsonRaw) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		*j.s = sql.NullString{}
	case string:
		*j.s = sql.NullString{String: x, Valid: true}
	case []byte:
		*j.s = sql.NullString{String: string(x), Valid: true}
	default:
		return fmt.Errorf("cannot scan %T as JSON", src)
	}
	return nil
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// ---- the current view ----

const intelCols = `vuln_id, kev, kev_date_added, kev_due_date, kev_ransomware, epss, epss_percentile, epss_model, epss_date,
	cvss, ssvc_exploitation, ssvc_automatable, ssvc_technical_impact, exploit_refs, updated_at`

// VulnIntel reads the current view of each id.
func (s *Store) VulnIntel(ctx context.Context, ids []string) (map[string]model.VulnIntel, error) {
	out := map[string]model.VulnIntel{}
	ids = dedupSorted(ids)
	err := chunks(len(ids), 500, func(lo, hi int) error {
		rows, err := s.r.QueryContext(ctx, `SELECT `+intelCols+` FROM vuln_intel WHERE vuln_id IN (`+placeholders(1, hi-lo)+`)`,
			stringArgs(ids[lo:hi])...)
		if err != nil {
			return fmt.Errorf("vuln intel: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var v model.VulnIntel
			var added, due, epssDate, updated timeCol
			if err := rows.Scan(&v.VulnID, &v.KEV, &added, &due, &v.KEVRansomware, &v.EPSS, &v.EPSSPercentile, &v.EPSSModel,
				&epssDate, jsonCol{&v.CVSS}, &v.SSVCExploitation, &v.SSVCAutomatable, &v.SSVCTechImpact,
				jsonCol{&v.ExploitReferences}, &updated); err != nil {
				return fmt.Errorf("vuln intel: %w", err)
			}
			v.KEVDateAdded, v.KEVDueDate, v.EPSSDate, v.UpdatedAt = added.ptr(), due.ptr(), epssDate.ptr(), updated.T
			v.CVSS = nilIfEmpty(v.CVSS)
			v.ExploitReferences = nilIfEmpty(v.ExploitReferences)
			out[v.VulnID] = v
		}
		return rows.Err()
	})
	return out, err
}

// ChangedVulns lists ids whose current view changed after since.
func (s *Store) ChangedVulns(ctx context.Context, since time.Time, onlyInFindings bool) ([]string, error) {
	q := `SELECT vuln_id FROM vuln_intel WHERE updated_at > $1`
	if onlyInFindings {
		q += ` AND vuln_id IN (SELECT vuln_id FROM findings WHERE vuln_id <> '')`
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY vuln_id`, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("changed intel: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// ---- feed syncs ----

const syncCols = `id, feed, source, fetched_at, version, etag, last_modified, row_count, sha256, outcome, error`

func scanSync(sc interface{ Scan(...any) error }) (store.FeedSync, error) {
	var f store.FeedSync
	var at timeCol
	err := sc.Scan(&f.ID, &f.Feed, &f.Source, &at, &f.Version, &f.ETag, &f.LastModified, &f.Rows, &f.SHA256, &f.Outcome, &f.Error)
	f.FetchedAt = at.T
	return f, err
}

// RecordFeedSync logs one sync.
func (s *Store) RecordFeedSync(ctx context.Context, f store.FeedSync) (int64, error) {
	if f.Feed == "" || f.Outcome == "" {
		return 0, fmt.Errorf("record feed sync: feed and outcome are required")
	}
	at := f.FetchedAt
	if at.IsZero() {
		at = time.Now()
	}
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO feed_syncs (feed, source, fetched_at, version, etag, last_modified, row_count, sha256, outcome, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		f.Feed, f.Source, at.UTC(), f.Version, f.ETag, f.LastModified, f.Rows, f.SHA256, f.Outcome, f.Error).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record feed sync: %w", err)
	}
	return id, nil
}

func (s *Store) lastSync(ctx context.Context, feed, source string, success bool) (store.FeedSync, error) {
	w := &where{}
	w.add("feed = ?", feed)
	if source != "" {
		w.add("source = ?", source)
	}
	if success {
		w.in("outcome", []any{store.SyncLoaded, store.SyncUnchanged})
	}
	f, err := scanSync(s.r.QueryRowContext(ctx, "SELECT "+syncCols+" FROM feed_syncs"+w.sql()+" ORDER BY id DESC LIMIT 1", w.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("%s sync: %w", feed, store.ErrNotFound)
	}
	return f, err
}

// LastFeedSync returns the latest successful sync of feed from source.
func (s *Store) LastFeedSync(ctx context.Context, feed, source string) (store.FeedSync, error) {
	return s.lastSync(ctx, feed, source, true)
}

// FeedStatus summarizes the KEV, EPSS and NVD feeds.
func (s *Store) FeedStatus(ctx context.Context) ([]store.FeedStatus, error) {
	var out []store.FeedStatus
	for _, feed := range []string{store.FeedKEV, store.FeedEPSS, store.FeedNVD} {
		st := store.FeedStatus{Feed: feed}
		var asOf timeCol
		var err error
		switch feed {
		case store.FeedKEV:
			err = s.r.QueryRowContext(ctx, `SELECT catalog_version, date_released FROM kev_catalogs
				ORDER BY date_released DESC, loaded_at DESC LIMIT 1`).Scan(&st.Version, &asOf)
			if err == nil {
				err = s.r.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM kev_entries WHERE removed_at IS NULL),
					(SELECT COUNT(*) FROM kev_catalogs)`).Scan(&st.Rows, &st.History)
			}
		case store.FeedEPSS:
			err = s.r.QueryRowContext(ctx, `SELECT score_date, model_version, row_count FROM epss_days
				ORDER BY score_date DESC LIMIT 1`).Scan(&asOf, &st.Version, &st.Rows)
			if err == nil {
				err = s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM epss_days`).Scan(&st.History)
			}
		case store.FeedNVD:
			var n int
			err = s.r.QueryRowContext(ctx, `SELECT COUNT(*), MAX(last_modified) FROM cve_records`).Scan(&n, &asOf)
			st.Rows, st.History = n, n
			if asOf.Valid {
				st.Version = asOf.T.Format(time.RFC3339)
			}
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%s status: %w", feed, err)
		}
		st.AsOf = asOf.T
		for _, success := range []bool{false, true} {
			f, err := s.lastSync(ctx, feed, "", success)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("%s status: %w", feed, err)
			}
			if success {
				st.LastSuccess = &f
			} else {
				st.LastSync = &f
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func stringArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func dedupSorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
