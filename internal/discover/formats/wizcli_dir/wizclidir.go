// Package wizclidir parses the JSON result of a wiz CLI directory scan
// (wizcli dir scan --format json): vulnerable libraries and OS packages and
// secrets found in a source tree. The tree is a repository asset without
// identifiers (a local path names no repository); the pipeline names it
// after the import.
package wizclidir

import (
	"context"
	"io"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/wizcli"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the wiz CLI directory scan parser.
type Format struct{}

// New returns the wiz CLI directory scan format.
func New() report.Format { return Format{} }

// Name implements report.Format.
func (Format) Name() string { return "wizcli_dir" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string { return "wiz CLI directory scan JSON (wizcli dir scan)" }

// Detect claims a wiz CLI result whose scan origin is a directory; image
// and IaC results share the layout and belong to their own formats.
func (Format) Detect(head []byte) int {
	if origin, _ := wizcli.DetectOrigin(head); origin == "CICDScanOriginDirectory" {
		return 100
	}
	return 0
}

// Parse implements report.Format.
func (Format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	return wizcli.ParseScan(ctx, r, sink, func(wizcli.Origin) report.AssetRef {
		return report.AssetRef{Kind: model.AssetRepository}
	})
}
