// Package npmaudit7plus parses `npm audit --json` reports of npm 7 and later
// (auditReportVersion 2): an object of vulnerable packages keyed by name.
// A package is vulnerable through advisories of its own (via objects) or
// through vulnerable dependencies (via names).
package npmaudit7plus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the npm audit (npm 7+) format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string { return "npm_audit_7_plus" }
func (format) Version() int { return 1 }
func (format) Description() string {
	return "npm audit JSON report (npm 7 and later, auditReportVersion 2)"
}

var versionKey = regexp.MustCompile(`"auditReportVersion"\s*:\s*[2-9]`)

// Detect wants auditReportVersion 2 or later, which only npm 7+ writes.
func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(h) == 0 || h[0] != '{' {
		return 0
	}
	if versionKey.Match(h) && bytes.Contains(h, []byte(`"vulnerabilities"`)) {
		return 95
	}
	return 0
}

// advisory is a via entry that is an advisory (not a package name).
type advisory struct {
	Source     json.Number `json:"source"`
	Name       string      `json:"name"`
	Dependency string      `json:"dependency"`
	Title      string      `json:"title"`
	URL        string      `json:"url"`
	Severity   string      `json:"severity"`
	CWE        []string    `json:"cwe"`
	CVSS       *struct {
		Score        float64 `json:"score"`
		VectorString string  `json:"vectorString"`
	} `json:"cvss"`
	Range string `json:"range"`
}

type entry struct {
	Name         string            `json:"name"`
	Severity     string            `json:"severity"`
	IsDirect     bool              `json:"isDirect"`
	Via          []json.RawMessage `json:"via"`
	Effects      []string          `json:"effects"`
	Range        string            `json:"range"`
	Nodes        []string          `json:"nodes"`
	FixAvailable json.RawMessage   `json:"fixAvailable"`
}

// pkg is what is kept of an entry until the report ends: enough to resolve
// packages that are vulnerable only through their dependencies.
type pkg struct {
	e       entry
	advs    []advisory
	viaPkgs []string
}

