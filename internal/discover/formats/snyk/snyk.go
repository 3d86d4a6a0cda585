// Package snyk parses Snyk CLI test results (`snyk test --json`): one project
// object, or an array of them with --all-projects. Container projects
// (`snyk container test --json`) are read too, with the application projects
// they embed.
package snyk

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	snykcode "github.com/ctemhq/ctem/internal/discover/formats/snyk_code"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the Snyk format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string        { return "snyk" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Snyk CLI test JSON (open source and container projects)" }

var vulnsKey = regexp.MustCompile(`"vulnerabilities"\s*:\s*\[`)

// Detect wants a vulnerabilities array with Snyk's own keys: each
// vulnerability has packageManager, upgradePath and isUpgradable, and the
// project has uniqueCount and dependencyCount (after the list, so possibly
// past the head). Snyk Code SARIF is left to the snyk_code format; npm
// audit's vulnerabilities object and Trivy's "Vulnerabilities" do not match.
func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(h) == 0 || (h[0] != '{' && h[0] != '[') {
		return 0
	}
	has := func(k string) bool { return bytes.Contains(h, []byte(`"`+k+`"`)) }
	if has("runs") || has("auditReportVersion") {
		return 0
	}
	if vulnsKey.Match(h) && (has("packageManager") || has("projectName")) &&
		(has("uniqueCount") || has("dependencyCount") || (has("upgradePath") && has("isUpgradable"))) {
		return 85
	}
	return 0
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, report.DetectBytes)
	head, _ := br.Peek(report.DetectBytes)
	if snykcode.New().Detect(head) > 0 {
		// Snyk Code writes SARIF; DefectDojo's Snyk parser accepts it, so a
		// file imported as snyk still parses.
		return snykcode.New().Parse(ctx, br, sink)
	}
	s := report.NewJSONStream(br)
	p := &parser{ctx: ctx, s: s, sink: sink, assets: map[string]bool{}}
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	var err error
	if len(h) > 0 && h[0] == '[' {
		err = s.Array(func(i int) error { return p.topProject(i) })
	} else {
		err = p.topProject(-1)
	}
	if err != nil {
		return err
	}
	if err := s.End(); err != nil {
		return err
	}
	if p.projects == 0 {
		return report.Errorf(s.Offset(), "expected a Snyk project with vulnerabilities")
	}
	return nil
}

type parser struct {
	ctx      context.Context
	s        *report.JSONStream
	sink     report.Sink
	assets   map[string]bool
	projects int
	n        int
}

type vuln struct {
	ID                   string           `json:"id"`
	Type                 string           `json:"type"`
	Title                string           `json:"title"`
	Description          string           `json:"description"`
	Severity             string           `json:"severity"`
	SeverityWithCritical string           `json:"severityWithCritical"`
	CVSSv3               string           `json:"CVSSv3"`
	Identifiers          map[string][]any `json:"identifiers"`
	AlternativeIDs       []string         `json:"alternativeIds"`
	PackageName          string           `json:"packageName"`
	Name                 string           `json:"name"`
	Version              string           `json:"version"`
	PackageManager       string           `json:"packageManager"`
	From                 []string         `json:"from"`
	UpgradePath          []any            `json:"upgradePath"`
	IsUpgradable         bool             `json:"isUpgradable"`
	IsPatchable          bool             `json:"isPatchable"`
	FixedIn              []string         `json:"fixedIn"`
	NearestFixedIn       string           `json:"nearestFixedInVersion"`
	Exploit              string           `json:"exploit"`
	References           []struct {
		URL string `json:"url"`
	} `json:"references"`
	EPSS *struct {
		Probability string `json:"probability"`
		Percentile  string `json:"percentile"`
	} `json:"epssDetails"`
}

// issue is one vulnerability in one package version of one project. Snyk
// lists it once per dependency path; ctem keeps one observation and the paths
// as evidence.
type issue struct {
	v        vuln
	manifest string
	paths    []string
	npaths   int
}

// project is what the object around the vulnerabilities says.
type project struct {
	name, target, manager string
	err                   string
	vulns                 bool
	issues                []*issue
	index                 map[string]*issue
}

func (p *parser) tick() error {
	p.n++
	if p.n%256 == 0 {
		return p.ctx.Err()
	}
	return nil
}

