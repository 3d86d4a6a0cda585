package tenable

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// CSV dialects: the column sets of the products' exports.
const (
	dialectNone   = iota
	dialectNessus // Nessus: "Plugin ID","CVE","CVSS","Risk","Host","Protocol","Port","Name",... (also WAS)
	dialectSC     // Tenable.sc: "Plugin","Plugin Name","Family","Severity","IP Address",...
	dialectIO     // Tenable.io / VM export: "asset.*", "definition.*", ... (often ';'-separated)
)

// headerColumns splits a header line on ',' or ';', whichever it uses more.
func headerColumns(line []byte) ([]string, bool) {
	line = bytes.TrimRight(line, "\r")
	if len(line) == 0 {
		return nil, false
	}
	r := csv.NewReader(bytes.NewReader(line))
	r.Comma = delimiter(line)
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return nil, false
	}
	cols := make([]string, len(rec))
	for i, c := range rec {
		cols[i] = strings.ToLower(strings.TrimSpace(c))
	}
	return cols, true
}

func delimiter(line []byte) rune {
	if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
		return ';'
	}
	return ','
}

func csvDialect(cols []string) int {
	has := map[string]bool{}
	asset := false
	for _, c := range cols {
		has[c] = true
		if strings.HasPrefix(c, "asset.") {
			asset = true
		}
	}
	switch {
	case has["plugin id"] && has["host"] && (has["risk"] || has["name"]) && (has["synopsis"] || has["plugin output"] || has["description"]):
		return dialectNessus
	case has["definition.id"] && asset:
		return dialectIO
	case has["plugin"] && has["plugin name"] && (has["ip address"] || has["dns name"]) && (has["severity"] || has["family"]):
		return dialectSC
	}
	return dialectNone
}

// columns finds values by header name, case-insensitively.
type columns map[string]int

// get returns the first non-empty value among the named columns.
func (c columns) get(rec []string, names ...string) string {
	for _, n := range names {
		if i, ok := c[n]; ok && i < len(rec) {
			if v := strings.TrimSpace(rec[i]); v != "" {
				return v
			}
		}
	}
	return ""
}

func parseCSV(ctx context.Context, br *bufio.Reader, sink report.Sink) error {
	head, _ := br.Peek(64 << 10)
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	r := csv.NewReader(br)
	r.Comma = delimiter(line)
	r.FieldsPerRecord = -1
	// Tenable quotes its fields properly; strict quoting lets a truncated
	// export fail with a position instead of swallowing the rest as a field.
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return csvError(err)
	}
	cols := columns{}
	names := make([]string, len(header))
	for i, h := range header {
		n := strings.ToLower(strings.TrimSpace(h))
		names[i] = n
		if _, dup := cols[n]; !dup {
			cols[n] = i
		}
	}
	dialect := csvDialect(names)
	if dialect == dialectNone {
		return report.AtLine(1, 1, fmt.Errorf("not a Tenable CSV export: expected a header with Plugin ID/Plugin, Name/Plugin Name and Host/IP Address columns (or Tenable.io definition.* and asset.* columns)"))
	}
	m := newMerger(sink)
	seenAssets := map[string]bool{}
	rows := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return csvError(err)
		}
		rows++
		if rows%512 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := csvRow(cols, rec, m, seenAssets); err != nil {
			return err
		}
	}
	return m.flush()
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return report.AtLine(pe.Line, pe.Column, fmt.Errorf("reading Tenable CSV: %w", err))
	}
	if errors.Is(err, io.EOF) {
		return report.AtLine(1, 1, errors.New("empty input: expected a Tenable CSV header"))
	}
	return report.AtLine(0, 0, fmt.Errorf("reading Tenable CSV: %w", err))
}

