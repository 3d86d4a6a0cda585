// Package awsprowler reads Prowler v2 results: the comma-separated CSV
// (-M csv, header PROFILE,ACCOUNT_NUM,REGION,TITLE_ID,...) and the JSON
// output (-M json), which is one JSON object per line. Prowler v2 names no
// resource per result, only the account, region and a message that mentions
// the resource, so the account is the asset and the region-qualified message
// locates the finding on it.
package awsprowler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/csvx"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/jsonx"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the Prowler v2 format.
func New() report.Format { return format{} }

func (format) Name() string        { return "aws_prowler" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Prowler v2 CSV and JSON-lines results" }

func (format) Detect(head []byte) int {
	h := lead.Trim(head)
	if len(h) == 0 {
		return 0
	}
	line := firstLine(h)
	if h[0] == '{' {
		if bytes.Contains(line, []byte(`"Account Number"`)) && bytes.Contains(line, []byte(`"Control"`)) &&
			bytes.Contains(line, []byte(`"Message"`)) && bytes.Contains(line, []byte(`"Status"`)) {
			return 90
		}
		return 0
	}
	cols := map[string]bool{}
	for _, c := range bytes.Split(line, []byte(",")) {
		cols[strings.ToUpper(strings.Trim(strings.TrimSpace(string(c)), `"`))] = true
	}
	if cols["ACCOUNT_NUM"] && cols["TITLE_ID"] && cols["TITLE_TEXT"] && (cols["CHECK_RESULT"] || cols["RESULT"]) {
		return 95
	}
	return 0
}

func firstLine(h []byte) []byte {
	if i := bytes.IndexByte(h, '\n'); i >= 0 {
		return bytes.TrimRight(h[:i], "\r")
	}
	return h
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	peek, _ := br.Peek(4 << 10)
	h := bytes.TrimLeft(peek, " \t\r\n")
	if len(h) == 0 {
		// An empty file cannot be told from a truncated upload.
		return report.Errorf(0, "empty input: expected a Prowler v2 CSV header or JSON lines")
	}
	p := &parser{sink: sink, seen: map[string]bool{}}
	if h[0] == '{' {
		return p.jsonLines(ctx, br)
	}
	return p.csv(ctx, br)
}

type parser struct {
	sink report.Sink
	seen map[string]bool
}

// result is one Prowler v2 check result, from either output.
type result struct {
	account, region, status, severity, level string
	control, message, risk, remediation, doc string
	service, controlID                       string
}

var checkIDRe = regexp.MustCompile(`^\s*\[([^\]]+)\]\s*`)

func (p *parser) emit(r result) error {
	acct := strings.TrimSpace(r.account)
	asset := report.AssetRef{
		Kind:       model.AssetCloud,
		Name:       acct,
		Attributes: map[string]string{"provider": "aws", "type": "AwsAccount"},
	}
	if acct != "" {
		asset.Identifiers = []model.Identifier{{Kind: model.IDCloudID, Value: acct}}
		asset.Attributes["account"] = acct
	}
	if !p.seen["asset\x00"+acct] {
		p.seen["asset\x00"+acct] = true
		if err := p.sink.Asset(asset); err != nil {
			return err
		}
	}
	switch strings.ToUpper(strings.TrimSpace(r.status)) {
	case "PASS", "INFO":
		// Passed and informational results are coverage, not findings.
		return nil
	}
	// "[check11] Avoid the use of the root account (Scored)": the bracketed
	// part is Prowler v2's check id.
	rule := strings.TrimSpace(r.controlID)
	control := strings.TrimSpace(r.control)
	if m := checkIDRe.FindStringSubmatch(control); m != nil {
		rule = m[1]
		control = control[len(m[0]):]
	}
	msg := strings.TrimSpace(r.message)
	region := strings.TrimSpace(r.region)
	// The JSON output prefixes messages with their region, the CSV does not;
	// the same result must locate the same way from either.
	where := msg
	if region != "" && !strings.HasPrefix(msg, region+":") {
		where = region + ": " + msg
	}
	key := "result\x00" + acct + "\x00" + rule + "\x00" + where
	if p.seen[key] {
		return nil
	}
	p.seen[key] = true

	// Prowler v2 rates some checks "Informational"; when such a check
	// fails it is still a weakness, so it is rated low (as DefectDojo does)
	// rather than info.
	sev, ok := report.Severity(r.severity)
	switch {
	case !ok:
		sev = model.SevMedium
	case sev == model.SevInfo:
		sev = model.SevLow
	}
	fd := model.Finding{
		Kind:        model.KindMisconfiguration,
		Title:       nonempty.First(msg, control, rule),
		Description: report.Truncate(joinNonEmpty("\n\n", control, r.risk), 8<<10),
		Severity:    sev,
		RuleID:      rule,
		Remediation: strings.TrimSpace(r.remediation),
		Location:    model.Location{Resource: where},
	}
	if d := strings.TrimSpace(r.doc); strings.HasPrefix(d, "http://") || strings.HasPrefix(d, "https://") {
		fd.References = []string{d}
	}
	ev := joinNonEmpty("\n", msg, "Region: "+region, "Service: "+strings.TrimSpace(r.service))
	return p.sink.Observe(report.Observation{
		Asset:        asset,
		ToolID:       rule,
		ToolSeverity: r.severity,
		Evidence:     report.Truncate(ev, 4<<10),
		Finding:      fd,
	})
}

func (p *parser) csv(ctx context.Context, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return csvx.Describe(err, "expected a Prowler v2 CSV header")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToUpper(strings.TrimSpace(h))] = i
	}
	_, hasTitle := col["TITLE_TEXT"]
	_, hasResult := col["CHECK_RESULT"]
	if _, ok := col["RESULT"]; ok {
		hasResult = true
	}
	if !hasTitle || !hasResult {
		return report.AtLine(1, 1, errors.New("expected a Prowler v2 CSV header with TITLE_TEXT and CHECK_RESULT columns"))
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
			return csvx.Describe(err, "malformed Prowler v2 CSV row")
		}
		get := func(names ...string) string {
			for _, n := range names {
				if i, ok := col[n]; ok && i < len(rec) && strings.TrimSpace(rec[i]) != "" {
					return rec[i]
				}
			}
			return ""
		}
		res := result{
			account:     get("ACCOUNT_NUM"),
			region:      get("REGION"),
			status:      get("CHECK_RESULT", "RESULT"),
			severity:    get("CHECK_SEVERITY", "SEVERITY"),
			level:       get("ITEM_LEVEL", "LEVEL"),
			control:     get("TITLE_TEXT"),
			controlID:   get("TITLE_ID"),
			message:     get("CHECK_RESULT_EXTENDED", "NOTES"),
			risk:        get("CHECK_RISK"),
			remediation: get("CHECK_REMEDIATION"),
			doc:         get("CHECK_DOC"),
			service:     get("CHECK_SERVICENAME"),
		}
		if res.status == "" && res.control == "" {
			continue
		}
		if err := p.emit(res); err != nil {
			return err
		}
	}
}

