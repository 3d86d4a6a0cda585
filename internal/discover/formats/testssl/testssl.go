// Package testssl parses testssl.sh results: the CSV file (--csvfile), the
// flat JSON (--jsonfile) and the pretty JSON (--jsonfile-pretty). Every
// check that testssl.sh does not rate OK becomes an observation on the
// scanned host's TLS port: a vulnerability when testssl.sh names CVEs for
// the check, a misconfiguration otherwise.
package testssl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/csvx"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/hostid"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the testssl.sh parser.
type Format struct{}

// New returns the testssl.sh format.
func New() report.Format { return Format{} }

// Name implements report.Format.
func (Format) Name() string { return "testssl" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string { return "testssl.sh results (CSV, JSON or pretty JSON)" }

var bom = []byte{0xEF, 0xBB, 0xBF}

var (
	flatKeys = []*regexp.Regexp{
		regexp.MustCompile(`"id"\s*:`), regexp.MustCompile(`"ip"\s*:`), regexp.MustCompile(`"port"\s*:`),
		regexp.MustCompile(`"severity"\s*:`), regexp.MustCompile(`"finding"\s*:`),
	}
	prettyKeys = []*regexp.Regexp{regexp.MustCompile(`"Invocation"\s*:`), regexp.MustCompile(`"scanResult"\s*:`)}
)

// Detect recognizes the CSV header, or the JSON layouts by their keys.
func (Format) Detect(head []byte) int {
	head = bytes.TrimPrefix(head, bom)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return 0
	}
	switch trimmed[0] {
	case '[':
		for _, re := range flatKeys {
			if !re.Match(head) {
				return 0
			}
		}
		return 85
	case '{':
		if prettyKeys[1].Match(head) && (prettyKeys[0].Match(head) || bytes.Contains(head, []byte("testssl"))) {
			return 95
		}
		return 0
	}
	line, _, _ := bytes.Cut(trimmed, []byte("\n"))
	cols := csvx.Header(csvx.ReadLine(string(bytes.TrimRight(line, "\r"))))
	for _, c := range []string{"id", "fqdn/ip", "port", "severity", "finding"} {
		if _, ok := cols[c]; !ok {
			return 0
		}
	}
	return 95
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
		return report.Errorf(0, "empty input: expected a testssl.sh CSV or JSON file")
	}
	p := &parser{sink: sink, seen: map[string]bool{}, covered: map[string]bool{}}
	switch trimmed[0] {
	case '[':
		return p.flatJSON(ctx, br)
	case '{':
		return p.prettyJSON(ctx, br)
	}
	return p.csv(ctx, br)
}

// row is one testssl.sh check result, whatever the file layout.
type row struct {
	id, host, ip, port, severity, finding, cve, cwe, hint string
}

type parser struct {
	sink    report.Sink
	seen    map[string]bool // host|port|id already emitted
	covered map[string]bool // assets already reported
}

// Scores and grades summarize other rows; they are not checks.
var summaryIDs = map[string]bool{
	"rating_spec": true, "rating_doc": true, "protocol_support_score": true, "protocol_support_score_weighted": true,
	"key_exchange_score": true, "key_exchange_score_weighted": true, "cipher_strength_score": true,
	"cipher_strength_score_weighted": true, "final_score": true, "overall_grade": true,
}

// toolProblem reports rows about testssl.sh itself rather than the target:
// a failed connection (FATAL scanProblem), a local OpenSSL without some
// engine, the scan duration. They are neither findings nor proof that the
// target was scanned.
func toolProblem(r *row) bool {
	switch r.id {
	case "scanProblem", "engine_problem", "scanTime", "old_fart", "too_many_errors":
		return true
	}
	return strings.EqualFold(r.severity, "FATAL")
}

