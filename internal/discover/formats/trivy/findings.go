package trivy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/pkgvuln"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

const maxEvidence = 4 << 10

type cvssEntry struct {
	V2Vector  string  `json:"V2Vector"`
	V3Vector  string  `json:"V3Vector"`
	V40Vector string  `json:"V40Vector"`
	V2Score   float64 `json:"V2Score"`
	V3Score   float64 `json:"V3Score"`
	V40Score  float64 `json:"V40Score"`
}

type vulnerability struct {
	VulnerabilityID string `json:"VulnerabilityID"`
	PkgName         string `json:"PkgName"`
	PkgPath         string `json:"PkgPath"`
	PkgIdentifier   struct {
		PURL string `json:"PURL"`
	} `json:"PkgIdentifier"`
	// Ref held the package URL before PkgIdentifier existed.
	Ref              string `json:"Ref"`
	InstalledVersion string `json:"InstalledVersion"`
	FixedVersion     string `json:"FixedVersion"`
	Status           string `json:"Status"`
	Layer            struct {
		Digest string `json:"Digest"`
		DiffID string `json:"DiffID"`
	} `json:"Layer"`
	SeveritySource string               `json:"SeveritySource"`
	PrimaryURL     string               `json:"PrimaryURL"`
	Title          string               `json:"Title"`
	Description    string               `json:"Description"`
	Severity       string               `json:"Severity"`
	CweIDs         []string             `json:"CweIDs"`
	CVSS           map[string]cvssEntry `json:"CVSS"`
	References     []string             `json:"References"`
}

type codeLine struct {
	Number  int    `json:"Number"`
	Content string `json:"Content"`
	IsCause bool   `json:"IsCause"`
}

type misconfiguration struct {
	Type          string   `json:"Type"`
	ID            string   `json:"ID"`
	AVDID         string   `json:"AVDID"`
	Title         string   `json:"Title"`
	Description   string   `json:"Description"`
	Message       string   `json:"Message"`
	Resolution    string   `json:"Resolution"`
	Severity      string   `json:"Severity"`
	PrimaryURL    string   `json:"PrimaryURL"`
	References    []string `json:"References"`
	Status        string   `json:"Status"`
	CauseMetadata struct {
		Resource  string `json:"Resource"`
		Provider  string `json:"Provider"`
		Service   string `json:"Service"`
		StartLine int    `json:"StartLine"`
		EndLine   int    `json:"EndLine"`
		Code      struct {
			Lines []codeLine `json:"Lines"`
		} `json:"Code"`
	} `json:"CauseMetadata"`
}

type secretFinding struct {
	RuleID    string `json:"RuleID"`
	Category  string `json:"Category"`
	Severity  string `json:"Severity"`
	Title     string `json:"Title"`
	StartLine int    `json:"StartLine"`
	EndLine   int    `json:"EndLine"`
	Match     string `json:"Match"`
}

type license struct {
	Severity   string  `json:"Severity"`
	Category   string  `json:"Category"`
	PkgName    string  `json:"PkgName"`
	FilePath   string  `json:"FilePath"`
	Name       string  `json:"Name"`
	Confidence float64 `json:"Confidence"`
	Link       string  `json:"Link"`
}

// cvssSources is the order in which vendor CVSS data is preferred after the
// source Trivy took the severity from (the same order DefectDojo uses).
var cvssSources = []string{"nvd", "ghsa", "redhat", "bitnami"}

// addCVSS takes the vectors of one source: the SeveritySource when it has a
// vector, else the first of cvssSources, else the alphabetically first.
// Mixing vendors' vectors for one finding would only blur its score.
func (p *parser) addCVSS(f *model.Finding, v *vulnerability) {
	// try reports whether src added a vector; trying a source again after
	// it added none adds none again.
	try := func(src string) bool {
		e, ok := v.CVSS[src]
		if !ok {
			return false
		}
		added := false
		for _, vec := range [...]string{e.V40Vector, e.V3Vector, e.V2Vector} {
			if p.cvss.Add(f, vec) {
				added = true
			}
		}
		return added
	}
	if try(v.SeveritySource) {
		return
	}
	for _, src := range cvssSources {
		if try(src) {
			return
		}
	}
	if len(v.CVSS) == 0 {
		return
	}
	rest := make([]string, 0, len(v.CVSS))
	for k := range v.CVSS {
		rest = append(rest, k)
	}
	slices.Sort(rest)
	for _, src := range rest {
		if try(src) {
			return
		}
	}
}

