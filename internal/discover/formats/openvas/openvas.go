// Package openvas parses Greenbone / OpenVAS scan reports: the GMP XML
// report (get_reports, "XML" report format) and the "CSV Results" export.
// Each result becomes one vulnerability observation on its host.
package openvas

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/csvx"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/hostid"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the OpenVAS / Greenbone parser.
type Format struct{}

// New returns the OpenVAS format.
func New() report.Format { return Format{} }

// Name implements report.Format.
func (Format) Name() string { return "openvas" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string {
	return "Greenbone / OpenVAS scan report (GMP XML or CSV Results)"
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// Detect recognizes the GMP report root with OpenVAS-only children, or the
// CSV Results header with its NVT columns.
func (Format) Detect(head []byte) int {
	head = bytes.TrimPrefix(head, bom)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return 0
	}
	if trimmed[0] == '<' {
		name, _ := xmlx.RootElement(head)
		if name != "report" && name != "get_reports_response" {
			return 0
		}
		// <report> alone is too common a root; these are Greenbone's own.
		for _, marker := range []string{"<nvt oid=", "<gmp>", "<omp>", "<scan_run_status>", "<report_format", "a994b278-1f62-11e1-96ac-406186ea4fc5"} {
			if bytes.Contains(head, []byte(marker)) {
				return 95
			}
		}
		return 0
	}
	line, _, _ := bytes.Cut(trimmed, []byte("\n"))
	cols := splitHeader(string(line))
	if cols["nvt name"] && cols["nvt oid"] && (cols["ip"] || cols["hostname"]) {
		return 90
	}
	return 0
}

func splitHeader(line string) map[string]bool {
	r := csv.NewReader(strings.NewReader(line))
	r.LazyQuotes = true
	rec, err := r.Read()
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, c := range rec {
		out[strings.ToLower(strings.TrimSpace(c))] = true
	}
	return out
}

// Parse implements report.Format.
func (Format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, bom), " \t\r\n")
	if len(trimmed) == 0 {
		return report.Errorf(0, "empty input: expected an OpenVAS XML or CSV report")
	}
	p := &parser{sink: sink, seen: map[string]bool{}, assets: map[string]bool{}}
	if trimmed[0] == '<' {
		return p.parseXML(ctx, br)
	}
	return p.parseCSV(ctx, br)
}

type parser struct {
	sink   report.Sink
	seen   map[string]bool // host|oid|port: one observation each
	assets map[string]bool // assets already reported
}

// result is one OpenVAS result, from XML or CSV.
type result struct {
	ip, hostname     string
	port             string // "22/tcp", "general/tcp", "" (CSV: port + protocol)
	oid, name        string
	threat           string
	score            string
	cves             []string
	urls             []string
	vectors          []string
	summary, insight string
	impact, affected string
	solution, output string
}

func (p *parser) emit(r *result) error {
	asset, ok := hostRef(r.ip, r.hostname, "")
	if !ok {
		return nil
	}
	if err := p.asset(asset); err != nil {
		return err
	}
	port, proto := splitPort(r.port)
	key := strings.Join([]string{asset.Name, r.oid, r.name, strconv.Itoa(port), proto}, "|")
	if p.seen[key] {
		// OpenVAS repeats a result when several tasks or overrides cover
		// it; one observation per host, check and port.
		return nil
	}
	p.seen[key] = true

	f := model.Finding{
		Kind:     model.KindVulnerability,
		Title:    strings.TrimSpace(r.name),
		Severity: severity(r.threat, r.score),
		Location: model.Location{Port: port, Protocol: proto},
	}
	if f.Title == "" {
		f.Title = r.oid
	}
	var desc []string
	for _, part := range []string{r.summary, r.insight, r.impact, r.affected} {
		if part = strings.TrimSpace(part); part != "" {
			desc = append(desc, part)
		}
	}
	f.Description = report.Truncate(strings.Join(desc, "\n\n"), 16<<10)
	f.Remediation = report.Truncate(strings.TrimSpace(r.solution), 16<<10)
	ids := append([]string(nil), r.cves...)
	// CVE-based reports (Greenbone's CVE scanner) put the CVE in the OID
	// and name columns.
	ids = append(ids, report.FindCVEs(r.oid)...)
	var cves []string
	for _, id := range ids {
		if report.IsCVE(id) {
			cves = append(cves, id)
		}
	}
	f.VulnID, f.Aliases = report.VulnIDs(cves...)
	for _, v := range r.vectors {
		report.AddCVSS(&f, v)
	}
	f.References = r.urls
	return p.sink.Observe(report.Observation{
		Asset:        asset,
		ToolID:       r.oid,
		ToolSeverity: toolSeverity(r.threat, r.score),
		Evidence:     report.Truncate(strings.TrimSpace(r.output), 4096),
		Finding:      f,
	})
}

