// Package references keeps a finding's reference list: web links only,
// each once.
package references

import (
	"strings"

	"github.com/ctemhq/ctem/internal/model"
)

// Add appends u, trimmed, to f.References when it is an http(s) URL that
// is not there yet.
func Add(f *model.Finding, u string) {
	u = strings.TrimSpace(u)
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return
	}
	for _, have := range f.References {
		if have == u {
			return
		}
	}
	f.References = append(f.References, u)
}
