// Package tenable parses Tenable reports: Nessus .nessus XML
// (NessusClientData_v2, including Tenable WAS exports) and the CSV exports of
// Nessus, Tenable.sc (SecurityCenter), Tenable.io / Vulnerability Management
// and Tenable WAS. Every scanned host (or web application) is an asset; every
// plugin result on a host port is an observation.
package tenable

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

const (
	// maxEvidence bounds Evidence, as the report package recommends.
	maxEvidence = 4 << 10
	// maxText bounds descriptions and solutions: plugin texts are short, but
	// a malformed file must not turn one field into the whole file.
	maxText = 32 << 10
	// maxPending bounds how many observations wait for duplicates to merge
	// into them (see merger).
	maxPending = 20000
)

type format struct{}

// New returns the Tenable format (Nessus XML and Tenable CSV exports).
func New() report.Format { return format{} }

func (format) Name() string { return "tenable" }
func (format) Version() int { return 1 }
func (format) Description() string {
	return "Tenable Nessus .nessus XML (incl. WAS) and Nessus / Tenable.sc / Tenable.io CSV exports"
}

var bom = []byte("\xef\xbb\xbf")

// Detect recognizes the NessusClientData_v2 root element, or a CSV header
// with the column sets the Tenable products write.
func (format) Detect(head []byte) int {
	head = bytes.TrimPrefix(head, bom)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return 0
	}
	if trimmed[0] == '<' {
		i := bytes.Index(head, []byte("<NessusClientData_v2"))
		if i < 0 || !xmlx.OnlyProlog(head[:i]) {
			return 0
		}
		return 100
	}
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	cols, ok := headerColumns(line)
	if !ok {
		return 0
	}
	switch csvDialect(cols) {
	case dialectNessus, dialectIO:
		return 90
	case dialectSC:
		return 85
	}
	return 0
}

// Parse reads XML when the document starts with '<', CSV otherwise.
func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, bom) {
		_, _ = br.Discard(3)
	}
	first, err := firstByte(br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return report.Errorf(0, "empty input: expected Nessus XML or a Tenable CSV export")
		}
		return report.AtOffset(0, err)
	}
	if first == '<' {
		return parseXML(ctx, br, sink)
	}
	return parseCSV(ctx, br, sink)
}

// firstByte peeks at the first byte that is not white space.
func firstByte(br *bufio.Reader) (byte, error) {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			if err == nil {
				err = io.EOF
			}
			return 0, err
		}
		c := b[n-1]
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c, nil
		}
		if n >= br.Size() {
			return 0, io.EOF
		}
	}
}

// entry is one plugin result, read from XML or CSV, before it becomes an
// observation.
type entry struct {
	toolID       string
	pluginID     string
	title        string
	family       string
	toolSeverity string
	severity     model.Severity
	kind         model.FindingKind // set for compliance checks; derived otherwise
	ruleID       string
	web          bool

	port     int
	protocol string
	service  string
	url      string

	synopsis    string
	description string
	solution    string
	output      string
	seeAlso     []string
	cves        []string
	cwes        []int
	vectors     []string
	cpe         string
}

// Port-detection plugins report an open port or an identified service: they
// are exposed services, not vulnerabilities.
var portPlugins = map[string]bool{
	"11219": true, // Nessus SYN scanner
	"10335": true, // Nessus TCP scanner
	"34277": true, // Nessus UDP Scanner
	"14272": true, // Netstat Portscanner (SSH)
	"34220": true, // Netstat Portscanner (WMI)
	"14274": true, // Nessus SNMP Scanner
	"22964": true, // Service Detection
	"11153": true, // Service Detection (HELP Request)
}

func (e *entry) findingKind() model.FindingKind {
	switch {
	case e.kind != "":
		return e.kind
	case e.web:
		return model.KindWebWeakness
	case len(e.cves) > 0:
		return model.KindVulnerability
	case portPlugins[e.pluginID], strings.EqualFold(e.family, "Port scanners"),
		strings.HasPrefix(e.title, "Service Detection"):
		return model.KindExposedService
	}
	return model.KindVulnerability
}

