package sqlstore

import (
	"context"
	"fmt"
)

// textCacheSize bounds the digests an import remembers: a few thousand
// distinct texts cover a large scan, but a report whose every finding has
// its own text (a SAST tool's messages) must not grow the map unbounded.
const textCacheSize = 100000

// resolveTexts sets every row's TextID to the id of its text in
// finding_texts, inserting the texts no finding has had before. Texts are
// looked up by digest once per import and remembered (up to
// textCacheSize), so a batch whose texts are all known costs no statement.
func (t *ingestTx) resolveTexts(ctx context.Context, rows []FindingRow) error {
	var missing []int // the first row of each digest not remembered
	first := map[string]bool{}
	for i := range rows {
		r := &rows[i]
		if id, ok := t.texts[r.TextDigest]; ok {
			r.TextID = id
		} else if !first[r.TextDigest] {
			first[r.TextDigest] = true
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	found := make(map[string]int64, len(missing))
	lookup := func(idx []int) error {
		return chunks(len(idx), 500, func(lo, hi int) error {
			args := make([]any, hi-lo)
			for k, i := range idx[lo:hi] {
				args[k] = rows[i].TextDigest
			}
			res, err := t.tx.QueryContext(ctx, "SELECT id, digest FROM finding_texts WHERE digest IN ("+placeholders(1, hi-lo)+")", args...)
			if err != nil {
				return err
			}
			defer res.Close()
			return ReadIDs(res, found)
		})
	}
	if err := lookup(missing); err != nil {
		return fmt.Errorf("finding texts: %w", err)
	}
	var insert []int
	for _, i := range missing {
		if _, ok := found[rows[i].TextDigest]; !ok {
			insert = append(insert, i)
		}
	}
	const ncol = 5
	err := chunks(len(insert), rowsPerStatement(ncol), func(lo, hi int) error {
		args := make([]any, 0, (hi-lo)*ncol)
		for _, i := range insert[lo:hi] {
			r := &rows[i]
			args = append(args, r.TextDigest, r.Text.Title, r.Text.Description, r.Text.Remediation, r.Text.References)
		}
		q := t.valuesSQL("INSERT INTO finding_texts (digest, title, description, remediation, refs)", ncol, hi-lo,
			" ON CONFLICT (digest) DO NOTHING")
		_, err := t.tx.ExecContext(ctx, q, args...)
		return err
	})
	if err == nil {
		err = lookup(insert)
	}
	if err != nil {
		return fmt.Errorf("finding texts: %w", err)
	}
	if len(t.texts)+len(found) > textCacheSize {
		clear(t.texts)
	}
	for d, id := range found {
		t.texts[d] = id
	}
	for i := range rows {
		r := &rows[i]
		if r.TextID != 0 {
			continue
		}
		id, ok := found[r.TextDigest]
		if !ok {
			return fmt.Errorf("finding texts: text %s was not stored", r.TextDigest)
		}
		r.TextID = id
	}
	return nil
}
