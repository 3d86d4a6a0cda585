package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
	"sync/atomic"
)

// SQL is written once with $N placeholders, which PostgreSQL takes as is.
// SQLite takes them too, but binds them by name, which costs more per
// parameter as statements grow; for SQLite the statements are rewritten to
// plain positional ? placeholders, with the arguments reordered to match.

type rewritten struct {
	query   string
	order   []int // argument index for each ? in order
	inOrder bool  // order is 0, 1, 2…: the arguments need no reordering
}

type rebinder struct {
	on    bool
	cache sync.Map // string -> rewritten
	n     atomic.Int64
}

// maxRewrites bounds the cache: ingest statements carry per-import literals
// (times, import ids), so a long-running server sees new query texts with
// every import, and an unbounded cache would keep them all. A full cache is
// emptied; the statements in use are rewritten again on their next call.
const maxRewrites = 256

func (r *rebinder) rebind(query string, args []any) (string, []any) {
	if !r.on {
		return query, args
	}
	var rw rewritten
	if v, ok := r.cache.Load(query); ok {
		rw = v.(rewritten)
	} else {
		rw = rewrite(query)
		if r.n.Add(1) > maxRewrites {
			r.cache.Clear()
			r.n.Store(1)
		}
		r.cache.Store(query, rw)
	}
	if rw.order == nil || rw.inOrder && len(args) == len(rw.order) {
		return rw.query, args
	}
	out := make([]any, len(rw.order))
	for i, n := range rw.order {
		if n < len(args) {
			out[i] = args[n]
		}
	}
	return rw.query, out
}

// rewrite turns $N into ? outside string literals and records the order.
func rewrite(q string) rewritten {
	b := make([]byte, 0, len(q))
	var order []int
	inStr := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b = append(b, c)
		case c == '$' && !inStr && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(q[i+1 : j])
			order = append(order, n-1)
			b = append(b, '?')
			i = j - 1
		default:
			b = append(b, c)
		}
	}
	inOrder := true
	for i, n := range order {
		inOrder = inOrder && n == i
	}
	return rewritten{query: string(b), order: order, inOrder: inOrder}
}

// execer is what both a pool and a transaction offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// handle runs statements through the rebinder.
type handle struct {
	e  execer
	rb *rebinder
	// stmts, in an import's transaction, keeps each statement prepared
	// for the transaction's life: an import runs the same few statements
	// thousands of times.
	stmts *stmtCache
}

type stmtCache struct {
	tx *sql.Tx
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := c.m[q]; ok {
		return st, nil
	}
	st, err := c.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.m[q] = st
	return st, nil
}

func (h handle) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q, args = h.rb.rebind(q, args)
	if h.stmts != nil {
		st, err := h.stmts.get(ctx, q)
		if err != nil {
			return nil, err
		}
		return st.ExecContext(ctx, args...)
	}
	return h.e.ExecContext(ctx, q, args...)
}

func (h handle) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q, args = h.rb.rebind(q, args)
	if h.stmts != nil {
		st, err := h.stmts.get(ctx, q)
		if err != nil {
			return nil, err
		}
		return st.QueryContext(ctx, args...)
	}
	return h.e.QueryContext(ctx, q, args...)
}

func (h handle) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	q, args = h.rb.rebind(q, args)
	if h.stmts != nil {
		if st, err := h.stmts.get(ctx, q); err == nil {
			return st.QueryRowContext(ctx, args...)
		}
	}
	return h.e.QueryRowContext(ctx, q, args...)
}