type npmError struct {
	Code    string `json:"code"`
	Summary string `json:"summary"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	s := report.NewJSONStream(r)
	asset := report.AssetRef{Kind: model.AssetRepository}
	var version json.Number
	seenVulns := false
	// Advisory ids per package name (for transitive resolution), and the
	// packages vulnerable only through others, held to the end.
	advByPkg := map[string][]advisory{}
	viaOf := map[string][]string{}
	var transitive []*pkg
	announced := false
	announce := func() error {
		if announced {
			return nil
		}
		announced = true
		return sink.Asset(asset)
	}
	n := 0
	err := s.Object(func(key string) error {
		switch key {
		case "auditReportVersion":
			return s.Decode(&version)
		case "error":
			off := s.Offset()
			var e npmError
			if err := s.Decode(&e); err != nil {
				return err
			}
			return report.Errorf(off, "npm audit report contains errors: %s: %s", e.Code, e.Summary)
		case "vulnerabilities":
			seenVulns = true
			return s.Object(func(name string) error {
				n++
				if n%256 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				off := s.Offset()
				var e entry
				if err := s.Decode(&e); err != nil {
					return err
				}
				if e.Name == "" {
					e.Name = name
				}
				p := &pkg{e: e}
				for i, raw := range e.Via {
					var dep string
					if json.Unmarshal(raw, &dep) == nil {
						p.viaPkgs = append(p.viaPkgs, dep)
						continue
					}
					var a advisory
					if err := json.Unmarshal(raw, &a); err != nil {
						return report.Errorf(off, "vulnerabilities[%q].via[%d]: expected a package name or an advisory: %v", name, i, err)
					}
					p.advs = append(p.advs, a)
				}
				viaOf[e.Name] = p.viaPkgs
				if len(p.advs) == 0 {
					transitive = append(transitive, p)
					return nil
				}
				advByPkg[e.Name] = p.advs
				if err := announce(); err != nil {
					return err
				}
				return sink.Observe(observe(asset, p, p.advs, nil))
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
	if !seenVulns {
		return report.Errorf(s.Offset(), "expected an npm audit report with vulnerabilities")
	}
	if v, err := version.Int64(); version != "" && (err != nil || v < 2) {
		return report.Errorf(0, "auditReportVersion %s: this format reads npm 7+ reports (version 2 and later)", version)
	}
	for _, p := range transitive {
		advs, chain := resolve(p.e.Name, advByPkg, viaOf)
		if err := announce(); err != nil {
			return err
		}
		if err := sink.Observe(observe(asset, p, advs, chain)); err != nil {
			return err
		}
	}
	return announce()
}

// resolve follows via names breadth first to the advisories a package
// inherits, and returns the packages that carry them.
func resolve(name string, advByPkg map[string][]advisory, viaOf map[string][]string) ([]advisory, []string) {
	seen := map[string]bool{name: true}
	queue := append([]string{}, viaOf[name]...)
	var advs []advisory
	var carriers []string
	ids := map[string]bool{}
	for len(queue) > 0 && len(seen) < 10000 {
		dep := queue[0]
		queue = queue[1:]
		if seen[dep] {
			continue
		}
		seen[dep] = true
		if list := advByPkg[dep]; len(list) > 0 {
			carriers = append(carriers, dep)
			for _, a := range list {
				if k := a.Source.String() + a.URL; !ids[k] {
					ids[k] = true
					advs = append(advs, a)
				}
			}
		}
		queue = append(queue, viaOf[dep]...)
	}
	return advs, carriers
}

var ghsaRe = regexp.MustCompile(`GHSA(-[23456789cfghjmpqrvwx]{4}){3}`)

// observe makes one observation per vulnerable package, as npm itself
// counts them (metadata.vulnerabilities.total). A package's own advisories
// become its id and aliases; a package vulnerable only through dependencies
// (carriers) takes their advisories.
func observe(asset report.AssetRef, p *pkg, advs []advisory, carriers []string) report.Observation {
	e := p.e
	// The most severe advisory leads: it gives the id, title and vector.
	advs = append([]advisory(nil), advs...)
	sort.SliceStable(advs, func(i, j int) bool { return rank(advs[i]) > rank(advs[j]) })
	var ids []string
	for _, a := range advs {
		if m := ghsaRe.FindString(a.URL); m != "" {
			ids = append(ids, m)
		} else if a.Source != "" {
			ids = append(ids, "NPM-"+a.Source.String())
		}
	}
	f := model.Finding{
		Kind:     model.KindVulnerability,
		Severity: report.SeverityOr(e.Severity, model.SevMedium),
		Component: model.Component{
			Name:      e.Name,
			Ecosystem: "npm",
			PURL:      purl(e.Name),
		},
	}
	f.VulnID, f.Aliases = report.VulnIDs(ids...)
	toolID := e.Name
	if len(advs) > 0 && advs[0].Source != "" {
		toolID = advs[0].Source.String()
	}
	switch {
	case carriers == nil && len(advs) == 1:
		f.Title = advs[0].Title
	case carriers == nil && len(advs) > 1:
		more := "advisories"
		if len(advs) == 2 {
			more = "advisory"
		}
		f.Title = fmt.Sprintf("%s (+%d more %s)", advs[0].Title, len(advs)-1, more)
	case len(carriers) > 0:
		f.Title = fmt.Sprintf("%s depends on vulnerable %s", e.Name, strings.Join(carriers, ", "))
	default:
		f.Title = fmt.Sprintf("%s depends on vulnerable %s", e.Name, strings.Join(p.viaPkgs, ", "))
	}
	var desc []string
	for _, a := range advs {
		desc = append(desc, fmt.Sprintf("%s (%s, %s): %s", a.Title, a.Name, a.Range, a.URL))
		for _, c := range a.CWE {
			report.AddCWE(&f, c)
		}
		if a.CVSS != nil && len(f.CVSS) == 0 {
			report.AddCVSS(&f, a.CVSS.VectorString)
		}
		if a.URL != "" && !slices.Contains(f.References, a.URL) {
			f.References = append(f.References, a.URL)
		}
	}
	if carriers != nil {
		desc = append([]string{fmt.Sprintf("%s is vulnerable through %s.", e.Name, strings.Join(carriers, ", "))}, desc...)
	}
	f.Description = strings.Join(desc, "\n")
	f.Remediation, f.Component.FixedVersion = fix(e.Name, e.FixAvailable)

	ev := []string{"vulnerable range: " + e.Range}
	if len(p.viaPkgs) > 0 {
		ev = append(ev, "via: "+strings.Join(p.viaPkgs, ", "))
	}
	if len(e.Effects) > 0 {
		ev = append(ev, "effects: "+strings.Join(e.Effects, ", "))
	}
	nodes := e.Nodes
	if len(nodes) > 10 {
		nodes = nodes[:10]
	}
	ev = append(ev, "installed at: "+strings.Join(nodes, ", "))
	if e.IsDirect {
		ev = append(ev, "direct dependency")
	}
	return report.Observation{
		Asset:        asset,
		ToolID:       toolID,
		ToolSeverity: e.Severity,
		Evidence:     report.Truncate(strings.Join(ev, "\n"), 4096),
		Finding:      f,
	}
}

// rank orders advisories by severity, then CVSS score.
func rank(a advisory) float64 {
	r := float64(report.SeverityOr(a.Severity, model.SevInfo).Rank()) * 100
	if a.CVSS != nil {
		r += a.CVSS.Score
	}
	return r
}

// fix reads fixAvailable: true (npm audit fix), false, or the package and
// version npm would install. The fixed version is the component's only
// when the fix upgrades this very package.
func fix(name string, raw json.RawMessage) (string, string) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		if b {
			return "Run npm audit fix.", ""
		}
		return "", ""
	}
	var f struct {
		Name          string `json:"name"`
		Version       string `json:"version"`
		IsSemVerMajor bool   `json:"isSemVerMajor"`
	}
	if json.Unmarshal(raw, &f) != nil || f.Name == "" {
		return "", ""
	}
	r := fmt.Sprintf("Upgrade %s to %s", f.Name, f.Version)
	if f.IsSemVerMajor {
		r += " (a semver-major change)"
	}
	r += "."
	if f.Name == name {
		return r, f.Version
	}
	return r, ""
}

// purl names the package without a version: npm 7+ reports give only the
// vulnerable range, not the installed version.
func purl(name string) string {
	ns := ""
	if strings.HasPrefix(name, "@") {
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, name, "", nil, "").ToString()
}
