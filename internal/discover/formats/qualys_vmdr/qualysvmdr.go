// Package qualysvmdr parses Qualys VMDR "Asset Vuln Datalist" CSV exports,
// in both their QID-centric and CVE-centric layouts. Each row is one
// detection on one asset: a host observation of a vulnerability.
package qualysvmdr

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/csvx"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/hostid"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the Qualys VMDR CSV parser.
type Format struct{}

// New returns the Qualys VMDR format.
func New() report.Format { return Format{} }

// Name implements report.Format.
func (Format) Name() string { return "qualys_vmdr" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string {
	return "Qualys VMDR Asset Vuln Datalist CSV export (QID or CVE layout)"
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// maxPreamble bounds the metadata lines Qualys writes above the header.
const maxPreamble = 20

// Detect looks for the VMDR header row (QID plus the Asset Id / Asset IPV4
// columns) within the first lines.
func (Format) Detect(head []byte) int {
	head = bytes.TrimPrefix(head, bom)
	lines := bytes.Split(head, []byte("\n"))
	for i, line := range lines {
		if i > maxPreamble {
			break
		}
		if i == len(lines)-1 && len(lines) > 1 && len(head) >= report.DetectBytes {
			break // cut by the head limit
		}
		if !csvx.ContainsFold(line, "qid") {
			continue // a header names the QID column (layout)
		}
		rec := splitLine(string(bytes.TrimRight(line, "\r")))
		if layout(csvx.Header(rec)) != "" {
			return 90
		}
	}
	return 0
}

// splitLine parses one CSV line, unwrapping Qualys' "non-standard" rows
// where a whole record is one quoted field ("QID,""Title"",...").
func splitLine(line string) []string {
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	rec, err := r.Read()
	if err != nil {
		return nil
	}
	return unwrap(rec)
}

func unwrap(rec []string) []string {
	if len(rec) == 1 && strings.Contains(rec[0], ",") {
		r := csv.NewReader(strings.NewReader(rec[0]))
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		if inner, err := r.Read(); err == nil && len(inner) > 1 {
			return inner
		}
	}
	return rec
}

// layout says "cve" or "qid" for a VMDR header row, "" otherwise.
func layout(cols map[string]int) string {
	has := func(n string) bool { _, ok := cols[n]; return ok }
	if !has("qid") || !has("title") || !(has("asset id") || has("asset ipv4")) {
		return ""
	}
	if has("cve") {
		return "cve"
	}
	return "qid"
}

// Parse implements report.Format.
func (Format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, bom) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	var cols map[string]int
	kind := ""
	for i := 0; kind == ""; i++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return report.AtLine(1, 1, errors.New("expected a Qualys VMDR CSV header with QID, Title and Asset columns"))
		}
		if err != nil {
			return csvx.Error(cr, err, "")
		}
		cols = csvx.Header(unwrap(rec))
		kind = layout(cols)
		if kind == "" && i >= maxPreamble {
			line, _ := cr.FieldPos(0)
			return report.AtLine(line, 1, errors.New("expected a Qualys VMDR CSV header with QID, Title and Asset columns"))
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			v := strings.TrimSpace(rec[i])
			if v == "'-" || v == "-" {
				return "" // Qualys' "no value"
			}
			return v
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
		raw, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvx.Error(cr, err, "")
		}
		rec := unwrap(raw)
		qid := get(rec, "qid")
		if qid == "" || strings.EqualFold(qid, "qid") {
			continue
		}
		asset, ok := assetRef(rec, get)
		if !ok {
			continue
		}
		akey := asset.Name + "|" + get(rec, "asset id")
		for _, id := range asset.Identifiers {
			akey += "|" + id.Value
		}
		if !assets[akey] {
			assets[akey] = true
			if err := sink.Asset(asset); err != nil {
				return err
			}
		}
		// A FIXED detection is left out so that the lifecycle closes the
		// finding; the asset above still counts as covered.
		if strings.EqualFold(get(rec, "status"), "fixed") {
			continue
		}
		o := observation(asset, rec, get, kind, qid)
		key := strings.Join([]string{akey, qid, o.Finding.VulnID, strconv.Itoa(o.Finding.Location.Port), o.Finding.Location.Protocol}, "|")
		if seen[key] {
			continue
		}
		seen[key] = true
		if err := sink.Observe(o); err != nil {
			return err
		}
	}
}

