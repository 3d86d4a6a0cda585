// Package semgrep parses Semgrep's JSON output (`semgrep --json`: code
// findings, and supply-chain findings carrying sca_info) and the Semgrep
// App supply-chain API export ({"vulns": [...]}).
package semgrep

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the Semgrep format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string { return "semgrep" }
func (format) Version() int { return 1 }
func (format) Description() string {
	return "Semgrep JSON report (CLI --json, and the supply-chain vulns API)"
}

var (
	resultsKey = regexp.MustCompile(`"results"\s*:\s*\[`)
	vulnsKey   = regexp.MustCompile(`"vulns"\s*:\s*\[`)
)

// Detect wants a JSON object whose results carry Semgrep's check_id next to
// start/extra, or whose vulns carry the supply-chain API's advisory and
// dependencyFileLocation. An output with no results ({"results": [],
// "errors": []}) has nothing of Semgrep's own and is not claimed.
func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(h) == 0 || h[0] != '{' {
		return 0
	}
	has := func(k string) bool { return bytes.Contains(h, []byte(`"`+k+`"`)) }
	if resultsKey.Match(h) && has("check_id") && has("extra") && has("start") && has("path") {
		return 90
	}
	if vulnsKey.Match(h) && has("advisory") && has("dependencyFileLocation") && has("repositoryName") {
		return 85
	}
	return 0
}

type position struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

