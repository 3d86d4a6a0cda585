// Package generic parses DefectDojo's "Generic Findings Import": the JSON
// document {"findings": [...]} whose finding fields are DefectDojo's own,
// and the CSV with Date, Title, CweId, Url, Severity, Description...
// columns. Fields map one to one onto ctem's finding; each endpoint of a
// finding is an asset (a web application for http(s) URLs, a host
// otherwise) and a finding without endpoints lands on an unnamed
// repository that the pipeline names after the import.
package generic

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/csvx"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/hostid"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/jsonx"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the DefectDojo generic findings parser.
type Format struct{}

// New returns the DefectDojo generic findings format.
func New() report.Format { return Format{} }

// Name implements report.Format. The name says where the layout comes
// from: ctem's own import format is a different one named "ctem".
func (Format) Name() string { return "defectdojo_generic" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string {
	return "DefectDojo Generic Findings Import (JSON or CSV)"
}

// allowed are the finding keys DefectDojo accepts; it rejects any other,
// and so does ctem (a typo would otherwise drop data silently).
var allowed = map[string]bool{
	"title": true, "severity": true, "description": true,
	"date": true, "cwe": true, "cve": true, "epss_score": true, "epss_percentile": true,
	"cvssv3": true, "cvssv3_score": true, "cvssv4": true, "cvssv4_score": true,
	"mitigation": true, "impact": true, "steps_to_reproduce": true, "severity_justification": true,
	"references": true, "active": true, "verified": true, "false_p": true, "out_of_scope": true,
	"risk_accepted": true, "under_review": true, "is_mitigated": true, "thread_id": true,
	"mitigated": true, "numerical_severity": true, "param": true, "payload": true, "line": true,
	"file_path": true, "component_name": true, "component_version": true, "static_finding": true,
	"dynamic_finding": true, "scanner_confidence": true, "unique_id_from_tool": true,
	"vuln_id_from_tool": true, "sast_source_object": true, "sast_sink_object": true,
	"sast_source_line": true, "sast_source_file_path": true, "nb_occurences": true,
	"publish_date": true, "service": true, "planned_remediation_date": true,
	"planned_remediation_version": true, "effort_for_fixing": true, "tags": true, "kev_date": true,
	"known_exploited": true, "ransomware_used": true, "fix_available": true, "fix_version": true,
	// Not finding fields, but DefectDojo takes them off the finding first.
	"endpoints": true, "files": true, "vulnerability_ids": true, "cwes": true,
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// Detect recognizes the JSON by a "findings" array whose first finding has
// only DefectDojo's keys (title among them), and the CSV by its header.
func (Format) Detect(head []byte) int {
	head = bytes.TrimPrefix(head, bom)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return 0
	}
	if trimmed[0] == '{' {
		if !bytes.Contains(head, []byte(`"findings"`)) {
			return 0 // cheap refusal: detection runs every format on every file
		}
		return detectJSON(head)
	}
	if trimmed[0] == '[' || trimmed[0] == '<' {
		return 0
	}
	line, _, _ := bytes.Cut(trimmed, []byte("\n"))
	cols := csvx.Header(csvx.ReadLine(string(bytes.TrimRight(line, "\r"))))
	if _, ok := cols["title"]; !ok {
		return 0
	}
	score := 0
	for _, c := range []string{"severity", "description", "date"} {
		if _, ok := cols[c]; ok {
			score++
		}
	}
	extra := 0
	for _, c := range []string{"cweid", "url", "mitigation", "impact", "references", "active", "verified", "falsepositive", "duplicate", "vulnerability id", "ismitigated", "mitigateddate"} {
		if _, ok := cols[c]; ok {
			extra++
		}
	}
	switch {
	case score == 3 && extra >= 2:
		return 80
	case score >= 2 && extra >= 1:
		return 60
	}
	return 0
}

// detectJSON walks the head token by token to the first finding and checks
// its keys, tolerating a head cut anywhere.
func detectJSON(head []byte) int {
	dec := json.NewDecoder(bytes.NewReader(head))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return 0
		}
		key, _ := tok.(string)
		if key == "ctem" {
			return 0 // ctem's own findings format
		}
		if key != "findings" {
			if jsonx.SkipValue(dec) != nil {
				return 0
			}
			continue
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return 0
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return 0 // empty or not objects: nothing to go by
		}
		seen := map[string]bool{}
		unknown := 0
		for {
			tok, err := dec.Token()
			if err != nil || tok == json.Delim('}') {
				break
			}
			k, ok := tok.(string)
			if !ok {
				return 0
			}
			if !allowed[k] {
				unknown++
			}
			seen[k] = true
			if jsonx.SkipValue(dec) != nil {
				break
			}
		}
		if unknown > 0 {
			// One or two stray keys beside DefectDojo's own: most likely a
			// hand-made file with a typo. Claim it weakly so that Parse
			// names the bad field. Other tools' findings (AWS Inspector's
			// also have title and severity) carry many more keys of their
			// own.
			if seen["title"] && seen["severity"] && seen["description"] && unknown <= 2 && len(seen)-unknown >= 3 {
				return 20
			}
			return 0
		}
		switch {
		case seen["title"] && seen["severity"] && seen["description"]:
			return 85
		case seen["title"] && seen["severity"]:
			return 70
		case seen["title"]:
			return 50
		}
		return 0
	}
	return 0
}

