// Package dependencycheck parses OWASP Dependency-Check XML reports
// (<analysis> with <dependencies>), schema versions 1.x to 3.x: each
// dependency names a file found in the project, its identifiers (package
// URL, CPE, Maven coordinates) and its vulnerabilities.
package dependencycheck

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the Dependency-Check format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string        { return "dependency_check" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "OWASP Dependency-Check XML report" }

var rootRe = regexp.MustCompile(`<analysis[\s>]`)

// Detect wants the <analysis> root; Dependency-Check's namespace makes it
// certain, its scanInfo/projectInfo/dependencies children nearly so.
func (format) Detect(head []byte) int {
	if !rootRe.Match(head) {
		return 0
	}
	if bytes.Contains(head, []byte("jeremylong.github.io/DependencyCheck")) || bytes.Contains(head, []byte("dependency-check.")) && bytes.Contains(head, []byte("xsd")) {
		return 95
	}
	if bytes.Contains(head, []byte("<projectInfo")) && bytes.Contains(head, []byte("<dependencies")) {
		return 70
	}
	return 0
}

type projectInfo struct {
	Name       string `xml:"name"`
	ReportDate string `xml:"reportDate"`
}

type evidence struct {
	Type  string `xml:"type,attr"`
	Value string `xml:"value"`
}

// identifiers is read at any depth: some versions nest <identifiers> in
// <identifiers>.
type identifiers struct {
	Packages []struct {
		ID string `xml:"id"`
	} `xml:"package"`
	Identifiers []struct {
		Type string `xml:"type,attr"`
		Name string `xml:"name"`
	} `xml:"identifier"`
	Nested []identifiers `xml:"identifiers"`
}

type dependency struct {
	FileName    string        `xml:"fileName"`
	FilePath    string        `xml:"filePath"`
	Evidence    []evidence    `xml:"evidenceCollected>evidence"`
	Identifiers []identifiers `xml:"identifiers"`
	Related     []related     `xml:"relatedDependencies>relatedDependency"`
	Vulns       []vuln        `xml:"vulnerabilities>vulnerability"`
	Suppressed  []vuln        `xml:"vulnerabilities>suppressedVulnerability"`
}

type related struct {
	FileName string `xml:"fileName"`
	FilePath string `xml:"filePath"`
}

type vuln struct {
	Source      string   `xml:"source,attr"`
	Name        string   `xml:"name"`
	Severity    string   `xml:"severity"`
	CVSSScore   string   `xml:"cvssScore"`
	V1AV        string   `xml:"cvssAccessVector"`
	V1AC        string   `xml:"cvssAccessComplexity"`
	V1Au        string   `xml:"cvssAuthenticationr"`
	V1C         string   `xml:"cvssConfidentialImpact"`
	V1I         string   `xml:"cvssIntegrityImpact"`
	V1A         string   `xml:"cvssAvailabilityImpact"`
	CVSSV2      *cvssV2  `xml:"cvssV2"`
	CVSSV3      *cvssV3  `xml:"cvssV3"`
	CWE         []string `xml:"cwe"`
	CWEs        []string `xml:"cwes>cwe"`
	Description string   `xml:"description"`
	Notes       string   `xml:"notes"`
	References  []struct {
		Source string `xml:"source"`
		URL    string `xml:"url"`
		Name   string `xml:"name"`
	} `xml:"references>reference"`
}

type cvssV2 struct {
	Score    string `xml:"score"`
	AV       string `xml:"accessVector"`
	AC       string `xml:"accessComplexity"`
	Au       string `xml:"authenticationr"`
	Au2      string `xml:"authentication"`
	C        string `xml:"confidentialImpact"`
	I        string `xml:"integrityImpact"`
	A        string `xml:"availabilityImpact"`
	Severity string `xml:"severity"`
	Vector   string `xml:"vectorString"`
}

