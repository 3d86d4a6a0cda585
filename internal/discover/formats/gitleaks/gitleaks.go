// Package gitleaks parses Gitleaks JSON reports: the v8 layout (RuleID,
// File, StartLine, Secret, Match, Fingerprint) and the older v7 layout (rule,
// file, lineNumber, offender, line, repoURL).
package gitleaks

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the Gitleaks format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string        { return "gitleaks" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Gitleaks JSON report (v7 and v8)" }

// Detect looks for a JSON array whose first object carries Gitleaks' own key
// names. v8 keys are PascalCase (RuleID, Secret, StartLine, Fingerprint); v7
// keys are lower-case (offender, commitMessage, rule, lineNumber). A bare
// "null" or "[]" (what Gitleaks writes when it finds nothing) carries no
// signature, so it is not claimed.
func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(h) == 0 || h[0] != '[' {
		return 0
	}
	has := func(k string) bool { return bytes.Contains(h, []byte(`"`+k+`"`)) }
	v8 := 0
	for _, k := range []string{"RuleID", "StartLine", "EndColumn", "Secret", "Match", "Fingerprint", "Entropy"} {
		if has(k) {
			v8++
		}
	}
	if has("RuleID") && has("Secret") && v8 >= 4 {
		return 90
	}
	v7 := 0
	for _, k := range []string{"offender", "commitMessage", "rule", "lineNumber", "leakURL", "repoURL"} {
		if has(k) {
			v7++
		}
	}
	if has("offender") && has("rule") && v7 >= 3 {
		return 85
	}
	return 0
}

