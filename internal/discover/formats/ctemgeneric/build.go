package ctemgeneric

import (
	"cmp"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// maxEvidence bounds Evidence, as the report package recommends.
const maxEvidence = 4 << 10

// rawAsset and rawFinding hold one record as the file wrote it, as text,
// whichever of JSON or CSV it came from. Both front ends fill them and
// build.go validates and maps them once, so the two syntaxes cannot drift.
type rawAsset struct {
	Kind  string
	Name  string
	IDs   map[model.IdentifierKind][]string
	Attrs map[string]string
}

type rawFinding struct {
	Asset       rawAsset
	HasAsset    bool // the record names an asset (JSON "asset", CSV asset cells)
	Kind        string
	ID          string
	Title       string
	Description string
	Severity    string
	VulnID      string
	Aliases     []string
	CWE         []string
	CVSS        []string
	RuleID      string
	Component   rawComponent
	Location    rawLocation
	Remediation string
	References  []string
	Evidence    string
	Anchor      string
	Secret      string
}

type rawComponent struct {
	Name, Version, FixedVersion, PURL, Ecosystem, Path string
}

type rawLocation struct {
	Port, Protocol, Service, URL, Method, Param, File, Line, EndLine, Resource string
}

// fieldError is a validation failure of one field. path is the field's JSON
// path relative to the record ("severity", "asset.identifiers.ipv4[1]"); the
// JSON front end prefixes the element ("findings[3].") and the CSV front end
// maps it to a column.
type fieldError struct {
	path string
	msg  string
}

func (e *fieldError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func ferr(path, format string, args ...any) *fieldError {
	return &fieldError{path: path, msg: fmt.Sprintf(format, args...)}
}

// within prefixes a nested record's field errors with the record's path.
func within(prefix string, e *fieldError) *fieldError {
	if e == nil {
		return nil
	}
	p := prefix
	if e.path != "" {
		p += "." + e.path
	}
	return &fieldError{path: p, msg: e.msg}
}

// idKinds are the identifier keys the format accepts, in the order they are
// emitted.
var idKinds = []model.IdentifierKind{
	model.IDHostname, model.IDFQDN, model.IDIPv4, model.IDIPv6, model.IDMAC,
	model.IDARN, model.IDCloudID, model.IDImageDigest, model.IDImageID,
	model.IDImageRef, model.IDRepoURL, model.IDURL,
}

func isIDKind(k string) bool {
	for _, id := range idKinds {
		if string(id) == k {
			return true
		}
	}
	return false
}

// kindHints infers an asset's kind from its identifiers when the file does
// not say: the first row with an identifier present wins.
var kindHints = []struct {
	kind model.AssetKind
	ids  []model.IdentifierKind
}{
	{model.AssetImage, []model.IdentifierKind{model.IDImageDigest, model.IDImageID, model.IDImageRef}},
	{model.AssetCloud, []model.IdentifierKind{model.IDARN, model.IDCloudID}},
	{model.AssetRepository, []model.IdentifierKind{model.IDRepoURL}},
	{model.AssetWebApp, []model.IdentifierKind{model.IDURL}},
	{model.AssetHost, []model.IdentifierKind{model.IDHostname, model.IDFQDN, model.IDIPv4, model.IDIPv6, model.IDMAC}},
}

// nameOrder picks a display name from the identifiers when the file gives
// none (the pipeline's own preference order).
var nameOrder = []model.IdentifierKind{
	model.IDFQDN, model.IDHostname, model.IDARN, model.IDImageRef, model.IDRepoURL,
	model.IDURL, model.IDCloudID, model.IDIPv4, model.IDIPv6, model.IDImageDigest,
	model.IDImageID, model.IDMAC,
}

// words lower-cases a keyword and accepts "-" and " " for "_", so that
// "Code-Weakness" and "code_weakness" are the same word.
func words(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer("-", "_", " ", "_").Replace(s)
}

func assetKindList() string {
	names := make([]string, len(model.AssetKinds))
	for i, k := range model.AssetKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func findingKindList() string {
	names := make([]string, len(model.FindingKinds))
	for i, k := range model.FindingKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// buildAsset validates an asset. Error paths are relative to the asset.
func buildAsset(a *rawAsset) (report.AssetRef, *fieldError) {
	ref := report.AssetRef{Name: strings.TrimSpace(a.Name)}
	has := map[model.IdentifierKind]bool{}
	seen := map[model.Identifier]bool{}
	for _, k := range idKinds {
		for i, v := range a.IDs[k] {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			path := "identifiers." + string(k)
			if len(a.IDs[k]) > 1 {
				path = fmt.Sprintf("%s[%d]", path, i)
			}
			v, fe := identifier(path, k, v)
			if fe != nil {
				return ref, fe
			}
			id := model.Identifier{Kind: k, Value: v}
			if !seen[id] {
				seen[id] = true
				has[k] = true
				ref.Identifiers = append(ref.Identifiers, id)
			}
		}
	}
	if kw := words(a.Kind); kw != "" {
		for _, k := range model.AssetKinds {
			if string(k) == kw {
				ref.Kind = k
			}
		}
		if ref.Kind == "" {
			return ref, ferr("kind", "unknown asset kind %q (expected one of %s)", a.Kind, assetKindList())
		}
	} else {
	infer:
		for _, h := range kindHints {
			for _, k := range h.ids {
				if has[k] {
					ref.Kind = h.kind
					break infer
				}
			}
		}
		if ref.Kind == "" {
			return ref, ferr("kind", "missing, and no identifier tells what the asset is (expected one of %s)", assetKindList())
		}
	}
	if ref.Name == "" {
	name:
		for _, k := range nameOrder {
			for _, id := range ref.Identifiers {
				if id.Kind == k {
					ref.Name = id.Value
					break name
				}
			}
		}
	}
	if ref.Name == "" {
		return ref, ferr("", "an asset needs a name or at least one identifier")
	}
	if len(ref.Identifiers) == 0 {
		// A name is all the resolver will have to match this asset on
		// across imports; say so explicitly rather than leave it empty.
		ref.Identifiers = []model.Identifier{{Kind: model.IDName, Value: ref.Name}}
	}
	for k, v := range a.Attrs {
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" || v == "" {
			continue
		}
		if ref.Attributes == nil {
			ref.Attributes = map[string]string{}
		}
		ref.Attributes[k] = v
	}
	return ref, nil
}

// identifier checks one identifier value and puts it in the form the brief
// asks parsers to report. Values that cannot be what their key says are
// errors: an export script that writes a host name into ipv4 has a bug its
// author wants to hear about, and ctem would otherwise drop the value.
func identifier(path string, k model.IdentifierKind, v string) (string, *fieldError) {
	switch k {
	case model.IDIPv4:
		ip, err := netip.ParseAddr(v)
		if err != nil || !ip.Unmap().Is4() {
			return "", ferr(path, "%q is not an IPv4 address", v)
		}
		return ip.Unmap().String(), nil
	case model.IDIPv6:
		ip, err := netip.ParseAddr(v)
		if err != nil || !ip.Is6() {
			return "", ferr(path, "%q is not an IPv6 address", v)
		}
		return ip.String(), nil
	case model.IDMAC:
		hw, err := net.ParseMAC(v)
		if err != nil {
			return "", ferr(path, "%q is not a MAC address", v)
		}
		return hw.String(), nil
	case model.IDHostname, model.IDFQDN:
		if strings.ContainsAny(v, " /\t") {
			return "", ferr(path, "%q is not a host name", v)
		}
		return strings.TrimSuffix(strings.ToLower(v), "."), nil
	case model.IDImageDigest, model.IDImageID:
		if i := strings.LastIndex(v, "@"); i >= 0 {
			v = v[i+1:]
		}
		return v, nil
	case model.IDURL:
		o, ok := origin(v)
		if !ok {
			return "", ferr(path, "%q is not an absolute URL (scheme://host)", v)
		}
		return o, nil
	}
	return v, nil
}

// origin reduces a URL to scheme://host[:port], dropping default ports: a
// web application is its origin.
func origin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Hostname() == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, true
}

// buildFinding validates a finding and maps it onto an Observation. Error
// paths are relative to the finding.
func buildFinding(r *rawFinding) (report.Observation, *fieldError) {
	var o report.Observation
	if r.HasAsset {
		a, fe := buildAsset(&r.Asset)
		if fe != nil {
			return o, within("asset", fe)
		}
		o.Asset = a
	}
	// Without an asset the reference stays empty: the pipeline puts the
	// finding on the asset named on the command line (ctem import --asset),
	// as it does for any report that names none.
	f := &o.Finding

	kw := words(r.Kind)
	if kw == "" {
		return o, ferr("kind", "missing (expected one of %s)", findingKindList())
	}
	for _, k := range model.FindingKinds {
		if string(k) == kw {
			f.Kind = k
		}
	}
	if f.Kind == "" {
		return o, ferr("kind", "unknown finding kind %q (expected one of %s)", r.Kind, findingKindList())
	}

	f.Title = strings.TrimSpace(r.Title)
	if f.Title == "" {
		return o, ferr("title", "missing (every finding needs a title)")
	}
	f.Description = strings.TrimSpace(r.Description)
	f.Remediation = strings.TrimSpace(r.Remediation)
	f.RuleID = strings.TrimSpace(r.RuleID)

	for i, v := range r.CVSS {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		c, err := report.ParseCVSS(v)
		if err != nil {
			return o, ferr(indexed("cvss", i, len(r.CVSS)), "%v", err)
		}
		dup := false
		for _, have := range f.CVSS {
			dup = dup || have.Vector == c.Vector
		}
		if !dup {
			f.CVSS = append(f.CVSS, c)
		}
	}

	sev, fe := severity(r.Severity, f.CVSS)
	if fe != nil {
		return o, fe
	}
	f.Severity = sev
	o.ToolSeverity = strings.TrimSpace(r.Severity)

	for i, v := range r.CWE {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		n, ok := parseCWE(v)
		if !ok {
			return o, ferr(indexed("cwe", i, len(r.CWE)), "%q is not a CWE id (write 79 or \"CWE-79\")", v)
		}
		dup := false
		for _, have := range f.CWEs {
			dup = dup || have == n
		}
		if !dup {
			f.CWEs = append(f.CWEs, n)
		}
	}

	f.VulnID, f.Aliases = report.VulnIDs(append([]string{r.VulnID}, r.Aliases...)...)

	c, fe := component(&r.Component)
	if fe != nil {
		return o, within("component", fe)
	}
	f.Component = c
	l, fe := location(&r.Location)
	if fe != nil {
		return o, within("location", fe)
	}
	f.Location = l

	seen := map[string]bool{}
	for _, ref := range r.References {
		ref = strings.TrimSpace(ref)
		if ref != "" && !seen[ref] {
			seen[ref] = true
			f.References = append(f.References, ref)
		}
	}

	o.ToolID = cmp.Or(strings.TrimSpace(r.ID), f.RuleID, f.VulnID, f.Title)
	o.Anchor = strings.TrimSpace(r.Anchor)
	o.Secret = strings.TrimSpace(r.Secret)
	o.Evidence = strings.TrimSpace(r.Evidence)
	if len(o.Secret) >= minRedact {
		// The format asks writers to keep the secret out of the other
		// fields; redact it anyway, since ctem must never store it.
		o.Evidence = redact(o.Evidence, o.Secret)
		f.Description = redact(f.Description, o.Secret)
		if f.Title = redact(f.Title, o.Secret); f.Title == "" {
			f.Title = redacted
		}
	}
	o.Evidence = report.Truncate(o.Evidence, maxEvidence)
	return o, nil
}

// minRedact keeps a one- or two-letter "secret" (surely a test value) from
// shredding the text it appears in.
const minRedact = 4

const redacted = "[REDACTED]"

// redact replaces the secret in s. Should the replacement itself spell the
// secret again (a "secret" such as "DACT"), the secret is cut out until
// none is left: each pass shortens the text, so this ends.
func redact(s, secret string) string {
	if !strings.Contains(s, secret) {
		return s
	}
	s = strings.ReplaceAll(s, secret, redacted)
	for strings.Contains(s, secret) {
		s = strings.ReplaceAll(s, secret, "")
	}
	return s
}

func indexed(name string, i, n int) string {
	if n <= 1 {
		return name
	}
	return fmt.Sprintf("%s[%d]", name, i)
}

// severity maps the file's severity: a severity word, or a 0-10 score. With
// none, the highest CVSS base score decides, and without one, info.
func severity(raw string, cvss []model.CVSS) (model.Severity, *fieldError) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		if len(cvss) == 0 {
			return model.SevInfo, nil
		}
		best := 0.0
		for _, c := range cvss {
			best = math.Max(best, c.Score)
		}
		return report.SeverityFromScore(best), nil
	}
	if s, ok := report.Severity(raw); ok {
		return s, nil
	}
	if f, err := strconv.ParseFloat(raw, 64); err == nil && f >= 0 && f <= 10 {
		return report.SeverityFromScore(f), nil
	}
	return "", ferr("severity", "unknown severity %q (expected critical, high, medium, low, info or a score from 0 to 10)", raw)
}

