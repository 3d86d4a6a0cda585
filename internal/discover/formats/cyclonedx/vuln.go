package cyclonedx

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

const (
	maxTitle       = 250
	maxDescription = 16 << 10
	maxRemediation = 8 << 10
	maxEvidence    = 4 << 10
)

// compInfo is what the parser keeps of a component: enough to name the
// affected package, or the BOM's subject.
type compInfo struct {
	Type, Group, Name, Version, PURL string
	// Only for the subject (metadata.component):
	VCS   string              // a "vcs" external reference
	Props map[string][]string // Trivy's image properties
}

// record is one vulnerability, from JSON, XML or the legacy XML extension.
type record struct {
	ID             string
	SourceName     string
	SourceURL      string
	RefIDs         []string
	RefURLs        []string
	Ratings        []rating
	CWEs           []string
	Description    string
	Detail         string
	Recommendation string
	Workaround     string
	Advisories     []string
	Analysis       analysis
	Affects        []affect
}

type rating struct {
	Severity, Method, Vector, Score string
}

type analysis struct {
	State, Justification, Detail string
	Responses                    []string
}

type affect struct {
	Ref   string
	Fixed []string // versions the tool states unaffected
	// Direct is the enclosing component of a legacy XML vulnerability.
	Direct *compInfo
}

type parser struct {
	ctx     context.Context
	sink    report.Sink
	refs    map[string]compInfo
	meta    *compInfo
	serial  string
	asset   *report.AssetRef
	emitted int
}

// register keeps a component (and those nested in it) for bom-ref lookups.
func (p *parser) register(c compInfo, bomRef string) {
	if bomRef != "" {
		p.refs[bomRef] = c
	}
	// Some producers reference components by purl without a bom-ref.
	if c.PURL != "" {
		if _, ok := p.refs[c.PURL]; !ok {
			p.refs[c.PURL] = c
		}
	}
}

// assetRef returns the BOM's asset, reporting it the first time.
func (p *parser) assetRef() (report.AssetRef, error) {
	if p.asset != nil {
		return *p.asset, nil
	}
	a := subjectAsset(p.meta)
	if p.serial != "" {
		if a.Attributes == nil {
			a.Attributes = map[string]string{}
		}
		a.Attributes["bom_serial"] = p.serial
	}
	p.asset = &a
	return a, p.sink.Asset(a)
}

// finish reports the asset of a BOM without findings.
func (p *parser) finish() error {
	_, err := p.assetRef()
	return err
}

func isURLish(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") ||
		strings.HasPrefix(s, "git@") || strings.HasPrefix(s, "ssh://") || strings.HasPrefix(s, "git://")
}

// subjectAsset maps metadata.component to an asset.
func subjectAsset(m *compInfo) report.AssetRef {
	if m == nil {
		return report.AssetRef{Kind: model.AssetRepository}
	}
	name := strings.TrimSpace(m.Name)
	switch {
	case strings.EqualFold(m.Type, "container"):
		return imageAsset(m)
	case m.VCS != "":
		return report.AssetRef{Kind: model.AssetRepository, Name: m.VCS,
			Identifiers: []model.Identifier{{Kind: model.IDRepoURL, Value: m.VCS}}}
	case isURLish(name):
		// `trivy repo https://github.com/...` names the subject by its URL.
		return report.AssetRef{Kind: model.AssetRepository, Name: name,
			Identifiers: []model.Identifier{{Kind: model.IDRepoURL, Value: name}}}
	case strings.EqualFold(m.Type, "file") || name == "" || name == ".":
		// A scanned directory: nothing identifies it beyond the import.
		if name == "." {
			name = ""
		}
		return report.AssetRef{Kind: model.AssetRepository, Name: name}
	}
	id := name
	if m.Group != "" {
		id = m.Group + "/" + name
	}
	if m.Version != "" {
		id += "@" + m.Version
	}
	a := report.AssetRef{Kind: model.AssetPackage, Name: id,
		Identifiers: []model.Identifier{{Kind: model.IDName, Value: id}}}
	if m.PURL != "" {
		a.Attributes = map[string]string{"purl": m.PURL}
	}
	return a
}

// imageAsset names a container image: Grype writes "repo:tag" as name and
// the manifest digest as version; Trivy adds properties and an oci purl.
func imageAsset(m *compInfo) report.AssetRef {
	name := strings.TrimSpace(m.Name)
	a := report.AssetRef{Kind: model.AssetImage}
	add := func(kind model.IdentifierKind, v string) {
		v = strings.TrimSpace(v)
		if v == "" {
			return
		}
		id := model.Identifier{Kind: kind, Value: v}
		if !slices.Contains(a.Identifiers, id) {
			a.Identifiers = append(a.Identifiers, id)
		}
	}
	ref := name
	if i := strings.Index(name, "@sha256:"); i >= 0 {
		add(model.IDImageDigest, name[i+1:])
		ref = name[:i]
	}
	v := strings.TrimSpace(m.Version)
	switch {
	case strings.HasPrefix(v, "sha256:"):
		add(model.IDImageDigest, v)
	case v != "" && ref != "" && !hasTag(ref):
		ref += ":" + v
	}
	if _, _, pv, ok := parsePURL(m.PURL); ok && strings.HasPrefix(pv, "sha256:") {
		add(model.IDImageDigest, pv)
	}
	for _, d := range m.Props["aquasecurity:trivy:RepoDigest"] {
		if i := strings.Index(d, "@"); i >= 0 {
			d = d[i+1:]
		}
		add(model.IDImageDigest, d)
	}
	for _, id := range m.Props["aquasecurity:trivy:ImageID"] {
		add(model.IDImageID, id)
	}
	add(model.IDImageRef, ref)
	for _, t := range m.Props["aquasecurity:trivy:RepoTag"] {
		add(model.IDImageRef, t)
	}
	a.Name = ref
	if a.Name == "" && len(a.Identifiers) > 0 {
		a.Name = a.Identifiers[0].Value
	}
	return a
}

