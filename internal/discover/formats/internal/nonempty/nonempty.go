// Package nonempty picks and joins the values of a report that are not
// blank, trimmed of surrounding white space: the first of several fields
// that may hold a title, the paragraphs of a description.
package nonempty

import "strings"

// First returns the first value that is not blank, trimmed; "" when all
// are blank.
func First(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// Filter returns the values that are not blank, trimmed, in order; nil
// when all are blank.
func Filter(vals ...string) []string {
	var out []string
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Join joins the values that are not blank, trimmed, with sep.
func Join(sep string, vals ...string) string {
	return strings.Join(Filter(vals...), sep)
}
