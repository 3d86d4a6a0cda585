// Package npmaudit parses `npm audit --json` reports of npm 6 and earlier:
// an object of advisories keyed by advisory id, each with the vulnerable
// module, its installed versions and dependency paths. npm 7 and later write
// a different report (auditReportVersion 2), read by the npm_audit_7_plus
// format.
package npmaudit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the npm audit (v6) format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string        { return "npm_audit" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "npm audit JSON report (npm 6 and earlier)" }

var advisoriesKey = regexp.MustCompile(`"advisories"\s*:\s*\{`)

// Detect wants npm 6's layout: an advisories object beside actions, muted
// or metadata, and no auditReportVersion (npm 7+). An npm 6 error report
// ({"error": {"code": "ENOAUDIT"...}}) is claimed weakly so that it fails
// with npm's own message rather than as an unknown file.
func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(h) == 0 || h[0] != '{' {
		return 0
	}
	has := func(k string) bool { return bytes.Contains(h, []byte(`"`+k+`"`)) }
	if has("auditReportVersion") {
		return 0
	}
	if advisoriesKey.Match(h) && (has("actions") || has("muted")) && has("metadata") {
		return 90
	}
	if advisoriesKey.Match(h) && has("module_name") && has("findings") {
		return 80
	}
	if has("error") && has("code") && (bytes.Contains(h, []byte(`"EAUDIT`)) || bytes.Contains(h, []byte(`"ENOAUDIT"`))) {
		return 20
	}
	return 0
}

type advisory struct {
	ID               any      `json:"id"` // a number; kept as written
	Title            string   `json:"title"`
	ModuleName       string   `json:"module_name"`
	Severity         string   `json:"severity"`
	CVEs             []string `json:"cves"`
	CWE              any      `json:"cwe"` // "CWE-94", ["CWE-918", ...] or null
	GitHubAdvisoryID string   `json:"github_advisory_id"`
	VulnerableRange  string   `json:"vulnerable_versions"`
	PatchedVersions  string   `json:"patched_versions"`
	Overview         string   `json:"overview"`
	Recommendation   string   `json:"recommendation"`
	References       string   `json:"references"`
	URL              string   `json:"url"`
	CVSS             *struct {
		VectorString string `json:"vectorString"`
	} `json:"cvss"`
	Findings []struct {
		Version string   `json:"version"`
		Paths   []string `json:"paths"`
		Dev     bool     `json:"dev"`
	} `json:"findings"`
}

type npmError struct {
	Code    string `json:"code"`
	Summary string `json:"summary"`
	Detail  string `json:"detail"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	s := report.NewJSONStream(r)
	asset := report.AssetRef{Kind: model.AssetRepository}
	found, announced := false, false
	n := 0
	err := s.Object(func(key string) error {
		switch key {
		case "auditReportVersion":
			return report.Errorf(s.Offset(), "this is an npm 7+ audit report (auditReportVersion); import it as npm_audit_7_plus")
		case "error":
			off := s.Offset()
			var e npmError
			if err := s.Decode(&e); err != nil {
				return err
			}
			return report.Errorf(off, "npm audit report contains errors: %s: %s", e.Code, e.Summary)
		case "advisories":
			found = true
			return s.Object(func(id string) error {
				n++
				if n%256 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				off := s.Offset()
				var a advisory
				if err := s.Decode(&a); err != nil {
					return err
				}
				if a.ModuleName == "" {
					return report.Errorf(off, "advisory %s: expected module_name", id)
				}
				if !announced {
					announced = true
					if err := sink.Asset(asset); err != nil {
						return err
					}
				}
				return sink.Observe(observe(asset, id, a))
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
	if !found {
		return report.Errorf(s.Offset(), "expected an npm audit report with advisories")
	}
	if !announced {
		// A clean audit still covers the project.
		return sink.Asset(asset)
	}
	return nil
}

var (
	urlRe       = regexp.MustCompile(`https?://[^\s)\]>"]+`)
	ghsaRe      = regexp.MustCompile(`GHSA(-[23456789cfghjmpqrvwx]{4}){3}`)
	hashRe      = regexp.MustCompile(`[a-f0-9]{64}`)
	atLeastRe   = regexp.MustCompile(`^>=\s*([0-9][0-9A-Za-z.+\-]*)$`)
	cweInsideRe = regexp.MustCompile(`(?i)CWE-\d+`)
)

