package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// SetFindingStatus records a manual decision: accepted or false_positive,
// or open to take one back (the next import then sets the real state).
func (s *Store) SetFindingStatus(ctx context.Context, id int64, status model.Status, note string) error {
	if !status.IsManual() && status != model.StatusOpen {
		return fmt.Errorf("status %q cannot be set by hand (use accepted, false_positive or open)", status)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE findings SET status = $1, status_note = $2, updated_at = $3,
		fixed_at = CASE WHEN $4 THEN NULL ELSE fixed_at END WHERE id = $5`,
		string(status), note, time.Now().UTC(), status == model.StatusOpen, id)
	if err != nil {
		return fmt.Errorf("finding %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finding %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// Ingest runs fn in one write transaction, an import's.
func (s *Store) Ingest(ctx context.Context, fn func(tx store.IngestTx) error) error {
	return s.inTx(ctx, true, fn)
}

// inTx runs fn in one write transaction; bulk is for imports (see below)
// and leaves SQLite's foreign keys unchecked.
func (s *Store) inTx(ctx context.Context, bulk bool, fn func(tx store.IngestTx) error) (err error) {
	// The transaction runs on a dedicated connection so that a bulk path
	// (PostgreSQL COPY) can reach the driver connection inside it.
	conn, err := s.cfg.Writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	if bulk && s.cfg.Dialect == "sqlite" {
		// No foreign key enforcement inside an import: SQLite must copy
		// every page a multi-row statement changes to a statement journal
		// when a constraint could abort it halfway, and foreign keys
		// always can (even deferred ones); that copying cost more than a
		// quarter of a first import. An import refers only to ids it read
		// or created in the same transaction, and the one cascading
		// delete (scope_findings) is done by hand in MergeAssets.
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		defer func() {
			if ferr := fkOn(context.WithoutCancel(ctx), conn); ferr != nil {
				err = errors.Join(err, ferr)
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	it := &ingestTx{s: s, conn: conn, tx: s.txHandle(tx), sqls: map[string]string{}, texts: map[string]int64{}}
	err = runTx(tx, func() error {
		if s.cfg.Dialect == "postgres" {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", lockIngest); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		if bulk && s.cfg.Dialect == "postgres" {
			// An import's queries each read a few thousand rows by index,
			// for a batch of assets. Parallel workers only add their
			// start-up (on two cores, most of a look-up's time at a million
			// findings); JIT compiles for milliseconds a query that runs
			// for a few; and a hash or merge join reads a whole table
			// where the planner, misjudging how many of an asset's rows
			// match, prefers it to index look-ups: the present detections
			// of 500 assets took 300 ms through a hash join over all
			// detections, 60 ms through the (finding, source) index.
			if _, err := tx.ExecContext(ctx, `SELECT set_config('max_parallel_workers_per_gather', '0', true),
				set_config('jit', 'off', true), set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`); err != nil {
				return fmt.Errorf("begin: %w", err)
			}
		}
		if err := fn(it); err != nil {
			return err
		}
		return it.flushAssets(ctx)
	})
	if err != nil {
		return err
	}
	return s.analyzeAfter(ctx, conn, it.written)
}

// analyzeAfter refreshes PostgreSQL's planner statistics after an import
// that wrote many rows. Autovacuum would, but only a minute or more later:
// until then the planner sees fresh tables as empty and the next import's
// look-ups by asset scan whole tables (seconds per batch at a million
// findings). SQLite plans from its indexes alone.
func (s *Store) analyzeAfter(ctx context.Context, conn *sql.Conn, written int) error {
	if s.cfg.Dialect != "postgres" || written < analyzeRows {
		return nil
	}
	if _, err := conn.ExecContext(ctx, "ANALYZE findings, detections, assets, asset_identifiers, coverage"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// analyzeRows is how many findings and detections an import writes before
// it refreshes the planner's statistics.
const analyzeRows = 10000

// fkOn turns foreign keys back on for conn's next user, or retires conn.
func fkOn(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = ON"); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // never reused
		return fmt.Errorf("foreign keys: %w", err)
	}
	return nil
}

type ingestTx struct {
	s       *Store
	conn    *sql.Conn
	tx      handle
	sqls    map[string]string // multi-row statements by shape (see valuesSQL)
	texts   map[string]int64  // finding_texts ids by digest (see resolveTexts)
	pending pendingAssets     // created, not yet written (see CreateAsset)
	written int               // findings and detections written
}

// valuesSQL returns head + " VALUES (...), (...)" + tail for rows rows of
// ncol values. An import runs the same few shapes thousands of times, so
// each is built once per transaction.
func (t *ingestTx) valuesSQL(head string, ncol, rows int, tail string) string {
	return t.valuesLitSQL(head, ncol, rows, "", tail)
}

// valuesLitSQL is valuesSQL with lits (", 'a', 1") closing every row.
func (t *ingestTx) valuesLitSQL(head string, ncol, rows int, lits, tail string) string {
	key := head + "\x00" + strconv.Itoa(rows) + "\x00" + lits + "\x00" + tail
	if q, ok := t.sqls[key]; ok {
		return q
	}
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(" VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		b.WriteString(placeholders(i*ncol+1, ncol))
		b.WriteString(lits)
		b.WriteByte(')')
	}
	b.WriteString(tail)
	q := b.String()
	t.sqls[key] = q
	return q
}

func (t *ingestTx) BeginImport(ctx context.Context, imp *model.Import) error {
	if err := t.flushAssets(ctx); err != nil {
		return err
	}
	return t.tx.QueryRowContext(ctx, `INSERT INTO imports (source, format_version, file, digest, started_at, counts, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		imp.Source, imp.FormatVersion, imp.File, imp.Digest, imp.StartedAt.UTC(), store.JSONText(imp.Counts, "{}"), imp.Error).Scan(&imp.ID)
}

func (t *ingestTx) FinishImport(ctx context.Context, imp model.Import) error {
	if err := t.flushAssets(ctx); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE imports SET finished_at = $1, counts = $2, error = $3, digest = $4, source = $5 WHERE id = $6`,
		imp.FinishedAt.UTC(), store.JSONText(imp.Counts, "{}"), imp.Error, imp.Digest, imp.Source, imp.ID)
	return err
}

func (t *ingestTx) LookupIdentifiers(ctx context.Context, ids []model.Identifier) ([]store.IdentifierRecord, error) {
	if err := t.flushAssets(ctx); err != nil {
		return nil, err
	}
	var out []store.IdentifierRecord
	err := chunks(len(ids), 400, func(lo, hi int) error {
		w := &where{}
		var cond string
		if t.s.cfg.Dialect == "postgres" {
			// Two array parameters: one statement for any number of
			// identifiers, planned once per import, where a chain of ORs
			// is planned anew for each length (most of a look-up's time).
			kinds, values := make([]string, 0, hi-lo), make([]string, 0, hi-lo)
			for _, id := range ids[lo:hi] {
				kinds, values = append(kinds, string(id.Kind)), append(values, id.Value)
			}
			cond = "(i.kind, i.value) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
			w.args = []any{kinds, values}
		} else {
			var ors []string
			for _, id := range ids[lo:hi] {
				sub := &where{args: w.args}
				sub.add("(i.kind = ? AND i.value = ?)", string(id.Kind), id.Value)
				w.args = sub.args
				ors = append(ors, sub.conds[0])
			}
			cond = joinOr(ors)
		}
		q := `SELECT i.id, COALESCE(a.merged_into, a.id), i.kind, i.value, COALESCE(i.import_id, 0), i.rule, i.created_at
			FROM asset_identifiers i JOIN assets a ON a.id = i.asset_id WHERE ` + cond + ` ORDER BY i.id`
		rows, err := t.tx.QueryContext(ctx, q, w.args...)
		if err != nil {
			return fmt.Errorf("lookup identifiers: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r store.IdentifierRecord
			var at timeCol
			if err := rows.Scan(&r.ID, &r.AssetID, &r.Kind, &r.Value, &r.ImportID, &r.Rule, &at); err != nil {
				return err
			}
			r.CreatedAt = at.T
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

func joinOr(parts []string) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += " OR "
		}
		s += p
	}
	return s
}

func (t *ingestTx) MergeBlocked(ctx context.Context, a, b int64) (bool, error) {
	if err := t.flushAssets(ctx); err != nil {
		return false, err
	}
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM asset_merges WHERE undone_at IS NOT NULL
		AND ((into_id = $1 AND from_id = $2) OR (into_id = $3 AND from_id = $4))`, a, b, b, a).Scan(&n)
	return n > 0, err
}

