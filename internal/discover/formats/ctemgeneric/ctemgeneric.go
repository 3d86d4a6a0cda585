// Package ctemgeneric parses ctem's own generic findings format, for tools
// ctem has no parser for: a small JSON document ({"ctem": "findings/v1",
// "findings": [...]}) or a CSV file with one finding per row, both written by
// users' export scripts. docs/generic-format.md is the format's definition.
//
// Unlike the parsers of third-party reports, this one is strict: the format
// is ours, so an unknown key or column, an unknown kind, a severity that is
// not a severity or a CVSS vector that does not parse is an error naming the
// field, rather than a silently dropped value. The people reading those
// errors are the authors of the scripts, who can fix them.
package ctemgeneric

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/jsonx"
	"github.com/ctemhq/ctem/internal/discover/report"
)

type format struct{}

// New returns the ctem generic format.
func New() report.Format { return format{} }

func (format) Name() string        { return "ctem" }
func (format) Version() int        { return 1 }
func (format) Description() string { return "ctem generic findings (JSON or CSV)" }

var bom = []byte("\xef\xbb\xbf")

// Detect claims JSON whose top-level "ctem" key starts with "findings/"
// (certain: no other tool writes that) and CSV whose header has both title
// and asset_kind columns (asset_kind is this format's own column name).
func (format) Detect(head []byte) int {
	head = bytes.TrimPrefix(head, bom)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return 0
	}
	if trimmed[0] == '{' {
		if detectJSON(trimmed) {
			return 100
		}
		return 0
	}
	if detectCSV(head) {
		return 90
	}
	return 0
}

// detectJSON walks the top-level keys of a possibly truncated document for
// "ctem"; it skips the values of other keys, so the marker may come after a
// short "findings" array too.
func detectJSON(head []byte) bool {
	if !bytes.Contains(head, []byte(`"ctem"`)) {
		return false // cheap refusal: detection runs every format on every file
	}
	dec := json.NewDecoder(bytes.NewReader(head))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if key, _ := tok.(string); key == "ctem" {
			v, err := dec.Token()
			s, ok := v.(string)
			return err == nil && ok && strings.HasPrefix(s, versionPrefix)
		}
		if err := jsonx.SkipValue(dec); err != nil {
			return false
		}
	}
	return false
}

func detectCSV(head []byte) bool {
	cr := newCSVReader(bytes.NewReader(head), sniffComma(head))
	rec, err := cr.Read()
	if err != nil {
		return false
	}
	title, kind := false, false
	for _, cell := range rec {
		switch columnName(cell) {
		case "title":
			title = true
		case "asset_kind":
			kind = true
		}
	}
	return title && kind
}

// Parse reads JSON when the first non-blank byte opens an object or array,
// CSV otherwise.
func (format) Parse(ctx context.Context, r io.Reader, sink report.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(len(bom)); err == nil && bytes.Equal(b, bom) {
		_, _ = br.Discard(len(bom))
	}
	first, err := firstByte(br)
	if err != nil {
		return err
	}
	if first == '{' || first == '[' {
		return parseJSON(ctx, br, sink)
	}
	return parseCSV(ctx, br, sink)
}

// firstByte peeks past leading white space without consuming anything.
func firstByte(br *bufio.Reader) (byte, error) {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if len(b) == n {
			switch c := b[n-1]; c {
			case ' ', '\t', '\r', '\n':
				if n < br.Size() {
					continue
				}
				return c, nil
			default:
				return c, nil
			}
		}
		if errors.Is(err, io.EOF) {
			return 0, report.Errorf(0, "empty input: expected a ctem findings file (JSON with \"ctem\": %q, or CSV with a header row)", Version)
		}
		return 0, report.AtOffset(0, err)
	}
}
