// Package nuclei parses the JSON output of ProjectDiscovery Nuclei: JSON
// lines (-jsonl, -json in v2) or a JSON array (-json-export), from v2
// ("templateID", "matched") to v3 ("template-id", "matched-at").
//
// Nuclei writes one result per (template, matcher, matched location). As in
// DefectDojo, results of the same template and matcher on the same target
// are one observation listing every location; unlike DefectDojo, targets
// are told apart by origin (scheme, host and port), not host name alone.
package nuclei

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webfinding"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/webtext"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the Nuclei format.
func New() report.Format { return format{} }

func (format) Name() string        { return "nuclei" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Nuclei JSON lines or JSON export" }

// Detect wants Nuclei result objects: a template id next to an "info" block
// and a match location. An empty file (what Nuclei writes when nothing
// matched) has nothing to detect and is left to an explicit format choice.
func (format) Detect(head []byte) int {
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return 0
	}
	id := bytes.Contains(t, []byte(`"template-id"`)) || bytes.Contains(t, []byte(`"templateID"`))
	if !id {
		return 0 // the other searches cost a pass over the head each
	}
	info := bytes.Contains(t, []byte(`"info"`)) && bytes.Contains(t, []byte(`"severity"`))
	where := bytes.Contains(t, []byte(`"matched-at"`)) || bytes.Contains(t, []byte(`"matched"`)) ||
		bytes.Contains(t, []byte(`"host"`)) || bytes.Contains(t, []byte(`"type"`))
	switch {
	case id && info && where:
		return 95
	case id && info:
		return 70
	}
	return 0
}

