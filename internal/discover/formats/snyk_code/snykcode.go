// Package snykcode parses Snyk Code results (`snyk code test --json` or
// --sarif): a SARIF 2.1.0 log whose tool driver is "SnykCode". It reads the
// Snyk specifics the generic SARIF format leaves aside: CWEs in rule
// properties, the priority score, and Snyk's fingerprints.
package snykcode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// New returns the Snyk Code format.
func New() report.Format { return format{} }

type format struct{}

func (format) Name() string        { return "snyk_code" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Snyk Code SARIF/JSON report (tool driver SnykCode)" }

var (
	driverName = regexp.MustCompile(`"name"\s*:\s*"SnykCode"`)
	runsKey    = regexp.MustCompile(`"runs"\s*:\s*\[`)
)

// Detect claims a SARIF log only when its driver is SnykCode. It scores
// above what a generic SARIF reader should give, so that Snyk Code files
// get the Snyk-aware parser; SARIF from any other tool is left alone.
func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(h) == 0 || h[0] != '{' {
		return 0
	}
	if runsKey.Match(h) && driverName.Match(h) && (bytes.Contains(h, []byte("sarif")) || bytes.Contains(h, []byte(`"2.1.0"`))) {
		return 95
	}
	return 0
}

type rule struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	ShortDescription struct {
		Text string `json:"text"`
	} `json:"shortDescription"`
	Help struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown"`
	} `json:"help"`
	HelpURI    string `json:"helpUri"`
	Properties struct {
		CWE       []string `json:"cwe"`
		Precision string   `json:"precision"`
	} `json:"properties"`
}

type tool struct {
	Driver struct {
		Name  string `json:"name"`
		Rules []rule `json:"rules"`
	} `json:"driver"`
}