func (p *parser) row(r *row) error {
	r.id = strings.TrimSpace(r.id)
	if r.id == "" || toolProblem(r) {
		return nil
	}
	asset, ok := hostRef(r.host, r.ip)
	if !ok {
		return nil
	}
	akey := assetKey(asset)
	if !p.covered[akey+"|"+r.ip] {
		// Reported once per host and address: every address testssl.sh
		// scanned for a name is one more identifier of the host.
		p.covered[akey+"|"+r.ip] = true
		if err := p.sink.Asset(asset); err != nil {
			return err
		}
	}
	sevWord := strings.ToUpper(strings.TrimSpace(r.severity))
	if sevWord == "OK" || summaryIDs[r.id] || strings.HasPrefix(r.id, "grade_cap_reason_") {
		return nil
	}
	port, _ := strconv.Atoi(strings.TrimSpace(r.port))
	// One observation per host, port and check: a name testssl.sh scanned
	// on several addresses is one host.
	key := akey + "|" + strconv.Itoa(port) + "|" + r.id
	if p.seen[key] {
		return nil
	}
	p.seen[key] = true

	finding := strings.Join(strings.Fields(r.finding), " ")
	f := model.Finding{
		Kind:        model.KindMisconfiguration,
		Title:       title(r.id, finding),
		Description: report.Truncate(strings.TrimSpace(r.finding), 16<<10),
		Severity:    severity(sevWord),
		RuleID:      r.id,
		Location:    location(asset.Name, port),
	}
	var cves []string
	for _, c := range strings.FieldsFunc(r.cve, func(c rune) bool { return c == ' ' || c == ',' }) {
		if report.IsCVE(c) {
			cves = append(cves, c)
		}
	}
	if len(cves) > 0 {
		// testssl.sh lists every CVE of one check in one row: one finding,
		// the first CVE canonical and the others aliases.
		f.Kind = model.KindVulnerability
		f.VulnID, f.Aliases = report.VulnIDs(cves...)
	}
	for _, c := range strings.Fields(r.cwe) {
		report.AddCWE(&f, c)
	}
	ev := strings.TrimSpace(r.finding)
	if h := strings.TrimSpace(r.hint); h != "" {
		ev += "\nHint: " + h
	}
	return p.sink.Observe(report.Observation{
		Asset:        asset,
		ToolID:       r.id,
		ToolSeverity: strings.TrimSpace(r.severity),
		Evidence:     report.Truncate(ev, 4096),
		Finding:      f,
	})
}

func title(id, finding string) string {
	if finding == "" {
		return id
	}
	t := id + ": " + finding
	if len(t) > 120 {
		t = report.Truncate(t, 117) + "..."
	}
	return t
}

func severity(word string) model.Severity {
	switch word {
	case "CRITICAL":
		return model.SevCritical
	case "HIGH":
		return model.SevHigh
	case "MEDIUM":
		return model.SevMedium
	case "LOW":
		return model.SevLow
	}
	return model.SevInfo // INFO, WARN, DEBUG
}

func location(host string, port int) model.Location {
	loc := model.Location{Port: port, Protocol: "tcp", Service: "tls"}
	if port == 443 || port == 8443 {
		loc.Service = "https"
		h := host
		if a, err := netip.ParseAddr(h); err == nil && a.Is6() && !a.Is4In6() {
			h = "[" + h + "]"
		}
		loc.URL = "https://" + h
		if port != 443 {
			loc.URL += ":" + strconv.Itoa(port)
		}
	}
	if port == 0 {
		loc = model.Location{}
	}
	return loc
}

func assetKey(a report.AssetRef) string {
	// The first identifier is the host name when there is one, so every
	// address of one name shares a key.
	if len(a.Identifiers) == 0 {
		return a.Name
	}
	return string(a.Identifiers[0].Kind) + "=" + a.Identifiers[0].Value
}

// hostRef builds the host from testssl.sh's "name/address" pair.
func hostRef(host, ip string) (report.AssetRef, bool) {
	host = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
	ip = strings.TrimSpace(ip)
	ref := report.AssetRef{Kind: model.AssetHost}
	if host != "" {
		id := hostIdentifier(host)
		ref.Identifiers = append(ref.Identifiers, id)
		ref.Name = id.Value
	}
	if ip != "" {
		if id, ok := hostid.Address(strings.Trim(ip, "[]")); ok {
			if len(ref.Identifiers) == 0 || ref.Identifiers[0] != id {
				ref.Identifiers = append(ref.Identifiers, id)
			}
			if ref.Name == "" {
				ref.Name = id.Value
			}
		}
	}
	return ref, len(ref.Identifiers) > 0
}

// hostIdentifier names a host by its address, which testssl.sh may write
// in brackets, or its name.
func hostIdentifier(s string) model.Identifier {
	if id, ok := hostid.Address(strings.Trim(s, "[]")); ok {
		return id
	}
	return hostid.Name(s)
}

// splitTarget reads testssl.sh's "fqdn/ip" field ("example.com/1.2.3.4",
// "1.2.3.4/1.2.3.4", "example.com/").
func splitTarget(s string) (host, ip string) {
	host, ip, _ = strings.Cut(strings.TrimSpace(s), "/")
	if host == ip {
		ip = ""
	}
	return host, ip
}

// ---- CSV ----

