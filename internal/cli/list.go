package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/ctemhq/ctem/internal/store"
)

// tablePage is how many rows a table shows unless --limit says otherwise.
const tablePage = 50

// listOptions are the flags every list command has.
type listOptions struct {
	output string
	limit  int
	after  int64
}

// lister streams every match: fetch returns one page in id order.
type lister[T any] struct {
	opts   listOptions
	fetch  func(p store.Page) ([]T, error)
	id     func(T) int64
	header []string
	cells  func(T) []any
	count  func() (int, error)
}

// run writes JSON (one array) and CSV with every match unless --limit is
// set, reading in pages so memory stays flat; a table shows one page and
// says how to see the next.
func (l lister[T]) run(w io.Writer) error {
	out, err := outputFormat(l.opts.output)
	if err != nil {
		return err
	}
	if l.opts.limit < 0 {
		return usagef("--limit must not be negative")
	}
	limit := l.opts.limit
	if out == "table" && limit == 0 {
		limit = tablePage
	}
	t := &table{header: l.header}
	first := true
	if out == "json" {
		io.WriteString(w, "[")
	}
	after, shown := l.opts.after, 0
	for {
		size := 1000
		if limit > 0 {
			size = min(size, limit-shown)
		}
		if size <= 0 {
			break
		}
		items, err := l.fetch(store.Page{After: after, Limit: size})
		if err != nil {
			return err
		}
		for _, it := range items {
			switch out {
			case "json":
				b, err := json.MarshalIndent(it, "  ", "  ")
				if err != nil {
					return err
				}
				if !first {
					io.WriteString(w, ",")
				}
				io.WriteString(w, "\n  ")
				w.Write(b)
			default:
				t.add(l.cells(it)...)
			}
			first = false
			after = l.id(it)
		}
		shown += len(items)
		if len(items) < size {
			break
		}
		if out == "csv" && len(t.rows) >= 1000 {
			if err := t.writeCSV(w); err != nil {
				return err
			}
			t = &table{} // header written once
		}
	}
	switch out {
	case "json":
		if first {
			_, err := io.WriteString(w, "]\n")
			return err
		}
		_, err := io.WriteString(w, "\n]\n")
		return err
	case "csv":
		return t.writeCSV(w)
	}
	if err := t.writeText(w); err != nil {
		return err
	}
	if l.count != nil && shown == limit {
		total, err := l.count()
		if err == nil && total > shown {
			fmt.Fprintf(w, "(showing %d; more with --after %d, or --limit N; --output json|csv lists all)\n", shown, after)
		}
	}
	if shown == 0 {
		fmt.Fprintln(w, "(none)")
	}
	return nil
}
