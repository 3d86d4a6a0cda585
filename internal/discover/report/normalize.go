package report

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/ctemhq/ctem/internal/model"
)

// Severity maps a tool's severity word to ctem's scale. ok is false when the
// word is not a severity; parsers then choose their own fallback.
func Severity(word string) (sev model.Severity, ok bool) {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "critical", "crit", "very high", "veryhigh", "urgent", "blocker", "severe":
		return model.SevCritical, true
	case "high", "error", "important", "major", "serious":
		return model.SevHigh, true
	case "medium", "moderate", "med", "warning", "warn":
		return model.SevMedium, true
	case "low", "minor", "note":
		return model.SevLow, true
	case "info", "informational", "information", "none", "negligible", "unknown", "unspecified", "untriaged", "best practice", "bestpractice", "notice", "pass":
		return model.SevInfo, true
	}
	return "", false
}

// SeverityOr maps word like Severity and falls back to def.
func SeverityOr(word string, def model.Severity) model.Severity {
	if s, ok := Severity(word); ok {
		return s
	}
	return def
}

// SeverityFromScore rates a CVSS score (v3/v4 bands; 0 is info).
func SeverityFromScore(score float64) model.Severity {
	switch {
	case score >= 9.0:
		return model.SevCritical
	case score >= 7.0:
		return model.SevHigh
	case score >= 4.0:
		return model.SevMedium
	case score > 0:
		return model.SevLow
	}
	return model.SevInfo
}

// ParseCVSS parses a CVSS v2, v3.0, v3.1 or v4.0 vector and computes its base
// score. It accepts common decorations: "(AV:N/...)", "CVSS2#AV:N/...".
func ParseCVSS(vector string) (model.CVSS, error) {
	v := strings.TrimSpace(vector)
	v = strings.TrimPrefix(v, "(")
	v = strings.TrimSuffix(v, ")")
	v = strings.TrimPrefix(v, "CVSS2#")
	v = strings.TrimPrefix(v, "CVSS:2.0/")
	switch {
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(v)
		if err != nil {
			return model.CVSS{}, fmt.Errorf("CVSS 3.1 vector %q: %w", vector, err)
		}
		return model.CVSS{Version: "3.1", Vector: v, Score: c.BaseScore()}, nil
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(v)
		if err != nil {
			return model.CVSS{}, fmt.Errorf("CVSS 3.0 vector %q: %w", vector, err)
		}
		return model.CVSS{Version: "3.0", Vector: v, Score: c.BaseScore()}, nil
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := gocvss40.ParseVector(v)
		if err != nil {
			return model.CVSS{}, fmt.Errorf("CVSS 4.0 vector %q: %w", vector, err)
		}
		return model.CVSS{Version: "4.0", Vector: v, Score: c.Score()}, nil
	case strings.HasPrefix(v, "AV:"):
		// Version 2 vectors carry no prefix; temporal parts are optional.
		c, err := gocvss20.ParseVector(v)
		if err != nil {
			return model.CVSS{}, fmt.Errorf("CVSS 2.0 vector %q: %w", vector, err)
		}
		return model.CVSS{Version: "2.0", Vector: v, Score: c.BaseScore()}, nil
	}
	return model.CVSS{}, fmt.Errorf("not a CVSS vector: %q", vector)
}

// AddCVSS parses vector and appends it to f.CVSS, ignoring vectors that do
// not parse and ones already there. It reports whether it added one.
func AddCVSS(f *model.Finding, vector string) bool {
	return (*CVSSCache)(nil).Add(f, vector)
}

// CVSSCache parses each distinct CVSS vector once: a large report repeats a
// few hundred vectors on millions of findings, and parsing one costs more
// than the rest of a finding's normalization. A parser keeps one per report
// (it is not safe for concurrent use); it holds at most maxCVSSCached
// vectors. A nil *CVSSCache parses every time.
type CVSSCache struct {
	m map[string]cvssParse
}

type cvssParse struct {
	c   model.CVSS
	err error
}

const maxCVSSCached = 4096

// Parse is ParseCVSS, remembered.
func (cc *CVSSCache) Parse(vector string) (model.CVSS, error) {
	if cc == nil {
		return ParseCVSS(vector)
	}
	if p, ok := cc.m[vector]; ok {
		return p.c, p.err
	}
	c, err := ParseCVSS(vector)
	if cc.m == nil || len(cc.m) >= maxCVSSCached {
		cc.m = make(map[string]cvssParse)
	}
	cc.m[vector] = cvssParse{c, err}
	return c, err
}