// leak holds both generations of Gitleaks' field names; encoding/json
// matches keys case-insensitively, so each pair of near-identical names
// (File/file, Tags/tags, Commit/commit...) shares one field.
type leak struct {
	// v8
	RuleID      string  `json:"RuleID"`
	Description string  `json:"Description"`
	StartLine   int     `json:"StartLine"`
	EndLine     int     `json:"EndLine"`
	Match       string  `json:"Match"`
	Secret      string  `json:"Secret"`
	Fingerprint string  `json:"Fingerprint"`
	Entropy     float64 `json:"Entropy"`
	Message     string  `json:"Message"`
	// shared (case-insensitive): File/file, Commit/commit, Author/author,
	// Email/email, Date/date, Tags/tags.
	File   string          `json:"File"`
	Commit string          `json:"Commit"`
	Author string          `json:"Author"`
	Date   string          `json:"Date"`
	Tags   json.RawMessage `json:"Tags"`
	// v7
	Rule          string `json:"rule"`
	Offender      string `json:"offender"`
	Line          string `json:"line"`
	LineNumber    int    `json:"lineNumber"`
	CommitMessage string `json:"commitMessage"`
	Repo          string `json:"repo"`
	RepoURL       string `json:"repoURL"`
	LeakURL       string `json:"leakURL"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	s := report.NewJSONStream(r)
	p := &parser{sink: sink, seen: map[[32]byte]bool{}, assets: map[string]bool{}}
	err := s.Array(func(i int) error {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var l leak
		off := s.Offset()
		if err := s.Decode(&l); err != nil {
			return err
		}
		if l.RuleID == "" && l.Rule == "" {
			return report.Errorf(off, "leak %d: expected a Gitleaks leak with RuleID (v8) or rule (v7)", i)
		}
		return p.leak(l)
	})
	if err != nil {
		return err
	}
	if err := s.End(); err != nil {
		return err
	}
	if len(p.assets) == 0 {
		// A clean report still covers the scanned repository: it lets the
		// pipeline close findings that are gone.
		return sink.Asset(repoAsset(""))
	}
	return nil
}

type parser struct {
	sink   report.Sink
	seen   map[[32]byte]bool
	assets map[string]bool
}

func repoAsset(url string) report.AssetRef {
	a := report.AssetRef{Kind: model.AssetRepository}
	if url != "" {
		a.Name = url
		a.Identifiers = []model.Identifier{{Kind: model.IDRepoURL, Value: url}}
	}
	return a
}

func (p *parser) leak(l leak) error {
	v8 := l.RuleID != ""
	rule, secret, line := l.RuleID, l.Secret, l.StartLine
	name := l.Description
	if !v8 {
		rule, secret, line, name = l.Rule, l.Offender, l.LineNumber, l.Rule
	}
	if name == "" {
		name = rule
	}
	// Gitleaks reports the same secret once per commit that touches it; it
	// is one exposure, so only its first sighting becomes an observation.
	key := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d\x00%s", rule, l.File, line, secret)))
	if p.seen[key] {
		return nil
	}
	p.seen[key] = true

	// Reports written with --redact hold "REDACTED" instead of the value.
	if secret == "REDACTED" {
		secret = ""
	}

	asset := repoAsset(l.RepoURL)
	if !p.assets[l.RepoURL] {
		p.assets[l.RepoURL] = true
		if err := p.sink.Asset(asset); err != nil {
			return err
		}
	}

	f := model.Finding{
		Kind:        model.KindSecret,
		Title:       "Hard Coded " + name,
		Description: description(l, name),
		Severity:    severity(rule + " " + name),
		RuleID:      rule,
		CWEs:        []int{798},
		Location:    model.Location{File: l.File, Line: line},
		Remediation: "Revoke and rotate the secret, remove it from the code and its history, and keep secrets in a vault.",
	}
	if l.EndLine > line {
		f.Location.EndLine = l.EndLine
	}
	if l.LeakURL != "" {
		f.References = []string{l.LeakURL}
	}
	return p.sink.Observe(report.Observation{
		Asset:    asset,
		ToolID:   rule,
		Evidence: evidence(l, secret, line),
		Anchor:   anchor(l),
		Secret:   secret,
		Finding:  f,
	})
}

// severity: Gitleaks has none; cloud and code-hosting credentials grant the
// widest access, so they rank critical, every other secret high.
func severity(rule string) model.Severity {
	r := strings.ToLower(rule)
	for _, k := range []string{"aws", "github", "gitlab", "heroku", "gcp", "azure"} {
		if strings.Contains(r, k) {
			return model.SevCritical
		}
	}
	return model.SevHigh
}

func description(l leak, name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Gitleaks rule %q matched a secret (%s)", cmp.Or(l.RuleID, l.Rule), name)
	if tags := tags(l.Tags); len(tags) > 0 {
		fmt.Fprintf(&b, "; tags: %s", strings.Join(tags, ", "))
	}
	b.WriteString(".")
	return b.String()
}

// evidence says where the secret was seen; the matched text is included only
// with the secret value masked out of it.
func evidence(l leak, secret string, line int) string {
	var parts []string
	loc := l.File
	if line > 0 {
		loc = fmt.Sprintf("%s:%d", l.File, line)
	}
	parts = append(parts, "file: "+loc)
	if l.Commit != "" {
		parts = append(parts, "commit: "+l.Commit)
	}
	if l.Date != "" {
		parts = append(parts, "date: "+l.Date)
	}
	match := l.Match
	if match == "" {
		match = l.Line
	}
	if m := redact(match, secret); m != "" {
		parts = append(parts, "match: "+m)
	}
	return report.Truncate(strings.Join(parts, "\n"), 4096)
}

// redact masks secret in text. When there is no secret to mask (redacted
// report) the text is already masked by Gitleaks; when the secret does not
// occur in the text verbatim the text is dropped rather than risk leaking.
func redact(text, secret string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	if secret == "" {
		if strings.Contains(text, "REDACTED") {
			return text
		}
		return ""
	}
	// A very short value cannot be masked reliably (it may occur in the
	// mask itself or all over the line).
	if len(secret) < 6 || !strings.Contains(text, secret) || strings.Contains("REDACTED", secret) {
		return ""
	}
	return strings.ReplaceAll(text, secret, "REDACTED")
}

// anchor is Gitleaks' v8 fingerprint ("commit:file:rule:line") without the
// line, which moves with unrelated edits, and without the commit, since one
// secret is one exposure whichever commits carry it.
func anchor(l leak) string {
	fp := l.Fingerprint
	if fp == "" {
		return ""
	}
	if l.Commit != "" {
		fp = strings.TrimPrefix(fp, l.Commit+":")
	}
	if i := strings.LastIndexByte(fp, ':'); i > 0 {
		tail := fp[i+1:]
		if tail != "" && strings.Trim(tail, "0123456789") == "" {
			fp = fp[:i]
		}
	}
	return fp
}

// tags reads v8's list of tags or v7's comma-separated string.
func tags(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		var out []string
		for _, t := range strings.Split(s, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
		return out
	}
	return nil
}