type jsonResult struct {
	Account     string `json:"Account Number"`
	Control     string `json:"Control"`
	ControlID   string `json:"Control ID"`
	Message     string `json:"Message"`
	Severity    string `json:"Severity"`
	Status      string `json:"Status"`
	Level       string `json:"Level"`
	Region      string `json:"Region"`
	Service     string `json:"Service"`
	Risk        string `json:"Risk"`
	Remediation string `json:"Remediation"`
	Doc         string `json:"Doc link"`
}

// jsonLines reads Prowler v2's JSON output: concatenated objects, one a
// line, with no enclosing array.
func (p *parser) jsonLines(ctx context.Context, r io.Reader) error {
	dec := json.NewDecoder(r)
	for n := 0; dec.More(); n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		off := dec.InputOffset()
		var j jsonResult
		if err := dec.Decode(&j); err != nil {
			return jsonx.Error(dec, err)
		}
		if j.Control == "" && j.Status == "" {
			return report.Errorf(off, "expected a Prowler v2 JSON result with Control and Status")
		}
		err := p.emit(result{
			account: j.Account, region: j.Region, status: j.Status, severity: j.Severity, level: j.Level,
			control: j.Control, controlID: j.ControlID, message: j.Message, risk: j.Risk,
			remediation: j.Remediation, doc: j.Doc, service: j.Service,
		})
		if err != nil {
			return err
		}
	}
	// More stops at the end of input and at a stray closing bracket; only
	// the first is a complete document.
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return report.Errorf(dec.InputOffset(), "unexpected data after the last JSON result")
		}
		return jsonx.Error(dec, err)
	}
	return nil
}

func joinNonEmpty(sep string, vals ...string) string {
	var out []string
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if v == "" || strings.HasSuffix(v, ": ") || strings.HasSuffix(v, ":") {
			continue
		}
		out = append(out, v)
	}
	return strings.Join(out, sep)
}
