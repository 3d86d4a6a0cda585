// Package qualys parses Qualys VM (VMDR classic) host scan reports: the
// XML "Asset Data Report" (ASSET_DATA_REPORT) and the CSV scan / asset
// exports. Each detection of a QID on a host becomes one vulnerability
// observation; the QID's title, severity, CVEs and CVSS come from the report
// glossary (XML) or the row itself (CSV).
package qualys

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/csvx"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/hostid"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/xmlx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the Qualys VM scan report parser.
type Format struct{}

// New returns the Qualys format.
func New() report.Format { return Format{} }

// Name implements report.Format.
func (Format) Name() string { return "qualys" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string {
	return "Qualys VM host scan report (XML Asset Data Report or CSV)"
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// Detect recognizes the ASSET_DATA_REPORT root, or a CSV whose header (after
// Qualys' optional preamble lines) has the QID, title and IP columns of a
// host scan export; VMDR's "Asset Vuln Datalist" CSV is a different format.
func (Format) Detect(head []byte) int {
	head = bytes.TrimPrefix(head, bom)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return 0
	}
	if trimmed[0] == '<' {
		if name, _ := xmlx.RootElement(head); name == "ASSET_DATA_REPORT" {
			return 100
		}
		return 0
	}
	lines := bytes.Split(trimmed, []byte("\n"))
	for i, line := range lines {
		if i >= 50 {
			break
		}
		if i == len(lines)-1 && len(lines) > 1 {
			break // possibly cut by the head limit
		}
		if !csvx.ContainsFold(line, "qid") {
			continue // a header names the QID column (headerKind)
		}
		cols := headerColumns(string(line))
		if kind := headerKind(cols); kind != "" {
			return 85
		}
	}
	return 0
}

func headerColumns(line string) map[string]int {
	r := csv.NewReader(strings.NewReader(line))
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return nil
	}
	return csvx.Header(rec)
}

// headerKind says which Qualys CSV layout a header row is: "scan" for the
// scan / asset export (Title, Severity 1-5), "pci" for the PCI scan export
// (VULN TITLE, SEVERITY word, Q_SEVERITY), "" when it is not a header.
func headerKind(cols map[string]int) string {
	if cols == nil {
		return ""
	}
	has := func(n string) bool { _, ok := cols[n]; return ok }
	if !has("qid") || !has("ip") {
		return ""
	}
	if has("asset ipv4") || has("asset id") {
		return "" // VMDR Asset Vuln Datalist: the qualys_vmdr format
	}
	switch {
	case has("title") && has("severity"):
		return "scan"
	case has("vuln title"):
		return "pci"
	}
	return ""
}

// Parse implements report.Format.
func (Format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, bom), " \t\r\n")
	if len(trimmed) == 0 {
		return report.Errorf(0, "empty input: expected a Qualys XML or CSV report")
	}
	if trimmed[0] == '<' {
		return parseXML(ctx, br, sink)
	}
	return parseCSV(ctx, br, sink)
}

// severity maps Qualys' 1-5 severity level onto ctem's five steps.
func severity(level string) (model.Severity, bool) {
	switch strings.TrimSpace(level) {
	case "1":
		return model.SevInfo, true
	case "2":
		return model.SevLow, true
	case "3":
		return model.SevMedium, true
	case "4":
		return model.SevHigh, true
	case "5":
		return model.SevCritical, true
	}
	return report.Severity(level)
}

// fixed reports whether Qualys says the detection is no longer there: such
// rows are left out so that the lifecycle closes the finding, while the
// host is still reported as covered.
func fixed(status string) bool {
	return strings.EqualFold(strings.TrimSpace(status), "fixed")
}

var cvssRe = regexp.MustCompile(`^\s*\d{1,2}(?:\.\d)?\s*\(([^)]*)\)`)

// cvssVector extracts the vector from Qualys' "8.1 (AV:N/AC:H/...)" and
// prefixes it for version 3 (Qualys omits the "CVSS:3.x/" label).
func cvssVector(base, temporal string, v3 bool) string {
	m := cvssRe.FindStringSubmatch(base)
	if m == nil {
		return ""
	}
	vec := strings.TrimSpace(m[1])
	if t := cvssRe.FindStringSubmatch(temporal); t != nil && strings.TrimSpace(t[1]) != "" {
		vec += "/" + strings.TrimSpace(t[1])
	}
	if v3 && !strings.HasPrefix(vec, "CVSS:") {
		vec = "CVSS:3.0/" + vec
	}
	return vec
}

// ---- assets ----

