// Package checkov reads Checkov JSON output (-o json): one report object
// {"check_type", "results": {"failed_checks": [...]}, "summary"}, an array
// of them when several frameworks ran, or only a summary when nothing was
// scanned. Findings are on the scanned code, a repository the report does
// not name; each is located by file, line range and IaC resource.
package checkov

import (
	"bytes"
	"context"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/references"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

type format struct{}

// New returns the Checkov format.
func New() report.Format { return format{} }

func (format) Name() string        { return "checkov" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Checkov JSON report" }

func (format) Detect(head []byte) int {
	h := lead.Trim(head)
	if len(h) == 0 || (h[0] != '{' && h[0] != '[') {
		return 0
	}
	if bytes.Contains(h, []byte(`"check_type"`)) &&
		(bytes.Contains(h, []byte(`"failed_checks"`)) || bytes.Contains(h, []byte(`"passed_checks"`))) {
		return 95
	}
	// Checkov prints only its summary when it found nothing to scan.
	if h[0] == '{' && bytes.Contains(h, []byte(`"checkov_version"`)) {
		return 80
	}
	return 0
}

type failedCheck struct {
	CheckID     string `json:"check_id"`
	BCCheckID   string `json:"bc_check_id"`
	CheckName   string `json:"check_name"`
	CheckResult struct {
		Result        string   `json:"result"`
		EvaluatedKeys []string `json:"evaluated_keys"`
	} `json:"check_result"`
	FilePath         string   `json:"file_path"`
	RepoFilePath     string   `json:"repo_file_path"`
	FileLineRange    []int    `json:"file_line_range"`
	Resource         string   `json:"resource"`
	CheckClass       string   `json:"check_class"`
	Guideline        string   `json:"guideline"`
	Severity         *string  `json:"severity"`
	Description      *string  `json:"description"`
	ShortDescription *string  `json:"short_description"`
	Details          []string `json:"details"`
	Vulnerability    *struct {
		ID             string  `json:"id"`
		PackageName    string  `json:"package_name"`
		PackageVersion string  `json:"package_version"`
		FixedVersion   *string `json:"fixed_version"`
		Vector         string  `json:"vector"`
		Link           string  `json:"link"`
		Description    string  `json:"description"`
		Severity       string  `json:"severity"`
	} `json:"vulnerability_details"`
}

type parser struct {
	sink      report.Sink
	announced bool
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := lead.SkipBOM(r)
	peek, _ := br.Peek(4 << 10)
	h := lead.Trim(peek)
	if len(h) == 0 {
		return report.Errorf(0, "empty input: expected a Checkov JSON report")
	}
	js := report.NewJSONStream(br)
	p := &parser{sink: sink}
	var err error
	if h[0] == '[' {
		err = js.Array(func(int) error { return p.report(ctx, js) })
	} else {
		err = p.report(ctx, js)
	}
	if err != nil {
		return err
	}
	if !p.announced {
		return report.Errorf(js.Offset(), "expected a Checkov report object with check_type and results")
	}
	return js.End()
}

// report reads one report object: the failed checks stream out one by one,
// everything else is skipped.
func (p *parser) report(ctx context.Context, js *report.JSONStream) error {
	checkType := ""
	off := js.Offset()
	recognized := false
	err := js.Object(func(key string) error {
		switch key {
		case "check_type":
			recognized = true
			return js.Decode(&checkType)
		case "checkov_version", "summary":
			recognized = true
			return js.Skip()
		case "results":
			recognized = true
			if err := p.announce(); err != nil {
				return err
			}
			return js.Object(func(k string) error {
				if k != "failed_checks" {
					return js.Skip()
				}
				return js.Array(func(int) error {
					if err := ctx.Err(); err != nil {
						return err
					}
					var c failedCheck
					if err := js.Decode(&c); err != nil {
						return err
					}
					return p.observe(&c, checkType)
				})
			})
		}
		return js.Skip()
	})
	if err != nil {
		return err
	}
	if !recognized {
		return report.Errorf(off, "expected a Checkov report object with check_type and results")
	}
	return p.announce()
}

// announce reports the scanned repository once: it is covered even when no
// check failed.
func (p *parser) announce() error {
	if p.announced {
		return nil
	}
	p.announced = true
	return p.sink.Asset(repoAsset())
}

func repoAsset() report.AssetRef { return report.AssetRef{Kind: model.AssetRepository} }

func (p *parser) observe(c *failedCheck, checkType string) error {
	if checkType == "" {
		// checkov.terraform.checks.resource... names the framework too.
		if parts := strings.Split(c.CheckClass, "."); len(parts) > 1 && parts[0] == "checkov" {
			checkType = parts[1]
		}
	}
	fd := model.Finding{
		Kind:     model.KindMisconfiguration,
		Title:    nonempty.First(c.CheckName, c.CheckID),
		Severity: model.SevMedium,
		RuleID:   c.CheckID,
		Location: model.Location{File: nonempty.First(c.FilePath, c.RepoFilePath), Resource: qualified(nonempty.First(c.FilePath, c.RepoFilePath), c.Resource)},
	}
	toolSev := ""
	if c.Severity != nil && *c.Severity != "" {
		toolSev = *c.Severity
		// Checkov only has severities with a Bridgecrew/Prisma API key;
		// without one DefectDojo and ctem both call a failed check medium.
		fd.Severity = report.SeverityOr(toolSev, model.SevMedium)
	}
	if len(c.FileLineRange) > 0 {
		fd.Location.Line = c.FileLineRange[0]
		if len(c.FileLineRange) > 1 && c.FileLineRange[1] > fd.Location.Line {
			fd.Location.EndLine = c.FileLineRange[1]
		}
	}
	if c.Description != nil {
		fd.Description = *c.Description
	} else if c.ShortDescription != nil {
		fd.Description = *c.ShortDescription
	}
	if checkType != "" {
		fd.Description = strings.TrimSpace("Check type: " + checkType + "\n" + fd.Description)
	}
	references.Add(&fd, c.Guideline)
	toolID := c.CheckID
	if checkType == "secrets" {
		fd.Kind = model.KindSecret
	}
	if v := c.Vulnerability; v != nil && v.ID != "" {
		fd.Kind = model.KindVulnerability
		fd.VulnID, fd.Aliases = report.VulnIDs(v.ID)
		fd.Component = model.Component{Name: v.PackageName, Version: v.PackageVersion, Path: fd.Location.File}
		if v.FixedVersion != nil {
			fd.Component.FixedVersion = *v.FixedVersion
		}
		report.AddCVSS(&fd, v.Vector)
		references.Add(&fd, v.Link)
		if v.Description != "" {
			fd.Description = v.Description
		}
		if toolSev == "" && v.Severity != "" {
			toolSev = v.Severity
			fd.Severity = report.SeverityOr(v.Severity, model.SevMedium)
		}
		toolID = fd.VulnID
	}
	var ev []string
	if len(c.CheckResult.EvaluatedKeys) > 0 {
		ev = append(ev, "Evaluated keys: "+strings.Join(c.CheckResult.EvaluatedKeys, ", "))
	}
	ev = append(ev, c.Details...)
	obs := report.Observation{
		Asset:        repoAsset(),
		ToolID:       toolID,
		ToolSeverity: toolSev,
		Evidence:     report.Truncate(strings.Join(ev, "\n"), 4<<10),
		Finding:      fd,
	}
	// The IaC resource address identifies the finding when lines move.
	if c.Resource != "" {
		obs.Anchor = fd.Location.Resource
	}
	return p.sink.Observe(obs)
}

// qualified names an IaC resource by its file too: an address such as
// aws_s3_bucket.this repeats in every module of a repository, and a
// misconfiguration is keyed by its resource.
func qualified(file, resource string) string {
	if file == "" || resource == "" || strings.HasPrefix(resource, file) {
		return resource
	}
	return file + ":" + resource
}