func (p *parser) csv(ctx context.Context, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return csvx.Error(cr, err, "a testssl.sh CSV header")
	}
	cols := csvx.Header(header)
	for _, c := range []string{"id", "fqdn/ip", "port", "severity", "finding"} {
		if _, ok := cols[c]; !ok {
			return report.AtLine(1, 1, fmt.Errorf("expected a testssl.sh CSV header with an %q column", c))
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
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
			return csvx.Error(cr, err, "a testssl.sh CSV header")
		}
		host, ip := splitTarget(get(rec, "fqdn/ip"))
		rw := row{
			id: get(rec, "id"), host: host, ip: ip, port: get(rec, "port"), severity: get(rec, "severity"),
			finding: get(rec, "finding"), cve: get(rec, "cve"), cwe: get(rec, "cwe"), hint: get(rec, "hint"),
		}
		if err := p.row(&rw); err != nil {
			return err
		}
	}
}

// ---- JSON ----

// jsonRow is one check in either JSON layout; port may be a number.
type jsonRow struct {
	ID       string      `json:"id"`
	IP       string      `json:"ip"`
	Port     json.Number `json:"port"`
	Severity string      `json:"severity"`
	Finding  string      `json:"finding"`
	CVE      string      `json:"cve"`
	CWE      string      `json:"cwe"`
	Hint     string      `json:"hint"`
}

func (p *parser) flatJSON(ctx context.Context, r io.Reader) error {
	js := report.NewJSONStream(r)
	err := js.Array(func(i int) error {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var jr jsonRow
		if err := js.Decode(&jr); err != nil {
			return err
		}
		host, ip := splitTarget(jr.IP)
		rw := row{id: jr.ID, host: host, ip: ip, port: jr.Port.String(), severity: jr.Severity,
			finding: jr.Finding, cve: jr.CVE, cwe: jr.CWE, hint: jr.Hint}
		return p.row(&rw)
	})
	if err != nil {
		return err
	}
	return js.End()
}

// prettyTarget is one element of the pretty layout's scanResult: the
// target fields plus one array of checks per section (pretest, protocols,
// ciphers, serverDefaults, vulnerabilities...).
type prettyTarget map[string]json.RawMessage

func (p *parser) prettyJSON(ctx context.Context, r io.Reader) error {
	js := report.NewJSONStream(r)
	found := false
	err := js.Object(func(key string) error {
		if key != "scanResult" {
			return js.Skip()
		}
		found = true
		return js.Array(func(i int) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var t prettyTarget
			if err := js.Decode(&t); err != nil {
				return err
			}
			return p.prettyTarget(t)
		})
	})
	if err != nil {
		return err
	}
	if err := js.End(); err != nil {
		return err
	}
	if !found {
		return report.Errorf(js.Offset(), `expected a testssl.sh pretty JSON document with "scanResult"`)
	}
	return nil
}

// sectionOrder keeps testssl.sh's own order; sections it adds later are
// read after these, sorted by name.
var sectionOrder = []string{
	"pretest", "singleCipher", "protocols", "grease", "ciphers", "serverPreferences", "fs",
	"serverDefaults", "headerResponse", "vulnerabilities", "cipherTests", "browserSimulations", "rating",
}

func (p *parser) prettyTarget(t prettyTarget) error {
	str := func(key string) string {
		raw, ok := t[key]
		if !ok {
			return ""
		}
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return s
		}
		var n json.Number
		if err := json.Unmarshal(raw, &n); err == nil {
			return n.String()
		}
		return ""
	}
	host := str("targetHost")
	ip := str("ip")
	if h, addr, ok := strings.Cut(ip, "/"); ok {
		// Some versions write "name/address" here as in the CSV.
		if host == "" {
			host = h
		}
		ip = addr
	}
	port := str("port")
	var keys []string
	known := map[string]bool{}
	for _, k := range sectionOrder {
		known[k] = true
		if _, ok := t[k]; ok {
			keys = append(keys, k)
		}
	}
	var extra []string
	for k, raw := range t {
		if !known[k] && len(bytes.TrimSpace(raw)) > 0 && bytes.TrimSpace(raw)[0] == '[' {
			extra = append(extra, k)
		}
	}
	sortStrings(extra)
	keys = append(keys, extra...)
	for _, k := range keys {
		var items []jsonRow
		if err := json.Unmarshal(t[k], &items); err != nil {
			return fmt.Errorf("scanResult section %q: %w", k, err)
		}
		for i := range items {
			it := &items[i]
			rw := row{id: it.ID, host: host, ip: ip, port: port, severity: it.Severity,
				finding: it.Finding, cve: it.CVE, cwe: it.CWE, hint: it.Hint}
			if it.Port.String() != "" {
				rw.port = it.Port.String()
			}
			if err := p.row(&rw); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
