// Package sarif parses SARIF 2.1.0 logs (OASIS Static Analysis Results
// Interchange Format), the common output of code scanners: CodeQL, Semgrep,
// Flawfinder, SpotBugs, ShellCheck, gitleaks, dockle, dependency-check and
// many more.
//
// Mapping, in short:
//   - one observation per (result, location), as DefectDojo counts: a result
//     listing several locations yields one observation for each, and a result
//     without locations yields one without a location. Results whose kind is
//     not "fail" (pass, notApplicable, informational, review, open) are not
//     findings, and neither are results whose baselineState is "absent" (the
//     log says they are gone).
//   - suppressed results are still emitted: suppression is a triage decision
//     that belongs to ctem's finding status, and dropping them would make the
//     finding look fixed. The suppression is stated in Evidence instead.
//   - rules are read from tool.driver.rules and tool.extensions[].rules and
//     found by ruleIndex / rule.index / ruleId.
//   - severity: rule (then result) properties["security-severity"] (a CVSS-like
//     score, or a word), else result.level, else the rule's
//     defaultConfiguration.level, else properties.severity; level "note" is
//     info (as DefectDojo has it), "warning" medium, "error" high, and a result
//     with no level at all is medium (SARIF's default level is "warning").
//   - kind: secret for secret scanners (by tool name or a "secret" tag),
//     vulnerability when the rule id or tags hold CVE / GHSA ids, or the
//     rule id is an advisory id (SNYK-, GO-, PYSEC-, RUSTSEC-...),
//     misconfiguration for container / IaC linters, else code_weakness.
//   - the asset is a repository, identified by the run's
//     versionControlProvenance[].repositoryUri when there is one.
//
// Streaming: runs[] and each run's results[] are decoded one element at a
// time. A run's rules (tool) normally precede its results; when a producer
// writes results first, the decoded results of that run are held until the
// run ends (the only case where results are buffered). versionControlProvenance
// often follows the results (ShiftLeft scan, for one); when the reader can
// seek, a cheap first pass collects it so that every observation carries the
// repository; when it cannot, provenance that follows the results is ignored.
package sarif

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/jsonx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the SARIF format.
func New() report.Format { return format{} }

func (format) Name() string { return "sarif" }

func (format) Version() int { return 1 }

func (format) Description() string {
	return "SARIF 2.1.0 log (CodeQL, Semgrep, Flawfinder, gitleaks and other code scanners)"
}

var (
	detectRuns    = regexp.MustCompile(`"runs"\s*:\s*\[`)
	detectSchema  = regexp.MustCompile(`(?i)"\$schema"\s*:\s*"[^"]*sarif[^"]*"`)
	detectVersion = regexp.MustCompile(`"version"\s*:\s*"2\.[01]\.0[^"]*"`)
	detectTool    = regexp.MustCompile(`"tool"\s*:\s*\{`)
	detectDriver  = regexp.MustCompile(`"driver"\s*:\s*\{`)
)

// Detect recognizes a SARIF log by its shape: a JSON object with a "runs"
// array plus a SARIF $schema, a 2.x version, or run.tool.driver. It never
// says 100: SARIF is a container that tool-specific formats (Snyk Code,
// govulncheck) may claim with a higher score.
func (format) Detect(head []byte) int {
	head = bytes.TrimPrefix(head, utf8BOM)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return 0
	}
	if !detectRuns.Match(head) {
		return 0
	}
	schema := detectSchema.Match(head)
	version := detectVersion.Match(head)
	tool := detectTool.Match(head) && detectDriver.Match(head)
	switch {
	case schema && (version || tool):
		return 75
	case schema, version && tool:
		return 70
	case tool:
		return 60
	case version:
		return 40
	}
	return 0
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// skipBOM drops a leading UTF-8 byte order mark, which encoding/json rejects.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(3)
	}
	return br
}

// Parse streams the log into sink.
func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	late, err := lateProvenance(r)
	if err != nil {
		return err
	}
	p := &parser{ctx: ctx, sink: sink, late: late, assets: map[string]bool{}}
	s := report.NewJSONStream(skipBOM(r))
	sawRuns := false
	err = s.Object(func(key string) error {
		if key != "runs" {
			return s.Skip()
		}
		sawRuns = true
		return s.Array(func(i int) error { return p.run(s, i) })
	})
	if err != nil {
		return err
	}
	if err := s.End(); err != nil {
		return err
	}
	if !sawRuns {
		return report.Errorf(s.Offset(), `not a SARIF log: no "runs" array`)
	}
	return nil
}

type parser struct {
	ctx    context.Context
	sink   report.Sink
	late   map[int][]vcsDetails // provenance per run index, from the first pass
	assets map[string]bool      // assets already reported
	seen   int                  // results read, for the context check
	// anchors counts each (file, anchor) pair, to number repeats.
	anchors map[[16]byte]int
}

