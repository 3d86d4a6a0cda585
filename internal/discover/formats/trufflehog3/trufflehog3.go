// Package trufflehog3 parses the JSON report of trufflehog3 (the
// feeltheajf/truffleHog3 fork): a JSON array of findings, either current
// ({"rule": {"id", "message", "severity"}, "path", "line", "secret", ...}) or
// legacy, shaped like TruffleHog v2 ({"reason", "path", "stringsFound", ...}).
package trufflehog3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the trufflehog3 format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string        { return "trufflehog3" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "trufflehog3 JSON report (current and legacy layouts)" }

var ruleObject = regexp.MustCompile(`"rule"\s*:\s*\{\s*"(id|message|severity)"`)

// Detect wants a JSON array (TruffleHog itself writes JSON lines) whose
// findings carry either a rule object next to path and secret, or the
// legacy reason/stringsFound/commitHash trio. Gitleaks v7 also has a "rule"
// key, but as a string beside "offender".
func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(h) == 0 || h[0] != '[' {
		return 0
	}
	has := func(k string) bool { return bytes.Contains(h, []byte(`"`+k+`"`)) }
	if ruleObject.Match(h) && has("path") && has("secret") {
		return 90
	}
	if has("stringsFound") && has("reason") && has("commitHash") && has("path") && !has("SourceMetadata") {
		return 80
	}
	return 0
}