type result struct {
	TemplateID   string `json:"template-id"`
	TemplateIDv2 string `json:"templateID"`
	Info         struct {
		Name           string          `json:"name"`
		Severity       string          `json:"severity"`
		Description    string          `json:"description"`
		Impact         string          `json:"impact"`
		Remediation    string          `json:"remediation"`
		Reference      json.RawMessage `json:"reference"`
		Tags           json.RawMessage `json:"tags"`
		Classification *struct {
			CVEID       json.RawMessage `json:"cve-id"`
			CWEID       json.RawMessage `json:"cwe-id"`
			CVSSMetrics string          `json:"cvss-metrics"`
		} `json:"classification"`
	} `json:"info"`
	Type               string          `json:"type"`
	Host               string          `json:"host"`
	Port               json.RawMessage `json:"port"`
	Scheme             string          `json:"scheme"`
	URL                string          `json:"url"`
	Matched            string          `json:"matched"`
	MatchedAt          string          `json:"matched-at"`
	MatcherName        string          `json:"matcher-name"`
	MatcherNamev2      string          `json:"matcher_name"`
	ExtractedResults   []string        `json:"extracted-results"`
	ExtractedResultsv2 []string        `json:"extracted_results"`
	IP                 string          `json:"ip"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err == io.EOF {
		// Nuclei writes nothing at all when no template matched.
		return nil
	}
	if err != nil {
		return report.AtOffset(0, err)
	}
	p := &parser{sink: sink, seen: webfinding.Assets{}, groups: webfinding.NewGrouper(), targets: map[string]report.AssetRef{}}
	switch first {
	case '[':
		js := report.NewJSONStream(br)
		err = js.Array(func(i int) error {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var res result
			if err := js.Decode(&res); err != nil {
				return err
			}
			return p.add(&res, js.Offset())
		})
		if err == nil {
			err = js.End()
		}
	case '{':
		err = p.lines(ctx, br)
	default:
		return report.Errorf(0, "expected Nuclei JSON lines or a JSON array, found %q", first)
	}
	if err != nil {
		return err
	}
	return p.finish(ctx)
}

// firstByte skips a byte order mark and white space and returns the first
// byte without consuming it; io.EOF when there is nothing else.
func firstByte(br *bufio.Reader) (byte, error) {
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	for {
		b, err := br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.Discard(1)
			continue
		}
		return b[0], nil
	}
}

// lines decodes one result object after another (JSON lines).
func (p *parser) lines(ctx context.Context, r io.Reader) error {
	dec := json.NewDecoder(r)
	for i := 0; ; i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var res result
		err := dec.Decode(&res)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return jsonError(err, dec.InputOffset())
		}
		if err := p.add(&res, dec.InputOffset()); err != nil {
			return err
		}
	}
}

func jsonError(err error, off int64) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return report.Errorf(off, "unexpected end of input in a Nuclei result")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return report.AtOffset(se.Offset, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return report.AtOffset(te.Offset, err)
	}
	return report.AtOffset(off, err)
}

// strs reads a string, a list of strings, or null.
func strs(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil
		}
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

// tagList reads tags written as a list or as one comma-separated string.
func tagList(raw json.RawMessage) []string {
	var out []string
	for _, s := range strs(raw) {
		for _, t := range strings.Split(s, ",") {
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// sensitiveTags mark templates whose extracted values may be credentials
// or tokens; those values stay out of the evidence.
var sensitiveTags = map[string]bool{
	"token": true, "tokens": true, "secret": true, "secrets": true, "keys": true, "key": true,
	"credential": true, "credentials": true, "creds": true, "default-login": true, "password": true,
}

func kindOf(typ string) model.FindingKind {
	switch typ {
	case "", "http", "headless", "javascript", "websocket":
		return model.KindWebWeakness
	case "network", "tcp":
		return model.KindExposedService
	}
	return model.KindMisconfiguration
}

func (p *parser) add(res *result, off int64) error {
	id := strings.TrimSpace(res.TemplateID)
	if id == "" {
		id = strings.TrimSpace(res.TemplateIDv2)
	}
	if id == "" {
		return report.Errorf(off, "Nuclei result without a template id")
	}
	matcher := strings.TrimSpace(res.MatcherName)
	if matcher == "" {
		matcher = strings.TrimSpace(res.MatcherNamev2)
	}
	typ := strings.ToLower(strings.TrimSpace(res.Type))
	name := strings.TrimSpace(res.Info.Name)
	if name == "" {
		name = id
	}
	rule := id
	if matcher != "" {
		// Nuclei itself names a result [template-id:matcher-name].
		rule += ":" + matcher
	}
	sev, ok := report.Severity(res.Info.Severity)
	if !ok {
		sev = model.SevInfo
	}
	f := model.Finding{
		Kind:        kindOf(typ),
		Title:       name,
		Description: nonempty.Join("\n\n", res.Info.Description, res.Info.Impact),
		Severity:    sev,
		RuleID:      rule,
		Remediation: strings.TrimSpace(res.Info.Remediation),
		References:  webtext.Links(strings.Join(strs(res.Info.Reference), "\n")),
	}
	if c := res.Info.Classification; c != nil {
		if cves := strs(c.CVEID); len(cves) > 0 {
			f.Kind = model.KindVulnerability
			f.VulnID, f.Aliases = report.VulnIDs(cves...)
		}
		for _, cwe := range strs(c.CWEID) {
			report.AddCWE(&f, cwe)
		}
		report.AddCVSS(&f, c.CVSSMetrics)
	}
	matched := strings.TrimSpace(res.MatchedAt)
	if matched == "" {
		matched = strings.TrimSpace(res.Matched)
	}
	extracted := res.ExtractedResults
	if len(extracted) == 0 {
		extracted = res.ExtractedResultsv2
	}
	showValues := true
	for _, t := range tagList(res.Info.Tags) {
		if sensitiveTags[t] {
			showValues = false
		}
	}
	line := matched
	if len(extracted) > 0 && showValues {
		vals := make([]string, 0, len(extracted))
		for i, v := range extracted {
			if i == 5 {
				vals = append(vals, "...")
				break
			}
			vals = append(vals, report.Truncate(strings.TrimSpace(v), 200))
		}
		line = strings.TrimSpace(line + " [" + strings.Join(vals, ", ") + "]")
	}
	obs := report.Observation{ToolID: id, ToolSeverity: res.Info.Severity, Finding: f}
	t, ok := targetOf(res, typ, matched)
	key := id + "\x00" + matcher + "\x00" + typ
	if !ok {
		p.pending = append(p.pending, pendingResult{obs: obs, key: key, line: line})
		return nil
	}
	obs.Asset = t.asset
	obs.Finding.Location = t.loc
	if err := p.seen.Report(p.sink, t.asset); err != nil {
		return err
	}
	p.targets[webfinding.AssetKey(t.asset)] = t.asset
	p.groups.Add(key, obs, line, line)
	return nil
}
