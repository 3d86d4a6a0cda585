// Package anchoregrype reads Anchore Grype JSON reports (`grype -o json`),
// both the current layout (vulnerability.cvss[], relatedVulnerabilities,
// fix.versions) and the early one (cvssV2 / cvssV3, fixedInVersion, a
// single matchDetails object).
package anchoregrype

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/imageref"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/pkgvuln"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the Grype JSON format.
func New() report.Format { return format{} }

func (format) Name() string        { return "anchore_grype" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Anchore Grype JSON report" }

var (
	reMatches    = regexp.MustCompile(`^\{\s*"matches"\s*:`)
	reMatchesKey = regexp.MustCompile(`"matches"\s*:\s*(\[|null)`)
	reDescriptor = regexp.MustCompile(`"descriptor"\s*:\s*\{`)
	reGrypeName  = regexp.MustCompile(`"name"\s*:\s*"grype"`)
	reMatchKeys  = regexp.MustCompile(`"(vulnerability|artifact|matchDetails|relatedVulnerabilities)"\s*:`)
	reEmpty      = regexp.MustCompile(`"matches"\s*:\s*\[\s*\]`)
	reSource     = regexp.MustCompile(`"source"\s*:\s*\{\s*"type"\s*:\s*"(image|directory|file|sbom|snap)"`)
)

// Detect recognizes Grype's lower-case "matches" list of
// vulnerability / artifact / matchDetails objects. Grype writes matches
// first, so the descriptor naming the tool is often beyond the head.
func (format) Detect(head []byte) int {
	h := bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))
	if len(h) == 0 || h[0] != '{' || !reMatchesKey.Match(h) {
		return 0
	}
	if reDescriptor.Match(h) && reGrypeName.Match(h) {
		return 100
	}
	keys := map[string]bool{}
	for _, m := range reMatchKeys.FindAllSubmatch(h, -1) {
		keys[string(m[1])] = true
	}
	switch {
	case keys["vulnerability"] && keys["artifact"] && keys["matchDetails"]:
		if reMatches.Match(h) {
			return 90
		}
		return 80
	case reEmpty.Match(h) && reSource.Match(h):
		return 70
	}
	return 0
}

// Grype's match, trimmed to what ctem uses.
type match struct {
	Vulnerability          vuln            `json:"vulnerability"`
	RelatedVulnerabilities []vuln          `json:"relatedVulnerabilities"`
	MatchDetails           json.RawMessage `json:"matchDetails"`
	Artifact               artifact        `json:"artifact"`
}

type cvssItem struct {
	Version string `json:"version"`
	Vector  string `json:"vector"`
}

type vuln struct {
	ID          string     `json:"id"`
	DataSource  string     `json:"dataSource"`
	Namespace   string     `json:"namespace"`
	Severity    string     `json:"severity"`
	Description string     `json:"description"`
	URLs        []string   `json:"urls"`
	CVSS        []cvssItem `json:"cvss"`
	Fix         struct {
		Versions []string `json:"versions"`
		State    string   `json:"state"`
	} `json:"fix"`
	// Early Grype (0.7): links, cvssV2 / cvssV3 objects, fixedInVersion.
	Links          []string  `json:"links"`
	CVSSV2         *cvssItem `json:"cvssV2"`
	CVSSV3         *cvssItem `json:"cvssV3"`
	FixedInVersion string    `json:"fixedInVersion"`
}

type artifact struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Type      string `json:"type"`
	PURL      string `json:"purl"`
	Locations []struct {
		Path string `json:"path"`
	} `json:"locations"`
}

type imageTarget struct {
	UserInput      string   `json:"userInput"`
	ImageID        string   `json:"imageID"`
	ManifestDigest string   `json:"manifestDigest"`
	Tags           []string `json:"tags"`
	RepoDigests    []string `json:"repoDigests"`
	Architecture   string   `json:"architecture"`
	OS             string   `json:"os"`
}

type source struct {
	Type   string          `json:"type"`
	Target json.RawMessage `json:"target"`
}

type distro struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// entry is one finding being collected: Grype reports the same
// vulnerability in the same package once per location, and its source
// (the asset) after all matches, so findings are gathered first.
type entry struct {
	obs      report.Observation
	paths    []string
	matchers []string
	state    string
	ns       string
}

const (
	maxEvidence = 4 << 10
	maxPaths    = 50
	maxRefs     = 100
)