func (p *parser) asset(a report.AssetRef) error {
	key := a.Name
	for _, id := range a.Identifiers {
		key += "|" + string(id.Kind) + "=" + id.Value
	}
	if len(a.Attributes) == 0 && p.assets[key] {
		return nil
	}
	p.assets[key] = true
	return p.sink.Asset(a)
}

// toolSeverity is Greenbone's threat word as written, or the score when
// the word is missing.
func toolSeverity(threat, score string) string {
	if threat = strings.TrimSpace(threat); threat != "" {
		return threat
	}
	return strings.TrimSpace(score)
}

// severity prefers Greenbone's own threat word and falls back to the score
// (reports filtered through overrides can leave the word empty).
func severity(threat, score string) model.Severity {
	switch strings.ToLower(strings.TrimSpace(threat)) {
	case "critical":
		return model.SevCritical
	case "high":
		return model.SevHigh
	case "medium":
		return model.SevMedium
	case "low":
		return model.SevLow
	case "log", "debug", "none", "false positive":
		return model.SevInfo
	}
	if s, err := strconv.ParseFloat(strings.TrimSpace(score), 64); err == nil {
		return report.SeverityFromScore(s)
	}
	return model.SevInfo
}

// splitPort reads "22/tcp", "general/tcp", "general/icmp" or "".
func splitPort(s string) (int, string) {
	s = strings.TrimSpace(s)
	num, proto, _ := strings.Cut(s, "/")
	port, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || port < 0 || port > 65535 {
		port = 0
	}
	return port, strings.ToLower(strings.TrimSpace(proto))
}

func hostRef(ip, hostname, os string) (report.AssetRef, bool) {
	// gvmd pads host values with white space (greenbone/gvmd#2378).
	ip = strings.TrimSpace(ip)
	hostname = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(hostname), "."))
	ref := report.AssetRef{Kind: model.AssetHost}
	if hostname != "" {
		ref.Identifiers = append(ref.Identifiers, hostid.Parse(hostname))
		ref.Name = hostname
	}
	if ip != "" {
		id := hostid.Parse(ip)
		if id != (model.Identifier{}) && (len(ref.Identifiers) == 0 || ref.Identifiers[0] != id) {
			ref.Identifiers = append(ref.Identifiers, id)
		}
		if ref.Name == "" {
			ref.Name = strings.ToLower(ip)
		}
	}
	if len(ref.Identifiers) == 0 {
		return ref, false
	}
	if os != "" {
		ref.Attributes = map[string]string{"os": os}
	}
	return ref, true
}

// ---- XML ----

type xRef struct {
	Type string `xml:"type,attr"`
	ID   string `xml:"id,attr"`
}

type xSeverity struct {
	Type  string `xml:"type,attr"`
	Value string `xml:"value"`
}

type xNVT struct {
	OID        string      `xml:"oid,attr"`
	Name       string      `xml:"name"`
	CVSSBase   string      `xml:"cvss_base"`
	Tags       string      `xml:"tags"`
	Solution   string      `xml:"solution"`
	Severities []xSeverity `xml:"severities>severity"`
	Refs       []xRef      `xml:"refs>ref"`
	CVE        string      `xml:"cve"` // GMP 7 and older: comma-separated
	XRef       string      `xml:"xref"`
}

type xHost struct {
	Text     string `xml:",chardata"`
	Hostname string `xml:"hostname"`
}

type xResult struct {
	Name        string `xml:"name"`
	Host        xHost  `xml:"host"`
	Port        string `xml:"port"`
	NVT         xNVT   `xml:"nvt"`
	Threat      string `xml:"threat"`
	Severity    string `xml:"severity"`
	Description string `xml:"description"`
}

type xDetail struct {
	Name  string `xml:"name"`
	Value string `xml:"value"`
}

type xReportHost struct {
	IP      string    `xml:"ip"`
	Details []xDetail `xml:"detail"`
}

