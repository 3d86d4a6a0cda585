// Package prowler reads Prowler v4/v5 results: the semicolon-separated CSV
// (also Prowler v3's CSV, whose columns differ a little) and the OCSF JSON
// array (-M json-ocsf). Prowler v4's OCSF output (schema 1.2, product
// version 4.x) belongs to the aws_prowler_v3plus format; the OCSF mapping is
// exported for it, so both read a Prowler OCSF finding the same way.
package prowler

import (
	"bufio"
	"bytes"
	"context"
	"io"

	"github.com/ctemhq/ctem/internal/discover/report"
)

type format struct{}

// New returns the Prowler v4/v5 format.
func New() report.Format { return format{} }

func (format) Name() string        { return "prowler" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "Prowler v4/v5 CSV and OCSF JSON results" }

func (format) Detect(head []byte) int {
	h := trimHead(head)
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
	br := skipBOM(r)
	peek, _ := br.Peek(4 << 10)
	h := trimHead(peek)
	if len(h) == 0 {
		return report.Errorf(0, "empty input: expected a Prowler CSV header or OCSF JSON array")
	}
	if h[0] == '[' || h[0] == '{' {
		return ParseOCSF(ctx, br, sink)
	}
	return parseCSV(ctx, br, sink)
}

func trimHead(head []byte) []byte {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	return bytes.TrimLeft(head, " \t\r\n")
}

func firstLine(h []byte) []byte {
	if i := bytes.IndexByte(h, '\n'); i >= 0 {
		return bytes.TrimRight(h[:i], "\r")
	}
	return h
}

// skipBOM drops a UTF-8 byte order mark, which some Windows tools write and
// the JSON decoder rejects.
func skipBOM(r io.Reader) *bufio.Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	return br
}