// Parse implements report.Format.
func (Format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, bom) {
		_, _ = br.Discard(3)
	}
	head, _ := br.Peek(512)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return report.Errorf(0, "empty input: expected a DefectDojo generic findings JSON or CSV file")
	}
	p := &parser{sink: sink, assets: map[string]bool{}, seen: map[string]bool{}}
	if trimmed[0] == '{' {
		return p.parseJSON(ctx, br)
	}
	return p.parseCSV(ctx, br)
}

// item is one finding in either layout, normalized.
type item struct {
	title, severity, description string
	impact, mitigation           string
	references                   string
	cwes                         []string
	ids                          []string // cve first, then vulnerability_ids
	cvss                         []string
	component, version, fix      string
	file                         string
	line                         int
	param, payload, service      string
	toolID, ruleID               string
	endpoints                    []endpoint
	fixed                        bool
}

type endpoint struct {
	asset report.AssetRef
	loc   model.Location
}

type parser struct {
	sink   report.Sink
	assets map[string]bool // asset keys already reported
	seen   map[string]bool // observation keys (CSV rows merged like DefectDojo's)
}

func assetKey(a report.AssetRef) string {
	k := string(a.Kind) + "|" + a.Name
	for _, id := range a.Identifiers {
		k += "|" + string(id.Kind) + "=" + id.Value
	}
	return k
}

// emit reports the item's assets and, unless the item is fixed, one
// observation per asset. dedup, when set, merges items with the same key
// on the same asset (the CSV's repeated rows).
func (p *parser) emit(it *item, dedup string) error {
	eps := it.endpoints
	if len(eps) == 0 {
		eps = []endpoint{{asset: report.AssetRef{Kind: model.AssetRepository}}}
	}
	done := map[string]bool{}
	for _, ep := range eps {
		ak := assetKey(ep.asset)
		if !p.assets[ak] {
			p.assets[ak] = true
			if err := p.sink.Asset(ep.asset); err != nil {
				return err
			}
		}
		// A finding the file marks mitigated or false positive is not
		// observed: its asset is covered, so the lifecycle closes it if
		// ctem had it open. "active": false alone is not enough: DefectDojo
		// exports write it for findings nobody has triaged yet.
		if it.fixed || done[ak] {
			continue
		}
		done[ak] = true
		if dedup != "" {
			k := ak + "|" + dedup
			if p.seen[k] {
				continue
			}
			p.seen[k] = true
		}
		if err := p.sink.Observe(p.observation(it, ep)); err != nil {
			return err
		}
	}
	return nil
}