// runState is what the parser knows of the run being read.
type runState struct {
	index     int
	tool      *tool
	toolName  string
	rules     *ruleIndex
	vcs       []vcsDetails
	vcsSeen   bool
	artifacts []string
	pending   []result
	asset     *report.AssetRef
}

func (p *parser) run(s *report.JSONStream, idx int) error {
	rs := &runState{index: idx}
	err := s.Object(func(key string) error {
		switch key {
		case "tool":
			var t tool
			if err := s.Decode(&t); err != nil {
				return err
			}
			rs.setTool(&t)
			return nil
		case "versionControlProvenance":
			var v []vcsDetails
			if err := s.Decode(&v); err != nil {
				return err
			}
			rs.vcs, rs.vcsSeen = v, true
			return nil
		case "artifacts":
			// Only the URIs are kept, to resolve artifactLocation.index.
			return s.Array(func(int) error {
				var a artifact
				if err := s.Decode(&a); err != nil {
					return err
				}
				rs.artifacts = append(rs.artifacts, string(a.Location.URI))
				return nil
			})
		case "results":
			return s.Array(func(int) error {
				var res result
				if err := s.Decode(&res); err != nil {
					return err
				}
				if rs.tool == nil {
					// Rules are not known yet: hold the decoded result
					// until the run has been read.
					rs.pending = append(rs.pending, res)
					return nil
				}
				return p.result(rs, &res)
			})
		}
		return s.Skip()
	})
	if err != nil {
		return err
	}
	for i := range rs.pending {
		if err := p.result(rs, &rs.pending[i]); err != nil {
			return report.AtOffset(s.Offset(), err)
		}
	}
	rs.pending = nil
	// A run without results still covers its asset.
	_, err = p.assetFor(rs)
	return err
}

func (rs *runState) setTool(t *tool) {
	rs.tool = t
	rs.toolName = strings.TrimSpace(string(t.Driver.Name))
	if rs.toolName == "" {
		rs.toolName = strings.TrimSpace(string(t.Driver.FullName))
	}
	rs.rules = newRuleIndex(t)
}

// assetFor returns the run's asset, reporting it to the sink the first time
// it is seen in this log.
func (p *parser) assetFor(rs *runState) (report.AssetRef, error) {
	if rs.asset != nil {
		return *rs.asset, nil
	}
	vcs := rs.vcs
	if !rs.vcsSeen {
		vcs = p.late[rs.index]
	}
	a := repoAsset(vcs)
	rs.asset = &a
	key := assetKey(a)
	if !p.assets[key] {
		p.assets[key] = true
		if err := p.sink.Asset(a); err != nil {
			return a, err
		}
	}
	return a, nil
}

// repoAsset names the repository a run analysed. Only the first provenance
// entry with a repository URI is used: further entries describe other
// repositories mapped into the same run, and identifiers of one asset must
// all name that asset.
func repoAsset(vcs []vcsDetails) report.AssetRef {
	a := report.AssetRef{Kind: model.AssetRepository}
	for _, v := range vcs {
		uri := strings.TrimSpace(string(v.RepositoryURI))
		if uri == "" {
			continue
		}
		a.Name = uri
		a.Identifiers = []model.Identifier{{Kind: model.IDRepoURL, Value: uri}}
		if b := strings.TrimSpace(string(v.Branch)); b != "" {
			a.Attributes = map[string]string{"branch": b}
		}
		break
	}
	return a
}

func assetKey(a report.AssetRef) string {
	var b strings.Builder
	b.WriteString(string(a.Kind))
	b.WriteByte(0)
	b.WriteString(a.Name)
	for _, id := range a.Identifiers {
		b.WriteByte(0)
		b.WriteString(string(id.Kind))
		b.WriteByte('=')
		b.WriteString(id.Value)
	}
	return b.String()
}

// ruleIndex finds the reportingDescriptor a result refers to.
type ruleIndex struct {
	driver     []descriptor
	extensions [][]descriptor
	byID       map[string]*descriptor
	global     map[string]multiformat
}

func newRuleIndex(t *tool) *ruleIndex {
	ri := &ruleIndex{driver: t.Driver.Rules, byID: map[string]*descriptor{}, global: t.Driver.GlobalMessageStrings}
	add := func(rules []descriptor) {
		for i := range rules {
			id := string(rules[i].ID)
			if _, dup := ri.byID[id]; !dup && id != "" {
				ri.byID[id] = &rules[i]
			}
		}
	}
	add(t.Driver.Rules)
	for _, ext := range t.Extensions {
		ri.extensions = append(ri.extensions, ext.Rules)
		add(ext.Rules)
	}
	return ri
}