// Parse reads a Grype report. Matches are decoded one at a time; the
// findings they make are held until the source object (which Grype writes
// after the matches) names the asset.
func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	first, skipped, err := lead.Peek(br, "a Grype JSON report")
	if err != nil {
		return err
	}
	if first != '{' {
		return report.Errorf(skipped, "expected a Grype JSON object with a \"matches\" list, found %q", first)
	}
	js := report.NewJSONStream(br)
	var (
		src        source
		dist       distro
		desc       struct{ Name string }
		sawMatches bool
		entries    []*entry
		byKey      = map[string]*entry{}
		n          int
	)
	err = js.Object(func(key string) error {
		switch key {
		case "matches":
			sawMatches = true
			return js.Array(func(int) error {
				n++
				if n%256 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				var m match
				if err := js.Decode(&m); err != nil {
					return err
				}
				k, e := build(&m)
				if e == nil {
					return nil
				}
				// DefectDojo's default mode and ctem count one finding per
				// vulnerability and package version; further locations of
				// the same package are kept as evidence.
				if have, ok := byKey[k]; ok {
					have.merge(e)
					return nil
				}
				byKey[k] = e
				entries = append(entries, e)
				return nil
			})
		case "source":
			return js.Decode(&src)
		case "distro":
			return js.Decode(&dist)
		case "descriptor":
			return js.Decode(&desc)
		}
		// ignoredMatches, alertsByPackage...
		return js.Skip()
	})
	if err != nil {
		return lead.Shift(err, skipped)
	}
	if err := js.End(); err != nil {
		return lead.Shift(err, skipped)
	}
	if !sawMatches && !strings.EqualFold(desc.Name, "grype") {
		return report.Errorf(js.Offset()+skipped, "not a Grype report: no \"matches\" list")
	}
	asset, err := sourceAsset(&src, &dist)
	if err != nil {
		return report.AtOffset(js.Offset()+skipped, err)
	}
	if err := sink.Asset(asset); err != nil {
		return err
	}
	for i, e := range entries {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		e.obs.Asset = asset
		e.obs.Evidence = e.evidence()
		pkgvuln.Scrub(&e.obs)
		if err := sink.Observe(e.obs); err != nil {
			return err
		}
	}
	return nil
}

// build turns a match into a finding and the key that merges duplicates;
// it returns nil for a match without a vulnerability id.
func build(m *match) (string, *entry) {
	v := &m.Vulnerability
	a := &m.Artifact
	id := strings.TrimSpace(v.ID)
	if id == "" {
		return "", nil
	}
	ids := []string{id}
	for _, rv := range m.RelatedVulnerabilities {
		ids = append(ids, rv.ID)
	}
	canonical, aliases := report.VulnIDs(ids...)
	name := strings.TrimSpace(a.Name)
	version := strings.TrimSpace(a.Version)
	f := model.Finding{
		Kind:    model.KindVulnerability,
		Title:   fmt.Sprintf("%s in %s:%s", id, name, version),
		VulnID:  canonical,
		Aliases: aliases,
		Component: model.Component{
			Name:      name,
			Version:   version,
			PURL:      strings.TrimSpace(a.PURL),
			Ecosystem: ecosystem(a.PURL, a.Type),
		},
	}
	fixes := nonempty.Filter(v.Fix.Versions...)
	if len(fixes) == 0 && strings.TrimSpace(v.FixedInVersion) != "" {
		fixes = []string{strings.TrimSpace(v.FixedInVersion)}
	}
	if len(fixes) > 0 {
		f.Component.FixedVersion = strings.Join(fixes, ", ")
		f.Remediation = fmt.Sprintf("Upgrade %s to %s.", name, f.Component.FixedVersion)
	}
	// The matched record's own CVSS first; a GHSA or distro record often
	// has none and its related NVD record supplies it.
	addCVSS(&f, v)
	for i := 0; len(f.CVSS) == 0 && i < len(m.RelatedVulnerabilities); i++ {
		addCVSS(&f, &m.RelatedVulnerabilities[i])
	}
	// Newest CVSS version first, as the Trivy parser orders them.
	sort.SliceStable(f.CVSS, func(i, j int) bool { return f.CVSS[i].Version > f.CVSS[j].Version })
	word := v.Severity
	for i := 0; strings.TrimSpace(word) == "" && i < len(m.RelatedVulnerabilities); i++ {
		word = m.RelatedVulnerabilities[i].Severity
	}
	f.Severity = pkgvuln.Severity(word, f.CVSS)
	f.Description = strings.TrimSpace(v.Description)
	for i := 0; f.Description == "" && i < len(m.RelatedVulnerabilities); i++ {
		f.Description = strings.TrimSpace(m.RelatedVulnerabilities[i].Description)
	}
	f.References = refs(v, m.RelatedVulnerabilities)
	e := &entry{
		obs: report.Observation{
			ToolID:       id,
			ToolSeverity: strings.TrimSpace(v.Severity),
			Finding:      f,
		},
		matchers: matchers(m.MatchDetails),
		state:    strings.TrimSpace(v.Fix.State),
		ns:       strings.TrimSpace(v.Namespace),
	}
	for _, l := range a.Locations {
		if p := strings.TrimSpace(l.Path); p != "" {
			e.paths = append(e.paths, p)
			break
		}
	}
	if len(e.paths) > 0 {
		e.obs.Finding.Component.Path = e.paths[0]
	}
	// Same key as DefectDojo's title: vulnerability id, package, version.
	return id + "\x00" + name + "\x00" + version, e
}