type result struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Level     string `json:"level"`
	Message   struct {
		Text string `json:"text"`
	} `json:"message"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine int `json:"startLine"`
				EndLine   int `json:"endLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
	} `json:"locations"`
	Fingerprints        map[string]string `json:"fingerprints"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []struct {
		Kind   string `json:"kind"`
		Status string `json:"status"`
	} `json:"suppressions"`
	Properties struct {
		PriorityScore *int `json:"priorityScore"`
		IsAutofixable bool `json:"isAutofixable"`
	} `json:"properties"`
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	s := report.NewJSONStream(r)
	p := &parser{ctx: ctx, sink: sink, seen: map[string]bool{}}
	runs := false
	err := s.Object(func(key string) error {
		if key != "runs" {
			return s.Skip()
		}
		runs = true
		return s.Array(func(int) error { return p.run(s) })
	})
	if err != nil {
		return err
	}
	if err := s.End(); err != nil {
		return err
	}
	if !runs {
		return report.Errorf(s.Offset(), "expected a SARIF log with runs")
	}
	if !p.announce {
		// A clean run still covers the code base.
		return sink.Asset(asset)
	}
	return nil
}

// asset is the analysed code base; Snyk Code's SARIF does not name it.
var asset = report.AssetRef{Kind: model.AssetRepository}

type parser struct {
	ctx      context.Context
	sink     report.Sink
	seen     map[string]bool
	n        int
	announce bool
}

// run reads one run. Results are streamed when the tool (and its rules)
// came first, as Snyk writes it; otherwise they are held until it comes.
func (p *parser) run(s *report.JSONStream) error {
	var t *tool
	var pending []json.RawMessage
	var offsets []int64
	err := s.Object(func(key string) error {
		switch key {
		case "tool":
			t = &tool{}
			return s.Decode(t)
		case "results":
			return s.Array(func(i int) error {
				off := s.Offset()
				if t == nil {
					var raw json.RawMessage
					if err := s.Decode(&raw); err != nil {
						return err
					}
					pending = append(pending, raw)
					offsets = append(offsets, off)
					return nil
				}
				var res result
				if err := s.Decode(&res); err != nil {
					return err
				}
				return p.result(t, i, off, res)
			})
		}
		return s.Skip()
	})
	if err != nil {
		return err
	}
	if t == nil {
		t = &tool{}
	}
	for i, raw := range pending {
		var res result
		if err := json.Unmarshal(raw, &res); err != nil {
			return report.AtOffset(offsets[i], err)
		}
		if err := p.result(t, i, offsets[i], res); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) result(t *tool, i int, off int64, res result) error {
	p.n++
	if p.n%256 == 0 {
		if err := p.ctx.Err(); err != nil {
			return err
		}
	}
	var ru *rule
	if res.RuleIndex != nil && *res.RuleIndex >= 0 && *res.RuleIndex < len(t.Driver.Rules) && t.Driver.Rules[*res.RuleIndex].ID == res.RuleID {
		ru = &t.Driver.Rules[*res.RuleIndex]
	} else {
		for k := range t.Driver.Rules {
			if t.Driver.Rules[k].ID == res.RuleID {
				ru = &t.Driver.Rules[k]
				break
			}
		}
	}
	if res.RuleID == "" {
		return report.Errorf(off, "result %d: expected a ruleId", i)
	}
	if suppressed(res) {
		return nil
	}
	file, line, end := "", 0, 0
	if len(res.Locations) > 0 {
		pl := res.Locations[0].PhysicalLocation
		file, line, end = pl.ArtifactLocation.URI, pl.Region.StartLine, pl.Region.EndLine
	}
	// Snyk writes two fingerprints: "0" for the issue at its place and "1"
	// for the code of its data flow. Two values on one line (two hard-coded
	// passwords) share "0" but not "1", so the anchor takes both.
	anc := strings.Trim(res.Fingerprints["0"]+":"+res.Fingerprints["1"], ":")
	if anc == "" {
		anc = firstValue(res.PartialFingerprints)
	}
	// A result repeated with the same fingerprints (the same flow reported
	// at two columns of a line) is one weakness.
	key := res.RuleID + "\x00" + file + "\x00" + anc
	if anc == "" {
		key += fmt.Sprintf("\x00%d", line)
	}
	if p.seen[key] {
		return nil
	}
	p.seen[key] = true

	f := model.Finding{
		Kind:        model.KindCodeWeakness,
		Title:       res.RuleID,
		Description: strings.TrimSpace(res.Message.Text),
		Severity:    level(res.Level),
		RuleID:      res.RuleID,
		Location:    model.Location{File: file, Line: line},
	}
	if end > line {
		f.Location.EndLine = end
	}
	if ru != nil {
		if ru.ShortDescription.Text != "" {
			f.Title = ru.ShortDescription.Text
		} else if ru.Name != "" {
			f.Title = ru.Name
		}
		for _, c := range ru.Properties.CWE {
			report.AddCWE(&f, c)
		}
		help := ru.Help.Markdown
		if help == "" {
			help = ru.Help.Text
		}
		f.Remediation = report.Truncate(strings.TrimSpace(help), 4096)
		if ru.HelpURI != "" {
			f.References = []string{ru.HelpURI}
		}
	}
	ev := fmt.Sprintf("%s at %s:%d", res.RuleID, file, line)
	if res.Properties.PriorityScore != nil {
		// Snyk's priority score (0-1000) weighs severity with fix examples
		// and hot files; ctem prioritizes on its own, so it is evidence.
		ev += fmt.Sprintf("; priority score %d", *res.Properties.PriorityScore)
	}
	if res.Properties.IsAutofixable {
		ev += "; autofixable"
	}
	if !p.announce {
		p.announce = true
		if err := p.sink.Asset(asset); err != nil {
			return err
		}
	}
	return p.sink.Observe(report.Observation{
		Asset:        asset,
		ToolID:       res.RuleID,
		ToolSeverity: res.Level,
		Evidence:     ev,
		Anchor:       anc,
		Finding:      f,
	})
}

// level maps SARIF levels; a result without one has SARIF's default,
// "warning".
func level(l string) model.Severity {
	switch strings.ToLower(l) {
	case "error":
		return model.SevHigh
	case "note":
		return model.SevLow
	case "none":
		return model.SevInfo
	}
	return model.SevMedium
}

// suppressed reports an issue ignored in Snyk (suppressions accepted or
// without a status); ones under review or rejected still count.
func suppressed(res result) bool {
	for _, s := range res.Suppressions {
		if s.Status == "" || strings.EqualFold(s.Status, "accepted") {
			return true
		}
	}
	return false
}

// firstValue returns the value of the smallest key, for a stable choice.
func firstValue(m map[string]string) string {
	best, found := "", false
	for k := range m {
		if !found || k < best {
			best, found = k, true
		}
	}
	return m[best]
}