var urlRe = regexp.MustCompile(`https?://[^\s<>"')\]]+`)

func (p *parser) observation(it *item, ep endpoint) report.Observation {
	f := model.Finding{
		Title:       strings.TrimSpace(it.title),
		Severity:    report.SeverityOr(it.severity, model.SevInfo),
		RuleID:      strings.TrimSpace(it.ruleID),
		Remediation: report.Truncate(strings.TrimSpace(it.mitigation), 16<<10),
		Component: model.Component{
			Name:         strings.TrimSpace(it.component),
			Version:      strings.TrimSpace(it.version),
			FixedVersion: strings.TrimSpace(it.fix),
		},
		Location: ep.loc,
	}
	desc := strings.TrimSpace(it.description)
	if imp := strings.TrimSpace(it.impact); imp != "" {
		desc = strings.TrimSpace(desc + "\n\nImpact: " + imp)
	}
	f.Description = report.Truncate(desc, 16<<10)
	for _, c := range it.cwes {
		report.AddCWE(&f, c)
	}
	f.VulnID, f.Aliases = report.VulnIDs(it.ids...)
	for _, v := range it.cvss {
		report.AddCVSS(&f, v)
	}
	seenRef := map[string]bool{}
	for _, u := range urlRe.FindAllString(it.references, -1) {
		u = strings.TrimRight(u, ".,;")
		if !seenRef[u] {
			seenRef[u] = true
			f.References = append(f.References, u)
		}
	}
	f.Location.File = strings.TrimSpace(it.file)
	if it.line > 0 {
		f.Location.Line = it.line
	}
	if it.param != "" {
		f.Location.Param = it.param
	}
	if it.service != "" && f.Location.Service == "" {
		f.Location.Service = it.service
	}
	switch {
	case f.VulnID != "" || f.Component.Name != "":
		f.Kind = model.KindVulnerability
	case f.Location.File != "":
		f.Kind = model.KindCodeWeakness
	case ep.asset.Kind == model.AssetWebApp:
		f.Kind = model.KindWebWeakness
	default:
		f.Kind = model.KindVulnerability
	}
	if f.Title == "" {
		f.Title = f.VulnID
	}
	toolID := strings.TrimSpace(it.toolID)
	if toolID == "" {
		toolID = f.RuleID
	}
	if toolID == "" {
		toolID = f.VulnID
	}
	if toolID == "" {
		// Hand-written files often have nothing else to name the issue.
		toolID = f.Title
	}
	return report.Observation{
		Asset:        ep.asset,
		ToolID:       toolID,
		ToolSeverity: it.severity,
		Evidence:     report.Truncate(strings.TrimSpace(it.payload), 4096),
		Finding:      f,
	}
}

// ---- endpoints ----