func (t *ingestTx) AddIdentifiers(ctx context.Context, assetID int64, ids []model.Identifier, importID int64, rule string, at time.Time) error {
	if err := t.flushAssets(ctx); err != nil {
		return err
	}
	rows := make([]identifierRow, len(ids))
	for i, id := range ids {
		rows[i] = identifierRow{asset: assetID, id: id, importID: importID, rule: rule, at: at}
	}
	if err := t.insertIdentifiers(ctx, rows); err != nil {
		return fmt.Errorf("add identifiers of asset %d: %w", assetID, err)
	}
	return nil
}

func (t *ingestTx) MergeAssets(ctx context.Context, into, from int64, rule string, importID int64, at time.Time) error {
	if err := t.flushAssets(ctx); err != nil {
		return err
	}
	if into == from {
		return nil
	}
	// Re-key from's findings onto into; where into already has a finding
	// of the same key, move the detections over and drop the duplicate.
	rows, err := t.tx.QueryContext(ctx, `SELECT id, fkey FROM findings WHERE asset_id = $1`, from)
	if err != nil {
		return fmt.Errorf("merge assets: %w", err)
	}
	type fk struct {
		id  int64
		key string
	}
	var moving []fk
	for rows.Next() {
		var f fk
		if err := rows.Scan(&f.id, &f.key); err != nil {
			rows.Close()
			return err
		}
		moving = append(moving, f)
	}
	rows.Close()
	for _, f := range moving {
		fp := model.Fingerprint(into, f.key)
		var existing int64
		err := t.tx.QueryRowContext(ctx, `SELECT id FROM findings WHERE asset_id = $1 AND fkey = $2`, into, f.key).Scan(&existing)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := t.tx.ExecContext(ctx, `UPDATE findings SET asset_id = $1, fingerprint = $2, updated_at = $3 WHERE id = $4`,
				into, fp, at.UTC(), f.id); err != nil {
				return fmt.Errorf("merge assets: %w", err)
			}
		case err != nil:
			return fmt.Errorf("merge assets: %w", err)
		default:
			// Detections of a source both findings have: keep into's.
			if _, err := t.tx.ExecContext(ctx, `UPDATE detections SET finding_id = $1 WHERE finding_id = $2
				AND source NOT IN (SELECT source FROM detections WHERE finding_id = $3)`, existing, f.id, existing); err != nil {
				return fmt.Errorf("merge assets: %w", err)
			}
			for _, q := range []string{
				`DELETE FROM detections WHERE finding_id = $1`,
				`DELETE FROM ticket_findings WHERE finding_id = $1`,
				`DELETE FROM scope_findings WHERE finding_id = $1`, // no cascade: see Ingest
				`DELETE FROM exceptions WHERE finding_id = $1`,
				`DELETE FROM findings WHERE id = $1`,
			} {
				if _, err := t.tx.ExecContext(ctx, q, f.id); err != nil {
					return fmt.Errorf("merge assets: %w", err)
				}
			}
		}
	}
	// Coverage of from counts for into.
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO coverage (asset_id, source, import_id, seen_at)
		SELECT $1, source, import_id, seen_at FROM coverage WHERE asset_id = $2
		ON CONFLICT (asset_id, source) DO NOTHING`, into, from); err != nil {
		return fmt.Errorf("merge assets: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE assets SET merged_into = $1 WHERE id = $2 OR merged_into = $3`, into, from, from); err != nil {
		return fmt.Errorf("merge assets: %w", err)
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO asset_merges (into_id, from_id, rule, import_id, merged_at) VALUES ($1, $2, $3, $4, $5)`,
		into, from, rule, nullID(importID), at.UTC())
	return err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (t *ingestTx) TouchAssets(ctx context.Context, ids []int64, at time.Time) error {
	if err := t.flushAssets(ctx); err != nil {
		return err
	}
	return chunks(len(ids), 500, func(lo, hi int) error {
		args := append([]any{at.UTC()}, int64Args(ids[lo:hi])...)
		_, err := t.tx.ExecContext(ctx, `UPDATE assets SET last_seen = $1 WHERE id IN (`+placeholders(2, hi-lo)+`)`, args...)
		return err
	})
}

func (t *ingestTx) FindingStates(ctx context.Context, source string, keys []store.FindingKey) (map[string]store.FindingState, error) {
	if err := t.flushAssets(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]store.FindingState, len(keys))
	if t.s.cfg.Dialect == "postgres" {
		assets, fkeys := make([]int64, len(keys)), make([]string, len(keys))
		for i, k := range keys {
			assets[i], fkeys[i] = k.AssetID, k.Key
		}
		return out, t.findingStates(ctx, "(f.asset_id, f.fkey) IN (SELECT * FROM unnest($2::bigint[], $3::text[]))",
			[]any{source, assets, fkeys}, out)
	}
	err := chunks(len(keys), 450, func(lo, hi int) error {
		args := append([]any{source}, keyArgs(keys[lo:hi])...)
		return t.findingStates(ctx, "(f.asset_id, f.fkey) IN (VALUES "+pairs(2, hi-lo)+")", args, out)
	})
	return out, err
}

// keyArgs flattens finding keys into (asset, key) argument pairs.
func keyArgs(keys []store.FindingKey) []any {
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, k.AssetID, k.Key)
	}
	return args
}

// pairs is n row values of two placeholders, numbered from from.
func pairs(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "($%d, $%d)", from+2*i, from+2*i+1)
	}
	return b.String()
}

func (t *ingestTx) AssetFindingStates(ctx context.Context, source string, assetIDs []int64) (map[string]store.FindingState, error) {
	if err := t.flushAssets(ctx); err != nil {
		return nil, err
	}
	out := map[string]store.FindingState{}
	if t.s.cfg.Dialect == "postgres" {
		// One array parameter: the same statement for any number of
		// assets, prepared and planned once per import.
		return out, t.findingStates(ctx, "f.asset_id = ANY($2)", []any{source, assetIDs}, out)
	}
	err := chunks(len(assetIDs), 500, func(lo, hi int) error {
		args := append([]any{source}, int64Args(assetIDs[lo:hi])...)
		return t.findingStates(ctx, "f.asset_id IN ("+placeholders(2, hi-lo)+")", args, out)
	})
	return out, err
}

// findingStates adds the states of the findings cond selects to out; args
// start with the source whose detections to join.
func (t *ingestTx) findingStates(ctx context.Context, cond string, args []any, out map[string]store.FindingState) error {
	rows, err := t.tx.QueryContext(ctx, `SELECT f.fingerprint, f.id, f.asset_id, f.status, f.source, f.content_hash,
		COALESCE(d.id, 0), COALESCE(d.present, FALSE), COALESCE(d.content_hash, '')
		FROM findings f LEFT JOIN detections d ON d.finding_id = f.id AND d.source = $1
		WHERE `+cond, args...)
	if err != nil {
		return fmt.Errorf("finding states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var fp string
		var st store.FindingState
		if err := rows.Scan(&fp, &st.FindingID, &st.AssetID, &st.Status, &st.Source, &st.ContentHash, &st.DetectionID, &st.Present, &st.DetectionHash); err != nil {
			return err
		}
		out[fp] = st
	}
	return rows.Err()
}

// FindingRow is one finding flattened into column values. Its descriptive
// text is stored once per content in finding_texts (see store.FindingText):
// the row holds that text's id, which UpsertFindings fills in.
type FindingRow struct {
	AssetID, OriginAssetID                int64
	Fingerprint, Key, Source, ContentHash string
	Kind, Severity, VulnID                string
	Aliases, CWEs, CVSS                   string
	CVSSScore                             float64
	RuleID, Component, Package, Location  string
	Text                                  store.FindingText
	TextDigest                            string
	TextID                                int64
	Status                                string
	At                                    time.Time
	Fresh                                 bool // see store.FindingWrite
}

// FindingColumns are FindingRow's columns in Values order.
var FindingColumns = []string{"asset_id", "origin_asset_id", "fingerprint", "fkey", "source", "content_hash", "kind", "text_id",
	"severity", "vuln_id", "aliases", "cwes", "cvss", "cvss_score", "rule_id", "component", "package", "location",
	"status", "first_seen", "last_seen", "updated_at"}

// Values lists the row's values in FindingColumns order.
func (r FindingRow) Values() []any {
	return append(make([]any, 0, len(FindingColumns)), r.AssetID, r.OriginAssetID, r.Fingerprint, r.Key, r.Source, r.ContentHash, r.Kind, r.TextID,
		r.Severity, r.VulnID, r.Aliases, r.CWEs, r.CVSS, r.CVSSScore, r.RuleID, r.Component, r.Package, r.Location,
		r.Status, r.At, r.At, r.At)
}

// FindingConflict is the ON CONFLICT clause both backends use: descriptive
// fields follow only the source that created the finding.
const FindingConflict = findingOnConflict + `
	RETURNING id, fingerprint`

const findingOnConflict = ` ON CONFLICT (asset_id, fkey) DO UPDATE SET
	text_id = CASE WHEN findings.source = excluded.source THEN excluded.text_id ELSE findings.text_id END,
	severity = CASE WHEN findings.source = excluded.source THEN excluded.severity ELSE findings.severity END,
	aliases = CASE WHEN findings.source = excluded.source THEN excluded.aliases ELSE findings.aliases END,
	cwes = CASE WHEN findings.source = excluded.source THEN excluded.cwes ELSE findings.cwes END,
	cvss = CASE WHEN findings.source = excluded.source THEN excluded.cvss ELSE findings.cvss END,
	cvss_score = CASE WHEN findings.source = excluded.source THEN excluded.cvss_score ELSE findings.cvss_score END,
	component = CASE WHEN findings.source = excluded.source THEN excluded.component ELSE findings.component END,
	location = CASE WHEN findings.source = excluded.source THEN excluded.location ELSE findings.location END,
	content_hash = CASE WHEN findings.source = excluded.source THEN excluded.content_hash ELSE findings.content_hash END,
	updated_at = excluded.updated_at`

func findingRow(w *store.FindingWrite, at time.Time) FindingRow {
	f := &w.Finding
	score := 0.0
	for _, c := range f.CVSS {
		score = max(score, c.Score)
	}
	js := w.JSON
	if js == nil {
		e := store.EncodeFinding(f)
		js = &e
	}
	text := store.FindingText{Title: f.Title, Description: f.Description, Remediation: f.Remediation, References: js.References}
	digest := w.TextDigest
	if digest == "" {
		digest = text.Digest()
	}
	return FindingRow{
		AssetID: f.AssetID, OriginAssetID: f.AssetID, Fingerprint: f.Fingerprint, Key: w.Key, Source: w.Source,
		ContentHash: w.ContentHash, Kind: string(f.Kind), Text: text, TextDigest: digest,
		Severity: string(f.Severity), VulnID: f.VulnID, Aliases: js.Aliases, CWEs: js.CWEs,
		CVSS: js.CVSS, CVSSScore: score, RuleID: f.RuleID, Component: js.Component,
		Package: f.Component.Name, Location: js.Location, Status: string(model.StatusOpen), At: at.UTC(), Fresh: w.Fresh,
	}
}

func (t *ingestTx) UpsertFindings(ctx context.Context, ws []store.FindingWrite, at time.Time) (map[string]int64, error) {
	if err := t.flushAssets(ctx); err != nil {
		return nil, err
	}
	t.written += len(ws)
	rows := make([]FindingRow, len(ws))
	for i := range ws {
		rows[i] = findingRow(&ws[i], at)
	}
	if err := t.resolveTexts(ctx, rows); err != nil {
		return nil, err
	}
	if t.s.cfg.Bulk != nil && len(rows) >= 64 {
		return t.s.cfg.Bulk.UpsertFindings(ctx, t.conn, rows)
	}
	if t.s.cfg.Dialect == "sqlite" {
		return t.upsertFindingsSQLite(ctx, rows)
	}
	ids := make(map[string]int64, len(rows))
	ncol := len(FindingColumns)
	err := chunks(len(rows), rowsPerStatement(ncol), func(lo, hi int) error {
		args := make([]any, 0, (hi-lo)*ncol)
		for _, r := range rows[lo:hi] {
			args = append(args, r.Values()...)
		}
		q := t.valuesSQL("INSERT INTO findings ("+strings.Join(FindingColumns, ", ")+")", ncol, hi-lo, FindingConflict)
		res, err := t.tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("upsert findings: %w", err)
		}
		defer res.Close()
		return ReadIDs(res, ids)
	})
	return ids, err
}

// ReadIDs adds rows of (id, key) to ids, by key: findings by fingerprint,
// finding texts by digest.
func ReadIDs(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}, ids map[string]int64) error {
	for rows.Next() {
		var id int64
		var fp string
		if err := rows.Scan(&id, &fp); err != nil {
			return err
		}
		ids[fp] = id
	}
	return rows.Err()
}

// upsertFindingsSQLite writes findings with insertSQLite. When every row
// was new, their ids are the ones after the largest id before: SQLite
// numbers inserted rows in order, and the import's transaction is the only
// writer. Otherwise the ids are read back: rows past that largest id, then
// the updated ones by asset and key. (RETURNING would make SQLite journal
// every page first.)
func (t *ingestTx) upsertFindingsSQLite(ctx context.Context, rows []FindingRow) (map[string]int64, error) {
	if len(rows) == 0 {
		return map[string]int64{}, nil
	}
	maxID := func() (id int64, err error) {
		err = t.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM findings").Scan(&id)
		return id, err
	}
	before, err := maxID()
	if err != nil {
		return nil, fmt.Errorf("upsert findings: %w", err)
	}
	// The values every row shares are SQL literals: binding costs per
	// value. Those are the status and times, and the source when one
	// source writes the whole batch (see sourceLiteral).
	nvar, lits := findingBoundSQLite, sourceLiteral(len(rows), func(i int) string { return rows[i].Source })
	if lits == "" {
		nvar++
	}
	lits += ", 'open'" + strings.Repeat(", "+sqliteTime(rows[0].At), 3) // status, first_seen, last_seen, updated_at
	inserted, err := t.insertSQLite(ctx, "findings", findingColumnsSQLite, nvar, lits, len(rows), func(args []any, i int) []any {
		r := &rows[i]
		args = append(args, r.AssetID, r.OriginAssetID, r.Fingerprint, r.Key, r.ContentHash, r.Kind, r.TextID,
			r.Severity, r.VulnID, r.Aliases, r.CWEs, r.CVSS, r.CVSSScore, r.RuleID, r.Component, r.Package, r.Location)
		if nvar > findingBoundSQLite {
			args = append(args, r.Source)
		}
		return args
	}, findingOnConflict)
	if err != nil {
		return nil, fmt.Errorf("upsert findings: %w", err)
	}
	ids := make(map[string]int64, len(rows))
	if inserted == len(rows) {
		after, err := maxID()
		if err != nil {
			return nil, fmt.Errorf("upsert findings: %w", err)
		}
		if after != before+int64(len(rows)) {
			return nil, fmt.Errorf("upsert findings: ids %d to %d after inserting %d rows past %d: another writer?", before+1, after, len(rows), before)
		}
		for i, r := range rows {
			ids[r.Fingerprint] = before + 1 + int64(i)
		}
		return ids, nil
	}
	scan := func(q string, args ...any) error {
		res, err := t.tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("upsert findings: %w", err)
		}
		defer res.Close()
		return ReadIDs(res, ids)
	}
	if err := scan("SELECT id, fingerprint FROM findings WHERE id > $1", before); err != nil {
		return nil, err
	}
	var updated []store.FindingKey
	for _, r := range rows {
		if _, ok := ids[r.Fingerprint]; !ok {
			updated = append(updated, store.FindingKey{AssetID: r.AssetID, Key: r.Key})
		}
	}
	err = chunks(len(updated), 450, func(lo, hi int) error {
		return scan("SELECT id, fingerprint FROM findings WHERE (asset_id, fkey) IN (VALUES "+pairs(1, hi-lo)+")", keyArgs(updated[lo:hi])...)
	})
	return ids, err
}

// findingColumnsSQLite are FindingColumns in the order SQLite's upsert
// binds them: source last, as it is a literal when the batch has one
// source, and then status and the three times, always literals.
var findingColumnsSQLite = []string{"asset_id", "origin_asset_id", "fingerprint", "fkey", "content_hash", "kind", "text_id",
	"severity", "vuln_id", "aliases", "cwes", "cvss", "cvss_score", "rule_id", "component", "package", "location",
	"source", "status", "first_seen", "last_seen", "updated_at"}

// findingBoundSQLite is how many of findingColumnsSQLite are always bound.
const findingBoundSQLite = 17

// sourceLiteral is ", '<source>'" when the n rows of a batch share one
// source (source(i) is row i's), as an import's do, so that it can close
// every row as a literal; "" when the source must be bound per row.
func sourceLiteral(n int, source func(i int) string) string {
	first := source(0)
	for i := 1; i < n; i++ {
		if source(i) != first {
			return ""
		}
	}
	return ", '" + strings.ReplaceAll(first, "'", "''") + "'"
}

// sqliteTime is t as a SQLite literal, in the layout the driver writes a
// bound time in (the _time_format=sqlite of the DSN), so that literal and
// bound times compare and sort alike.
func sqliteTime(t time.Time) string {
	return "'" + t.UTC().Format(SQLiteTimeLayout) + "'"
}

// SQLiteTimeLayout is how the SQLite driver writes times (_time_format=sqlite).
const SQLiteTimeLayout = "2006-01-02 15:04:05.999999999-07:00"

// insertSQLite writes n rows in multi-row INSERT OR IGNORE statements,
// which no constraint can abort halfway, so SQLite need not copy the pages
// they change to a statement journal first (an upsert's DO UPDATE always
// can: it cost a sixth of a first import). A statement that left rows out
// (they existed) is run again as an upsert with conflict, whose errors are
// real ones: our values are never NULL, so nothing else is ignored. The
// first nvar of cols are bound from values; lits holds the others' values
// as SQL literals. It returns how many rows the first statements inserted.
func (t *ingestTx) insertSQLite(ctx context.Context, table string, cols []string, nvar int, lits string, n int,
	values func(args []any, i int) []any, conflict string) (inserted int, err error) {
	head := " " + table + " (" + strings.Join(cols, ", ") + ")"
	err = chunks(n, rowsPerStatement(nvar), func(lo, hi int) error {
		args := make([]any, 0, (hi-lo)*nvar)
		for i := lo; i < hi; i++ {
			args = values(args, i)
		}
		res, err := t.tx.ExecContext(ctx, t.valuesLitSQL("INSERT OR IGNORE INTO"+head, nvar, hi-lo, lits, ""), args...)
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		if err != nil || k == int64(hi-lo) {
			inserted += int(k)
			return err
		}
		inserted += int(k)
		_, err = t.tx.ExecContext(ctx, t.valuesLitSQL("INSERT INTO"+head, nvar, hi-lo, lits, conflict), args...)
		return err
	})
	return inserted, err
}

// DetectionRow is one detection flattened into column values.
type DetectionRow struct {
	FindingID                                 int64
	Source, ToolID, Severity, ContentHash, Ev string
	ImportID                                  int64
	At                                        time.Time
	Fresh                                     bool // see store.DetectionWrite
}

// DetectionColumns are DetectionRow's columns in Values order.
var DetectionColumns = []string{"finding_id", "source", "tool_id", "severity", "present", "content_hash", "evidence", "import_id", "first_seen", "last_seen"}

// Values lists the row's values in DetectionColumns order.
func (r DetectionRow) Values() []any {
	return []any{r.FindingID, r.Source, r.ToolID, r.Severity, true, r.ContentHash, r.Ev, r.ImportID, r.At, r.At}
}

// DetectionConflict is the ON CONFLICT clause both backends use.
const DetectionConflict = ` ON CONFLICT (finding_id, source) DO UPDATE SET
	tool_id = excluded.tool_id, severity = excluded.severity, present = TRUE, content_hash = excluded.content_hash,
	evidence = excluded.evidence, import_id = excluded.import_id, last_seen = excluded.last_seen`

func (t *ingestTx) UpsertDetections(ctx context.Context, ds []store.DetectionWrite, importID int64, at time.Time) error {
	if err := t.flushAssets(ctx); err != nil {
		return err
	}
	t.written += len(ds)
	rows := make([]DetectionRow, len(ds))
	for i, d := range ds {
		rows[i] = DetectionRow{FindingID: d.FindingID, Source: d.Source, ToolID: d.ToolID, Severity: d.Severity,
			ContentHash: d.ContentHash, Ev: d.Evidence, ImportID: importID, At: at.UTC(), Fresh: d.Fresh}
	}
	if t.s.cfg.Bulk != nil && len(rows) >= 64 {
		return t.s.cfg.Bulk.UpsertDetections(ctx, t.conn, rows)
	}
	if len(rows) == 0 {
		return nil
	}
	if t.s.cfg.Dialect == "sqlite" {
		// What every row shares is literal (see upsertFindingsSQLite):
		// present, import_id, the times, and the source when there is one.
		cols := []string{"finding_id", "tool_id", "severity", "content_hash", "evidence", "source", "present", "import_id", "first_seen", "last_seen"}
		const bound = 5 // the columns before source
		nvar, lits := bound, sourceLiteral(len(rows), func(i int) string { return rows[i].Source })
		if lits == "" {
			nvar++
		}
		lits += ", TRUE, " + strconv.FormatInt(importID, 10) + strings.Repeat(", "+sqliteTime(at), 2)
		_, err := t.insertSQLite(ctx, "detections", cols, nvar, lits, len(rows), func(args []any, i int) []any {
			r := &rows[i]
			args = append(args, r.FindingID, r.ToolID, r.Severity, r.ContentHash, r.Ev)
			if nvar > bound {
				args = append(args, r.Source)
			}
			return args
		}, DetectionConflict)
		if err != nil {
			return fmt.Errorf("upsert detections: %w", err)
		}
		return nil
	}
	ncol := len(DetectionColumns)
	return chunks(len(rows), rowsPerStatement(ncol), func(lo, hi int) error {
		args := make([]any, 0, (hi-lo)*ncol)
		for _, r := range rows[lo:hi] {
			args = append(args, r.Values()...)
		}
		q := t.valuesSQL("INSERT INTO detections ("+strings.Join(DetectionColumns, ", ")+")", ncol, hi-lo, DetectionConflict)
		if _, err := t.tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("upsert detections: %w", err)
		}
		return nil
	})
}

func (t *ingestTx) ReopenFindings(ctx context.Context, ids []int64, at time.Time) error {
	if err := t.flushAssets(ctx); err != nil {
		return err
	}
	return chunks(len(ids), 500, func(lo, hi int) error {
		args := append([]any{at.UTC()}, int64Args(ids[lo:hi])...)
		_, err := t.tx.ExecContext(ctx, `UPDATE findings SET status = 'reopened', fixed_at = NULL, reopen_count = reopen_count + 1,
			updated_at = $1 WHERE status = 'fixed' AND id IN (`+placeholders(2, hi-lo)+`)`, args...)
		return err
	})
}

func (t *ingestTx) PresentDetections(ctx context.Context, source string, assetIDs []int64, fn func(detectionID, findingID int64) error) error {
	if err := t.flushAssets(ctx); err != nil {
		return err
	}
	return chunks(len(assetIDs), 500, func(lo, hi int) error {
		args := append([]any{source}, int64Args(assetIDs[lo:hi])...)
		rows, err := t.tx.QueryContext(ctx, `SELECT d.id, d.finding_id FROM detections d JOIN findings f ON f.id = d.finding_id
			WHERE d.source = $1 AND d.present AND f.asset_id IN (`+placeholders(2, hi-lo)+`)`, args...)
		if err != nil {
			return fmt.Errorf("present detections: %w", err)
		}
		type pair struct{ d, f int64 }
		var ps []pair
		for rows.Next() {
			var p pair
			if err := rows.Scan(&p.d, &p.f); err != nil {
				rows.Close()
				return err
			}
			ps = append(ps, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range ps {
			if err := fn(p.d, p.f); err != nil {
				return err
			}
		}
		return nil
	})
}

func (t *ingestTx) MarkAbsent(ctx context.Context, detIDs []int64, importID int64, at time.Time) (int, error) {
	if err := t.flushAssets(ctx); err != nil {
		return 0, err
	}
	fixed := 0
	err := chunks(len(detIDs), 500, func(lo, hi int) error {
		ids := int64Args(detIDs[lo:hi])
		// last_seen of a detection going absent is when its source last
		// covered the asset before this import.
		args := append([]any{importID}, ids...)
		if _, err := t.tx.ExecContext(ctx, `UPDATE detections SET present = FALSE, import_id = $1,
			last_seen = COALESCE((SELECT c.seen_at FROM coverage c JOIN findings f ON f.asset_id = c.asset_id
				WHERE f.id = detections.finding_id AND c.source = detections.source), last_seen)
			WHERE id IN (`+placeholders(2, hi-lo)+`)`, args...); err != nil {
			return fmt.Errorf("mark absent: %w", err)
		}
		args = append([]any{at.UTC()}, ids...)
		rows, err := t.tx.QueryContext(ctx, `UPDATE findings SET status = 'fixed', fixed_at = $1, updated_at = $1
			WHERE status IN ('open', 'reopened')
			AND id IN (SELECT finding_id FROM detections WHERE id IN (`+placeholders(2, hi-lo)+`))
			AND NOT EXISTS (SELECT 1 FROM detections d WHERE d.finding_id = findings.id AND d.present)
			RETURNING id`, args...)
		if err != nil {
			return fmt.Errorf("fix findings: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			fixed++
		}
		return rows.Err()
	})
	return fixed, err
}

func (t *ingestTx) SetCoverage(ctx context.Context, source string, assetIDs []int64, importID int64, at time.Time) error {
	if err := t.flushAssets(ctx); err != nil {
		return err
	}
	return chunks(len(assetIDs), 5000, func(lo, hi int) error {
		args := make([]any, 0, (hi-lo)*4)
		for _, id := range assetIDs[lo:hi] {
			args = append(args, id, source, importID, at.UTC())
		}
		q := t.valuesSQL("INSERT INTO coverage (asset_id, source, import_id, seen_at)", 4, hi-lo,
			` ON CONFLICT (asset_id, source) DO UPDATE SET import_id = excluded.import_id, seen_at = excluded.seen_at`)
		_, err := t.tx.ExecContext(ctx, q, args...)
		return err
	})
}

// Setting returns a setting, creating it on first use.
func (s *Store) Setting(ctx context.Context, key string, create func() (string, error)) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	nv, err := create()
	if err != nil {
		return "", err
	}
	if _, err := s.w.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", key, nv); err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	if err := s.w.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v); err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	return v, nil
}

func (t *ingestTx) LoadAssets(ctx context.Context, ids []int64) ([]model.Asset, error) {
	if err := t.flushAssets(ctx); err != nil {
		return nil, err
	}
	return listAssets(ctx, t.tx, store.AssetFilter{IDs: ids})
}

// SplitAsset undoes the merge of asset id into another: id becomes a live
// asset again, the findings first found on it move back, and the pair is
// blocked from merging again.
func (s *Store) SplitAsset(ctx context.Context, id int64) (int64, error) {
	var into int64
	err := s.inTx(ctx, false, func(it store.IngestTx) error {
		t := it.(*ingestTx)
		var parent sql.NullInt64
		if err := t.tx.QueryRowContext(ctx, "SELECT merged_into FROM assets WHERE id = $1", id).Scan(&parent); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("asset %d: %w", id, store.ErrNotFound)
			}
			return err
		}
		if !parent.Valid {
			return fmt.Errorf("asset %d is not merged into another asset; split takes the id of a merged asset (see `ctem assets explain`)", id)
		}
		into = parent.Int64
		now := time.Now().UTC()
		if _, err := t.tx.ExecContext(ctx, "UPDATE assets SET merged_into = NULL WHERE id = $1", id); err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(ctx, "UPDATE asset_merges SET undone_at = $1 WHERE from_id = $2 AND undone_at IS NULL", now, id); err != nil {
			return err
		}
		rows, err := t.tx.QueryContext(ctx, "SELECT id, fkey FROM findings WHERE asset_id = $1 AND origin_asset_id = $2", into, id)
		if err != nil {
			return err
		}
		type fk struct {
			id  int64
			key string
		}
		var back []fk
		for rows.Next() {
			var f fk
			if err := rows.Scan(&f.id, &f.key); err != nil {
				rows.Close()
				return err
			}
			back = append(back, f)
		}
		rows.Close()
		for _, f := range back {
			if _, err := t.tx.ExecContext(ctx, "UPDATE findings SET asset_id = $1, fingerprint = $2, updated_at = $3 WHERE id = $4",
				id, model.Fingerprint(id, f.key), now, f.id); err != nil {
				return err
			}
		}
		return nil
	})
	return into, err
}

// rowsPerStatement sizes multi-row INSERTs: a few hundred parameters per
// statement, as the SQLite driver binds numbered parameters by name, which
// costs more per parameter as statements grow.
func rowsPerStatement(ncol int) int { return max(1, 2000/ncol) }

func (t *ingestTx) RenameAsset(ctx context.Context, id int64, name string) error {
	if err := t.flushAssets(ctx); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE assets SET name = $1 WHERE id = $2`, name, id)
	return err
}
