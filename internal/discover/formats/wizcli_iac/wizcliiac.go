// Package wizcliiac parses the JSON result of a wiz CLI infrastructure as
// code scan (wizcli iac scan --format json): rule matches in Terraform,
// Kubernetes, Dockerfile, CloudFormation... files, and secrets. The scanned
// tree is a repository asset without identifiers; the pipeline names it
// after the import.
package wizcliiac

import (
	"context"
	"io"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/wizcli"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the wiz CLI IaC scan parser.
type Format struct{}

// New returns the wiz CLI IaC scan format.
func New() report.Format { return Format{} }

// Name implements report.Format.
func (Format) Name() string { return "wizcli_iac" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string { return "wiz CLI IaC scan JSON (wizcli iac scan)" }

// Detect claims a wiz CLI result whose origin or result type is IaC.
func (Format) Detect(head []byte) int {
	origin, result := wizcli.DetectOrigin(head)
	switch {
	case origin == "CICDScanOriginIAC":
		return 100
	case origin == "" && result == "CICDIACScanResult":
		return 80
	}
	return 0
}

// Parse implements report.Format.
func (Format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	return wizcli.ParseScan(ctx, r, sink, func(wizcli.Origin) report.AssetRef {
		return report.AssetRef{Kind: model.AssetRepository}
	})
}