// parseEndpoint reads DefectDojo's endpoint forms: a URL, "host",
// "host:port", "host/path", or an object {host, port, protocol, path...}.
func parseEndpoint(raw json.RawMessage) (endpoint, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return endpointFromString(s)
	}
	var o struct {
		Protocol string `json:"protocol"`
		Host     string `json:"host"`
		Port     any    `json:"port"`
		Path     string `json:"path"`
		Query    string `json:"query"`
		Fragment string `json:"fragment"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || strings.TrimSpace(o.Host) == "" {
		return endpoint{}, false
	}
	port := 0
	switch v := o.Port.(type) {
	case float64:
		port = int(v)
	case string:
		port, _ = strconv.Atoi(strings.TrimSpace(v))
	}
	return build(strings.ToLower(strings.TrimSpace(o.Protocol)), strings.TrimSpace(o.Host), port, o.Path, o.Query, o.Fragment, "")
}

func endpointFromString(s string) (endpoint, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return endpoint{}, false
	}
	raw := s
	if !strings.Contains(s, "://") {
		s = "//" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return endpoint{}, false
	}
	port, _ := strconv.Atoi(u.Port())
	return build(strings.ToLower(u.Scheme), u.Hostname(), port, u.Path, u.RawQuery, u.Fragment, raw)
}

func build(scheme, host string, port int, path, query, fragment, raw string) (endpoint, bool) {
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" || port < 0 || port > 65535 {
		return endpoint{}, false
	}
	hostPart := host
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() && !a.Is4In6() {
		hostPart = "[" + host + "]"
	}
	if scheme == "http" || scheme == "https" {
		origin := scheme + "://" + hostPart
		if port != 0 && !(scheme == "http" && port == 80) && !(scheme == "https" && port == 443) {
			origin += ":" + strconv.Itoa(port)
		}
		full := origin + "/" + strings.TrimPrefix(path, "/")
		if query != "" {
			full += "?" + query
		}
		if port == 0 {
			port = 80
			if scheme == "https" {
				port = 443
			}
		}
		return endpoint{
			asset: report.AssetRef{
				Kind:        model.AssetWebApp,
				Name:        origin,
				Identifiers: []model.Identifier{{Kind: model.IDURL, Value: origin}},
			},
			loc: model.Location{URL: full, Port: port, Protocol: scheme},
		}, true
	}
	ref := report.AssetRef{Kind: model.AssetHost, Name: host, Identifiers: []model.Identifier{hostid.Of(host)}}
	loc := model.Location{Port: port, Protocol: scheme}
	if p := strings.Trim(path, "/"); p != "" {
		// A path without a web scheme: keep it as written.
		loc.URL = raw
		if loc.URL == "" {
			loc.URL = hostPart + "/" + p
		}
	}
	return endpoint{asset: ref, loc: loc}, true
}

// ---- JSON ----

func (p *parser) parseJSON(ctx context.Context, r io.Reader) error {
	js := report.NewJSONStream(r)
	found := false
	err := js.Object(func(key string) error {
		if key != "findings" {
			return js.Skip()
		}
		found = true
		return js.Array(func(i int) error {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			start := js.Offset()
			var raw map[string]json.RawMessage
			if err := js.Decode(&raw); err != nil {
				return err
			}
			it, err := fromJSON(raw)
			if err != nil {
				return report.Errorf(start, "finding %d: %v", i, err)
			}
			return p.emit(it, "")
		})
	})
	if err != nil {
		return err
	}
	if err := js.End(); err != nil {
		return err
	}
	if !found {
		return report.Errorf(js.Offset(), `expected a "findings" array`)
	}
	return nil
}

func fromJSON(raw map[string]json.RawMessage) (*item, error) {
	var missing, extra []string
	for _, k := range []string{"description", "severity", "title"} {
		if _, ok := raw[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("required fields are missing: %s", strings.Join(missing, ", "))
	}
	for k := range raw {
		if !allowed[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("fields not allowed in a generic finding: %s", strings.Join(extra, ", "))
	}
	str := func(k string) string { return jsonString(raw[k]) }
	it := &item{
		title:       str("title"),
		severity:    str("severity"),
		description: str("description"),
		impact:      str("impact"),
		mitigation:  str("mitigation"),
		references:  str("references"),
		component:   str("component_name"),
		version:     str("component_version"),
		fix:         str("fix_version"),
		file:        str("file_path"),
		param:       str("param"),
		payload:     str("payload"),
		service:     str("service"),
		toolID:      str("unique_id_from_tool"),
		ruleID:      str("vuln_id_from_tool"),
	}
	if it.fix == "" {
		it.fix = str("planned_remediation_version")
	}
	if n, err := strconv.Atoi(strings.TrimSpace(str("line"))); err == nil && n > 0 {
		it.line = n
	}
	if c := str("cwe"); c != "" {
		it.cwes = append(it.cwes, c)
	}
	for _, c := range jsonList(raw["cwes"]) {
		it.cwes = append(it.cwes, c)
	}
	if c := str("cve"); c != "" {
		it.ids = append(it.ids, c)
	}
	it.ids = append(it.ids, jsonList(raw["vulnerability_ids"])...)
	for _, k := range []string{"cvssv3", "cvssv4"} {
		if v := str(k); v != "" {
			it.cvss = append(it.cvss, v)
		}
	}
	if epRaw, ok := raw["endpoints"]; ok {
		var list []json.RawMessage
		if err := json.Unmarshal(epRaw, &list); err != nil {
			return nil, fmt.Errorf("endpoints: expected a list")
		}
		for _, e := range list {
			if ep, ok := parseEndpoint(e); ok {
				it.endpoints = append(it.endpoints, ep)
			}
		}
	}
	it.fixed = jsonBool(raw["is_mitigated"]) == yes || jsonBool(raw["false_p"]) == yes
	return it, nil
}

// jsonString reads a string, or a number / boolean as its text.
func jsonString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	if raw[0] == '{' || raw[0] == '[' {
		return ""
	}
	return string(raw)
}

func jsonList(raw json.RawMessage) []string {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		if s := jsonString(raw); s != "" {
			return []string{s}
		}
		return nil
	}
	var out []string
	for _, v := range list {
		if s := strings.TrimSpace(jsonString(v)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

type tristate int

const (
	unset tristate = iota
	yes
	no
)

func jsonBool(raw json.RawMessage) tristate {
	return parseBool(jsonString(raw))
}

// parseBool reads DefectDojo's booleans the way it does: a value starting
// with "t" is true.
func parseBool(s string) tristate {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return unset
	case strings.HasPrefix(s, "t"), s == "1", s == "yes":
		return yes
	}
	return no
}

// ---- CSV ----

func (p *parser) parseCSV(ctx context.Context, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return csvx.Error(cr, err, "a generic findings CSV header")
	}
	cols := csvx.Header(head)
	if _, ok := cols["title"]; !ok {
		return report.AtLine(1, 1, errors.New(`expected a generic findings CSV header with a "Title" column`))
	}
	get := func(rec []string, name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
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
			return csvx.Error(cr, err, "a generic findings CSV header")
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		it := &item{
			title:       get(rec, "title"),
			severity:    get(rec, "severity"),
			description: get(rec, "description"),
			impact:      get(rec, "impact"),
			mitigation:  get(rec, "mitigation"),
			references:  get(rec, "references"),
			fix:         get(rec, "fix_version"),
			component:   get(rec, "component name"),
			version:     get(rec, "component version"),
			file:        get(rec, "file path"),
		}
		if c := get(rec, "cweid"); c != "" {
			it.cwes = append(it.cwes, c)
		}
		for _, c := range strings.FieldsFunc(get(rec, "cweids"), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			it.cwes = append(it.cwes, c)
		}
		for _, c := range []string{"cve", "vulnerability id"} {
			if v := get(rec, c); v != "" {
				it.ids = append(it.ids, v)
			}
		}
		for _, c := range []string{"cvssv3", "cvssv4"} {
			if v := get(rec, c); v != "" {
				it.cvss = append(it.cvss, v)
			}
		}
		if u := get(rec, "url"); u != "" {
			if ep, ok := endpointFromString(u); ok {
				it.endpoints = append(it.endpoints, ep)
			}
		}
		it.fixed = parseBool(get(rec, "ismitigated")) == yes || parseBool(get(rec, "falsepositive")) == yes
		// Rows with the same severity, title and description on the same
		// asset are one finding (DefectDojo merges them the same way).
		key := strings.Join([]string{it.severity, it.title, it.description}, "\x00")
		if err := p.emit(it, key); err != nil {
			return err
		}
	}
}