type result struct {
	CheckID string    `json:"check_id"`
	Path    string    `json:"path"`
	Start   *position `json:"start"`
	End     *position `json:"end"`
	Extra   struct {
		Message     string         `json:"message"`
		Severity    string         `json:"severity"`
		Lines       string         `json:"lines"`
		Fingerprint string         `json:"fingerprint"`
		Fix         string         `json:"fix"`
		IsIgnored   bool           `json:"is_ignored"`
		Metadata    map[string]any `json:"metadata"`
		SCAInfo     *struct {
			Reachable       bool `json:"reachable"`
			DependencyMatch struct {
				FoundDependency struct {
					Package      string `json:"package"`
					Version      string `json:"version"`
					Ecosystem    string `json:"ecosystem"`
					Transitivity string `json:"transitivity"`
					LineNumber   int    `json:"line_number"`
					Lockfile     string `json:"lockfile"`
				} `json:"found_dependency"`
				Lockfile string `json:"lockfile"`
			} `json:"dependency_match"`
		} `json:"sca_info"`
	} `json:"extra"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	s := report.NewJSONStream(r)
	p := &parser{ctx: ctx, sink: sink, seen: map[[32]byte]bool{}, assets: map[string]bool{}}
	shape := ""
	err := s.Object(func(key string) error {
		switch key {
		case "results":
			shape = "cli"
			return s.Array(func(i int) error {
				off := s.Offset()
				var res result
				if err := s.Decode(&res); err != nil {
					return err
				}
				return p.result(i, off, res)
			})
		case "vulns":
			shape = "api"
			return s.Array(func(i int) error {
				off := s.Offset()
				var v vuln
				if err := s.Decode(&v); err != nil {
					return err
				}
				return p.vuln(i, off, v)
			})
		}
		return s.Skip()
	})
	if err != nil {
		return err
	}
	if err := s.End(); err != nil {
		return err
	}
	if shape == "" {
		return report.Errorf(s.Offset(), "expected a Semgrep report: an object with results (CLI) or vulns (supply-chain API)")
	}
	if len(p.assets) == 0 && shape == "cli" {
		// The scanned code base, named by the pipeline from the import.
		return sink.Asset(report.AssetRef{Kind: model.AssetRepository})
	}
	return nil
}

type parser struct {
	ctx    context.Context
	sink   report.Sink
	seen   map[[32]byte]bool
	assets map[string]bool
	n      int
}

func (p *parser) tick() error {
	p.n++
	if p.n%256 == 0 {
		return p.ctx.Err()
	}
	return nil
}

func (p *parser) asset(a report.AssetRef) error {
	if p.assets[a.Name] {
		return nil
	}
	p.assets[a.Name] = true
	return p.sink.Asset(a)
}

func (p *parser) once(parts ...string) bool {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	if p.seen[h] {
		return false
	}
	p.seen[h] = true
	return true
}

// severity maps Semgrep's levels: the old ERROR/WARNING/INFO scale became
// HIGH/MEDIUM/LOW, so INFO is low rather than informational.
func severity(s string) model.Severity {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CRITICAL":
		return model.SevCritical
	case "ERROR", "HIGH":
		return model.SevHigh
	case "WARNING", "MEDIUM", "MODERATE":
		return model.SevMedium
	case "INFO", "LOW":
		return model.SevLow
	}
	return report.SeverityOr(s, model.SevMedium)
}

// gated values Semgrep writes instead of data for logged-out users.
func gated(s string) bool { return strings.TrimSpace(s) == "requires login" }

func (p *parser) result(i int, off int64, res result) error {
	if err := p.tick(); err != nil {
		return err
	}
	if res.CheckID == "" || res.Start == nil {
		return report.Errorf(off, "result %d: expected a Semgrep result with check_id and start", i)
	}
	if res.Extra.IsIgnored {
		// Suppressed in code with nosemgrep; Semgrep itself leaves these
		// out unless asked to keep them.
		return nil
	}
	// Semgrep reports a rule twice on one line when two patterns match
	// there; it is one weakness.
	if !p.once("r", res.CheckID, res.Path, strconv.Itoa(res.Start.Line)) {
		return nil
	}
	asset := report.AssetRef{Kind: model.AssetRepository}
	if err := p.asset(asset); err != nil {
		return err
	}
	md := res.Extra.Metadata
	f := model.Finding{
		Kind:        model.KindCodeWeakness,
		Title:       title(res.Extra.Message, res.CheckID),
		Description: strings.TrimSpace(res.Extra.Message),
		Severity:    severity(res.Extra.Severity),
		RuleID:      res.CheckID,
		Location:    model.Location{File: res.Path, Line: res.Start.Line},
		Remediation: strings.TrimSpace(res.Extra.Fix),
		References:  refs(md),
	}
	if res.End != nil && res.End.Line > res.Start.Line {
		f.Location.EndLine = res.End.Line
	}
	for _, c := range strs(md["cwe"]) {
		report.AddCWE(&f, cweID(c))
	}
	o := report.Observation{
		Asset:        asset,
		ToolID:       res.CheckID,
		ToolSeverity: res.Extra.Severity,
		Anchor:       anchor(res.Extra.Fingerprint, res.Extra.Lines),
		Finding:      f,
	}
	if !gated(res.Extra.Lines) {
		o.Evidence = report.Truncate(strings.TrimSpace(res.Extra.Lines), 4096)
	}
	if sca := res.Extra.SCAInfo; sca != nil {
		// Supply-chain rules flag a vulnerable dependency version, not code.
		dep := sca.DependencyMatch.FoundDependency
		ids := []string{str(md["sca-vuln-database-identifier"])}
		ids = append(ids, strs(md["cve"])...)
		o.Finding.Kind = model.KindVulnerability
		o.Finding.VulnID, o.Finding.Aliases = report.VulnIDs(ids...)
		o.Finding.Component = model.Component{
			Name: dep.Package, Version: dep.Version, Ecosystem: dep.Ecosystem,
			Path: cmp.Or(sca.DependencyMatch.Lockfile, dep.Lockfile, res.Path),
		}
		o.Anchor = ""
		o.Evidence = fmt.Sprintf("%s@%s (%s); reachable: %t", dep.Package, dep.Version, dep.Transitivity, sca.Reachable)
	}
	return p.sink.Observe(o)
}

// anchor is Semgrep's own fingerprint (line-independent) when the report has
// it, else a hash of the matched lines with white space collapsed.
func anchor(fp, lines string) string {
	if fp != "" && !gated(fp) {
		return fp
	}
	if lines == "" || gated(lines) {
		return ""
	}
	sum := sha256.Sum256([]byte(strings.Join(strings.Fields(lines), " ")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// title is the first sentence of the message, short enough for a list; the
// check id when there is no message.
func title(msg, check string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if msg == "" {
		return check
	}
	if i := strings.Index(msg, ". "); i > 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSuffix(msg, ".")
	if len(msg) > 160 {
		msg = report.Truncate(msg, 157) + "..."
	}
	return msg
}

var cweNum = regexp.MustCompile(`(?i)^\s*CWE-(\d+)`)

// cweID reads "CWE-352: Cross-Site Request Forgery (CSRF)".
func cweID(s string) string {
	if m := cweNum.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return s
}

func refs(md map[string]any) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		u = strings.TrimSpace(u)
		if u != "" && !seen[u] && (strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, u := range strs(md["references"]) {
		add(u)
	}
	add(str(md["source"]))
	add(str(md["source-rule-url"]))
	return out
}

// strs reads a metadata value that is a string or a list of strings.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// vuln is one finding of the Semgrep App supply-chain API.
type vuln struct {
	Title    string `json:"title"`
	Advisory struct {
		RuleID      string `json:"ruleId"`
		Title       string `json:"title"`
		Description string `json:"description"`
		Ecosystem   string `json:"ecosystem"`
		Severity    string `json:"severity"`
		References  struct {
			CVEIDs []string `json:"cveIds"`
			CWEIDs []string `json:"cweIds"`
			URLs   []string `json:"urls"`
		} `json:"references"`
		Reachability string `json:"reachability"`
	} `json:"advisory"`
	ExposureType       string `json:"exposureType"`
	RepositoryID       string `json:"repositoryId"`
	RepositoryName     string `json:"repositoryName"`
	MatchedDependency  dep    `json:"matchedDependency"`
	ClosestSafe        *dep   `json:"closestSafeDependency"`
	DependencyLocation struct {
		Path      string `json:"path"`
		StartLine string `json:"startLine"`
		URL       string `json:"url"`
	} `json:"dependencyFileLocation"`
	Transitivity   string `json:"transitivity"`
	PackageManager string `json:"packageManager"`
	Triage         struct {
		Status string `json:"status"`
	} `json:"triage"`
}

type dep struct {
	Name    string `json:"name"`
	Version string `json:"versionSpecifier"`
}

var ghsa = regexp.MustCompile(`GHSA(-[23456789cfghjmpqrvwx]{4}){3}`)

func (p *parser) vuln(i int, off int64, v vuln) error {
	if err := p.tick(); err != nil {
		return err
	}
	if v.Advisory.RuleID == "" && v.Title == "" {
		return report.Errorf(off, "vuln %d: expected a supply-chain finding with an advisory", i)
	}
	// Each finding names its repository: the API export spans many.
	asset := report.AssetRef{Kind: model.AssetRepository, Name: v.RepositoryName}
	if v.RepositoryName != "" {
		asset.Identifiers = []model.Identifier{{Kind: model.IDName, Value: v.RepositoryName}}
	}
	line, _ := strconv.Atoi(v.DependencyLocation.StartLine)
	if !p.once("v", v.RepositoryName, v.Advisory.RuleID, v.DependencyLocation.Path, v.MatchedDependency.Name, v.MatchedDependency.Version) {
		return nil
	}
	if err := p.asset(asset); err != nil {
		return err
	}
	ids := append([]string{}, v.Advisory.References.CVEIDs...)
	for _, u := range v.Advisory.References.URLs {
		if m := ghsa.FindString(u); m != "" {
			ids = append(ids, m)
		}
	}
	ids = append(ids, v.Advisory.RuleID)
	f := model.Finding{
		Kind:        model.KindVulnerability,
		Title:       cmp.Or(v.Title, v.Advisory.Title, v.Advisory.RuleID),
		Description: strings.TrimSpace(v.Advisory.Description),
		Severity:    severity(v.Advisory.Severity),
		Component: model.Component{
			Name:    v.MatchedDependency.Name,
			Version: v.MatchedDependency.Version,
			Path:    v.DependencyLocation.Path,
		},
		Location: model.Location{File: v.DependencyLocation.Path, Line: line},
	}
	f.VulnID, f.Aliases = report.VulnIDs(ids...)
	if v.ClosestSafe != nil && v.ClosestSafe.Version != "" {
		f.Component.FixedVersion = v.ClosestSafe.Version
		f.Remediation = fmt.Sprintf("Upgrade %s to %s.", cmp.Or(v.ClosestSafe.Name, v.MatchedDependency.Name), v.ClosestSafe.Version)
	}
	for _, c := range v.Advisory.References.CWEIDs {
		report.AddCWE(&f, cweID(c))
	}
	for _, u := range v.Advisory.References.URLs {
		f.References = append(f.References, strings.TrimSpace(u))
	}
	ev := fmt.Sprintf("%s@%s in %s:%s (%s, %s); triage: %s",
		v.MatchedDependency.Name, v.MatchedDependency.Version, v.DependencyLocation.Path, v.DependencyLocation.StartLine,
		strings.ToLower(v.Transitivity), strings.ToLower(v.ExposureType), strings.ToLower(v.Triage.Status))
	return p.sink.Observe(report.Observation{
		Asset:        asset,
		ToolID:       cmp.Or(v.Advisory.RuleID, f.VulnID),
		ToolSeverity: v.Advisory.Severity,
		Evidence:     ev,
		Finding:      f,
	})
}
