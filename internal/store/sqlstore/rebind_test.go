package sqlstore

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRebind(t *testing.T) {
	r := &rebinder{on: true}
	tests := []struct {
		query     string
		args      []any
		wantQuery string
		wantArgs  []any
	}{
		{"SELECT $1, $2", []any{1, 2}, "SELECT ?, ?", []any{1, 2}},
		{"SELECT $2, $1, $2", []any{"a", "b"}, "SELECT ?, ?, ?", []any{"b", "a", "b"}},
		{"SELECT '$1', $1", []any{7}, "SELECT '$1', ?", []any{7}},
		{"SELECT 1", nil, "SELECT 1", nil},
	}
	for _, tt := range tests {
		q, args := r.rebind(tt.query, tt.args)
		if q != tt.wantQuery || !cmp.Equal(args, tt.wantArgs) {
			t.Errorf("rebind(%q, %v) = %q, %v; want %q, %v", tt.query, tt.args, q, args, tt.wantQuery, tt.wantArgs)
		}
	}
	if q, _ := (&rebinder{}).rebind("SELECT $1", []any{1}); q != "SELECT $1" {
		t.Errorf("rebinding off: %q", q)
	}
}

// Statements with per-import literals are new texts with every import: the
// cache must not keep them all.
func TestRebindCacheBounded(t *testing.T) {
	r := &rebinder{on: true}
	for i := range 10 * maxRewrites {
		q := fmt.Sprintf("INSERT INTO t VALUES ($1, %d)", i)
		if got, _ := r.rebind(q, []any{1}); got != fmt.Sprintf("INSERT INTO t VALUES (?, %d)", i) {
			t.Fatalf("rebind %d: %q", i, got)
		}
	}
	n := 0
	r.cache.Range(func(any, any) bool { n++; return true })
	if n > maxRewrites || r.n.Load() > maxRewrites {
		t.Errorf("%d cached rewrites (counter %d), want at most %d", n, r.n.Load(), maxRewrites)
	}
}