func (e *entry) observation(asset report.AssetRef, cvss *report.CVSSCache) report.Observation {
	f := model.Finding{
		Kind:     e.findingKind(),
		Title:    strings.TrimSpace(e.title),
		Severity: e.severity,
		RuleID:   e.ruleID,
		Location: model.Location{Port: e.port, Protocol: e.protocol, Service: e.service, URL: e.url},
	}
	switch {
	case e.web && e.url != "":
		// A web finding is located by its application's origin (which
		// holds the port), the same way in the XML and the CSV exports.
		f.Location.Port, f.Location.Service = 0, ""
	case e.port == 0:
		// Port 0 is Nessus' host-level pseudo port ("general"): a transport
		// protocol without a port locates nothing.
		f.Location.Protocol = ""
	}
	if f.Title == "" {
		f.Title = "Nessus plugin " + e.pluginID
	}
	if f.Severity == "" {
		f.Severity = model.SevInfo
	}
	f.VulnID, f.Aliases = report.VulnIDs(e.cves...)
	f.CWEs = append(f.CWEs, e.cwes...)
	for _, v := range e.vectors {
		cvss.Add(&f, normalizeVector(v))
	}
	syn := strings.TrimSpace(e.synopsis)
	desc := strings.TrimSpace(e.description)
	switch {
	case syn == "" || syn == f.Title:
		f.Description = desc
	case desc == "" || desc == syn:
		f.Description = syn
	default:
		f.Description = syn + "\n\n" + desc
	}
	f.Description = report.Truncate(f.Description, maxText)
	if s := strings.TrimSpace(e.solution); s != "" && !strings.EqualFold(s, "n/a") {
		f.Remediation = report.Truncate(s, maxText)
	}
	f.References = references(e.seeAlso)
	output := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(e.output), "'"))
	output = strings.TrimSpace(strings.TrimPrefix(output, "Plugin Output:"))
	if f.Kind != model.KindExposedService {
		f.Component = component(e.cpe, output)
	}
	return report.Observation{
		Asset:        asset,
		ToolID:       e.toolID,
		ToolSeverity: strings.TrimSpace(e.toolSeverity),
		Evidence:     report.Truncate(output, maxEvidence),
		Finding:      f,
	}
}

// severityWord maps Nessus' numeric severities (0-4) and risk words.
func severityWord(s string) model.Severity {
	switch strings.TrimSpace(s) {
	case "0":
		return model.SevInfo
	case "1":
		return model.SevLow
	case "2":
		return model.SevMedium
	case "3":
		return model.SevHigh
	case "4":
		return model.SevCritical
	}
	return report.SeverityOr(s, model.SevInfo)
}

// normalizeVector adds the version prefix that Tenable.sc leaves off its v3
// vectors ("AV:N/AC:L/PR:N/..."), which would otherwise read as CVSS v2.
func normalizeVector(v string) string {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "AV:") {
		return v
	}
	switch {
	case strings.Contains(v, "/AT:"):
		return "CVSS:4.0/" + v
	case strings.Contains(v, "/PR:"):
		return "CVSS:3.0/" + v
	}
	return v
}

var cweRef = regexp.MustCompile(`(?i)\bCWE\s*[#:_-]?\s*(\d{1,5})\b`)

// cwesIn reads "CWE:79", "CWE #310", "CWE-94" references out of a list.
func cwesIn(s string) []int {
	var out []int
	for _, m := range cweRef.FindAllStringSubmatch(s, -1) {
		if n, ok := report.ParseCWE(m[1]); ok {
			out = appendInt(out, n)
		}
	}
	return out
}

func appendInt(list []int, n int) []int {
	for _, have := range list {
		if have == n {
			return list
		}
	}
	return append(list, n)
}

