// Package prowler reads Prowler v4/v5 results: the semicolon-separated CSV
// (also Prowler v3's CSV, whose columns differ a little) and the OCSF JSON
// array (-M json-ocsf). Prowler v4's OCSF output (schema 1.2, product
// version 4.x) belongs to the aws_prowler_v3plus format; the OCSF mapping is
// exported for it, so both read a Prowler OCSF finding the same way.
package prowler

import (
	"bytes"
	"context"
	"io"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/lead"
	"github.com/ctemhq/ctem/internal/discover/report"
)

type format struct{}

// New returns the Prowler v4/v5 format.
func New() report.Format { return format{} }

func (format) Name() string        { return "prowler" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Prowler v4/v5 CSV and OCSF JSON results" }

func (format) Detect(head []byte) int {
	h := lead.Trim(head)
	if len(h) == 0 {
		return 0
	}
	if h[0] == '[' {
		if gen, ok := OCSFGeneration(head); ok && gen >= 5 {
			return 90
		}
		return 0
	}
	if isProwlerCSVHeader(firstLine(h)) {
		return 95
	}
	return 0
}

func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := lead.SkipBOM(r)
	peek, _ := br.Peek(4 << 10)
	h := lead.Trim(peek)
	if len(h) == 0 {
		return report.Errorf(0, "empty input: expected a Prowler CSV header or OCSF JSON array")
	}
	if h[0] == '[' || h[0] == '{' {
		return ParseOCSF(ctx, br, sink)
	}
	return parseCSV(ctx, br, sink)
}

func firstLine(h []byte) []byte {
	if i := bytes.IndexByte(h, '\n'); i >= 0 {
		return bytes.TrimRight(h[:i], "\r")
	}
	return h
}
