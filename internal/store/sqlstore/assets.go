package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// pendingAssets are assets CreateAsset has numbered but not written yet. A
// first import creates thousands of assets, one at a time as the resolver
// meets them; written a batch at a time, in two multi-row statements, they
// cost a fraction of two statements each (on PostgreSQL, two round trips
// each). Every other method of the transaction writes them first
// (flushAssets), and so does the commit: no statement can miss one.
type pendingAssets struct {
	ids      []int64 // reserved ids not used yet (PostgreSQL)
	reserved int     // ids reserved so far in this transaction (PostgreSQL)
	next     int64   // the next id on SQLite, 0 until read
	assets   []pendingAsset
}

type pendingAsset struct {
	a        model.Asset
	importID int64
	rule     string
}

// CreateAsset numbers a and queues it for flushAssets.
func (t *ingestTx) CreateAsset(ctx context.Context, a *model.Asset, importID int64, rule string) error {
	id, err := t.newAssetID(ctx)
	if err != nil {
		return fmt.Errorf("create asset: %w", err)
	}
	a.ID = id
	t.pending.assets = append(t.pending.assets, pendingAsset{a: *a, importID: importID, rule: rule})
	return nil
}

// newAssetID reserves an id for a new asset. On SQLite the import's
// transaction is the only writer, so ids follow the largest stored one. On
// PostgreSQL they come from the table's sequence, a block at a time
// (blocks grow with the import, so that a small import wastes few).
func (t *ingestTx) newAssetID(ctx context.Context) (int64, error) {
	p := &t.pending
	if t.s.cfg.Dialect != "postgres" {
		if p.next == 0 {
			if err := t.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM assets").Scan(&p.next); err != nil {
				return 0, err
			}
		}
		p.next++
		return p.next - 1, nil
	}
	if len(p.ids) == 0 {
		n := min(max(8, p.reserved), 1024) // doubles the ids reserved so far
		p.reserved += n
		rows, err := t.tx.QueryContext(ctx, "SELECT nextval(pg_get_serial_sequence('assets', 'id')) FROM generate_series(1, $1)", n)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return 0, err
			}
			p.ids = append(p.ids, id)
		}
		if err := rows.Err(); err != nil {
			return 0, err
		}
		if len(p.ids) == 0 {
			return 0, fmt.Errorf("the assets sequence gave no ids")
		}
	}
	id := p.ids[0]
	p.ids = p.ids[1:]
	return id, nil
}

// flushAssets writes the pending assets and their identifiers.
func (t *ingestTx) flushAssets(ctx context.Context) error {
	ps := t.pending.assets
	if len(ps) == 0 {
		return nil
	}
	t.pending.assets = nil
	const ncol = 10
	err := chunks(len(ps), rowsPerStatement(ncol), func(lo, hi int) error {
		args := make([]any, 0, (hi-lo)*ncol)
		for _, p := range ps[lo:hi] {
			a := &p.a
			args = append(args, a.ID, string(a.Kind), a.Name, store.JSONText(a.Attributes, "{}"), store.JSONText(a.Tags, "{}"),
				a.Criticality, a.InternetExposed, a.Owner, a.FirstSeen.UTC(), a.LastSeen.UTC())
		}
		q := t.valuesSQL("INSERT INTO assets (id, kind, name, attributes, tags, criticality, internet_exposed, owner, first_seen, last_seen)", ncol, hi-lo, "")
		_, err := t.tx.ExecContext(ctx, q, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("create assets: %w", err)
	}
	var ids []identifierRow
	for _, p := range ps {
		for _, id := range p.a.Identifiers {
			ids = append(ids, identifierRow{asset: p.a.ID, id: id, importID: p.importID, rule: p.rule, at: p.a.FirstSeen})
		}
	}
	if err := t.insertIdentifiers(ctx, ids); err != nil {
		return fmt.Errorf("create assets: %w", err)
	}
	return nil
}

// identifierRow is one asset_identifiers row.
type identifierRow struct {
	asset    int64
	id       model.Identifier
	importID int64
	rule     string
	at       time.Time
}

// insertIdentifiers writes identifier rows, an identifier an asset holds
// already left as it is, in multi-row statements (on PostgreSQL each
// statement is a round trip).
func (t *ingestTx) insertIdentifiers(ctx context.Context, rows []identifierRow) error {
	const ncol = 6
	return chunks(len(rows), rowsPerStatement(ncol), func(lo, hi int) error {
		args := make([]any, 0, ncol*(hi-lo))
		for _, r := range rows[lo:hi] {
			args = append(args, r.asset, string(r.id.Kind), r.id.Value, nullID(r.importID), r.rule, r.at.UTC())
		}
		q := t.valuesSQL("INSERT INTO asset_identifiers (asset_id, kind, value, import_id, rule, created_at)", ncol, hi-lo,
			" ON CONFLICT (asset_id, kind, value) DO NOTHING")
		_, err := t.tx.ExecContext(ctx, q, args...)
		return err
	})
}