func (p *parser) parseXML(ctx context.Context, r io.Reader) error {
	dec := xmlx.NewDecoder(r)
	var stack []string
	root := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return xmlx.TruncatedError(dec, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !root {
				if t.Name.Local != "report" && t.Name.Local != "get_reports_response" {
					return xmlx.Errorf(dec, "expected a <report> root element, found <%s>", t.Name.Local)
				}
				root = true
			}
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			switch {
			case t.Name.Local == "result" && parent == "results":
				var x xResult
				if err := dec.DecodeElement(&x, &t); err != nil {
					return xmlx.TruncatedError(dec, err)
				}
				if err := p.emit(fromXML(&x)); err != nil {
					return err
				}
				continue
			case t.Name.Local == "host" && parent == "report":
				// The per-host summary after the results: it covers hosts
				// with no result and carries the OS and host name.
				var h xReportHost
				if err := dec.DecodeElement(&h, &t); err != nil {
					return xmlx.TruncatedError(dec, err)
				}
				if err := p.reportHost(&h); err != nil {
					return err
				}
				continue
			}
			stack = append(stack, t.Name.Local)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	if !root {
		return report.AtLine(1, 1, errors.New("expected an OpenVAS <report> XML document"))
	}
	return nil
}

func (p *parser) reportHost(h *xReportHost) error {
	var hostname, os string
	for _, d := range h.Details {
		switch d.Name {
		case "hostname":
			if hostname == "" {
				hostname = d.Value
			}
		case "best_os_txt":
			os = strings.TrimSpace(d.Value)
		}
	}
	ref, ok := hostRef(h.IP, hostname, os)
	if !ok {
		return nil
	}
	return p.asset(ref)
}

func fromXML(x *xResult) *result {
	r := &result{
		ip:       x.Host.Text,
		hostname: x.Host.Hostname,
		port:     x.Port,
		oid:      strings.TrimSpace(x.NVT.OID),
		name:     nonempty.First(x.Name, x.NVT.Name),
		threat:   x.Threat,
		score:    x.Severity,
		output:   x.Description,
		solution: x.NVT.Solution,
	}
	for _, ref := range x.NVT.Refs {
		switch strings.ToLower(ref.Type) {
		case "cve", "cve_id":
			r.cves = append(r.cves, ref.ID)
		case "url":
			if strings.HasPrefix(ref.ID, "http://") || strings.HasPrefix(ref.ID, "https://") {
				r.urls = append(r.urls, ref.ID)
			}
		}
	}
	for _, c := range strings.Split(x.NVT.CVE, ",") {
		if c = strings.TrimSpace(c); report.IsCVE(c) {
			r.cves = append(r.cves, c)
		}
	}
	for _, s := range x.NVT.Severities {
		r.vectors = append(r.vectors, s.Value)
	}
	// tags: "cvss_base_vector=...|summary=...|insight=...|solution=..."
	for _, kv := range strings.Split(x.NVT.Tags, "|") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "cvss_base_vector":
			r.vectors = append(r.vectors, v)
		case "summary":
			r.summary = v
		case "insight":
			r.insight = v
		case "impact":
			r.impact = v
		case "affected":
			r.affected = v
		case "solution":
			if strings.TrimSpace(r.solution) == "" {
				r.solution = v
			}
		}
	}
	return r
}

// ---- CSV ----

func (p *parser) parseCSV(ctx context.Context, r io.Reader) error {
	cr := csvx.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return csvx.Error(cr, err, "an OpenVAS CSV header")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["nvt name"]; !ok {
		line, _ := cr.FieldPos(0)
		return report.AtLine(line, 1, errors.New(`expected an OpenVAS CSV header with an "NVT Name" column`))
	}
	_, hasIP := col["ip"]
	_, hasHost := col["hostname"]
	if !hasIP && !hasHost {
		line, _ := cr.FieldPos(0)
		return report.AtLine(line, 1, errors.New(`expected an OpenVAS CSV header with an "IP" or "Hostname" column`))
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvx.Error(cr, err, "an OpenVAS CSV header")
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		port := strings.TrimSpace(get(rec, "port"))
		proto := strings.TrimSpace(get(rec, "port protocol"))
		if proto != "" {
			if port == "" {
				port = "general"
			}
			port += "/" + proto
		}
		res := &result{
			ip:       get(rec, "ip"),
			hostname: get(rec, "hostname"),
			port:     port,
			oid:      strings.TrimSpace(get(rec, "nvt oid")),
			name:     get(rec, "nvt name"),
			threat:   get(rec, "severity"),
			score:    get(rec, "cvss"),
			summary:  get(rec, "summary"),
			insight:  get(rec, "vulnerability insight"),
			impact:   get(rec, "impact"),
			affected: get(rec, "affected software/os"),
			solution: get(rec, "solution"),
			output:   get(rec, "specific result"),
		}
		for _, c := range strings.FieldsFunc(get(rec, "cves"), func(r rune) bool { return r == ',' || r == ' ' }) {
			res.cves = append(res.cves, c)
		}
		for _, u := range strings.FieldsFunc(get(rec, "other references"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
			if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
				res.urls = append(res.urls, u)
			}
		}
		if err := p.emit(res); err != nil {
			return err
		}
	}
}