func (p *parser) vuln(o owner, ri resultInfo, v *vulnerability) error {
	id := strings.TrimSpace(v.VulnerabilityID)
	pkg := strings.TrimSpace(v.PkgName)
	if id == "" || pkg == "" {
		// Nothing to name or place the finding by; DefectDojo skips these too.
		return nil
	}
	if strings.EqualFold(strings.TrimSpace(v.Status), "not_affected") {
		// The vendor states (VEX) that this package is not affected: not
		// an exposure, so no finding.
		return nil
	}
	canonical, aliases := report.VulnIDs(id)
	purl := strings.TrimSpace(v.PkgIdentifier.PURL)
	if purl == "" && strings.HasPrefix(v.Ref, "pkg:") {
		purl = strings.TrimSpace(v.Ref)
	}
	path := strings.TrimSpace(v.PkgPath)
	if path == "" && isLockfileType(ri.Type) {
		// Lock-file results name the file the package is declared in.
		path = strings.TrimSpace(ri.Target)
	}
	f := model.Finding{
		Kind:        model.KindVulnerability,
		Title:       strings.TrimSpace(id + " " + pkg + " " + v.InstalledVersion),
		Description: describe(v.Title, v.Description),
		VulnID:      canonical,
		Aliases:     aliases,
		Component: model.Component{
			Name:         pkg,
			Version:      strings.TrimSpace(v.InstalledVersion),
			FixedVersion: strings.TrimSpace(v.FixedVersion),
			PURL:         purl,
			Ecosystem:    ecosystem(purl, ri.Type),
			Path:         path,
		},
		References: refs(v.PrimaryURL, v.References),
	}
	for _, c := range v.CweIDs {
		report.AddCWE(&f, c)
	}
	p.addCVSS(&f, v)
	f.Severity = pkgvuln.Severity(v.Severity, f.CVSS)
	if f.Component.FixedVersion != "" {
		f.Remediation = "Upgrade " + pkg + " to " + f.Component.FixedVersion + "."
	}
	var ev evidence
	ev.line("Target", ri.Target)
	ev.line("Package", strings.TrimSpace(pkg+" "+v.InstalledVersion))
	ev.line("Package path", v.PkgPath)
	ev.line("Fixed version", v.FixedVersion)
	ev.line("Status", v.Status)
	ev.line("Severity source", v.SeveritySource)
	ev.line("Layer", nonempty.First(v.Layer.Digest, v.Layer.DiffID))
	return p.emit(o, ri, selPackage, report.Observation{
		ToolID:       id,
		ToolSeverity: v.Severity,
		Evidence:     ev.String(),
		Finding:      f,
	})
}

func (p *parser) misconf(o owner, ri resultInfo, m *misconfiguration) error {
	switch strings.ToUpper(strings.TrimSpace(m.Status)) {
	case "PASS", "EXCEPTION":
		// Passed checks (--include-non-failures) and excepted ones are
		// not exposures.
		return nil
	}
	id := nonempty.First(m.ID, m.AVDID)
	rule := nonempty.First(id, m.Title)
	if rule == "" {
		return nil
	}
	cm := &m.CauseMetadata
	f := model.Finding{
		Kind:        model.KindMisconfiguration,
		Title:       nonempty.Join(" - ", id, strings.TrimSpace(m.Title)),
		Description: nonempty.Join("\n\n", m.Description, m.Message),
		Severity:    report.SeverityOr(m.Severity, model.SevInfo),
		RuleID:      rule,
		Remediation: strings.TrimSpace(m.Resolution),
		References:  refs(m.PrimaryURL, m.References),
	}
	f.Location.Resource = strings.TrimSpace(cm.Resource)
	if _, k8s := o.(*resourceScope); k8s {
		// The target is the workload itself ("Deployment/web"), not a
		// file; line numbers point into a rendered manifest and move.
		if f.Location.Resource == "" {
			f.Location.Resource = strings.TrimSpace(ri.Target)
		}
	} else {
		f.Location.File = strings.TrimSpace(ri.Target)
		f.Location.Line = cm.StartLine
		f.Location.EndLine = cm.EndLine
	}
	var ev evidence
	ev.line("Message", m.Message)
	n := 0
	for _, l := range cm.Code.Lines {
		if !l.IsCause || n >= 20 {
			continue
		}
		n++
		ev.raw(fmt.Sprintf("%d: %s", l.Number, strings.TrimRight(l.Content, " \t")))
	}
	obs := report.Observation{
		ToolID:       rule,
		ToolSeverity: m.Severity,
		Evidence:     ev.String(),
		Finding:      f,
	}
	// The resource and message tell apart two failures of one rule in one
	// file (two buckets, two containers) without depending on lines.
	if f.Location.Resource != "" || m.Message != "" {
		obs.Anchor = anchor("misconfig", f.Location.Resource, strings.TrimSpace(m.Message))
	}
	return p.emit(o, ri, selConfig, obs)
}