// merge folds a duplicate match (another location of the package) in.
func (e *entry) merge(o *entry) {
	for _, p := range o.paths {
		if len(e.paths) < maxPaths && !slices.Contains(e.paths, p) {
			e.paths = append(e.paths, p)
		}
	}
	for _, m := range o.matchers {
		if !slices.Contains(e.matchers, m) {
			e.matchers = append(e.matchers, m)
		}
	}
}

func (e *entry) evidence() string {
	var b strings.Builder
	line := func(k, v string) {
		if v == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k + ": " + v)
	}
	c := &e.obs.Finding.Component
	line("Package", strings.TrimSpace(c.Name+" "+c.Version))
	line("Matcher", strings.Join(e.matchers, ", "))
	line("Namespace", e.ns)
	line("Fix state", e.state)
	line("Fixed version", c.FixedVersion)
	switch len(e.paths) {
	case 0:
	case 1:
		line("Path", e.paths[0])
	default:
		line("Paths", strings.Join(e.paths, ", "))
	}
	return report.Truncate(b.String(), maxEvidence)
}

func addCVSS(f *model.Finding, v *vuln) {
	for _, c := range v.CVSS {
		report.AddCVSS(f, c.Vector)
	}
	for _, c := range []*cvssItem{v.CVSSV3, v.CVSSV2} {
		if c != nil {
			report.AddCVSS(f, c.Vector)
		}
	}
}

func refs(v *vuln, related []vuln) []string {
	var out []string
	seen := map[string]bool{}
	add := func(us ...string) {
		for _, u := range us {
			u = strings.TrimSpace(u)
			if u == "" || seen[u] || len(out) >= maxRefs {
				continue
			}
			seen[u] = true
			out = append(out, u)
		}
	}
	add(v.DataSource)
	add(v.URLs...)
	add(v.Links...)
	for i := range related {
		add(related[i].DataSource)
		add(related[i].URLs...)
	}
	return out
}