// cweLead accepts "CWE-79: Improper Neutralization..." as tools print it.
var cweLead = regexp.MustCompile(`(?i)^\s*CWE[-_: ]?0*(\d{1,5})\b`)

func parseCWE(s string) (int, bool) {
	if n, ok := report.ParseCWE(s); ok {
		return n, true
	}
	m := cweLead.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil && n > 0
}

func component(r *rawComponent) (model.Component, *fieldError) {
	c := model.Component{
		Name:         strings.TrimSpace(r.Name),
		Version:      strings.TrimSpace(r.Version),
		FixedVersion: strings.TrimSpace(r.FixedVersion),
		PURL:         strings.TrimSpace(r.PURL),
		Ecosystem:    strings.TrimSpace(r.Ecosystem),
		Path:         strings.TrimSpace(r.Path),
	}
	if c.PURL == "" {
		return c, nil
	}
	p, err := packageurl.FromString(c.PURL)
	if err != nil {
		return c, ferr("purl", "%q is not a package URL: %v", c.PURL, err)
	}
	// A purl says it all; fill what the writer left out from it.
	if c.Name == "" {
		c.Name = p.Name
		if p.Namespace != "" {
			sep := "/"
			if p.Type == packageurl.TypeMaven {
				sep = ":"
			}
			c.Name = p.Namespace + sep + p.Name
		}
	}
	if c.Version == "" {
		c.Version = p.Version
	}
	if c.Ecosystem == "" {
		c.Ecosystem = p.Type
	}
	return c, nil
}

func location(r *rawLocation) (model.Location, *fieldError) {
	l := model.Location{
		Protocol: strings.ToLower(strings.TrimSpace(r.Protocol)),
		Service:  strings.TrimSpace(r.Service),
		URL:      strings.TrimSpace(r.URL),
		Method:   strings.ToUpper(strings.TrimSpace(r.Method)),
		Param:    strings.TrimSpace(r.Param),
		File:     strings.TrimSpace(r.File),
		Resource: strings.TrimSpace(r.Resource),
	}
	var fe *fieldError
	if l.Port, fe = number("port", r.Port, 0, 65535); fe != nil {
		return l, fe
	}
	if l.Line, fe = number("line", r.Line, 0, math.MaxInt32); fe != nil {
		return l, fe
	}
	if l.EndLine, fe = number("end_line", r.EndLine, 0, math.MaxInt32); fe != nil {
		return l, fe
	}
	if l.EndLine != 0 && l.EndLine < l.Line {
		return l, ferr("end_line", "%d is before line %d", l.EndLine, l.Line)
	}
	return l, nil
}

func number(path, s string, lo, hi int) (int, *fieldError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, ferr(path, "%q is not a whole number from %d to %d", s, lo, hi)
	}
	return n, nil
}
