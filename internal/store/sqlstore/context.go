package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ctemhq/ctem/internal/store"
)

// SetScopeMembers replaces the scope membership in one transaction.
func (s *Store) SetScopeMembers(ctx context.Context, members map[string][]int64) error {
	return s.inTx(ctx, false, func(it store.IngestTx) error {
		t := it.(*ingestTx)
		if _, err := t.tx.ExecContext(ctx, "DELETE FROM scope_members"); err != nil {
			return fmt.Errorf("scope members: %w", err)
		}
		for _, name := range slices.Sorted(maps.Keys(members)) {
			if err := t.insertScopeRows(ctx, "scope_members", "asset_id", name, members[name]); err != nil {
				return fmt.Errorf("scope members: %w", err)
			}
		}
		return nil
	})
}

// insertScopeRows inserts (scope, id) rows into table, whose id column is
// col, 400 rows a statement.
func (t *ingestTx) insertScopeRows(ctx context.Context, table, col, scope string, ids []int64) error {
	return chunks(len(ids), 400, func(lo, hi int) error {
		args := make([]any, 0, 2*(hi-lo))
		var q strings.Builder
		q.WriteString("INSERT INTO " + table + " (scope, " + col + ") VALUES ")
		for i, id := range ids[lo:hi] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + placeholders(len(args)+1, 2) + ")")
			args = append(args, scope, id)
		}
		q.WriteString(" ON CONFLICT (scope, " + col + ") DO NOTHING")
		_, err := t.tx.ExecContext(ctx, q.String(), args...)
		return err
	})
}

// ScopeMembers returns each asset's scopes.
func (s *Store) ScopeMembers(ctx context.Context, assetIDs []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	err := chunks(len(assetIDs), 500, func(lo, hi int) error {
		rows, err := s.r.QueryContext(ctx, "SELECT asset_id, scope FROM scope_members WHERE asset_id IN ("+placeholders(1, hi-lo)+") ORDER BY asset_id, scope", int64Args(assetIDs[lo:hi])...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var scope string
			if err := rows.Scan(&id, &scope); err != nil {
				return err
			}
			out[id] = append(out[id], scope)
		}
		return rows.Err()
	})
	return out, err
}

// UpdateAssetContext writes business context.
func (s *Store) UpdateAssetContext(ctx context.Context, updates []store.AssetContext) error {
	return s.inTx(ctx, false, func(it store.IngestTx) error {
		t := it.(*ingestTx)
		for _, u := range updates {
			if _, err := t.tx.ExecContext(ctx, `UPDATE assets SET criticality = $1, internet_exposed = $2, owner = $3, tags = $4,
				crown_jewel = $5, context = $6 WHERE id = $7`,
				u.Criticality, u.InternetExposed, u.Owner, store.JSONText(u.Tags, "{}"), u.CrownJewel, store.JSONText(u.Context, "[]"), u.AssetID); err != nil {
				return fmt.Errorf("asset %d context: %w", u.AssetID, err)
			}
		}
		return nil
	})
}

// SetPriorities writes prioritization decisions, in id order, in one
// transaction: multi-row statements, not one UPDATE per finding (see
// rescore.go).
func (s *Store) SetPriorities(ctx context.Context, ps []store.PriorityUpdate) error {
	if len(ps) == 0 {
		return nil
	}
	if !slices.IsSortedFunc(ps, byFindingID) {
		ps = slices.Clone(ps)
		slices.SortStableFunc(ps, byFindingID)
	}
	// One multi-row statement cannot set a row twice: the last decision
	// for an id wins, as it would one statement at a time.
	for i := 1; i < len(ps); i++ {
		if ps[i].FindingID == ps[i-1].FindingID {
			ps = lastPerID(ps)
			break
		}
	}
	return s.inTx(ctx, false, func(it store.IngestTx) error {
		t := it.(*ingestTx)
		var err error
		if s.cfg.Dialect == "postgres" {
			err = setPrioritiesPostgres(ctx, t.tx, ps)
		} else {
			err = setPrioritiesSQLite(ctx, t.tx, ps)
		}
		if err != nil {
			return fmt.Errorf("priorities: %w", err)
		}
		return nil
	})
}

func lastPerID(ps []store.PriorityUpdate) []store.PriorityUpdate {
	out := make([]store.PriorityUpdate, 0, len(ps))
	for i, p := range ps {
		if i+1 < len(ps) && ps[i+1].FindingID == p.FindingID {
			continue
		}
		out = append(out, p)
	}
	return out
}

func byFindingID(a, b store.PriorityUpdate) int { return cmp.Compare(a.FindingID, b.FindingID) }

// PutSetting sets an instance setting.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// SetScopeFindings replaces the finding membership of filtered scopes.
func (s *Store) SetScopeFindings(ctx context.Context, findings map[string][]int64) error {
	return s.inTx(ctx, false, func(it store.IngestTx) error {
		t := it.(*ingestTx)
		for _, q := range []string{"DELETE FROM scope_findings", "DELETE FROM scope_filters"} {
			if _, err := t.tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("scope findings: %w", err)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(findings)) {
			if _, err := t.tx.ExecContext(ctx, "INSERT INTO scope_filters (scope) VALUES ($1)", name); err != nil {
				return fmt.Errorf("scope findings: %w", err)
			}
			if err := t.insertScopeRows(ctx, "scope_findings", "finding_id", name, findings[name]); err != nil {
				return fmt.Errorf("scope findings: %w", err)
			}
		}
		return nil
	})
}