type cvssV3 struct {
	BaseScore    string `xml:"baseScore"`
	AV           string `xml:"attackVector"`
	AC           string `xml:"attackComplexity"`
	PR           string `xml:"privilegesRequired"`
	UI           string `xml:"userInteraction"`
	S            string `xml:"scope"`
	C            string `xml:"confidentialityImpact"`
	I            string `xml:"integrityImpact"`
	A            string `xml:"availabilityImpact"`
	BaseSeverity string `xml:"baseSeverity"`
	Version      string `xml:"version"`
	Vector       string `xml:"vectorString"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := xml.NewDecoder(r)
	// Strict, and no Entity map: only XML's own entities are expanded and
	// nothing external is ever resolved.
	dec.Strict = true
	p := &parser{ctx: ctx, dec: dec, sink: sink, seen: map[string]bool{}}
	root := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return p.fail(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root {
			return p.errorf("unexpected element <%s> after </analysis>", se.Name.Local)
		}
		if se.Name.Local != "analysis" {
			return p.errorf("expected a Dependency-Check <analysis> root element, found <%s>", se.Name.Local)
		}
		root = true
		if err := p.analysis(); err != nil {
			return err
		}
	}
	if !root {
		return p.errorf("expected a Dependency-Check <analysis> report")
	}
	return p.announce()
}

type parser struct {
	ctx       context.Context
	dec       *xml.Decoder
	sink      report.Sink
	asset     report.AssetRef
	announced bool
	seen      map[string]bool
	n         int
}

func (p *parser) fail(err error) error {
	line, col := p.dec.InputPos()
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		line = se.Line
	}
	return report.AtLine(line, col, err)
}

func (p *parser) errorf(format string, args ...any) error {
	line, col := p.dec.InputPos()
	return report.AtLine(line, col, fmt.Errorf(format, args...))
}

func (p *parser) announce() error {
	if p.announced {
		return nil
	}
	p.announced = true
	if p.asset.Kind == "" {
		p.asset = report.AssetRef{Kind: model.AssetRepository}
	}
	return p.sink.Asset(p.asset)
}

// analysis reads the children of <analysis> up to its end.
func (p *parser) analysis() error {
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return p.fail(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			switch t.Name.Local {
			case "projectInfo":
				var pi projectInfo
				if err := p.dec.DecodeElement(&pi, &t); err != nil {
					return p.fail(err)
				}
				name := strings.TrimSpace(pi.Name)
				p.asset = report.AssetRef{Kind: model.AssetRepository, Name: name}
				if name != "" {
					p.asset.Identifiers = []model.Identifier{{Kind: model.IDName, Value: name}}
				}
			case "dependencies":
				if err := p.announce(); err != nil {
					return err
				}
				if err := p.dependencies(); err != nil {
					return err
				}
			default:
				if err := p.dec.Skip(); err != nil {
					return p.fail(err)
				}
			}
		}
	}
}

// dependencies decodes one <dependency> at a time.
func (p *parser) dependencies() error {
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return p.fail(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Local != "dependency" {
				if err := p.dec.Skip(); err != nil {
					return p.fail(err)
				}
				continue
			}
			p.n++
			if p.n%64 == 0 {
				if err := p.ctx.Err(); err != nil {
					return err
				}
			}
			var d dependency
			if err := p.dec.DecodeElement(&d, &t); err != nil {
				return p.fail(err)
			}
			if err := p.dependency(d); err != nil {
				return err
			}
		}
	}
}

func (p *parser) dependency(d dependency) error {
	comp := component(d)
	emit := func(v vuln, suppressed bool) error {
		o := observe(p.asset, d, comp, v, suppressed)
		// One issue per vulnerability, component and file.
		key := o.ToolID + "\x00" + comp.Name + "\x00" + comp.Version + "\x00" + strings.ToLower(d.FileName)
		if p.seen[key] {
			return nil
		}
		p.seen[key] = true
		return p.sink.Observe(o)
	}
	for _, v := range d.Vulns {
		if err := emit(v, false); err != nil {
			return err
		}
	}
	for _, v := range d.Suppressed {
		if err := emit(v, true); err != nil {
			return err
		}
	}
	return nil
}

// component names the dependency from its package URL, else its CPE, its
// Maven coordinates, the product and version evidence, or its file name.
func component(d dependency) model.Component {
	c := model.Component{Path: strings.TrimSpace(d.FileName)}
	var pkgs, cpes, mavens []string
	var walk func(ids identifiers)
	walk = func(ids identifiers) {
		for _, pk := range ids.Packages {
			pkgs = append(pkgs, strings.TrimSpace(pk.ID))
		}
		for _, id := range ids.Identifiers {
			switch strings.ToLower(id.Type) {
			case "cpe":
				cpes = append(cpes, strings.TrimSpace(id.Name))
			case "maven":
				mavens = append(mavens, strings.TrimSpace(id.Name))
			}
		}
		for _, n := range ids.Nested {
			walk(n)
		}
	}
	for _, ids := range d.Identifiers {
		walk(ids)
	}
	for _, s := range pkgs {
		u, err := packageurl.FromString(s)
		if err != nil || u.Name == "" {
			continue
		}
		c.Name = u.Name
		if u.Namespace != "" {
			sep := ":"
			if u.Type == packageurl.TypeNPM || u.Type == packageurl.TypeGolang || u.Type == packageurl.TypeComposer {
				sep = "/"
			}
			c.Name = u.Namespace + sep + u.Name
		}
		c.Version, c.PURL, c.Ecosystem = u.Version, u.ToString(), u.Type
		return c
	}
	for _, s := range cpes {
		// cpe:/a:vendor:product:version (2.2) or cpe:2.3:a:vendor:product:version
		parts := strings.Split(strings.TrimPrefix(strings.TrimPrefix(s, "cpe:2.3:"), "cpe:/"), ":")
		if len(parts) >= 3 {
			c.Name = parts[1] + ":" + parts[2]
			if len(parts) >= 4 && parts[3] != "*" && parts[3] != "-" {
				c.Version = parts[3]
			}
			return c
		}
	}
	for _, s := range mavens {
		if parts := strings.Split(s, ":"); len(parts) == 3 {
			c.Name, c.Version, c.Ecosystem = parts[0]+":"+parts[1], parts[2], "maven"
			c.PURL = packageurl.NewPackageURL(packageurl.TypeMaven, parts[0], parts[1], parts[2], nil, "").ToString()
			return c
		}
	}
	ev := d.Evidence
	for _, e := range ev {
		if e.Type == "product" && strings.TrimSpace(e.Value) != "" {
			c.Name = strings.TrimSpace(e.Value)
			for _, v := range ev {
				if v.Type == "version" && strings.TrimSpace(v.Value) != "" {
					c.Version = strings.TrimSpace(v.Value)
					break
				}
			}
			return c
		}
	}
	c.Name = strings.TrimSpace(d.FileName)
	return c
}

var (
	spaces  = regexp.MustCompile(`\s+`)
	cveName = regexp.MustCompile(`^(?i)CVE-\d{4}-\d{4,}`)
	plainID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
	digits  = regexp.MustCompile(`^\d+$`)
	cweNum  = regexp.MustCompile(`(?i)CWE-(\d+)`)
)

func clean(s string) string { return strings.TrimSpace(spaces.ReplaceAllString(s, " ")) }

func observe(asset report.AssetRef, d dependency, comp model.Component, v vuln, suppressed bool) report.Observation {
	name := clean(v.Name)
	f := model.Finding{
		Kind:        model.KindVulnerability,
		Title:       fmt.Sprintf("%s in %s", name, comp.Name),
		Description: report.Truncate(clean(v.Description), 8192),
		Component:   comp,
	}
	if comp.Version != "" {
		f.Title += ":" + comp.Version
	}
	// The name is a CVE for NVD data, an advisory number for npm, a GHSA or
	// OSS Index title for others; only ids are ids.
	switch {
	case cveName.MatchString(name):
		f.VulnID, f.Aliases = report.VulnIDs(cveName.FindString(name))
	case digits.MatchString(name) && strings.EqualFold(v.Source, "NPM"):
		f.VulnID = "NPM-" + name
	case plainID.MatchString(name):
		f.VulnID, f.Aliases = report.VulnIDs(name)
	}
	// "CWE-79 Improper Neutralization..." or "NVD-CWE-noinfo".
	for _, c := range append(append([]string{}, v.CWEs...), v.CWE...) {
		if m := cweNum.FindStringSubmatch(c); m != nil && !strings.Contains(strings.ToUpper(c), "NVD-CWE") {
			report.AddCWE(&f, m[1])
		}
	}
	if v.CVSSV3 != nil {
		report.AddCVSS(&f, v3Vector(v.CVSSV3))
	}
	if v.CVSSV2 != nil {
		report.AddCVSS(&f, v2Vector(v.CVSSV2.AV, v.CVSSV2.AC, cmp.Or(v.CVSSV2.Au, v.CVSSV2.Au2), v.CVSSV2.C, v.CVSSV2.I, v.CVSSV2.A, v.CVSSV2.Vector))
	}
	if v.V1AV != "" {
		report.AddCVSS(&f, v2Vector(v.V1AV, v.V1AC, v.V1Au, v.V1C, v.V1I, v.V1A, ""))
	}
	f.Severity = severity(v)
	for _, ref := range v.References {
		if u := strings.TrimSpace(ref.URL); u != "" && !slices.Contains(f.References, u) && len(f.References) < 30 {
			f.References = append(f.References, u)
		}
	}
	f.Remediation = fmt.Sprintf("Update %s to a version without %s.", strings.TrimSuffix(comp.Name+":"+comp.Version, ":"), name)
	var ev []string
	ev = append(ev, "file: "+clean(d.FilePath))
	if v.Source != "" {
		ev = append(ev, "source: "+v.Source)
	}
	for i, r := range d.Related {
		if i == 5 {
			ev = append(ev, fmt.Sprintf("(+%d more copies)", len(d.Related)-5))
			break
		}
		ev = append(ev, "also at: "+clean(cmp.Or(r.FilePath, r.FileName)))
	}
	if suppressed {
		// Suppressed in the Dependency-Check configuration: still present,
		// the decision is recorded for the reviewer.
		note := clean(v.Notes)
		if note == "" {
			note = "no reason given"
		}
		ev = append(ev, "suppressed in Dependency-Check: "+note)
	}
	toolID := f.VulnID
	if toolID == "" {
		toolID = name
	}
	return report.Observation{
		Asset:        asset,
		ToolID:       toolID,
		ToolSeverity: clean(v.Severity),
		Evidence:     report.Truncate(strings.Join(ev, "\n"), 4096),
		Finding:      f,
	}
}

// severity: the vulnerability's own word, else the CVSS v3 then v2 rating,
// else the score; "moderate" (npm's word) is medium.
func severity(v vuln) model.Severity {
	if s, ok := report.Severity(v.Severity); ok {
		return s
	}
	if v.CVSSV3 != nil {
		if s, ok := report.Severity(v.CVSSV3.BaseSeverity); ok {
			return s
		}
	}
	if v.CVSSV2 != nil {
		if s, ok := report.Severity(v.CVSSV2.Severity); ok {
			return s
		}
	}
	for _, sc := range []string{v.CVSSScore} {
		if x, err := strconv.ParseFloat(strings.TrimSpace(sc), 64); err == nil {
			return report.SeverityFromScore(x)
		}
	}
	return model.SevMedium
}

// letter maps Dependency-Check's spelled-out CVSS metric values to the
// vector's letters; values already abbreviated pass through.
func letter(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	switch s {
	case "NETWORK":
		return "N"
	case "ADJACENT_NETWORK", "ADJACENT":
		return "A"
	case "LOCAL", "LOW":
		return "L"
	case "PHYSICAL", "PARTIAL":
		return "P"
	case "MEDIUM", "MULTIPLE":
		return "M"
	case "HIGH":
		return "H"
	case "NONE":
		return "N"
	case "SINGLE":
		return "S"
	case "COMPLETE", "CHANGED":
		return "C"
	case "UNCHANGED":
		return "U"
	case "REQUIRED":
		return "R"
	}
	if len(s) == 1 {
		return s
	}
	return ""
}

func v2Vector(av, ac, au, c, i, a, vector string) string {
	if vector != "" {
		return vector
	}
	parts := []string{letter(av), letter(ac), letter(au), letter(c), letter(i), letter(a)}
	for _, x := range parts {
		if x == "" {
			return ""
		}
	}
	return fmt.Sprintf("AV:%s/AC:%s/Au:%s/C:%s/I:%s/A:%s", parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
}

func v3Vector(c *cvssV3) string {
	if c.Vector != "" {
		return c.Vector
	}
	parts := []string{letter(c.AV), letter(c.AC), letter(c.PR), letter(c.UI), letter(c.S), letter(c.C), letter(c.I), letter(c.A)}
	for _, x := range parts {
		if x == "" {
			return ""
		}
	}
	version := strings.TrimSpace(c.Version)
	if version != "3.0" {
		// Reports before 6.0 omit the version; NVD had moved to 3.1.
		version = "3.1"
	}
	return fmt.Sprintf("CVSS:%s/AV:%s/AC:%s/PR:%s/UI:%s/S:%s/C:%s/I:%s/A:%s", version,
		parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], parts[7])
}