// Add is AddCVSS with the vector parsed through the cache.
func (cc *CVSSCache) Add(f *model.Finding, vector string) bool {
	if strings.TrimSpace(vector) == "" {
		return false
	}
	c, err := cc.Parse(vector)
	if err != nil {
		return false
	}
	for _, have := range f.CVSS {
		if have.Vector == c.Vector {
			return false
		}
	}
	f.CVSS = append(f.CVSS, c)
	return true
}

var (
	ghsaRe = regexp.MustCompile(`(?i)^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$`)
	cweRe  = regexp.MustCompile(`(?i)^\s*(?:CWE[-_: ]?)?0*(\d{1,5})\s*$`)
	cveAny = regexp.MustCompile(`(?i)CVE-\d{4}-\d{4,}`)
)

// NormalizeVulnID upper-cases CVE ids and lower-cases the body of GHSA ids
// (their canonical forms); other ids are trimmed.
func NormalizeVulnID(id string) string {
	id = strings.TrimSpace(id)
	switch {
	case isCVE(id):
		if isUpperCVE(id) {
			return id // already canonical: no copy
		}
		return strings.ToUpper(id)
	case isGHSA(id):
		return "GHSA" + strings.ToLower(id[4:])
	}
	return id
}

// IsCVE reports whether id is a CVE id.
func IsCVE(id string) bool { return isCVE(strings.TrimSpace(id)) }

// isCVE matches (?i)^CVE-\d{4}-\d{4,}$ without a regular expression, which showed
// in profiles of million-finding imports: "CVE-" in any case, four digits,
// '-', four or more digits. (No other character folds to c, v or e, so
// only ASCII can match.)
func isCVE(s string) bool {
	if len(s) < 13 || s[3] != '-' || s[8] != '-' ||
		s[0]|0x20 != 'c' || s[1]|0x20 != 'v' || s[2]|0x20 != 'e' {
		return false
	}
	return allDigits(s[4:8]) && allDigits(s[9:])
}

func isUpperCVE(s string) bool { return s[0] == 'C' && s[1] == 'V' && s[2] == 'E' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isGHSA is ghsaRe.MatchString, without the regular expression for ASCII
// ids; others go to it, as case folding then has subtleties ("ſ" matches
// "s").
func isGHSA(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return ghsaRe.MatchString(s)
		}
	}
	if len(s) != 19 || s[0]|0x20 != 'g' || s[1]|0x20 != 'h' || s[2]|0x20 != 's' || s[3]|0x20 != 'a' {
		return false
	}
	for g := 4; g < 19; g += 5 {
		if s[g] != '-' {
			return false
		}
		for _, c := range []byte(s[g+1 : g+5]) {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if strings.IndexByte("23456789cfghjmpqrvwx", c) < 0 {
				return false
			}
		}
	}
	return true
}

// FindCVEs returns the CVE ids mentioned in text, upper-cased, in order, once.
func FindCVEs(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range cveAny.FindAllString(text, -1) {
		m = strings.ToUpper(m)
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// VulnIDs picks a canonical vulnerability id from ids (the first CVE, else
// the first id) and returns the others, normalized and de-duplicated, as
// aliases in a stable order.
func VulnIDs(ids ...string) (canonical string, aliases []string) {
	if len(ids) == 1 {
		// The common case, without the bookkeeping.
		return NormalizeVulnID(ids[0]), nil
	}
	seen := map[string]bool{}
	var all []string
	for _, id := range ids {
		id = NormalizeVulnID(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		all = append(all, id)
	}
	if len(all) == 0 {
		return "", nil
	}
	canonical = all[0]
	for _, id := range all {
		if IsCVE(id) {
			canonical = id
			break
		}
	}
	for _, id := range all {
		if id != canonical {
			aliases = append(aliases, id)
		}
	}
	sort.Strings(aliases)
	return canonical, aliases
}

// ParseCWE reads "CWE-79", "cwe-079" or "79".
func ParseCWE(s string) (int, bool) {
	m := cweRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n == 0 {
		return 0, false
	}
	return n, true
}

// AddCWE appends a parsed CWE to f once.
func AddCWE(f *model.Finding, s string) {
	n, ok := ParseCWE(s)
	if !ok {
		return
	}
	for _, have := range f.CWEs {
		if have == n {
			return
		}
	}
	f.CWEs = append(f.CWEs, n)
}

// Truncate cuts s to at most n bytes on a rune boundary.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