// hasTag reports whether an image reference names a tag (a colon in its
// last path segment; a registry port sits in the first).
func hasTag(ref string) bool {
	last := ref
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		last = ref[i+1:]
	}
	return strings.Contains(last, ":")
}

// parsePURL reads the type, name and version of a package URL.
func parsePURL(p string) (typ, name, version string, ok bool) {
	p = strings.TrimSpace(p)
	if !strings.HasPrefix(p, "pkg:") {
		return "", "", "", false
	}
	rest := strings.TrimLeft(p[len("pkg:"):], "/")
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		version = unescape(rest[i+1:])
		rest = rest[:i]
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 || parts[0] == "" || parts[len(parts)-1] == "" {
		return "", "", "", false
	}
	return strings.ToLower(parts[0]), unescape(parts[len(parts)-1]), version, true
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// resolve names the component an affects entry points at.
func (p *parser) resolve(a affect) compInfo {
	if a.Direct != nil {
		return *a.Direct
	}
	ref := strings.TrimSpace(a.Ref)
	if c, ok := p.refs[ref]; ok {
		return c
	}
	// A BOM-Link (urn:cdx:serial/version#bom-ref) points into this or
	// another BOM: try the fragment.
	if i := strings.LastIndexByte(ref, '#'); i >= 0 && strings.HasPrefix(ref, "urn:cdx:") {
		if c, ok := p.refs[ref[i+1:]]; ok {
			return c
		}
	}
	if _, name, version, ok := parsePURL(ref); ok {
		return compInfo{Name: name, Version: version, PURL: ref}
	}
	return compInfo{Name: ref}
}

var (
	uuidRe   = regexp.MustCompile(`(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	fixedRe  = regexp.MustCompile(`(?i)\bto\s+(?:versions?\s+)?(\d[^\s,;]*(?:,\s*\d[^\s,;]*)*)`)
	cvssWord = map[string]string{"cvssv3": "CVSS:3.0/", "cvssv31": "CVSS:3.1/", "cvssv4": "CVSS:4.0/", "cvssv40": "CVSS:4.0/"}
)

// emit turns one vulnerability into one observation per affected component.
func (p *parser) emit(rec *record) error {
	if len(rec.Affects) == 0 {
		return nil
	}
	asset, err := p.assetRef()
	if err != nil {
		return err
	}
	base := model.Finding{
		Kind:        model.KindVulnerability,
		Description: report.Truncate(describe(rec), maxDescription),
		Remediation: report.Truncate(remedy(rec), maxRemediation),
		References:  references(rec),
	}
	base.VulnID, base.Aliases = vulnIDs(rec)
	var toolSev string
	base.Severity, toolSev = pickSeverity(rec.Ratings)
	for _, c := range rec.CWEs {
		report.AddCWE(&base, c)
	}
	addVectors(&base, rec.Ratings)
	toolID := strings.TrimSpace(rec.ID)
	if toolID == "" {
		toolID = base.VulnID
	}
	evidence := report.Truncate(analysisNote(rec.Analysis), maxEvidence)
	fixedFromText := ""
	if m := fixedRe.FindStringSubmatch(rec.Recommendation); m != nil {
		fixedFromText = m[1]
	}

	for _, a := range rec.Affects {
		p.emitted++
		if p.emitted%256 == 0 {
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		c := p.resolve(a)
		f := base
		f.Aliases = slices.Clone(base.Aliases)
		f.CWEs = slices.Clone(base.CWEs)
		f.CVSS = slices.Clone(base.CVSS)
		f.References = slices.Clone(base.References)
		f.Component = model.Component{Name: c.Name, Version: c.Version, PURL: c.PURL}
		if typ, _, _, ok := parsePURL(c.PURL); ok {
			f.Component.Ecosystem = typ
		}
		switch {
		case len(a.Fixed) > 0:
			f.Component.FixedVersion = strings.Join(a.Fixed, ", ")
		default:
			f.Component.FixedVersion = fixedFromText
		}
		f.Title = title(c, toolID)
		err := p.sink.Observe(report.Observation{
			Asset:        asset,
			ToolID:       toolID,
			ToolSeverity: toolSev,
			Evidence:     evidence,
			Finding:      f,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// title follows DefectDojo: "name:version | id".
func title(c compInfo, id string) string {
	name := c.Name
	if name == "" {
		name = "unknown component"
	}
	if c.Version != "" {
		name += ":" + c.Version
	}
	t := strings.Join(strings.Fields(name+" | "+id), " ")
	if len(t) > maxTitle {
		t = report.Truncate(t, maxTitle-len("…")) + "…"
	}
	return t
}

// vulnIDs picks the canonical id among the vulnerability's id and its
// references. OSS Index names vulnerabilities by bare UUIDs: those are kept
// as ToolID but not as aliases when a real id is known.
func vulnIDs(rec *record) (string, []string) {
	all := append([]string{rec.ID}, rec.RefIDs...)
	var ids, uuids []string
	for _, id := range all {
		id = strings.TrimSpace(id)
		switch {
		case id == "":
		case uuidRe.MatchString(id):
			uuids = append(uuids, id)
		default:
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		ids = uuids
	}
	return report.VulnIDs(ids...)
}

func describe(rec *record) string {
	d := strings.TrimSpace(rec.Description)
	if det := strings.TrimSpace(rec.Detail); det != "" && det != d {
		if d != "" {
			d += "\n\n"
		}
		d += det
	}
	return d
}

func remedy(rec *record) string {
	r := strings.TrimSpace(rec.Recommendation)
	if w := strings.TrimSpace(rec.Workaround); w != "" {
		if r != "" {
			r += "\n"
		}
		r += "Workaround: " + w
	}
	return r
}

func references(rec *record) []string {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) &&
			!strings.ContainsAny(s, " \t\n") && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(rec.SourceURL)
	for _, u := range rec.Advisories {
		add(u)
	}
	for _, u := range rec.RefURLs {
		add(u)
	}
	return out
}

func analysisNote(a analysis) string {
	state := strings.TrimSpace(a.State)
	if state == "" {
		return ""
	}
	note := "analysis: " + state
	var more []string
	if j := strings.TrimSpace(a.Justification); j != "" {
		more = append(more, j)
	}
	if len(a.Responses) > 0 {
		more = append(more, "responses: "+strings.Join(a.Responses, ", "))
	}
	if len(more) > 0 {
		note += " (" + strings.Join(more, "; ") + ")"
	}
	if d := strings.TrimSpace(a.Detail); d != "" {
		note += ": " + d
	}
	return note
}

func isModernCVSS(method string) bool {
	_, ok := cvssWord[strings.ToLower(strings.TrimSpace(method))]
	return ok
}

// unknownWord says a severity word states no severity.
func unknownWord(w string) bool {
	switch strings.ToLower(strings.TrimSpace(w)) {
	case "", "unknown", "none", "unspecified", "untriaged":
		return true
	}
	return false
}

// pickSeverity chooses among a vulnerability's ratings; see the package
// comment. It returns the tool's value it used.
func pickSeverity(rs []rating) (model.Severity, string) {
	word := func(r rating) (model.Severity, bool) {
		if unknownWord(r.Severity) {
			return "", false
		}
		return report.Severity(r.Severity)
	}
	for _, r := range rs {
		if isModernCVSS(r.Method) {
			if s, ok := word(r); ok {
				return s, strings.TrimSpace(r.Severity)
			}
		}
	}
	for _, r := range rs {
		if s, ok := word(r); ok {
			return s, strings.TrimSpace(r.Severity)
		}
	}
	score := func(r rating) (float64, string) {
		if f, err := strconv.ParseFloat(strings.TrimSpace(r.Score), 64); err == nil && f > 0 {
			return f, strings.TrimSpace(r.Score)
		}
		if c, err := report.ParseCVSS(vectorOf(r)); err == nil && c.Score > 0 {
			return c.Score, c.Vector
		}
		return 0, ""
	}
	for _, modern := range []bool{true, false} {
		for _, r := range rs {
			if modern && !isModernCVSS(r.Method) {
				continue
			}
			if f, raw := score(r); f > 0 {
				return report.SeverityFromScore(f), raw
			}
		}
	}
	for _, r := range rs {
		if strings.TrimSpace(r.Severity) != "" {
			return model.SevInfo, strings.TrimSpace(r.Severity)
		}
	}
	// No usable rating: DefectDojo's default.
	return model.SevMedium, ""
}

// vectorOf completes a rating's vector with the CVSS version its method
// names (CycloneDX writes v3 vectors without the "CVSS:3.x/" prefix).
func vectorOf(r rating) string {
	v := strings.TrimSpace(r.Vector)
	if v == "" || strings.HasPrefix(v, "CVSS:") {
		return v
	}
	if prefix, ok := cvssWord[strings.ToLower(strings.TrimSpace(r.Method))]; ok {
		return prefix + strings.TrimPrefix(v, "(")
	}
	return v
}

func addVectors(f *model.Finding, rs []rating) {
	for _, r := range rs {
		m := strings.ToLower(strings.TrimSpace(r.Method))
		v := vectorOf(r)
		if m == "cvssv2" || isModernCVSS(m) || strings.HasPrefix(v, "CVSS:") {
			report.AddCVSS(f, v)
		}
	}
}