type item struct {
	// current
	Rule *struct {
		ID       string `json:"id"`
		Message  string `json:"message"`
		Severity string `json:"severity"`
	} `json:"rule"`
	Line    json.RawMessage   `json:"line"` // "12" in reports, sometimes a number
	Secret  string            `json:"secret"`
	Context map[string]string `json:"context"`
	Branch  string            `json:"branch"`
	Commit  string            `json:"commit"` // hash in current, message in legacy
	Date    string            `json:"date"`
	// legacy
	Path         string   `json:"path"`
	Reason       string   `json:"reason"`
	CommitHash   string   `json:"commitHash"`
	StringsFound []string `json:"stringsFound"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	s := report.NewJSONStream(r)
	asset := report.AssetRef{Kind: model.AssetRepository}
	announced := false
	seen := map[[32]byte]bool{}
	err := s.Array(func(i int) error {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		off := s.Offset()
		var it item
		if err := s.Decode(&it); err != nil {
			return err
		}
		var o report.Observation
		var key string
		switch {
		case it.Rule != nil:
			line, err := lineNumber(it.Line)
			if err != nil {
				return report.Errorf(off, "finding %d: line: %v", i, err)
			}
			// trufflehog3 repeats a finding for every commit it occurs in.
			key = fmt.Sprintf("c\x00%s\x00%s\x00%s\x00%d\x00%s", it.Rule.ID, it.Rule.Message, it.Path, line, it.Secret)
			o = current(it, line)
		case it.Reason != "":
			// Legacy findings are one per commit and reason; DefectDojo and
			// ctem keep one per file and reason.
			key = "l\x00" + it.Path + "\x00" + it.Reason
			o = legacy(it)
		default:
			return report.Errorf(off, "finding %d: expected a trufflehog3 finding with rule (current) or reason (legacy)", i)
		}
		h := sha256.Sum256([]byte(key))
		if seen[h] {
			return nil
		}
		seen[h] = true
		if !announced {
			announced = true
			if err := sink.Asset(asset); err != nil {
				return err
			}
		}
		o.Asset = asset
		return sink.Observe(o)
	})
	if err != nil {
		return err
	}
	if err := s.End(); err != nil {
		return err
	}
	if !announced {
		// A clean report still covers the repository.
		return sink.Asset(asset)
	}
	return nil
}

func lineNumber(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return n, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("expected a line number, found %s", raw)
	}
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("expected a line number, found %q", s)
	}
	return n, nil
}

const remediation = "Revoke and rotate the secret, remove it from the code and its history, and keep secrets in a vault."

func current(it item, line int) report.Observation {
	rule := it.Rule.ID
	if rule == "" {
		rule = it.Rule.Message
	}
	msg := it.Rule.Message
	if msg == "" {
		msg = rule
	}
	ev := []string{"rule: " + rule}
	if it.Commit != "" {
		ev = append(ev, "commit: "+it.Commit)
	}
	if it.Branch != "" {
		ev = append(ev, "branch: "+it.Branch)
	}
	if it.Date != "" {
		ev = append(ev, "date: "+it.Date)
	}
	// The context line shows where the secret sits, with the value masked;
	// a value too short to mask reliably drops the line.
	if c, ok := it.Context[strconv.Itoa(line)]; ok && len(it.Secret) >= 6 && strings.Contains(c, it.Secret) {
		ev = append(ev, "line: "+around(c, it.Secret, 80))
	}
	return report.Observation{
		ToolID:       rule,
		ToolSeverity: it.Rule.Severity,
		Evidence:     report.Truncate(strings.Join(ev, "\n"), 4096),
		Secret:       it.Secret,
		Finding: model.Finding{
			Kind:        model.KindSecret,
			Title:       msg,
			Description: fmt.Sprintf("trufflehog3 rule %q (%s) matched in %s.", rule, msg, it.Path),
			Severity:    report.SeverityOr(it.Rule.Severity, model.SevHigh),
			RuleID:      rule,
			CWEs:        []int{798},
			Location:    model.Location{File: it.Path, Line: line},
			Remediation: remediation,
		},
	}
}

// around returns the text near the first occurrence of secret, with every
// occurrence masked and control characters dropped; context lines of
// minified or serialized files can be very long.
func around(text, secret string, n int) string {
	i := strings.Index(text, secret)
	start, end := i-n, i+len(secret)+n
	if start < 0 {
		start = 0
	}
	if end > len(text) {
		end = len(text)
	}
	for start > 0 && !utf8.RuneStart(text[start]) {
		start--
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	w := text[start:end]
	w = strings.ReplaceAll(w, secret, "REDACTED")
	// A secret cut at the window edge would survive the masking above.
	if start > 0 || end < len(text) {
		for k := len(secret) - 1; k >= 6; k-- {
			w = strings.TrimPrefix(w, secret[len(secret)-k:])
			w = strings.TrimSuffix(w, secret[:k])
		}
	}
	w = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, w)
	return strings.TrimSpace(w)
}

// legacy findings list whole diff lines in stringsFound, not secret values,
// so they give neither a Secret nor evidence text (the lines hold secrets).
func legacy(it item) report.Observation {
	ev := []string{"reason: " + it.Reason}
	if it.CommitHash != "" {
		ev = append(ev, "commit: "+it.CommitHash)
	}
	if it.Branch != "" {
		ev = append(ev, "branch: "+it.Branch)
	}
	if it.Date != "" {
		ev = append(ev, "date: "+it.Date)
	}
	ev = append(ev, fmt.Sprintf("strings found: %d", len(it.StringsFound)))
	return report.Observation{
		ToolID:   it.Reason,
		Evidence: strings.Join(ev, "\n"),
		Finding: model.Finding{
			Kind:        model.KindSecret,
			Title:       "Hard Coded " + it.Reason,
			Description: fmt.Sprintf("trufflehog3 (legacy) reported %q in %s.", it.Reason, it.Path),
			Severity:    legacySeverity(it.Reason),
			RuleID:      it.Reason,
			CWEs:        []int{798},
			Location:    model.Location{File: it.Path},
			Remediation: remediation,
		},
	}
}

// legacySeverity: the legacy layout has none. Entropy hits are often noise
// but can be real secrets (medium); named key patterns rank high, cloud
// credentials critical.
func legacySeverity(reason string) model.Severity {
	r := strings.ToLower(reason)
	switch {
	case strings.Contains(r, "entropy"), r == "generic secret":
		return model.SevMedium
	case strings.Contains(r, "aws"), strings.Contains(r, "oauth"), strings.Contains(r, "heroku"):
		return model.SevCritical
	}
	return model.SevHigh
}
