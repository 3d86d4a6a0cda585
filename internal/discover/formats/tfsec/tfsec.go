// Package tfsec reads tfsec JSON output (--format json): {"results": [...]}
// in both the legacy layout (GCP009-style rule ids, "passed") and the
// current one (aws-vpc-... rule ids, "status"). Findings are on the scanned
// Terraform code, a repository the report does not name.
package tfsec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/references"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the tfsec format.
func New() report.Format { return format{} }

func (format) Name() string        { return "tfsec" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "tfsec JSON report" }

var emptyRe = regexp.MustCompile(`^\{\s*"results"\s*:\s*(null|\[\s*\])\s*\}\s*$`)

func (format) Detect(head []byte) int {
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(h) == 0 || h[0] != '{' || !bytes.Contains(h, []byte(`"results"`)) {
		return 0
	}
	if bytes.Contains(h, []byte(`"rule_provider"`)) && bytes.Contains(h, []byte(`"rule_description"`)) &&
		bytes.Contains(h, []byte(`"location"`)) {
		return 95
	}
	// A clean scan is {"results": null}. Other tools can print that too,
	// so it is claimed only weakly.
	if emptyRe.Match(h) {
		return 10
	}
	return 0
}

type result struct {
	RuleID          string   `json:"rule_id"`
	LongID          string   `json:"long_id"`
	LegacyRuleID    string   `json:"legacy_rule_id"`
	RuleDescription string   `json:"rule_description"`
	RuleProvider    string   `json:"rule_provider"`
	Impact          string   `json:"impact"`
	Resolution      string   `json:"resolution"`
	Links           []string `json:"links"`
	Link            string   `json:"link"`
	Description     string   `json:"description"`
	Severity        string   `json:"severity"`
	Status          any      `json:"status"`
	Passed          bool     `json:"passed"`
	Resource        string   `json:"resource"`
	Location        struct {
		Filename  string `json:"filename"`
		StartLine int    `json:"start_line"`
		EndLine   int    `json:"end_line"`
	} `json:"location"`
}

var (
	urlRe      = regexp.MustCompile(`https?://[^\s)]+`)
	colorRe    = regexp.MustCompile(`</?(blue|red|green|yellow|bold|dim|italic)>`)
	resourceRe = regexp.MustCompile(`^Resource '([^']+)'`)
)

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	js := report.NewJSONStream(lead.SkipBOM(r))
	found := false
	seen := map[string]bool{}
	err := js.Object(func(key string) error {
		if key != "results" {
			return js.Skip()
		}
		found = true
		if err := sink.Asset(report.AssetRef{Kind: model.AssetRepository}); err != nil {
			return err
		}
		return js.Array(func(int) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			off := js.Offset()
			var res result
			if err := js.Decode(&res); err != nil {
				return err
			}
			if res.RuleID == "" && res.LongID == "" {
				return report.Errorf(off, "expected a tfsec result with rule_id and location")
			}
			return observe(&res, sink, seen)
		})
	})
	if err != nil {
		return err
	}
	if !found {
		return report.Errorf(js.Offset(), `expected a tfsec report object with a "results" array`)
	}
	return js.End()
}

func observe(res *result, sink report.Sink, seen map[string]bool) error {
	// Current tfsec writes status 0 failed, 1 passed, 2 ignored (older
	// builds the words); legacy output only has "passed". Passed checks are
	// not findings, and ignored ones were waived in the code by its authors.
	switch strings.ToLower(fmt.Sprint(res.Status)) {
	case "1", "passed", "2", "ignored":
		return nil
	}
	if res.Passed {
		return nil
	}
	rule := nonempty.First(res.RuleID, res.LongID)
	loc := res.Location
	instance := res.Resource
	if m := resourceRe.FindStringSubmatch(res.Description); instance == "" && m != nil {
		instance = m[1]
	}
	resource := codeAddress(instance)
	// One finding per rule and block of code: tfsec repeats a rule for each
	// instance of a module and for each offending attribute of a block
	// (from_port and to_port lines of one ACL rule). Without a resource the
	// code range stands for the block.
	key := fmt.Sprintf("%s\x00%s\x00%s\x00%s", res.RuleProvider, rule, loc.Filename, resource)
	if resource == "" {
		key += fmt.Sprintf("\x00%d\x00%d", loc.StartLine, loc.EndLine)
	}
	if seen[key] {
		return nil
	}
	seen[key] = true
	// Descriptions carry tfsec's terminal colour markup.
	res.Description = colorRe.ReplaceAllString(res.Description, "")
	fd := model.Finding{
		Kind:        model.KindMisconfiguration,
		Title:       nonempty.First(res.RuleDescription, rule),
		Description: nonempty.Join("\n\n", res.Description, res.Impact),
		Severity:    report.SeverityOr(res.Severity, model.SevLow),
		RuleID:      rule,
		Remediation: strings.TrimSpace(res.Resolution),
		Location: model.Location{
			File:     loc.Filename,
			Line:     loc.StartLine,
			Resource: qualified(loc.Filename, resource),
		},
	}
	if loc.EndLine > loc.StartLine {
		fd.Location.EndLine = loc.EndLine
	}
	for _, l := range res.Links {
		references.Add(&fd, l)
	}
	for _, u := range urlRe.FindAllString(res.Link, -1) {
		references.Add(&fd, u)
	}
	ev := res.Description
	if instance != resource {
		ev = nonempty.Join("\n", ev, "Instance: "+instance)
	}
	if res.LegacyRuleID != "" && res.LegacyRuleID != rule {
		ev = nonempty.Join("\n", ev, "Legacy rule id: "+res.LegacyRuleID)
	}
	obs := report.Observation{
		Asset:        report.AssetRef{Kind: model.AssetRepository},
		ToolID:       rule,
		ToolSeverity: res.Severity,
		Evidence:     report.Truncate(ev, 4<<10),
		Finding:      fd,
	}
	if resource != "" {
		obs.Anchor = fd.Location.Resource
	}
	return sink.Observe(obs)
}

var (
	modulePrefixRe = regexp.MustCompile(`^(module\.[^:.]+(\[[^\]]*\])?[:.])+`)
	instanceKeyRe  = regexp.MustCompile(`\[[^\]]*\]$`)
)

// codeAddress turns a resource instance address into the address of its
// block in the code: "module.SG:aws_security_group_rule.egress[0]" is the
// block aws_security_group_rule.egress of the module's source.
func codeAddress(instance string) string {
	a := modulePrefixRe.ReplaceAllString(instance, "")
	return instanceKeyRe.ReplaceAllString(a, "")
}

// qualified names an IaC resource by its file too: an address such as
// aws_s3_bucket.this repeats in every module of a repository, and a
// misconfiguration is keyed by its resource.
func qualified(file, resource string) string {
	if file == "" || resource == "" {
		return resource
	}
	return file + ":" + resource
}
