// Package awsprowlerv3plus reads Prowler v3 JSON output (an array of
// PascalCase check results) and Prowler v4 OCSF JSON (schema 1.2, product
// version 4.x). Prowler v5 OCSF and all Prowler CSV belong to the prowler
// format, which this package shares the OCSF mapping with.
package awsprowlerv3plus

import (
	"bytes"
	"context"
	"io"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/nonempty"
	"github.com/ctemhq/ctem/internal/discover/formats/prowler"
	"github.com/ctemhq/ctem/internal/discover/report"
)

type format struct{}

// New returns the Prowler v3/v4 JSON format.
func New() report.Format { return format{} }

func (format) Name() string        { return "aws_prowler_v3plus" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Prowler v3 JSON and v4 OCSF JSON results" }

func (format) Detect(head []byte) int {
	h := lead.Trim(head)
	if len(h) == 0 || h[0] != '[' {
		return 0
	}
	if isV3(h) {
		return 95
	}
	if gen, ok := prowler.OCSFGeneration(head); ok && gen <= 4 {
		return 90
	}
	return 0
}

// isV3 recognizes Prowler v3's own JSON: each result names its check
// (CheckID), unique id and extended status in PascalCase.
func isV3(h []byte) bool {
	return bytes.Contains(h, []byte(`"FindingUniqueId"`)) && bytes.Contains(h, []byte(`"CheckID"`)) &&
		bytes.Contains(h, []byte(`"StatusExtended"`))
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := lead.SkipBOM(r)
	peek, _ := br.Peek(64 << 10)
	h := lead.Trim(peek)
	if len(h) == 0 || h[0] != '[' {
		return report.Errorf(0, "expected a JSON array of Prowler results")
	}
	if !isV3(h) && bytes.Contains(h, []byte(`"event_code"`)) {
		return prowler.ParseOCSF(ctx, br, sink)
	}
	return parseV3(ctx, br, sink)
}

type v3Result struct {
	FindingUniqueID string   `json:"FindingUniqueId"`
	Provider        string   `json:"Provider"`
	CheckID         string   `json:"CheckID"`
	CheckTitle      string   `json:"CheckTitle"`
	CheckType       []string `json:"CheckType"`
	ServiceName     string   `json:"ServiceName"`
	Status          string   `json:"Status"`
	StatusExtended  string   `json:"StatusExtended"`
	Severity        string   `json:"Severity"`
	ResourceType    string   `json:"ResourceType"`
	Description     string   `json:"Description"`
	Risk            string   `json:"Risk"`
	RelatedURL      string   `json:"RelatedUrl"`
	Remediation     struct {
		Recommendation struct {
			Text string `json:"Text"`
			URL  string `json:"Url"`
		} `json:"Recommendation"`
	} `json:"Remediation"`
	AccountID   string `json:"AccountId"`
	Region      string `json:"Region"`
	ResourceID  string `json:"ResourceId"`
	ResourceArn string `json:"ResourceArn"`
	// Azure and GCP results of Prowler v3 name the account differently.
	Subscription string `json:"Subscription"`
	ProjectID    string `json:"ProjectId"`
	Location     string `json:"Location"`
	ResourceName string `json:"ResourceName"`
	Muted        bool   `json:"Muted"`
}

func parseV3(ctx context.Context, r io.Reader, sink report.Sink) error {
	js := report.NewJSONStream(r)
	seen := map[string]bool{}
	err := js.Array(func(int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		off := js.Offset()
		var v v3Result
		if err := js.Decode(&v); err != nil {
			return err
		}
		if v.CheckID == "" && v.Status == "" {
			return report.Errorf(off, "expected a Prowler v3 result with CheckID and Status")
		}
		c := prowler.Check{
			Provider:     nonempty.First(v.Provider, "aws"),
			Account:      nonempty.First(v.AccountID, v.Subscription, v.ProjectID),
			Region:       nonempty.First(v.Region, v.Location),
			CheckID:      v.CheckID,
			Status:       v.Status,
			Muted:        v.Muted,
			Severity:     v.Severity,
			Title:        nonempty.First(v.StatusExtended, v.CheckTitle),
			Description:  v.Description,
			Risk:         v.Risk,
			StatusDetail: v.StatusExtended,
			Remediation:  v.Remediation.Recommendation.Text,
			ResourceUID:  nonempty.First(v.ResourceArn, v.ResourceID),
			ResourceName: nonempty.First(v.ResourceName, v.ResourceID),
			ResourceType: v.ResourceType,
			Service:      v.ServiceName,
			Refs:         []string{v.Remediation.Recommendation.URL, v.RelatedURL},
		}
		return c.Emit(sink, seen)
	})
	if err != nil {
		return err
	}
	return js.End()
}
