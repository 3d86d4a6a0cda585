// Package trivy reads Trivy JSON reports: the current schema (SchemaVersion
// 2 with Results[]), the legacy top-level array of results, and Kubernetes
// cluster reports (ClusterName with Resources[], or the older split
// Vulnerabilities[] / Misconfigurations[] lists). Vulnerabilities,
// misconfigurations, secrets and licenses become ctem observations; the
// scanned image, repository, host or Kubernetes workload becomes the asset.
package trivy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"regexp"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/report"
)

type format struct{}

// New returns the Trivy JSON format.
func New() report.Format { return format{} }

func (format) Name() string { return "trivy" }
func (format) Version() int { return 1 }
func (format) Description() string {
	return "Trivy JSON report (image, filesystem, repository, SBOM and Kubernetes scans)"
}

var (
	// Trivy writes its keys in Go field order with exact capitalisation, so
	// case-sensitive key matches keep Trivy Operator CRDs (camelCase) and
	// AWS Security Finding Format files (SchemaVersion is a date string
	// there) out.
	reSchema2      = regexp.MustCompile(`"SchemaVersion"\s*:\s*2\s*[,}]`)
	reArtifactKeys = regexp.MustCompile(`"(ArtifactName|ArtifactType|Results)"\s*:`)
	reCluster      = regexp.MustCompile(`"ClusterName"\s*:\s*("|null)`)
	reK8sLists     = regexp.MustCompile(`"(Resources|Findings|Vulnerabilities|Misconfigurations)"\s*:\s*(\[|null)`)
	reK8sResource  = regexp.MustCompile(`"(Namespace|Kind|Results|Target)"\s*:`)
	reResultsArray = regexp.MustCompile(`"Results"\s*:\s*\[\s*(\]|\{\s*"Target"\s*:)`)
	reLegacyStart  = regexp.MustCompile(`^\[\s*\{\s*"Target"\s*:`)
	reLegacyLists  = regexp.MustCompile(`"(Vulnerabilities|Misconfigurations|Secrets|Licenses)"\s*:`)
	reVulnKeys     = regexp.MustCompile(`"VulnerabilityID"\s*:[^{}]*"PkgName"\s*:`)
)

// Detect recognizes Trivy's JSON by its capitalised top-level keys.
func (format) Detect(head []byte) int {
	h := bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))
	if len(h) == 0 {
		return 0
	}
	switch h[0] {
	case 'n':
		// Legacy Trivy writes a bare null for an image without findings.
		// Claim it weakly: it is valid but says nothing.
		if bytes.Equal(h, []byte("null")) {
			return 10
		}
		return 0
	case '[':
		if reLegacyStart.Match(h) && (reLegacyLists.Match(h) || reVulnKeys.Match(h)) {
			return 80
		}
		return 0
	case '{':
	default:
		return 0
	}
	switch {
	case reSchema2.Match(h) && reArtifactKeys.Match(h):
		return 100
	case reCluster.Match(h) && reK8sLists.Match(h) && reK8sResource.Match(h):
		return 90
	case reResultsArray.Match(h) && bytes.Contains(h, []byte(`"ArtifactName"`)):
		return 70
	}
	return 0
}

// Parse streams a Trivy report into sink.
func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	// A small buffer: it only serves Peek, the JSON decoder reads through
	// it with its own, and most reports are small files.
	br := bufio.NewReader(r)
	first, skipped, err := lead.Peek(br, "a Trivy JSON report")
	if err != nil {
		return err
	}
	p := newParser(ctx, br, sink)
	return lead.Shift(p.run(first), skipped)
}