func observe(asset report.AssetRef, key string, a advisory) report.Observation {
	// The stream decodes numbers as json.Number, so ids print as written.
	id := key
	switch v := a.ID.(type) {
	case json.Number:
		id = v.String()
	case string:
		if v != "" {
			id = v
		}
	}
	ids := append([]string{}, a.CVEs...)
	if a.GitHubAdvisoryID != "" {
		ids = append(ids, a.GitHubAdvisoryID)
	} else if m := ghsaRe.FindString(a.URL); m != "" {
		ids = append(ids, m)
	}
	// npm's own advisory number, kept as an alias (and as the id when the
	// advisory names nothing else).
	ids = append(ids, "NPM-"+id)
	version := ""
	var ev []string
	for _, f := range a.Findings {
		if version == "" {
			version = f.Version
		}
		paths := f.Paths
		more := ""
		if len(paths) > 10 {
			more = fmt.Sprintf(" (+%d more)", len(paths)-10)
			paths = paths[:10]
		}
		// npm puts a random hash in place of git dependencies' names.
		ev = append(ev, fmt.Sprintf("%s@%s: %s%s", a.ModuleName, f.Version, hashRe.ReplaceAllString(strings.Join(paths, ", "), "censored_by_npm_audit"), more))
	}
	f := model.Finding{
		Kind:        model.KindVulnerability,
		Title:       strings.TrimSpace(a.Title),
		Description: strings.TrimSpace(a.Overview),
		Severity:    report.SeverityOr(a.Severity, model.SevMedium),
		Component: model.Component{
			Name:      a.ModuleName,
			Version:   version,
			Ecosystem: "npm",
		},
		Remediation: strings.TrimSpace(a.Recommendation),
	}
	if f.Title == "" {
		f.Title = a.ModuleName + " advisory " + id
	}
	f.VulnID, f.Aliases = report.VulnIDs(ids...)
	if version != "" {
		f.Component.PURL = npmPURL(a.ModuleName, version)
	}
	if m := atLeastRe.FindStringSubmatch(strings.TrimSpace(a.PatchedVersions)); m != nil {
		f.Component.FixedVersion = m[1]
	}
	if a.CVSS != nil {
		report.AddCVSS(&f, a.CVSS.VectorString)
	}
	for _, c := range cwes(a.CWE) {
		report.AddCWE(&f, c)
	}
	seen := map[string]bool{}
	for _, u := range append([]string{a.URL}, urlRe.FindAllString(a.References, -1)...) {
		if u != "" && !seen[u] {
			seen[u] = true
			f.References = append(f.References, u)
		}
	}
	if a.VulnerableRange != "" {
		ev = append(ev, "vulnerable versions: "+a.VulnerableRange)
	}
	return report.Observation{
		Asset:        asset,
		ToolID:       id,
		ToolSeverity: a.Severity,
		Evidence:     report.Truncate(strings.Join(ev, "\n"), 4096),
		Finding:      f,
	}
}

// cwes reads "CWE-94", a list of them, or null; "CWE-" alone is no CWE.
func cwes(v any) []string {
	switch x := v.(type) {
	case string:
		return cweInsideRe.FindAllString(x, -1)
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

// npmPURL builds pkg:npm/name@version, with a scope as the namespace.
func npmPURL(name, version string) string {
	ns := ""
	if strings.HasPrefix(name, "@") {
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, name, version, nil, "").ToString()
}