// references splits see-also texts (white-space separated URLs).
func references(texts []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range texts {
		for _, u := range strings.Fields(t) {
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				continue
			}
			if !seen[u] && len(out) < 100 {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

// component names the affected software: product from the plugin's CPE,
// versions and path from the "Installed version : / Fixed version :" lines
// that Nessus version checks print in their output.
func component(cpe, output string) model.Component {
	var c model.Component
	c.Name, c.Version = cpeProduct(cpe)
	if c.Name == "" {
		// Versions without a product name identify nothing.
		return model.Component{}
	}
	installed, fixed, path := outputFields(output)
	if installed != "" {
		c.Version = installed
	}
	c.FixedVersion, c.Path = fixed, path
	return c
}

// outputFields reads the first "Installed version", "Fixed version" and
// "Path" lines of plugin output. A line scan rather than regular
// expressions: it runs on every result of reports with millions of them.
func outputFields(output string) (installed, fixed, path string) {
	for output != "" {
		var line string
		line, output, _ = strings.Cut(output, "\n")
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "installed version":
			if installed == "" {
				installed = v
			}
		case "fixed version":
			if fixed == "" {
				fixed = v
			}
		case "path", "installation path":
			if path == "" {
				path = v
			}
		}
	}
	return installed, fixed, path
}

// cpeProduct reads product and version from the first CPE in s (2.2 URI
// "cpe:/a:php:php:5.1" or 2.3 "cpe:2.3:a:php:php:5.1:...").
func cpeProduct(s string) (name, version string) {
	for _, f := range strings.Fields(s) {
		var parts []string
		switch {
		case strings.HasPrefix(f, "cpe:2.3:"):
			parts = strings.Split(strings.TrimPrefix(f, "cpe:2.3:"), ":")
		case strings.HasPrefix(f, "cpe:/"):
			parts = strings.Split(strings.TrimPrefix(f, "cpe:/"), ":")
		default:
			continue
		}
		if len(parts) > 2 && parts[2] != "*" && parts[2] != "-" {
			name = parts[2]
		}
		if len(parts) > 3 && parts[3] != "*" && parts[3] != "-" {
			version = parts[3]
		}
		return name, version
	}
	return "", ""
}

// assetBuilder collects identifiers without duplicates.
type assetBuilder struct {
	ref                        report.AssetRef
	fqdn, hostname, ip, origin string
}

func (b *assetBuilder) add(kind model.IdentifierKind, v string) {
	if v == "" {
		return
	}
	for _, id := range b.ref.Identifiers {
		if id.Kind == kind && id.Value == v {
			return
		}
	}
	b.ref.Identifiers = append(b.ref.Identifiers, model.Identifier{Kind: kind, Value: v})
}

// addIP adds an IPv4 or IPv6 address; it reports false for non-addresses.
func (b *assetBuilder) addIP(s string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return false
	}
	a = a.Unmap()
	if a.Is4() {
		b.add(model.IDIPv4, a.String())
	} else {
		b.add(model.IDIPv6, a.String())
	}
	if b.ip == "" {
		b.ip = a.String()
	}
	return true
}

// addName adds a DNS or host name: an FQDN when it has a dot, else a host
// name. NetBIOS names ("WORKGROUP\HOST") keep the host part.
func (b *assetBuilder) addName(s string) {
	s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if i := strings.LastIndexByte(s, '\\'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" || strings.ContainsAny(s, " /\t") {
		return
	}
	if b.addIP(s) {
		return
	}
	if strings.Contains(s, ".") {
		b.add(model.IDFQDN, s)
		if b.fqdn == "" {
			b.fqdn = s
		}
		return
	}
	b.add(model.IDHostname, s)
	if b.hostname == "" {
		b.hostname = s
	}
}

// addHost adds whatever a free-form host field holds: URL, address or name.
func (b *assetBuilder) addHost(s string) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "://") {
		b.addURL(s)
		return
	}
	b.addName(s)
}

func (b *assetBuilder) addMACs(s string) {
	for _, m := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		b.add(model.IDMAC, strings.ToLower(m))
	}
}

// addURL makes the asset a web application named by its origin.
func (b *assetBuilder) addURL(raw string) {
	o := origin(raw)
	if o == "" {
		return
	}
	b.add(model.IDURL, o)
	if b.origin == "" {
		b.origin = o
	}
}

func (b *assetBuilder) attr(k, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	if b.ref.Attributes == nil {
		b.ref.Attributes = map[string]string{}
	}
	if _, ok := b.ref.Attributes[k]; !ok {
		b.ref.Attributes[k] = v
	}
}

func (b *assetBuilder) done() (report.AssetRef, bool) {
	a := b.ref
	if b.origin != "" {
		a.Kind = model.AssetWebApp
		a.Name = b.origin
		// Host identifiers of a web application's server are not the web
		// application's; keep only its URL.
		var ids []model.Identifier
		for _, id := range a.Identifiers {
			if id.Kind == model.IDURL {
				ids = append(ids, id)
			}
		}
		a.Identifiers = ids
	} else {
		a.Kind = model.AssetHost
		for _, n := range []string{b.fqdn, b.hostname, b.ip} {
			if n != "" {
				a.Name = n
				break
			}
		}
	}
	if len(a.Identifiers) == 0 {
		return a, false
	}
	if a.Name == "" {
		a.Name = a.Identifiers[0].Value
	}
	return a, true
}

// origin returns scheme://host[:port] of a URL, without a default port.
func origin(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Scheme == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		return scheme + "://" + host + ":" + port
	}
	return scheme + "://" + host
}

func assetKey(a report.AssetRef) string {
	var sb strings.Builder
	sb.WriteString(string(a.Kind))
	for _, id := range a.Identifiers {
		sb.WriteString("|")
		sb.WriteString(string(id.Kind))
		sb.WriteString("=")
		sb.WriteString(id.Value)
	}
	return sb.String()
}

