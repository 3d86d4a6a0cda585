package report

import (
	"fmt"
	"sort"
	"strings"
)

// Registry is an explicit list of formats.
type Registry struct {
	formats []Format
	byName  map[string]Format
}

// NewRegistry lists formats; names must be unique.
func NewRegistry(formats ...Format) (*Registry, error) {
	r := &Registry{byName: map[string]Format{}}
	for _, f := range formats {
		if _, dup := r.byName[f.Name()]; dup {
			return nil, fmt.Errorf("format %q registered twice", f.Name())
		}
		r.byName[f.Name()] = f
		r.formats = append(r.formats, f)
	}
	return r, nil
}

// Formats returns the formats sorted by name.
func (r *Registry) Formats() []Format {
	out := append([]Format(nil), r.formats...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// Lookup finds a format by name.
func (r *Registry) Lookup(name string) (Format, error) {
	if f, ok := r.byName[strings.ToLower(strings.TrimSpace(name))]; ok {
		return f, nil
	}
	names := make([]string, 0, len(r.formats))
	for _, f := range r.Formats() {
		names = append(names, f.Name())
	}
	return nil, fmt.Errorf("unknown format %q (known: %s)", name, strings.Join(names, ", "))
}

// ErrUnknownFormat is returned when no format recognizes a file.
var ErrUnknownFormat = fmt.Errorf("no known report format recognizes this file (see `ctem formats`, or name one with --format)")

// Detect picks the format most sure of head. Ties go to the format listed
// first, so the registry's order is part of its contract.
func (r *Registry) Detect(head []byte) (Format, error) {
	var best Format
	bestScore := 0
	for _, f := range r.formats {
		if s := safeDetect(f, head); s > bestScore {
			best, bestScore = f, s
		}
	}
	if best == nil {
		return nil, ErrUnknownFormat
	}
	return best, nil
}

// safeDetect keeps one format's bug from breaking detection for all.
func safeDetect(f Format, head []byte) (score int) {
	defer func() {
		if recover() != nil {
			score = 0
		}
	}()
	return f.Detect(head)
}