func (ri *ruleIndex) lookup(res *result) *descriptor {
	if ri == nil {
		return nil
	}
	id := string(res.RuleID)
	idx := res.RuleIndex
	if res.Rule != nil {
		if id == "" {
			id = string(res.Rule.ID)
		}
		if !idx.set {
			idx = res.Rule.Index
		}
		// A rule defined by an extension (a CodeQL query pack) is
		// addressed through rule.toolComponent.index.
		if tc := res.Rule.ToolComponent; tc != nil && tc.Index.set && tc.Index.n < len(ri.extensions) {
			rules := ri.extensions[tc.Index.n]
			if idx.set && idx.n < len(rules) {
				return &rules[idx.n]
			}
			for i := range rules {
				if string(rules[i].ID) == id {
					return &rules[i]
				}
			}
		}
	}
	if idx.set && idx.n < len(ri.driver) {
		d := &ri.driver[idx.n]
		if id == "" || string(d.ID) == id || strings.HasPrefix(id, string(d.ID)+"/") {
			return d
		}
	}
	if d := ri.byID[id]; d != nil {
		return d
	}
	// Hierarchical rule ids ("C2001/1") refer to their parent rule.
	if i := strings.LastIndexByte(id, '/'); i > 0 {
		if d := ri.byID[id[:i]]; d != nil {
			return d
		}
	}
	return nil
}

// messageText renders a message object: its text, or the rule's (or the
// tool's global) message string named by id, with {n} placeholders filled.
func (ri *ruleIndex) messageText(m *message, rule *descriptor) string {
	t := string(m.Text)
	if t == "" && m.ID != "" {
		if rule != nil {
			if ms, ok := rule.MessageStrings[string(m.ID)]; ok {
				t = ms.String()
			}
		}
		if t == "" && ri != nil {
			if ms, ok := ri.global[string(m.ID)]; ok {
				t = ms.String()
			}
		}
	}
	if t == "" {
		t = string(m.Markdown)
	}
	if len(m.Arguments) > 0 && strings.Contains(t, "{") {
		t = substitute(t, m.Arguments)
	}
	return t
}

// substitute fills SARIF message placeholders {0}, {1}... and unescapes
// doubled braces.
func substitute(t string, args []jsonx.Text) string {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == '{' && i+1 < len(t) && t[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		if c == '}' && i+1 < len(t) && t[i+1] == '}' {
			b.WriteByte('}')
			i++
			continue
		}
		if c == '{' {
			j := i + 1
			n := 0
			for j < len(t) && j-i <= 4 && t[j] >= '0' && t[j] <= '9' {
				n = n*10 + int(t[j]-'0')
				j++
			}
			if j > i+1 && j < len(t) && t[j] == '}' && n < len(args) {
				b.WriteString(string(args[n]))
				i = j
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// lateProvenance is the first pass for seekable input: it collects each
// run's versionControlProvenance, which producers may write after the
// results, and rewinds the reader. A cheap byte scan skips the pass when
// the log holds no provenance at all. Malformed input is left to the main
// pass to report.
func lateProvenance(r io.Reader) (map[int][]vcsDetails, error) {
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		return nil, nil
	}
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, nil
	}
	rewind := func() error {
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return report.AtOffset(-1, err)
		}
		return nil
	}
	found := containsBytes(rs, []byte(`"versionControlProvenance"`))
	if err := rewind(); err != nil || !found {
		return nil, err
	}
	out := map[int][]vcsDetails{}
	s := report.NewJSONStream(skipBOM(rs))
	_ = s.Object(func(key string) error {
		if key != "runs" {
			return s.Skip()
		}
		return s.Array(func(i int) error {
			return s.Object(func(key string) error {
				if key != "versionControlProvenance" {
					return s.Skip()
				}
				var v []vcsDetails
				if err := s.Decode(&v); err != nil {
					return err
				}
				out[i] = v
				return nil
			})
		})
	})
	return out, rewind()
}

// containsBytes reports whether r holds needle, reading it in chunks.
func containsBytes(r io.Reader, needle []byte) bool {
	buf := make([]byte, 64<<10)
	keep, empty := 0, 0
	for {
		n, err := r.Read(buf[keep:])
		if bytes.Contains(buf[:keep+n], needle) {
			return true
		}
		if err != nil {
			return false
		}
		// Guard against readers that keep returning nothing.
		if n == 0 {
			if empty++; empty > 100 {
				return false
			}
			continue
		}
		empty = 0
		// Keep the tail in case the needle straddles two chunks.
		total := keep + n
		keep = min(len(needle)-1, total)
		copy(buf, buf[total-keep:total])
	}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
