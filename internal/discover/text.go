package discover

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ctemhq/ctem/internal/discover/report"
)

// cleanText makes s storable by both databases: PostgreSQL refuses NUL
// characters and invalid UTF-8 in text and JSON (SQLite would keep them,
// so the same report would import into one and fail on the other). Both
// become U+FFFD, as encoding/json turns invalid bytes into when it decodes.
func cleanText(s string) string {
	if plainASCII(s) || strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// plainASCII reports whether s is ASCII without NULs, eight bytes at a
// time: most texts are, and an import checks some twenty per finding.
func plainASCII(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte of w is 0 or has its high bit set exactly when the
		// same byte of (w - ones) | w has its high bit set (a borrow only
		// starts at a zero byte).
		if (w-ones|w)&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// cleanTexts is ss with every element cleaned: ss itself when all are
// clean, else a copy (parsers may share one slice between findings).
func cleanTexts(ss []string) []string {
	for i, s := range ss {
		if c := cleanText(s); c != s {
			out := slices.Clone(ss)
			out[i] = c
			for j := i + 1; j < len(out); j++ {
				out[j] = cleanText(out[j])
			}
			return out
		}
	}
	return ss
}

// cleanRef cleans an asset reference's texts (see cleanText).
func cleanRef(a *report.AssetRef) {
	a.Name = cleanText(a.Name)
	for i, id := range a.Identifiers {
		if c := cleanText(id.Value); c != id.Value {
			a.Identifiers = slices.Clone(a.Identifiers)
			a.Identifiers[i].Value = c
		}
	}
	for k, v := range a.Attributes {
		if cleanText(k) != k || cleanText(v) != v {
			clean := make(map[string]string, len(a.Attributes))
			for k, v := range a.Attributes {
				clean[cleanText(k)] = cleanText(v)
			}
			a.Attributes = clean
			break
		}
	}
}

// cleanObservation cleans every text an observation stores (see
// cleanText). Its secret is not stored, only hashed, and stays as it is.
func cleanObservation(o *report.Observation) {
	cleanRef(&o.Asset)
	o.ToolID, o.ToolSeverity, o.Evidence, o.Anchor = cleanText(o.ToolID), cleanText(o.ToolSeverity), cleanText(o.Evidence), cleanText(o.Anchor)
	f := &o.Finding
	f.Title, f.Description, f.Remediation = cleanText(f.Title), cleanText(f.Description), cleanText(f.Remediation)
	f.VulnID, f.RuleID = cleanText(f.VulnID), cleanText(f.RuleID)
	f.Aliases, f.References = cleanTexts(f.Aliases), cleanTexts(f.References)
	for i, c := range f.CVSS {
		if cleanText(c.Version) != c.Version || cleanText(c.Vector) != c.Vector {
			f.CVSS = slices.Clone(f.CVSS)
			f.CVSS[i].Version, f.CVSS[i].Vector = cleanText(c.Version), cleanText(c.Vector)
		}
	}
	c := &f.Component
	c.Name, c.Version, c.FixedVersion = cleanText(c.Name), cleanText(c.Version), cleanText(c.FixedVersion)
	c.PURL, c.Ecosystem, c.Path = cleanText(c.PURL), cleanText(c.Ecosystem), cleanText(c.Path)
	l := &f.Location
	l.Protocol, l.Service, l.URL, l.Method = cleanText(l.Protocol), cleanText(l.Service), cleanText(l.URL), cleanText(l.Method)
	l.Param, l.File, l.Resource = cleanText(l.Param), cleanText(l.File), cleanText(l.Resource)
}