func (p *parser) secret(o owner, ri resultInfo, s *secretFinding) error {
	rule := nonempty.First(s.RuleID, s.Title)
	if rule == "" {
		return nil
	}
	title := nonempty.First(s.Title, s.RuleID)
	f := model.Finding{
		Kind:        model.KindSecret,
		Title:       fmt.Sprintf("Secret detected in %s - %s", strings.TrimSpace(ri.Target), title),
		Description: nonempty.Join(" ", title, parens(s.Category)),
		Severity:    report.SeverityOr(s.Severity, model.SevHigh),
		RuleID:      rule,
		Location: model.Location{
			File:    strings.TrimSpace(ri.Target),
			Line:    s.StartLine,
			EndLine: s.EndLine,
		},
		Remediation: "Revoke and rotate the secret, then remove it from the file and its history.",
	}
	obs := report.Observation{ToolID: rule, ToolSeverity: s.Severity, Finding: f}
	var ev evidence
	ev.line("Category", s.Category)
	match := strings.TrimSpace(s.Match)
	switch {
	case match == "":
	case strings.Contains(match, "***"):
		// Trivy masks the secret in Match ("ENV TOKEN=*****"): the masked
		// line is safe to show and identifies the finding without lines.
		ev.line("Match", match)
		obs.Anchor = anchor("secret", rule, match)
	default:
		// An unmasked match holds the secret itself: hand it to the
		// pipeline to hash and keep it out of the evidence.
		obs.Secret = match
		ev.line("Match", "[redacted]")
	}
	obs.Evidence = ev.String()
	return p.emit(o, ri, selSecret, obs)
}

func (p *parser) license(o owner, ri resultInfo, l *license) error {
	name := strings.TrimSpace(l.Name)
	if name == "" {
		return nil
	}
	where := nonempty.First(l.PkgName, l.FilePath, ri.Target)
	// DefectDojo counts each license as a finding; ctem keeps them as
	// misconfigurations of the artifact with a per-license rule id, so a
	// license policy can be triaged like any other rule.
	f := model.Finding{
		Kind:        model.KindMisconfiguration,
		Title:       nonempty.Join(" ", "License "+name, parens(l.Category), "in "+where),
		Description: fmt.Sprintf("%s is licensed under %s%s.", where, name, catSuffix(l.Category)),
		Severity:    report.SeverityOr(l.Severity, model.SevInfo),
		RuleID:      "license:" + name,
		Component:   model.Component{Name: strings.TrimSpace(l.PkgName)},
		Location:    model.Location{File: strings.TrimSpace(l.FilePath)},
	}
	if l.Link != "" {
		f.References = []string{strings.TrimSpace(l.Link)}
	}
	var ev evidence
	ev.line("Category", l.Category)
	ev.line("Package", l.PkgName)
	ev.line("File", l.FilePath)
	if l.Confidence > 0 {
		ev.line("Confidence", fmt.Sprintf("%g", l.Confidence))
	}
	return p.emit(o, ri, selPackage, report.Observation{
		ToolID:       name,
		ToolSeverity: l.Severity,
		Evidence:     ev.String(),
		Finding:      f,
	})
}

