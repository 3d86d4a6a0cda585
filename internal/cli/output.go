package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// table is rows of cells for people (aligned columns) and scripts (CSV).
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = oneLine(fmt.Sprint(c))
	}
	t.rows = append(t.rows, row)
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

func (t *table) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.header, "\t"))
	for _, r := range t.rows {
		for i, c := range r {
			r[i] = clip(c, 60)
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (t *table) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if t.header != nil {
		if err := cw.Write(t.header); err != nil {
			return err
		}
	}
	for _, r := range t.rows {
		// Neutralize spreadsheet formulas: a cell starting with = + - @
		// would run as a formula when the CSV is opened in a spreadsheet.
		safe := make([]string, len(r))
		for i, c := range r {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				c = "'" + c
			}
			safe[i] = c
		}
		if err := cw.Write(safe); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// outputFormat validates --output.
func outputFormat(v string) (string, error) {
	switch v {
	case "table", "json", "csv":
		return v, nil
	}
	return "", usagef("--output %q: want table, json or csv", v)
}