// merger joins results that are the same issue at the same place: Nessus
// writes a plugin once per finding instance on a port (several installs of
// PHP behind port 80), and its CSV export repeats a row per CVE. Tenable
// counts a vulnerability instance per (asset, plugin, port, protocol); so do
// we. Observations wait in first-seen order until flushed; past maxPending the
// oldest are emitted early, which keeps memory flat on huge exports at the
// cost of a rare late duplicate being emitted separately. One merger serves
// a whole report; it also holds the report's parsed CVSS vectors.
type merger struct {
	sink report.Sink
	// queue[head:] wait, oldest first, with their keys in keys[head:];
	// pending maps a key to its observation's sequence number, base being
	// that of queue[0]. Observations wait in the queue itself rather than
	// each in its own allocation.
	queue   []report.Observation
	keys    []mergeKeyT
	head    int
	base    int
	pending map[mergeKeyT]int
	cvss    *report.CVSSCache
}

func newMerger(sink report.Sink) *merger {
	return &merger{sink: sink, pending: map[mergeKeyT]int{}, cvss: &report.CVSSCache{}}
}

// mergeKeyT is what makes two results one: the asset (for the CSV exports,
// whose rows of all assets share a merger), the tool id, port and protocol.
type mergeKeyT struct {
	asset    string
	toolID   string
	port     int
	protocol string
}

func mergeKey(asset string, o *report.Observation) mergeKeyT {
	return mergeKeyT{asset, o.ToolID, o.Finding.Location.Port, o.Finding.Location.Protocol}
}

func (m *merger) add(key mergeKeyT, o report.Observation) error {
	if seq, ok := m.pending[key]; ok {
		mergeInto(&m.queue[seq-m.base], &o, m.cvss)
		return nil
	}
	m.pending[key] = m.base + len(m.queue)
	m.queue = append(m.queue, o)
	m.keys = append(m.keys, key)
	for len(m.queue)-m.head > maxPending {
		if err := m.emitFirst(); err != nil {
			return err
		}
	}
	return nil
}

func (m *merger) emitFirst() error {
	o := m.queue[m.head]
	delete(m.pending, m.keys[m.head])
	m.queue[m.head], m.keys[m.head] = report.Observation{}, mergeKeyT{}
	m.head++
	if m.head == len(m.queue) || m.head >= 4096 && m.head*2 >= len(m.queue) {
		// Reuse the emitted part rather than let the queue grow with
		// the report.
		n := copy(m.queue, m.queue[m.head:])
		copy(m.keys, m.keys[m.head:])
		clear(m.queue[n:])
		clear(m.keys[n:])
		m.queue, m.keys = m.queue[:n], m.keys[:n]
		m.base += m.head
		m.head = 0
	}
	return m.sink.Observe(o)
}

func (m *merger) flush() error {
	for len(m.queue) > m.head {
		if err := m.emitFirst(); err != nil {
			return err
		}
	}
	return nil
}

func mergeInto(p, o *report.Observation, cvss *report.CVSSCache) {
	if o.Finding.Severity.Rank() > p.Finding.Severity.Rank() {
		p.Finding.Severity = o.Finding.Severity
		p.ToolSeverity = o.ToolSeverity
	}
	if o.Finding.VulnID != "" {
		ids := append([]string{p.Finding.VulnID}, p.Finding.Aliases...)
		ids = append(ids, o.Finding.VulnID)
		ids = append(ids, o.Finding.Aliases...)
		p.Finding.VulnID, p.Finding.Aliases = report.VulnIDs(ids...)
		if p.Finding.Kind == model.KindExposedService {
			p.Finding.Kind = model.KindVulnerability
		}
	}
	for _, n := range o.Finding.CWEs {
		p.Finding.CWEs = appendInt(p.Finding.CWEs, n)
	}
	for _, c := range o.Finding.CVSS {
		cvss.Add(&p.Finding, c.Vector)
	}
	for _, r := range o.Finding.References {
		if !slices.Contains(p.Finding.References, r) {
			p.Finding.References = append(p.Finding.References, r)
		}
	}
	if p.Finding.Component == (model.Component{}) {
		p.Finding.Component = o.Finding.Component
	}
	if o.Evidence != "" && !strings.Contains(p.Evidence, o.Evidence) {
		if p.Evidence == "" {
			p.Evidence = o.Evidence
		} else {
			p.Evidence = report.Truncate(p.Evidence+"\n\n"+o.Evidence, maxEvidence)
		}
	}
}