func csvRow(c columns, rec []string, m *merger, seenAssets map[string]bool) error {
	title := c.get(rec, "name", "plugin name", "definition.name")
	if title == "" {
		// Exports pad with empty rows; DefectDojo skips them too.
		return nil
	}
	protocol := strings.ToLower(c.get(rec, "protocol"))
	web := protocol == "http" || protocol == "https"
	port := 0
	if p, err := strconv.Atoi(c.get(rec, "port", "asset.port")); err == nil && p > 0 && p < 65536 {
		port = p
	}

	var b assetBuilder
	host := c.get(rec, "host")
	if web && host != "" {
		u := host
		if !strings.Contains(u, "://") {
			u = protocol + "://" + host
			if port != 0 && !((protocol == "http" && port == 80) || (protocol == "https" && port == 443)) {
				u += ":" + strconv.Itoa(port)
			}
		}
		b.addURL(u)
	} else {
		b.addHost(host)
	}
	for _, v := range splitList(c.get(rec, "ip address", "ip", "asset.display_ipv4_address", "asset.ipv4")) {
		b.addIP(v)
	}
	for _, v := range splitList(c.get(rec, "asset.display_ipv6_address", "asset.ipv6")) {
		b.addIP(v)
	}
	for _, v := range splitList(c.get(rec, "dns name", "fqdn", "asset.display_fqdn", "asset.fqdn")) {
		b.addName(v)
	}
	b.addName(c.get(rec, "asset.host_name", "hostname"))
	b.addName(c.get(rec, "netbios name", "netbios", "asset.netbios_name"))
	b.addMACs(c.get(rec, "mac address", "asset.display_mac_address", "asset.mac_address"))
	b.attr("os", firstLine(c.get(rec, "operating system", "asset.operating_system")))
	b.attr("tenable_asset_id", c.get(rec, "asset.id", "asset uuid"))
	asset, ok := b.done()
	if !ok {
		// A row that names no host cannot be attached to an asset.
		return nil
	}
	key := assetKey(asset)
	if !seenAssets[key] {
		seenAssets[key] = true
		if err := m.sink.Asset(asset); err != nil {
			return err
		}
	}
	// Tenable.io exports include remediated results; they are not current
	// findings, but the asset they name was scanned.
	if strings.EqualFold(c.get(rec, "state"), "fixed") {
		return nil
	}

	sevWord := c.get(rec, "risk", "severity", "risk factor", "definition.severity")
	e := entry{
		pluginID:     c.get(rec, "plugin id", "plugin", "definition.id"),
		title:        title,
		family:       c.get(rec, "family", "plugin family", "definition.family"),
		toolSeverity: sevWord,
		severity:     severityWord(sevWord),
		web:          web,
		port:         port,
		protocol:     protocol,
		synopsis:     c.get(rec, "synopsis", "definition.synopsis"),
		// Some Tenable.io exports leave the description column unnamed.
		description: c.get(rec, "description", "definition.description", ""),
		solution:    c.get(rec, "solution", "steps to remediate", "definition.solution"),
		output:      c.get(rec, "plugin output", "plugin text", "output"),
		cves:        report.FindCVEs(c.get(rec, "cve", "definition.cve")),
		cpe:         c.get(rec, "cpe", "definition.cpe"),
	}
	e.toolID = e.pluginID
	if e.toolID == "" {
		e.toolID = title
	}
	if sa := c.get(rec, "see also", "definition.see_also"); sa != "" {
		e.seeAlso = []string{sa}
	}
	e.cwes = cwesIn(c.get(rec, "cross references", "xref", "definition.xrefs"))
	for _, v := range splitList(c.get(rec, "cwe", "definition.cwe")) {
		if n, ok := report.ParseCWE(v); ok {
			e.cwes = appendInt(e.cwes, n)
		}
	}
	for _, names := range [][]string{
		{"cvss v3 vector", "cvss3 vector", "cvss v3.0 vector", "definition.cvss3.base_vector"},
		{"cvss v2 vector", "cvss vector", "definition.cvss2.base_vector"},
		{"cvss v4 vector", "definition.cvss4.base_vector"},
	} {
		if v := c.get(rec, names...); v != "" {
			e.vectors = append(e.vectors, v)
		}
	}
	if asset.Kind == model.AssetWebApp {
		e.url = asset.Name
	} else {
		e.web = false
	}
	o := e.observation(asset, m.cvss)
	return m.add(mergeKey(key, &o), o)
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}