func assetRef(rec []string, get func([]string, string) string) (report.AssetRef, bool) {
	ref := report.AssetRef{Kind: model.AssetHost}
	name := strings.ToLower(strings.TrimSuffix(get(rec, "asset name"), "."))
	if name != "" {
		ref.Name = name
		if id, ok := nameIdentifier(name); ok {
			ref.Identifiers = append(ref.Identifiers, id)
		}
	}
	for _, field := range []string{"asset ipv4", "asset ipv6"} {
		for _, ip := range strings.Split(get(rec, field), ",") {
			id, ok := hostid.Address(strings.TrimSpace(ip))
			if !ok {
				continue
			}
			ref.Identifiers = append(ref.Identifiers, id)
			if ref.Name == "" {
				ref.Name = id.Value
			}
		}
	}
	attrs := map[string]string{}
	if v := get(rec, "asset id"); v != "" {
		attrs["qualys_asset_id"] = v
	}
	if v := get(rec, "operating system"); v != "" {
		attrs["os"] = v
	}
	if v := get(rec, "asset tags"); v != "" {
		attrs["tags"] = v
	}
	if len(ref.Identifiers) == 0 {
		return ref, false
	}
	if len(attrs) > 0 {
		ref.Attributes = attrs
	}
	return ref, true
}

var hostnameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$`)

// nameIdentifier turns the asset name into a hostname or FQDN when it is
// one (VMDR names can be free text set by users).
func nameIdentifier(name string) (model.Identifier, bool) {
	if id, ok := hostid.Address(name); ok {
		return id, true
	}
	if !hostnameRe.MatchString(name) || strings.Trim(name, "0123456789.") == "" {
		return model.Identifier{}, false
	}
	return hostid.Name(name), true
}

func severity(level string) model.Severity {
	switch strings.TrimSpace(level) {
	case "1":
		return model.SevInfo
	case "2":
		return model.SevLow
	case "3":
		return model.SevMedium
	case "4":
		return model.SevHigh
	case "5":
		return model.SevCritical
	}
	return report.SeverityOr(level, model.SevInfo)
}

var (
	tagRe   = regexp.MustCompile(`(?i)<\s*(br|p|li)\s*/?\s*>`)
	otherRe = regexp.MustCompile(`<[^>]{0,200}>`)
)

// plain drops Qualys' light HTML (<P>, <BR>, <A ...>).
func plain(s string) string {
	s = tagRe.ReplaceAllString(s, "\n")
	s = otherRe.ReplaceAllString(s, "")
	return strings.TrimSpace(s)
}

func observation(asset report.AssetRef, rec []string, get func([]string, string) string, kind, qid string) report.Observation {
	port, _ := strconv.Atoi(get(rec, "port"))
	proto := strings.ToLower(get(rec, "protocol"))
	if port == 0 && proto != "" && proto != "tcp" && proto != "udp" {
		proto = ""
	}
	f := model.Finding{
		Kind:        model.KindVulnerability,
		Title:       strings.Join(strings.Fields(get(rec, "title")), " "),
		Severity:    severity(get(rec, "severity")),
		Remediation: report.Truncate(plain(get(rec, "solution")), 16<<10),
		Location:    model.Location{Port: port, Protocol: proto},
	}
	if f.Title == "" {
		f.Title = "QID " + qid
	}
	var desc []string
	if kind == "cve" {
		cve := get(rec, "cve")
		f.VulnID, f.Aliases = report.VulnIDs(cve)
		if d := plain(get(rec, "cve-description")); d != "" {
			desc = append(desc, cve+": "+d)
		}
	}
	if d := plain(get(rec, "threat")); d != "" {
		desc = append(desc, d)
	}
	f.Description = report.Truncate(strings.Join(desc, "\n\n"), 16<<10)
	return report.Observation{
		Asset:        asset,
		ToolID:       qid,
		ToolSeverity: get(rec, "severity"),
		Evidence:     report.Truncate(plain(get(rec, "results")), 4096),
		Finding:      f,
	}
}
