// Package wizcliimg parses the JSON result of a wiz CLI container image
// scan (wizcli docker scan --format json): vulnerable OS packages and
// libraries and secrets in the image. The image is the asset, named by the
// reference wiz CLI scanned and, when the result has them, its digest and
// image id.
package wizcliimg

import (
	"context"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/wizcli"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
)

// Format is the wiz CLI image scan parser.
type Format struct{}

// New returns the wiz CLI image scan format.
func New() report.Format { return Format{} }

// Name implements report.Format.
func (Format) Name() string { return "wizcli_img" }

// Version implements report.Format.
func (Format) Version() int { return 1 }

// Description implements report.Format.
func (Format) Description() string { return "wiz CLI container image scan JSON (wizcli docker scan)" }

// Detect claims a wiz CLI result whose scan origin is a container image.
func (Format) Detect(head []byte) int {
	if origin, _ := wizcli.DetectOrigin(head); origin == "CICDScanOriginContainerImage" {
		return 100
	}
	return 0
}

// Parse implements report.Format.
func (Format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	return wizcli.ParseScan(ctx, r, sink, imageRef)
}

// imageRef names the image: the reference as scanned (image_ref), the
// digest (image_digest, "repo@sha256:..." kept as "sha256:...") and the
// image id (image_id).
func imageRef(o wizcli.Origin) report.AssetRef {
	ref := report.AssetRef{Kind: model.AssetImage, Name: strings.TrimSpace(o.Name)}
	if ref.Name != "" {
		ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: model.IDImageRef, Value: ref.Name})
	}
	if d := strings.TrimSpace(o.Digest); d != "" {
		if i := strings.LastIndex(d, "@"); i >= 0 {
			d = d[i+1:]
		}
		if !strings.Contains(d, ":") {
			d = "sha256:" + d
		}
		ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: model.IDImageDigest, Value: strings.ToLower(d)})
	}
	if id := strings.TrimSpace(o.ID); id != "" {
		if !strings.Contains(id, ":") && len(id) == 64 {
			id = "sha256:" + id
		}
		ref.Identifiers = append(ref.Identifiers, model.Identifier{Kind: model.IDImageID, Value: strings.ToLower(id)})
	}
	if ref.Name == "" && len(ref.Identifiers) > 0 {
		ref.Name = ref.Identifiers[0].Value
	}
	return ref
}