func hostRef(ip, dns, netbios, os string) (report.AssetRef, bool) {
	ref := report.AssetRef{Kind: model.AssetHost}
	dns = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(dns), "."))
	netbios = strings.ToLower(strings.TrimSpace(netbios))
	ip = strings.TrimSpace(ip)
	if dns != "" {
		ref.Identifiers = append(ref.Identifiers, hostid.Parse(dns))
		ref.Name = dns
	}
	if netbios != "" {
		// NetBIOS names repeat across machines cloned from one image (the
		// sample report has three hosts named EC2AMAZ-N4OQ6HS): an
		// identifier only when there is no DNS name, an attribute always.
		if dns == "" {
			ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: model.IDHostname, Value: netbios})
			ref.Name = netbios
		}
	}
	if ip != "" {
		id := hostid.Parse(ip)
		if !hasID(ref.Identifiers, id) {
			ref.Identifiers = append(ref.Identifiers, id)
		}
		if ref.Name == "" {
			ref.Name = strings.ToLower(ip)
		}
	}
	if len(ref.Identifiers) == 0 {
		return ref, false
	}
	if os = strings.TrimSpace(os); os != "" {
		ref.Attributes = map[string]string{"os": os}
	}
	if netbios != "" {
		if ref.Attributes == nil {
			ref.Attributes = map[string]string{}
		}
		ref.Attributes["netbios"] = netbios
	}
	return ref, true
}

func hasID(ids []model.Identifier, id model.Identifier) bool {
	for _, have := range ids {
		if have == id {
			return true
		}
	}
	return false
}

// ---- text ----

var (
	tagRe   = regexp.MustCompile(`(?i)<\s*(br|p|li)\s*/?\s*>`)
	otherRe = regexp.MustCompile(`<[^>]{0,200}>`)
)