// describe joins a vulnerability's title and description, dropping the
// title when it is only the description's truncated start ("... ...").
func describe(title, desc string) string {
	title, desc = strings.TrimSpace(title), strings.TrimSpace(desc)
	if head, ok := strings.CutSuffix(title, "..."); title == desc || ok && strings.HasPrefix(desc, strings.TrimSpace(head)) {
		return desc
	}
	return nonempty.Join("\n\n", title, desc)
}

func catSuffix(cat string) string {
	if cat = strings.TrimSpace(cat); cat == "" {
		return ""
	}
	return " (category " + cat + ")"
}

func parens(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	return "(" + s + ")"
}

// anchor is a short hash of line-independent parts of a finding.
func anchor(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

func refs(primary string, more []string) []string {
	var out []string
	add := func(u string) {
		if u = strings.TrimSpace(u); u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	add(primary)
	for _, u := range more {
		add(u)
	}
	return out
}

// evidence builds a short "Key: value" text.
type evidence struct{ b strings.Builder }

func (e *evidence) line(k, v string) {
	if v = strings.TrimSpace(v); v != "" && e.next() {
		e.b.WriteString(k)
		e.b.WriteString(": ")
		e.b.WriteString(v)
	}
}

func (e *evidence) raw(s string) {
	if e.next() {
		e.b.WriteString(s)
	}
}

// next starts a line, unless the text is long enough already.
func (e *evidence) next() bool {
	if e.b.Len() > maxEvidence {
		return false
	}
	if e.b.Len() > 0 {
		e.b.WriteByte('\n')
	} else {
		e.b.Grow(256)
	}
	return true
}

func (e *evidence) String() string { return report.Truncate(e.b.String(), maxEvidence) }

// ecosystem names a package's ecosystem by its package-URL type, so that
// Trivy and Grype agree ("pkg:deb/..." -> "deb"); without a PURL, Trivy's
// result type is mapped to the same names.
func ecosystem(purl, typ string) string {
	if rest, ok := strings.CutPrefix(purl, "pkg:"); ok {
		if t, _, ok := strings.Cut(rest, "/"); ok && t != "" {
			return strings.ToLower(t)
		}
	}
	return typeEcosystem(strings.ToLower(strings.TrimSpace(typ)))
}

// typeEcosystem maps a Trivy result type to a package-URL type.
func typeEcosystem(typ string) string {
	switch typ {
	case "alpine", "wolfi", "chainguard", "minimos":
		return "apk"
	case "debian", "ubuntu", "distroless", "echo":
		return "deb"
	case "redhat", "centos", "rocky", "alma", "amazon", "oracle", "fedora", "photon",
		"suse", "opensuse", "opensuse.leap", "opensuse.tumbleweed", "sles", "slem",
		"cbl-mariner", "azurelinux", "bottlerocket", "coreos":
		return "rpm"
	case "npm", "yarn", "pnpm", "bun", "node-pkg":
		return "npm"
	case "pip", "pipenv", "poetry", "uv", "python-pkg":
		return "pypi"
	case "jar", "pom", "gradle", "sbt":
		return "maven"
	case "gomod", "gobinary":
		return "golang"
	case "cargo", "rust-binary":
		return "cargo"
	case "composer", "composer-vendor":
		return "composer"
	case "bundler", "gemspec":
		return "gem"
	case "nuget", "dotnet-core", "packages-props":
		return "nuget"
	case "conan", "cocoapods", "swift", "pub", "julia":
		return typ
	case "hex", "mix-lock":
		return "hex"
	case "conda-pkg", "conda-environment":
		return "conda"
	}
	return ""
}

// isOSType reports whether a Trivy result type is an OS-package one.
func isOSType(typ string) bool {
	switch typeEcosystem(typ) {
	case "apk", "deb", "rpm":
		return true
	}
	return false
}

// isLockfileType reports whether a result type's target is the file that
// declares the packages (rather than a label like "Java" or "Python").
func isLockfileType(typ string) bool {
	switch typ {
	case "npm", "yarn", "pnpm", "bun", "pip", "pipenv", "poetry", "uv", "pom", "gradle",
		"sbt", "gomod", "cargo", "composer", "bundler", "nuget", "dotnet-core",
		"packages-props", "conan", "cocoapods", "swift", "mix-lock", "pub",
		"conda-environment", "julia":
		return true
	}
	return false
}