// topProject reads a project and emits it: Snyk writes the vulnerabilities
// before the project name, so a project's issues are held until its object
// ends (held merged, one per vulnerability and package version).
func (p *parser) topProject(i int) error {
	off := p.s.Offset()
	pr := &project{index: map[string]*issue{}}
	var apps []*project
	if err := p.project(pr, &apps); err != nil {
		return err
	}
	if !pr.vulns {
		if pr.err != "" {
			if i < 0 {
				return report.Errorf(off, "Snyk reported an error instead of results: %s", pr.err)
			}
			// One project of --all-projects failed; the others stand.
			return nil
		}
		return report.Errorf(off, "expected a Snyk project with a vulnerabilities list")
	}
	p.projects++
	asset := assetFor(pr)
	if err := p.announce(asset); err != nil {
		return err
	}
	for _, pj := range append([]*project{pr}, apps...) {
		for _, is := range pj.issues {
			if err := p.sink.Observe(observe(asset, pj, is)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) announce(a report.AssetRef) error {
	key := string(a.Kind) + "\x00" + a.Name
	if p.assets[key] {
		return nil
	}
	p.assets[key] = true
	return p.sink.Asset(a)
}

func (p *parser) project(pr *project, apps *[]*project) error {
	s := p.s
	return s.Object(func(key string) error {
		switch key {
		case "vulnerabilities":
			pr.vulns = true
			return s.Array(func(int) error {
				if err := p.tick(); err != nil {
					return err
				}
				var v vuln
				if err := s.Decode(&v); err != nil {
					return err
				}
				pr.add(v)
				return nil
			})
		case "applications":
			if apps == nil {
				return s.Skip()
			}
			return s.Array(func(int) error {
				app := &project{index: map[string]*issue{}}
				if err := p.project(app, nil); err != nil {
					return err
				}
				*apps = append(*apps, app)
				return nil
			})
		case "projectName":
			return s.Decode(&pr.name)
		case "displayTargetFile":
			return s.Decode(&pr.target)
		case "targetFile":
			var t string
			if err := s.Decode(&t); err != nil {
				return err
			}
			if pr.target == "" {
				pr.target = t
			}
			return nil
		case "packageManager":
			return s.Decode(&pr.manager)
		case "error":
			var e any
			if err := s.Decode(&e); err != nil {
				return err
			}
			pr.err = fmt.Sprint(e)
			return nil
		}
		return s.Skip()
	})
}

func (pr *project) add(v vuln) {
	if v.Type == "license" {
		// License policy issues are not exposures; ctem has no kind for them.
		return
	}
	key := v.ID + "\x00" + v.PackageName + "\x00" + v.Name + "\x00" + v.Version
	is := pr.index[key]
	if is == nil {
		// The description (long markdown) is kept only once per issue.
		v.Description = report.Truncate(v.Description, 8192)
		is = &issue{v: v}
		pr.index[key] = is
		pr.issues = append(pr.issues, is)
	}
	is.npaths++
	if len(is.paths) < 5 && len(v.From) > 0 {
		is.paths = append(is.paths, strings.Join(v.From, " > "))
	}
}

const dockerPrefix = "docker-image|"

// assetFor names the project: a container image for container projects,
// else the code repository by Snyk's project name.
func assetFor(pr *project) report.AssetRef {
	if strings.HasPrefix(pr.name, dockerPrefix) || isOSManager(pr.manager) {
		ref := strings.TrimPrefix(pr.name, dockerPrefix)
		// The dependency paths start at the image with its tag:
		// "docker-image|repo/name@tag".
		for _, is := range pr.issues {
			if len(is.v.From) > 0 && strings.HasPrefix(is.v.From[0], dockerPrefix) {
				root := strings.TrimPrefix(is.v.From[0], dockerPrefix)
				if i := strings.LastIndexByte(root, '@'); i > 0 {
					root = root[:i] + ":" + root[i+1:]
				}
				ref = root
				break
			}
		}
		a := report.AssetRef{Kind: model.AssetImage, Name: ref}
		if ref != "" {
			a.Identifiers = []model.Identifier{{Kind: model.IDImageRef, Value: ref}}
		}
		return a
	}
	a := report.AssetRef{Kind: model.AssetRepository, Name: pr.name}
	if pr.name != "" {
		a.Identifiers = []model.Identifier{{Kind: model.IDName, Value: pr.name}}
	}
	return a
}

func isOSManager(m string) bool {
	m = strings.ToLower(m)
	for _, os := range []string{"deb", "apk", "rpm", "linux"} {
		if m == os || strings.HasPrefix(m, os+":") {
			return true
		}
	}
	return false
}

func observe(asset report.AssetRef, pr *project, is *issue) report.Observation {
	v := is.v
	sev := v.SeverityWithCritical
	if sev == "" {
		sev = v.Severity
	}
	ids := []string{v.ID}
	for _, k := range []string{"CVE", "GHSA", "ALTERNATIVE"} {
		ids = append(ids, idStrings(v.Identifiers[k])...)
	}
	ids = append(ids, v.AlternativeIDs...)
	manager := v.PackageManager
	if manager == "" {
		manager = pr.manager
	}
	f := model.Finding{
		Kind:        model.KindVulnerability,
		Title:       v.Title,
		Description: strings.TrimSpace(v.Description),
		Severity:    report.SeverityOr(sev, model.SevMedium),
		Component: model.Component{
			Name:      componentName(v),
			Version:   v.Version,
			Ecosystem: manager,
			Path:      pr.target,
		},
	}
	if f.Title == "" {
		f.Title = v.ID
	}
	f.VulnID, f.Aliases = report.VulnIDs(ids...)
	f.Component.PURL = purl(manager, f.Component.Name, v.Version)
	report.AddCVSS(&f, v.CVSSv3)
	for _, c := range idStrings(v.Identifiers["CWE"]) {
		report.AddCWE(&f, c)
	}
	for _, ref := range v.References {
		if ref.URL != "" {
			f.References = append(f.References, ref.URL)
		}
	}
	f.Component.FixedVersion = v.NearestFixedIn
	if f.Component.FixedVersion == "" && len(v.FixedIn) > 0 {
		f.Component.FixedVersion = v.FixedIn[0]
	}
	f.Remediation = remediation(v, f.Component.Name)

	ev := []string{fmt.Sprintf("%s@%s, %d dependency path(s):", f.Component.Name, v.Version, is.npaths)}
	ev = append(ev, is.paths...)
	if v.Exploit != "" && v.Exploit != "Not Defined" {
		ev = append(ev, "exploit maturity: "+v.Exploit)
	}
	if v.EPSS != nil && v.EPSS.Probability != "" {
		ev = append(ev, fmt.Sprintf("EPSS %s (percentile %s)", v.EPSS.Probability, v.EPSS.Percentile))
	}
	return report.Observation{
		Asset:        asset,
		ToolID:       v.ID,
		ToolSeverity: sev,
		Evidence:     report.Truncate(strings.Join(ev, "\n"), 4096),
		Finding:      f,
	}
}

// idStrings reads an identifiers list; old advisories have numeric ids
// (NSP: [1500]).
func idStrings(list []any) []string {
	var out []string
	for _, x := range list {
		switch v := x.(type) {
		case string:
			out = append(out, v)
		case float64:
			out = append(out, fmt.Sprint(v))
		}
	}
	return out
}

// componentName: OS packages of container projects are written
// "source/binary" (gcc-10/libgcc-s1); the installed binary package is the
// component, as other image scanners report it.
func componentName(v vuln) string {
	name := v.Name
	if name == "" {
		name = v.PackageName
	}
	if isOSManager(v.PackageManager) || strings.Contains(v.PackageManager, ":") {
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
	}
	return name
}

func remediation(v vuln, name string) string {
	if v.IsUpgradable {
		for _, u := range v.UpgradePath {
			if s, ok := u.(string); ok && s != "" {
				pkg, ver := splitAt(s)
				return fmt.Sprintf("Upgrade %s to %s.", pkg, ver)
			}
		}
	}
	if v.IsPatchable {
		return "Apply the Snyk patch for " + v.ID + "."
	}
	if len(v.FixedIn) > 0 {
		return fmt.Sprintf("Upgrade %s to %s or later.", name, strings.Join(v.FixedIn, ", "))
	}
	return ""
}

// splitAt splits "pkg@1.2.3" (and "@scope/pkg@1.2.3").
func splitAt(s string) (string, string) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}

// purl builds a package URL for the ecosystems Snyk names, or "".
func purl(manager, name, version string) string {
	if name == "" || version == "" {
		return ""
	}
	m := strings.ToLower(manager)
	var typ, ns string
	switch {
	case m == "npm" || m == "yarn" || m == "pnpm":
		typ = packageurl.TypeNPM
		if strings.HasPrefix(name, "@") {
			if i := strings.IndexByte(name, '/'); i > 0 {
				ns, name = name[:i], name[i+1:]
			}
		}
	case m == "maven" || m == "gradle" || m == "sbt":
		typ = packageurl.TypeMaven
		if i := strings.IndexByte(name, ':'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	case m == "nuget" || m == "paket":
		typ = packageurl.TypeNuget
	case m == "pip" || m == "poetry" || m == "pipenv":
		typ = packageurl.TypePyPi
		name = strings.ToLower(name)
	case m == "rubygems":
		typ = packageurl.TypeGem
	case m == "gomodules" || m == "golangdep" || m == "govendor":
		typ = packageurl.TypeGolang
		if i := strings.LastIndexByte(name, '/'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	case m == "composer":
		typ = packageurl.TypeComposer
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	case m == "cargo":
		typ = packageurl.TypeCargo
	case m == "cocoapods":
		typ = packageurl.TypeCocoapods
	case m == "hex":
		typ = packageurl.TypeHex
	case strings.HasPrefix(m, "deb") || strings.HasPrefix(m, "debian") || strings.HasPrefix(m, "ubuntu"):
		typ = packageurl.TypeDebian
		ns = strings.SplitN(m, ":", 2)[0]
		if ns == "deb" {
			ns = "debian"
		}
	case strings.HasPrefix(m, "apk") || strings.HasPrefix(m, "alpine"):
		typ, ns = packageurl.TypeApk, "alpine"
	case strings.HasPrefix(m, "rpm") || strings.HasPrefix(m, "rhel") || strings.HasPrefix(m, "centos"):
		typ = packageurl.TypeRPM
	default:
		return ""
	}
	return packageurl.NewPackageURL(typ, ns, name, version, nil, "").ToString()
}