// plain turns Qualys' light HTML (<BR>, <P>, <A HREF=...>) into text.
func plain(s string) string {
	s = tagRe.ReplaceAllString(s, "\n")
	s = otherRe.ReplaceAllString(s, "")
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&amp;", "&").Replace(s)
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if strings.TrimSpace(l) == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

func joinText(parts ...string) string {
	return report.Truncate(nonempty.Join("\n\n", parts...), 16<<10)
}

func httpRefs(urls ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range urls {
		u = strings.TrimSpace(u)
		if (strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// ---- XML ----

type xVulnInfo struct {
	QID        xQID   `xml:"QID"`
	Type       string `xml:"TYPE"`
	Port       string `xml:"PORT"`
	Service    string `xml:"SERVICE"`
	FQDN       string `xml:"FQDN"`
	Protocol   string `xml:"PROTOCOL"`
	Result     string `xml:"RESULT"`
	Status     string `xml:"VULN_STATUS"`
	CVSSFinal  string `xml:"CVSS_FINAL"`
	CVSS3Final string `xml:"CVSS3_FINAL"`
}

type xQID struct {
	ID   string `xml:"id,attr"`
	Text string `xml:",chardata"`
}

type xHost struct {
	IP      string      `xml:"IP"`
	DNS     string      `xml:"DNS"`
	NetBIOS string      `xml:"NETBIOS"`
	OS      string      `xml:"OPERATING_SYSTEM"`
	Vulns   []xVulnInfo `xml:"VULN_INFO_LIST>VULN_INFO"`
}

type xCVE struct {
	ID  string `xml:"ID"`
	URL string `xml:"URL"`
}

type xVendorRef struct {
	ID  string `xml:"ID"`
	URL string `xml:"URL"`
}

type xDetails struct {
	ID         string       `xml:"id,attr"`
	Title      string       `xml:"TITLE"`
	Severity   string       `xml:"SEVERITY"`
	Category   string       `xml:"CATEGORY"`
	Threat     string       `xml:"THREAT"`
	Impact     string       `xml:"IMPACT"`
	Solution   string       `xml:"SOLUTION"`
	CVSSBase   string       `xml:"CVSS_SCORE>CVSS_BASE"`
	CVSS3Base  string       `xml:"CVSS3_SCORE>CVSS3_BASE"`
	CVEs       []xCVE       `xml:"CVE_ID_LIST>CVE_ID"`
	VendorRefs []xVendorRef `xml:"VENDOR_REFERENCE_LIST>VENDOR_REFERENCE"`
}

// detection is a VULN_INFO kept until the glossary (written after every
// host) gives its QID's title, severity and CVEs.
type detection struct {
	host     int
	qid      string // "qid_6"
	port     int
	protocol string
	service  string
	vhost    string
	typ      string
	result   string
}

func parseXML(ctx context.Context, r io.Reader, sink report.Sink) error {
	dec := xmlx.NewDecoder(r)
	var (
		hosts   []report.AssetRef
		pending []detection
		seen    = map[string]bool{}
		needed  = map[string]bool{}
		details = map[string]*xDetails{}
		stack   []string
		root    bool
	)
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
				if t.Name.Local != "ASSET_DATA_REPORT" {
					return xmlx.Errorf(dec, "expected an <ASSET_DATA_REPORT> root element, found <%s>", t.Name.Local)
				}
				root = true
			}
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			switch {
			case t.Name.Local == "HOST" && parent == "HOST_LIST":
				var h xHost
				if err := dec.DecodeElement(&h, &t); err != nil {
					return xmlx.TruncatedError(dec, err)
				}
				ref, ok := hostRef(h.IP, h.DNS, h.NetBIOS, h.OS)
				if !ok {
					continue
				}
				if err := sink.Asset(ref); err != nil {
					return err
				}
				hosts = append(hosts, ref)
				hi := len(hosts) - 1
				for _, v := range h.Vulns {
					if fixed(v.Status) {
						continue
					}
					qid := strings.TrimSpace(v.QID.ID)
					if qid == "" {
						qid = "qid_" + strings.TrimSpace(v.QID.Text)
					}
					port, _ := strconv.Atoi(strings.TrimSpace(v.Port))
					d := detection{
						host: hi, qid: qid, port: port,
						protocol: strings.ToLower(strings.TrimSpace(v.Protocol)),
						service:  strings.TrimSpace(v.Service),
						vhost:    strings.ToLower(strings.TrimSpace(v.FQDN)),
						typ:      strings.TrimSpace(v.Type),
						result:   report.Truncate(strings.TrimSpace(v.Result), 4096),
					}
					key := fmt.Sprintf("%d|%s|%d|%s|%s", hi, qid, port, d.protocol, d.vhost)
					if seen[key] {
						continue
					}
					seen[key] = true
					needed[qid] = true
					pending = append(pending, d)
				}
				continue
			case t.Name.Local == "VULN_DETAILS" && parent == "VULN_DETAILS_LIST":
				var d xDetails
				if err := dec.DecodeElement(&d, &t); err != nil {
					return xmlx.TruncatedError(dec, err)
				}
				// Keep only the QIDs some host has: the glossary can be large.
				if needed[d.ID] {
					details[d.ID] = &d
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
		return report.AtLine(1, 1, errors.New("expected a Qualys <ASSET_DATA_REPORT> XML document"))
	}
	for i, d := range pending {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := sink.Observe(xmlObservation(hosts[d.host], d, details[d.qid])); err != nil {
			return err
		}
	}
	return nil
}

func xmlObservation(asset report.AssetRef, d detection, det *xDetails) report.Observation {
	qid := strings.TrimPrefix(d.qid, "qid_")
	f := model.Finding{
		Kind:     model.KindVulnerability,
		Title:    "QID " + qid,
		Severity: model.SevInfo,
		Location: model.Location{Port: d.port, Protocol: d.protocol, Service: d.service},
	}
	toolSev := ""
	if det != nil {
		if t := strings.Join(strings.Fields(det.Title), " "); t != "" {
			f.Title = t
		}
		toolSev = strings.TrimSpace(det.Severity)
		if s, ok := severity(toolSev); ok {
			f.Severity = s
		}
		f.Description = joinText(plain(det.Threat), plain(det.Impact))
		f.Remediation = report.Truncate(plain(det.Solution), 16<<10)
		var ids, urls []string
		for _, c := range det.CVEs {
			ids = append(ids, c.ID)
			urls = append(urls, c.URL)
		}
		for _, v := range det.VendorRefs {
			urls = append(urls, v.URL)
		}
		f.VulnID, f.Aliases = report.VulnIDs(ids...)
		f.References = httpRefs(urls...)
		report.AddCVSS(&f, cvssVector(det.CVSS3Base, "", true))
		report.AddCVSS(&f, cvssVector(det.CVSSBase, "", false))
	}
	ev := d.result
	if d.vhost != "" {
		ev = strings.TrimSpace("Virtual host: " + d.vhost + "\n" + ev)
	}
	return report.Observation{
		Asset:        asset,
		ToolID:       qid,
		ToolSeverity: toolSev,
		Evidence:     report.Truncate(ev, 4096),
		Finding:      f,
	}
}

// ---- CSV ----

func parseCSV(ctx context.Context, r io.Reader, sink report.Sink) error {
	cr := csvx.NewReader(r)
	var (
		cols map[string]int
		kind string
	)
	// Qualys puts report metadata lines above the header row.
	for i := 0; ; i++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return report.AtLine(1, 1, errors.New("expected a Qualys CSV header with QID, Title and IP columns"))
		}
		if err != nil {
			return csvx.Error(cr, err, "")
		}
		cols = csvx.Header(rec)
		if kind = headerKind(cols); kind != "" {
			break
		}
		if i >= 50 {
			line, _ := cr.FieldPos(0)
			return report.AtLine(line, 1, errors.New("expected a Qualys CSV header with QID, Title and IP columns"))
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	seen := map[string]bool{}
	assets := map[string]bool{}
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
			return csvx.Error(cr, err, "")
		}
		qid := get(rec, "qid")
		if qid == "" || strings.EqualFold(qid, "qid") {
			continue // blank line, footer or a repeated header
		}
		hostname := get(rec, "dns")
		if hostname == "" {
			hostname = get(rec, "hostname")
		}
		os := get(rec, "os")
		if os == "" {
			os = get(rec, "operating system")
		}
		ref, ok := hostRef(get(rec, "ip"), hostname, get(rec, "netbios"), os)
		if !ok {
			continue
		}
		akey := ref.Name
		for _, id := range ref.Identifiers {
			akey += "|" + id.Value
		}
		if !assets[akey] {
			assets[akey] = true
			if err := sink.Asset(ref); err != nil {
				return err
			}
		}
		if fixed(get(rec, "vuln status")) {
			continue
		}
		port, _ := strconv.Atoi(get(rec, "port"))
		proto := strings.ToLower(get(rec, "protocol"))
		vhost := strings.ToLower(get(rec, "fqdn"))
		key := strings.Join([]string{akey, qid, strconv.Itoa(port), proto, vhost}, "|")
		if seen[key] {
			continue
		}
		seen[key] = true
		if err := sink.Observe(csvObservation(ref, rec, get, kind, qid, port, proto, vhost)); err != nil {
			return err
		}
	}
}

func csvObservation(asset report.AssetRef, rec []string, get func([]string, string) string, kind, qid string, port int, proto, vhost string) report.Observation {
	f := model.Finding{
		Kind:     model.KindVulnerability,
		Severity: model.SevInfo,
		Location: model.Location{Port: port, Protocol: proto},
	}
	var toolSev string
	if kind == "pci" {
		f.Title = get(rec, "vuln title")
		// SEVERITY is a word here; Q_SEVERITY is Qualys' 1-5 level.
		toolSev = get(rec, "q_severity")
		if toolSev == "" {
			toolSev = get(rec, "severity")
		}
		report.AddCVSS(&f, cvssVector(get(rec, "cvss_base"), get(rec, "cvss_temporal"), false))
	} else {
		f.Title = get(rec, "title")
		toolSev = get(rec, "severity")
		base, temporal := get(rec, "cvss3 base"), get(rec, "cvss3 temporal")
		if base == "" {
			base, temporal = get(rec, "cvss3.1 base"), get(rec, "cvss3.1 temporal")
		}
		report.AddCVSS(&f, cvssVector(base, temporal, true))
		report.AddCVSS(&f, cvssVector(get(rec, "cvss base"), get(rec, "cvss temporal"), false))
	}
	f.Title = strings.Join(strings.Fields(f.Title), " ")
	if f.Title == "" {
		f.Title = "QID " + qid
	}
	if s, ok := severity(toolSev); ok {
		f.Severity = s
	}
	f.Description = joinText(plain(get(rec, "threat")), plain(get(rec, "impact")))
	f.Remediation = report.Truncate(plain(get(rec, "solution")), 16<<10)
	cveCol := get(rec, "cve id")
	if cveCol == "" {
		cveCol = get(rec, "cveid")
	}
	var ids []string
	for _, c := range strings.FieldsFunc(cveCol, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if report.IsCVE(c) {
			ids = append(ids, c)
		}
	}
	f.VulnID, f.Aliases = report.VulnIDs(ids...)
	ev := get(rec, "results")
	if ev == "" {
		ev = get(rec, "result")
	}
	if vhost != "" {
		ev = strings.TrimSpace("Virtual host: " + vhost + "\n" + ev)
	}
	return report.Observation{
		Asset:        asset,
		ToolID:       qid,
		ToolSeverity: toolSev,
		Evidence:     report.Truncate(ev, 4096),
		Finding:      f,
	}
}
