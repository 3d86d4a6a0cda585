// Package awssecurityhub reads AWS Security Hub finding exports: the JSON
// object that `aws securityhub get-findings` (and the console export) write,
// {"Findings": [ASFF finding, ...]}. Each finding is mapped like the ASFF
// format maps it: Inspector findings become vulnerabilities, GuardDuty
// findings detections, and control/Config/partner checks misconfigurations.
package awssecurityhub

import (
	"bytes"
	"context"
	"io"

	"github.com/ctemhq/ctem/internal/discover/formats/asff"
	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/report"
)

type format struct{}

// New returns the Security Hub export format.
func New() report.Format { return format{} }

func (format) Name() string        { return "awssecurityhub" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "AWS Security Hub findings JSON export" }

// Detect claims an object root holding ASFF findings under "Findings" (the
// CLI spelling) or "findings". Inspector2's own export also uses "findings",
// but its findings are camel-case (findingArn) without SchemaVersion.
func (format) Detect(head []byte) int {
	if asff.Root(head) != '{' {
		return 0
	}
	hasKey := bytes.Contains(head, []byte(`"Findings"`)) || bytes.Contains(head, []byte(`"findings"`))
	if !hasKey {
		return 0
	}
	if asff.LooksLikeASFF(head) {
		return 95
	}
	// An empty CLI export: {"Findings": []}. Only the capitalised key is
	// Security Hub's; the lower-case one is Inspector2's empty export.
	if bytes.Contains(head, []byte(`"Findings"`)) && !bytes.Contains(head, []byte(`"findingArn"`)) && emptyFindings(head) {
		return 40
	}
	return 0
}

// emptyFindings reports whether head is a whole document with no finding
// objects in it.
func emptyFindings(head []byte) bool {
	return bytes.Count(head, []byte("{")) == 1 && bytes.Count(head, []byte("}")) == 1
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	js := report.NewJSONStream(lead.SkipBOM(r))
	e := asff.NewEmitter(sink)
	found := false
	err := js.Object(func(key string) error {
		if key != "Findings" && key != "findings" {
			return js.Skip()
		}
		found = true
		return js.Array(func(int) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return e.Next(js)
		})
	})
	if err != nil {
		return err
	}
	if !found {
		return report.Errorf(js.Offset(), `expected a Security Hub export object with a "Findings" array`)
	}
	return js.End()
}