// matchers lists the matcher names of matchDetails, a list in current
// Grype and a single object in early versions.
func matchers(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	var list []struct {
		Matcher string `json:"matcher"`
	}
	if len(raw) > 0 && raw[0] == '{' {
		var one struct {
			Matcher string `json:"matcher"`
		}
		if json.Unmarshal(raw, &one) == nil {
			list = append(list, one)
		}
	} else if len(raw) > 0 && raw[0] == '[' {
		_ = json.Unmarshal(raw, &list)
	}
	var out []string
	for _, m := range list {
		if s := strings.TrimSpace(m.Matcher); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// sourceAsset names what Grype scanned. An image is named by the same
// identifiers Trivy reports (config digest, repo digests, references) so
// both tools' findings land on one asset.
func sourceAsset(src *source, dist *distro) (report.AssetRef, error) {
	osName := strings.TrimSpace(dist.Name + " " + dist.Version)
	raw := bytes.TrimSpace(src.Target)
	switch strings.ToLower(strings.TrimSpace(src.Type)) {
	case "image":
		var t imageTarget
		if len(raw) > 0 && raw[0] == '{' {
			if err := json.Unmarshal(raw, &t); err != nil {
				return report.AssetRef{}, fmt.Errorf("source.target: %w", err)
			}
		} else if len(raw) > 0 && raw[0] == '"' {
			_ = json.Unmarshal(raw, &t.UserInput)
		}
		return imageAsset(&t, osName), nil
	case "directory", "file":
		path := targetPath(raw)
		a := report.AssetRef{Kind: model.AssetRepository}
		if meaningfulName(path) {
			a.Name = path
			a.Identifiers = []model.Identifier{{Kind: model.IDName, Value: path}}
		}
		if osName != "" {
			a.Attributes = map[string]string{"os": osName}
		}
		return a, nil
	}
	// No source (a trimmed report) or an SBOM source: the asset is not
	// named in the report; the pipeline names it from the import.
	a := report.AssetRef{Kind: model.AssetRepository}
	if osName != "" {
		a.Attributes = map[string]string{"os": osName}
	}
	return a, nil
}

func imageAsset(t *imageTarget, osName string) report.AssetRef {
	var ids []model.Identifier
	add := func(kind model.IdentifierKind, v string) {
		v = strings.TrimSpace(v)
		if v == "" {
			return
		}
		for _, have := range ids {
			if have.Kind == kind && have.Value == v {
				return
			}
		}
		ids = append(ids, model.Identifier{Kind: kind, Value: v})
	}
	for _, d := range t.RepoDigests {
		add(model.IDImageDigest, imageref.Digest(d))
	}
	// The manifest digest is the platform image's own digest: as unique
	// as a repo digest, and present for images never pushed.
	add(model.IDImageDigest, imageref.Digest(t.ManifestDigest))
	add(model.IDImageDigest, imageref.Digest(t.UserInput))
	add(model.IDImageID, t.ImageID)
	var refs []string
	for _, s := range append([]string{t.UserInput}, t.Tags...) {
		if r := imageref.Ref(s); r != "" && !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	for _, r := range refs {
		add(model.IDImageRef, r)
	}
	a := report.AssetRef{Kind: model.AssetImage, Identifiers: ids}
	switch {
	case len(t.Tags) > 0 && imageref.Ref(t.Tags[0]) != "":
		a.Name = imageref.Ref(t.Tags[0])
	case len(refs) > 0:
		a.Name = refs[0]
	case len(nonempty.Filter(t.RepoDigests...)) > 0:
		a.Name = nonempty.Filter(t.RepoDigests...)[0]
	default:
		a.Name = strings.TrimSpace(t.ImageID)
	}
	attrs := map[string]string{}
	if osName != "" {
		attrs["os"] = osName
	}
	if t.Architecture != "" {
		attrs["arch"] = t.Architecture
	}
	if len(attrs) > 0 {
		a.Attributes = attrs
	}
	return a
}

// targetPath reads a directory or file source target: a string in most
// versions (early ones quote it twice, "\".\""), an object with a path in
// newer ones.
func targetPath(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if raw[0] == '{' {
		var o struct {
			Path string `json:"path"`
		}
		_ = json.Unmarshal(raw, &o)
		s = o.Path
	} else {
		_ = json.Unmarshal(raw, &s)
	}
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return s
}

func meaningfulName(s string) bool {
	switch strings.TrimSpace(s) {
	case "", ".", "./", "/", "..", "-":
		return false
	}
	return true
}

// ecosystem names a package's ecosystem by its package-URL type, like the
// Trivy parser does, so both tools agree ("pkg:deb/..." -> "deb").
func ecosystem(purl, typ string) string {
	if rest, ok := strings.CutPrefix(strings.TrimSpace(purl), "pkg:"); ok {
		if t, _, ok := strings.Cut(rest, "/"); ok && t != "" {
			return strings.ToLower(t)
		}
	}
	switch t := strings.ToLower(strings.TrimSpace(typ)); t {
	case "apk", "deb", "rpm", "npm", "gem", "conan", "hex", "swift", "cocoapods", "conda":
		return t
	case "python":
		return "pypi"
	case "java-archive", "jenkins-plugin":
		return "maven"
	case "go-module":
		return "golang"
	case "rust-crate":
		return "cargo"
	case "php-composer", "php-pecl":
		return "composer"
	case "dotnet":
		return "nuget"
	case "dart-pub":
		return "pub"
	}
	return ""
}
