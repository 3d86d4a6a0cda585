// Package trufflehog parses TruffleHog's --json output: one JSON object per
// line. TruffleHog v3 objects carry SourceMetadata, DetectorName, Verified and
// Raw; the older v2 objects carry path, reason, commitHash and stringsFound.
package trufflehog

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/jsonx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the TruffleHog format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string        { return "trufflehog" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "TruffleHog JSON lines (v3, and v2)" }

// Detect wants a JSON object (not an array: a JSON array of findings is
// trufflehog3's format) with v3's SourceMetadata/DetectorName keys or v2's
// stringsFound/reason/commitHash keys.
func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(h) == 0 || h[0] != '{' {
		return 0
	}
	has := func(k string) bool { return bytes.Contains(h, []byte(`"`+k+`"`)) }
	if has("SourceMetadata") && has("DetectorName") && (has("Raw") || has("Verified")) {
		return 95
	}
	if has("stringsFound") && has("reason") && has("commitHash") && has("path") {
		return 80
	}
	return 0
}

// line is one output line of either generation.
type line struct {
	// v3
	SourceMetadata *struct {
		Data map[string]json.RawMessage `json:"Data"`
	} `json:"SourceMetadata"`
	SourceName   string         `json:"SourceName"`
	DetectorName string         `json:"DetectorName"`
	DecoderName  string         `json:"DecoderName"`
	Verified     bool           `json:"Verified"`
	Raw          string         `json:"Raw"`
	RawV2        string         `json:"RawV2"`
	Redacted     string         `json:"Redacted"`
	ExtraData    map[string]any `json:"ExtraData"`
	// v2
	Path         string   `json:"path"`
	Reason       string   `json:"reason"`
	Branch       string   `json:"branch"`
	CommitHash   string   `json:"commitHash"`
	Date         string   `json:"date"`
	StringsFound []string `json:"stringsFound"`
	// TruffleHog's log lines ({"level": ..., "msg": ...}) end up in the
	// file when stderr is captured with stdout.
	Level string `json:"level"`
	Msg   string `json:"msg"`
}

