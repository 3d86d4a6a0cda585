package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// where accumulates SQL conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

// add appends a condition written with ? for its arguments, renumbered to $N.
func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	n := 0
	for _, r := range cond {
		if r == '?' {
			w.args = append(w.args, args[n])
			n++
			fmt.Fprintf(&b, "$%d", len(w.args))
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

// in appends "col IN (...)" for values.
func (w *where) in(col string, values []any) {
	if len(values) == 0 {
		w.conds = append(w.conds, "1 = 0")
		return
	}
	q := strings.Repeat("?, ", len(values))
	w.add(col+" IN ("+q[:len(q)-2]+")", values...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func (w *where) page(p store.Page, idCol string) string {
	if p.After > 0 {
		w.add(idCol+" > ?", p.After)
	}
	s := w.sql() + " ORDER BY " + idCol
	if p.Limit > 0 {
		s += fmt.Sprintf(" LIMIT %d", p.Limit)
	}
	return s
}

const assetCols = `a.id, a.kind, a.name, a.attributes, a.tags, a.criticality, a.internet_exposed, a.owner, a.crown_jewel, a.context, a.first_seen, a.last_seen`

func scanAsset(sc interface{ Scan(...any) error }) (model.Asset, error) {
	var a model.Asset
	var first, last timeCol
	err := sc.Scan(&a.ID, &a.Kind, &a.Name, jsonCol{&a.Attributes}, jsonCol{&a.Tags}, &a.Criticality, &a.InternetExposed, &a.Owner, &a.CrownJewel, jsonCol{&a.Context}, &first, &last)
	a.FirstSeen, a.LastSeen = first.T, last.T
	return a, err
}

func assetWhere(f store.AssetFilter) *where {
	w := &where{}
	w.add("a.merged_into IS NULL")
	if f.Kind != "" {
		w.add("a.kind = ?", string(f.Kind))
	}
	if f.Scope != "" {
		w.add("a.id IN (SELECT asset_id FROM scope_members WHERE scope = ?)", f.Scope)
	}
	if len(f.IDs) > 0 {
		w.in("a.id", int64Args(f.IDs))
	}
	return w
}

// querier is what reads need: a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// ListAssets lists live assets in id order, with their identifiers.
func (s *Store) ListAssets(ctx context.Context, f store.AssetFilter) ([]model.Asset, error) {
	return listAssets(ctx, s.r, f)
}

func listAssets(ctx context.Context, q querier, f store.AssetFilter) ([]model.Asset, error) {
	w := assetWhere(f)
	rows, err := q.QueryContext(ctx, "SELECT "+assetCols+" FROM assets a"+w.page(f.Page, "a.id"), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	defer rows.Close()
	var out []model.Asset
	index := map[int64]int{}
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, fmt.Errorf("list assets: %w", err)
		}
		index[a.ID] = len(out)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]int64, len(out))
	for i, a := range out {
		ids[i] = a.ID
	}
	err = chunks(len(ids), 500, func(lo, hi int) error {
		return identifiersOf(ctx, q, ids[lo:hi], func(assetID int64, id model.Identifier) {
			a := &out[index[assetID]]
			a.Identifiers = append(a.Identifiers, id)
		})
	})
	return out, err
}

// identifiersOf reads the identifiers of assets and of the assets merged
// into them.
func identifiersOf(ctx context.Context, db querier, ids []int64, fn func(int64, model.Identifier)) error {
	// Two index lookups joined by UNION ALL: an OR across the two tables
	// would scan every identifier.
	q := `SELECT i.asset_id, i.kind, i.value FROM asset_identifiers i WHERE i.asset_id IN (` + placeholders(1, len(ids)) + `)
		UNION ALL
		SELECT m.merged_into, i.kind, i.value FROM assets m JOIN asset_identifiers i ON i.asset_id = m.id
		WHERE m.merged_into IN (` + placeholders(len(ids)+1, len(ids)) + `)
		ORDER BY 1, 2, 3`
	args := append(int64Args(ids), int64Args(ids)...)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("asset identifiers: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var assetID int64
		var id model.Identifier
		if err := rows.Scan(&assetID, &id.Kind, &id.Value); err != nil {
			return err
		}
		k := fmt.Sprint(assetID, id.Kind, id.Value)
		if seen[k] {
			continue
		}
		seen[k] = true
		fn(assetID, id)
	}
	return rows.Err()
}

// CountAssets counts live assets.
func (s *Store) CountAssets(ctx context.Context, f store.AssetFilter) (int, error) {
	w := assetWhere(f)
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM assets a"+w.sql(), w.args...).Scan(&n)
	return n, err
}

// GetAsset returns one asset; a merged-away id yields the asset it is now part of.
func (s *Store) GetAsset(ctx context.Context, id int64) (model.Asset, error) {
	var into sql.NullInt64
	err := s.r.QueryRowContext(ctx, "SELECT merged_into FROM assets WHERE id = $1", id).Scan(&into)
	if errors.Is(err, sql.ErrNoRows) {
		return model.Asset{}, fmt.Errorf("asset %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return model.Asset{}, fmt.Errorf("asset %d: %w", id, err)
	}
	if into.Valid {
		return s.GetAsset(ctx, into.Int64)
	}
	list, err := s.ListAssets(ctx, store.AssetFilter{IDs: []int64{id}})
	if err != nil {
		return model.Asset{}, err
	}
	if len(list) == 0 {
		return model.Asset{}, fmt.Errorf("asset %d: %w", id, store.ErrNotFound)
	}
	return list[0], nil
}

// AssetHistory lists what joined an asset: its identifiers (also those of
// assets merged into it) and the merges.
func (s *Store) AssetHistory(ctx context.Context, id int64) (store.AssetHistory, error) {
	var h store.AssetHistory
	rows, err := s.r.QueryContext(ctx, `SELECT i.id, i.asset_id, i.kind, i.value, COALESCE(i.import_id, 0), i.rule, i.created_at
		FROM asset_identifiers i JOIN assets a ON a.id = i.asset_id
		WHERE i.asset_id = $1 OR a.merged_into = $2 ORDER BY i.id`, id, id)
	if err != nil {
		return h, fmt.Errorf("asset history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r store.IdentifierRecord
		var at timeCol
		if err := rows.Scan(&r.ID, &r.AssetID, &r.Kind, &r.Value, &r.ImportID, &r.Rule, &at); err != nil {
			return h, err
		}
		r.CreatedAt = at.T
		h.Identifiers = append(h.Identifiers, r)
	}
	if err := rows.Err(); err != nil {
		return h, err
	}
	mrows, err := s.r.QueryContext(ctx, `SELECT id, into_id, from_id, rule, COALESCE(import_id, 0), merged_at, undone_at
		FROM asset_merges WHERE into_id = $1 OR from_id = $2 ORDER BY id`, id, id)
	if err != nil {
		return h, fmt.Errorf("asset history: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var m store.MergeRecord
		var at, undone timeCol
		if err := mrows.Scan(&m.ID, &m.Into, &m.From, &m.Rule, &m.ImportID, &at, &undone); err != nil {
			return h, err
		}
		m.MergedAt, m.UndoneAt = at.T, undone.ptr()
		h.Merges = append(h.Merges, m)
	}
	return h, mrows.Err()
}

// findingCols selects a finding from findingFrom; last_seen is the newest
// time a source with a present detection covered the asset (see the
// coverage table).
const findingCols = `f.id, f.asset_id, a.name, f.fingerprint, f.kind, t.title, t.description, f.severity, f.vuln_id,
	f.aliases, f.cwes, f.cvss, f.rule_id, f.component, f.location, t.remediation, t.refs, f.status, f.status_note,
	f.first_seen, COALESCE((SELECT MAX(c.seen_at) FROM detections d JOIN coverage c ON c.asset_id = f.asset_id AND c.source = d.source
		WHERE d.finding_id = f.id AND d.present), f.last_seen),
	f.fixed_at, f.reopen_count, f.priority_band, f.priority_score, f.priority_explanation, f.policy_version, f.decided_at,
	f.validation, f.owner, f.sla_due, COALESCE(f.ticket_id, 0),
	COALESCE((SELECT ` + "%s" + ` FROM detections d WHERE d.finding_id = f.id AND d.present), '')`

// findingFrom joins a finding to its asset's name and its descriptive
// text, stored once per content (see store.FindingText).
const findingFrom = " FROM findings f JOIN assets a ON a.id = f.asset_id JOIN finding_texts t ON t.id = f.text_id"

func (s *Store) findingSelect() string {
	agg := "group_concat(d.source, ',')"
	if s.cfg.Dialect == "postgres" {
		agg = "string_agg(d.source, ',' ORDER BY d.source)"
	}
	return fmt.Sprintf(findingCols, agg)
}

func scanFinding(sc interface{ Scan(...any) error }) (model.Finding, error) {
	var f model.Finding
	var first, last, fixed, decided, due timeCol
	var sources string
	err := sc.Scan(&f.ID, &f.AssetID, &f.AssetName, &f.Fingerprint, &f.Kind, &f.Title, &f.Description, &f.Severity, &f.VulnID,
		jsonCol{&f.Aliases}, jsonCol{&f.CWEs}, jsonCol{&f.CVSS}, &f.RuleID, jsonCol{&f.Component}, jsonCol{&f.Location},
		&f.Remediation, jsonCol{&f.References}, &f.Status, &f.StatusNote,
		&first, &last, &fixed, &f.ReopenCount, &f.Priority.Band, &f.Priority.Score, &f.Priority.Explanation, &f.Priority.Policy, &decided,
		&f.Validation, &f.Owner, &due, &f.TicketID, &sources)
	f.FirstSeen, f.LastSeen, f.FixedAt, f.SLADue = first.T, last.T, fixed.ptr(), due.ptr()
	f.Priority.DecidedAt = decided.T
	if sources != "" {
		f.Sources = strings.Split(sources, ",")
	}
	return f, err
}

func findingWhere(f store.FindingFilter) *where {
	w := &where{}
	switch {
	case f.AllStatus:
	case len(f.Statuses) > 0:
		vals := make([]any, len(f.Statuses))
		for i, st := range f.Statuses {
			vals[i] = string(st)
		}
		w.in("f.status", vals)
	default:
		w.in("f.status", []any{string(model.StatusOpen), string(model.StatusReopened)})
	}
	if f.Kind != "" {
		w.add("f.kind = ?", string(f.Kind))
	}
	if len(f.Severities) > 0 {
		vals := make([]any, len(f.Severities))
		for i, sv := range f.Severities {
			vals[i] = string(sv)
		}
		w.in("f.severity", vals)
	}
	if f.AssetID > 0 {
		w.add("f.asset_id = ?", f.AssetID)
	}
	if f.Source != "" {
		w.add("f.id IN (SELECT finding_id FROM detections WHERE source = ?)", f.Source)
	}
	if f.VulnID != "" {
		w.add("f.vuln_id = ?", f.VulnID)
	}
	if f.Scope != "" {
		// A scope's findings are its assets' findings, narrowed by its
		// finding selector when it has one.
		w.add(`f.asset_id IN (SELECT asset_id FROM scope_members WHERE scope = ?)
			AND (NOT EXISTS (SELECT 1 FROM scope_filters sf WHERE sf.scope = ?)
				OR f.id IN (SELECT finding_id FROM scope_findings WHERE scope = ?))`, f.Scope, f.Scope, f.Scope)
	}
	return w
}

// ListFindings lists findings in id order.
func (s *Store) ListFindings(ctx context.Context, f store.FindingFilter) ([]model.Finding, error) {
	w := findingWhere(f)
	q := "SELECT " + s.findingSelect() + findingFrom + w.page(f.Page, "f.id")
	rows, err := s.r.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	defer rows.Close()
	out := []model.Finding{}
	for rows.Next() {
		fd, err := scanFinding(rows)
		if err != nil {
			return nil, fmt.Errorf("list findings: %w", err)
		}
		out = append(out, fd)
	}
	return out, rows.Err()
}

// CountFindings counts findings.
func (s *Store) CountFindings(ctx context.Context, f store.FindingFilter) (int, error) {
	w := findingWhere(f)
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM findings f"+w.sql(), w.args...).Scan(&n)
	return n, err
}

// GetFinding returns one finding.
func (s *Store) GetFinding(ctx context.Context, id int64) (model.Finding, error) {
	q := "SELECT " + s.findingSelect() + findingFrom + " WHERE f.id = $1"
	f, err := scanFinding(s.r.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("finding %d: %w", id, store.ErrNotFound)
	}
	return f, err
}

// FindingDetections lists a finding's detections.
func (s *Store) FindingDetections(ctx context.Context, findingID int64) ([]model.Detection, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.id, d.finding_id, d.source, d.tool_id, d.severity, d.present, d.first_seen,
		CASE WHEN d.present THEN COALESCE(c.seen_at, d.last_seen) ELSE d.last_seen END, d.import_id, d.evidence
		FROM detections d JOIN findings f ON f.id = d.finding_id
		LEFT JOIN coverage c ON c.asset_id = f.asset_id AND c.source = d.source
		WHERE d.finding_id = $1 ORDER BY d.id`, findingID)
	if err != nil {
		return nil, fmt.Errorf("detections: %w", err)
	}
	defer rows.Close()
	var out []model.Detection
	for rows.Next() {
		var d model.Detection
		var first, last timeCol
		if err := rows.Scan(&d.ID, &d.FindingID, &d.Source, &d.ToolID, &d.Severity, &d.Present, &first, &last, &d.ImportID, &d.Evidence); err != nil {
			return nil, err
		}
		d.FirstSeen, d.LastSeen = first.T, last.T
		out = append(out, d)
	}
	return out, rows.Err()
}

const importCols = `id, source, format_version, file, digest, started_at, finished_at, counts, error`

func scanImport(sc interface{ Scan(...any) error }) (model.Import, error) {
	var im model.Import
	var started, finished timeCol
	err := sc.Scan(&im.ID, &im.Source, &im.FormatVersion, &im.File, &im.Digest, &started, &finished, jsonCol{&im.Counts}, &im.Error)
	im.StartedAt, im.FinishedAt = started.T, finished.T
	return im, err
}

// ListImports lists imports, oldest first.
func (s *Store) ListImports(ctx context.Context, p store.Page) ([]model.Import, error) {
	w := &where{}
	rows, err := s.r.QueryContext(ctx, "SELECT "+importCols+" FROM imports"+w.page(p, "id"), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	defer rows.Close()
	var out []model.Import
	for rows.Next() {
		im, err := scanImport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// GetImport returns one import.
func (s *Store) GetImport(ctx context.Context, id int64) (model.Import, error) {
	im, err := scanImport(s.r.QueryRowContext(ctx, "SELECT "+importCols+" FROM imports WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return im, fmt.Errorf("import %d: %w", id, store.ErrNotFound)
	}
	return im, err
}