// source is the part of SourceMetadata.Data.<Source> that locates a secret;
// the source kinds (Git, Github, Gitlab, Filesystem, Docker, S3...) share
// these names.
type source struct {
	File       string `json:"file"`
	Line       int    `json:"line"`
	Commit     string `json:"commit"`
	Repository string `json:"repository"`
	Link       string `json:"link"`
	Timestamp  string `json:"timestamp"`
	Image      string `json:"image"`
	Layer      string `json:"layer"`
	Bucket     string `json:"bucket"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := json.NewDecoder(r)
	p := &parser{sink: sink, seen: map[string]bool{}, assets: map[string]bool{}}
	n := 0
	for ; dec.More(); n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		off := dec.InputOffset()
		var l line
		if err := dec.Decode(&l); err != nil {
			return jsonx.Error(dec, err)
		}
		var err error
		switch {
		case l.SourceMetadata != nil || l.DetectorName != "":
			err = p.v3(l)
		case l.Reason != "" || l.StringsFound != nil:
			err = p.v2(l)
		case l.Level != "" && l.Msg != "":
			continue
		default:
			err = report.Errorf(off, "line %d: expected a TruffleHog finding (SourceMetadata/DetectorName or path/reason)", n+1)
		}
		if err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return report.Errorf(dec.InputOffset(), "expected a JSON object per line, found an array or a closing bracket")
		}
		return jsonx.Error(dec, err)
	}
	if n == 0 {
		return report.Errorf(0, "empty input: expected TruffleHog JSON lines")
	}
	if err := p.flushV2(); err != nil {
		return err
	}
	if len(p.assets) == 0 {
		return sink.Asset(report.AssetRef{Kind: model.AssetRepository})
	}
	return nil
}

type parser struct {
	sink   report.Sink
	seen   map[string]bool
	assets map[string]bool
	groups []*group // v2 findings, grouped by path and reason
	index  map[string]*group
}

func (p *parser) asset(a report.AssetRef) error {
	key := string(a.Kind) + "\x00" + a.Name
	if p.assets[key] {
		return nil
	}
	p.assets[key] = true
	return p.sink.Asset(a)
}

func (p *parser) v3(l line) error {
	var kind string
	var src source
	if l.SourceMetadata != nil {
		// Data has one key naming the source kind.
		kinds := make([]string, 0, len(l.SourceMetadata.Data))
		for k := range l.SourceMetadata.Data {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		if len(kinds) > 0 {
			kind = kinds[0]
			// Sources with other shapes simply leave the location empty.
			_ = json.Unmarshal(l.SourceMetadata.Data[kind], &src)
		}
	}
	secret := rawSecret(l.Raw, l.Redacted)
	if l.RawV2 != "" {
		// RawV2 extends Raw (e.g. key id plus secret key) where a detector
		// needs both parts; it identifies the credential best.
		secret = rawSecret(l.RawV2, l.Redacted)
	}
	file := src.File
	if file == "" {
		file = src.Link
	}
	// One secret in one file is one exposure whichever commits or lines it
	// appears on; TruffleHog prints it once per sighting.
	key := fmt.Sprintf("%s\x00%s\x00%s\x00%s", l.DetectorName, secret, file, src.Repository+src.Image+src.Bucket)
	if secret == "" {
		key += fmt.Sprintf("\x00%d", src.Line)
	}
	if p.seen[key] {
		return nil
	}
	p.seen[key] = true

	asset := assetFor(kind, src)
	if err := p.asset(asset); err != nil {
		return err
	}
	sev := model.SevHigh
	if l.Verified {
		// A verified secret was confirmed live against its service.
		sev = model.SevCritical
	}
	f := model.Finding{
		Kind:        model.KindSecret,
		Title:       "Hard Coded " + l.DetectorName + " secret",
		Description: fmt.Sprintf("TruffleHog's %s detector found a secret (verified: %t).", l.DetectorName, l.Verified),
		Severity:    sev,
		RuleID:      l.DetectorName,
		CWEs:        []int{798},
		Location:    model.Location{File: src.File, Line: src.Line},
		Remediation: "Revoke and rotate the secret, remove it from the code and its history, and keep secrets in a vault.",
	}
	if src.Link != "" {
		f.References = []string{src.Link}
	}
	var ev []string
	ev = append(ev, fmt.Sprintf("detector: %s; verified: %t", l.DetectorName, l.Verified))
	if l.DecoderName != "" && l.DecoderName != "PLAIN" {
		ev = append(ev, "decoder: "+l.DecoderName)
	}
	if kind != "" {
		ev = append(ev, "source: "+kind)
	}
	if src.Commit != "" {
		ev = append(ev, "commit: "+src.Commit)
	}
	if src.Timestamp != "" {
		ev = append(ev, "date: "+src.Timestamp)
	}
	if src.Layer != "" {
		ev = append(ev, "layer: "+src.Layer)
	}
	ev = append(ev, extra(l.ExtraData, secret)...)
	return p.sink.Observe(report.Observation{
		Asset:    asset,
		ToolID:   l.DetectorName,
		Evidence: report.Truncate(strings.Join(ev, "\n"), 4096),
		Secret:   secret,
		Finding:  f,
	})
}

// assetFor names what was scanned: a Docker image, or a repository (by URL
// when the source is a git host, else unnamed for the pipeline to name).
func assetFor(kind string, src source) report.AssetRef {
	if kind == "Docker" && src.Image != "" {
		return report.AssetRef{Kind: model.AssetImage, Name: src.Image,
			Identifiers: []model.Identifier{{Kind: model.IDImageRef, Value: src.Image}}}
	}
	if src.Repository != "" {
		return report.AssetRef{Kind: model.AssetRepository, Name: src.Repository,
			Identifiers: []model.Identifier{{Kind: model.IDRepoURL, Value: src.Repository}}}
	}
	return report.AssetRef{Kind: model.AssetRepository}
}

// rawSecret undoes the base64 that early v3 releases applied to Raw (a byte
// slice in Go, hence base64 in JSON). It decodes only when the result is
// plainly the same secret Redacted shows, so a secret that merely looks like
// base64 is kept verbatim.
func rawSecret(raw, redacted string) string {
	if raw == "" || redacted == "" || raw == redacted {
		return raw
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || !utf8.Valid(b) {
		return raw
	}
	dec := string(b)
	if dec == redacted || commonPrefix(dec, redacted) >= 8 {
		return dec
	}
	return raw
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// extra lists the detector's scalar extra data (account ids, ARNs), leaving
// out anything that holds the secret.
func extra(m map[string]any, secret string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		var v string
		switch x := m[k].(type) {
		case string:
			v = x
		case float64, bool:
			v = fmt.Sprint(x)
		default:
			continue
		}
		if v == "" || (secret != "" && strings.Contains(v, secret)) {
			continue
		}
		out = append(out, k+": "+v)
	}
	return out
}

// group gathers TruffleHog v2 lines: v2 prints one line per commit and
// reason, so the same file keeps reappearing for every commit touching it.
type group struct {
	path, reason string
	commit, date string
	branch       string
	strings      map[string]bool
	order        []string
	commits      int
}

func (p *parser) v2(l line) error {
	if p.index == nil {
		p.index = map[string]*group{}
	}
	key := l.Path + "\x00" + l.Reason
	g := p.index[key]
	if g == nil {
		g = &group{path: l.Path, reason: l.Reason, commit: l.CommitHash, date: l.Date, branch: l.Branch, strings: map[string]bool{}}
		p.index[key] = g
		p.groups = append(p.groups, g)
	}
	g.commits++
	for _, s := range l.StringsFound {
		if !g.strings[s] && len(g.order) < 64 {
			g.strings[s] = true
			g.order = append(g.order, s)
		}
	}
	return nil
}

func (p *parser) flushV2() error {
	if len(p.groups) == 0 {
		return nil
	}
	asset := report.AssetRef{Kind: model.AssetRepository}
	if err := p.asset(asset); err != nil {
		return err
	}
	for _, g := range p.groups {
		// A single distinct string is the secret; several cannot be one
		// secret value, so none is passed on.
		secret := ""
		if len(g.order) == 1 {
			secret = g.order[0]
		}
		ev := []string{"reason: " + g.reason, fmt.Sprintf("commits: %d (first %s, %s)", g.commits, g.commit, g.date)}
		if g.branch != "" {
			ev = append(ev, "branch: "+g.branch)
		}
		ev = append(ev, fmt.Sprintf("distinct strings found: %d", len(g.order)))
		f := model.Finding{
			Kind:        model.KindSecret,
			Title:       "Hard Coded " + g.reason,
			Description: fmt.Sprintf("TruffleHog (v2) reported %q in %s.", g.reason, g.path),
			Severity:    v2Severity(g.reason),
			RuleID:      g.reason,
			CWEs:        []int{798},
			Location:    model.Location{File: g.path},
			Remediation: "Revoke and rotate the secret, remove it from the code and its history, and keep secrets in a vault.",
		}
		if err := p.sink.Observe(report.Observation{
			Asset:    asset,
			ToolID:   g.reason,
			Evidence: strings.Join(ev, "\n"),
			Secret:   secret,
			Finding:  f,
		}); err != nil {
			return err
		}
	}
	return nil
}

// v2Severity: v2 has no severity. Entropy hits and its generic-secret regex
// are often noise but can be real secrets, so they rank medium; cloud
// credentials are the most dangerous; other named key types rank high.
func v2Severity(reason string) model.Severity {
	switch {
	case strings.EqualFold(reason, "High Entropy"), strings.EqualFold(reason, "Generic Secret"):
		return model.SevMedium
	case strings.Contains(reason, "AWS"), strings.Contains(reason, "Oauth"), strings.Contains(reason, "Heroku"):
		return model.SevCritical
	}
	return model.SevHigh
}
