// Package csvx holds the encoding/csv helpers the CSV report formats share:
// a reader for exports with a byte order mark and ragged rows, header
// column lookup, and errors placed at their line.
package csvx

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
)

var bom = []byte{0xEF, 0xBB, 0xBF}

// NewReader reads CSV records from r, without a leading UTF-8 byte order
// mark, with rows of any length; the record slice is reused between reads.
func NewReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(&bomSkipper{r: r})
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	return cr
}

// bomSkipper drops a leading UTF-8 byte-order mark.
type bomSkipper struct {
	r    io.Reader
	done bool
}

func (b *bomSkipper) Read(p []byte) (int, error) {
	if !b.done {
		b.done = true
		var head [3]byte
		n, err := io.ReadFull(b.r, head[:])
		if n == 3 && bytes.Equal(head[:], bom) {
			return b.r.Read(p)
		}
		b.r = io.MultiReader(bytes.NewReader(head[:n]), b.r)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return 0, err
		}
	}
	return b.r.Read(p)
}

// Header indexes a header record: the column of each name, lower-cased and
// trimmed; the first of two columns with one name wins.
func Header(rec []string) map[string]int {
	cols := map[string]int{}
	for i, c := range rec {
		c = strings.ToLower(strings.TrimSpace(c))
		if _, dup := cols[c]; !dup {
			cols[c] = i
		}
	}
	return cols
}

// ReadLine parses one line of CSV (a header line in a detection head), nil
// when it is not valid CSV.
func ReadLine(line string) []string {
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return nil
	}
	return rec
}

// Error places an error of cr: a parse error at its line and column,
// anything else at the reader's offset. When expected is set ("a Wiz CSV
// header"), io.EOF is an input without even a header: "empty input:
// expected <expected>" at line 1.
func Error(cr *csv.Reader, err error, expected string) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return report.AtLine(pe.Line, pe.Column, err)
	}
	if expected != "" && errors.Is(err, io.EOF) {
		return report.AtLine(1, 1, errors.New("empty input: expected "+expected))
	}
	return report.AtOffset(cr.InputOffset(), err)
}

// Describe says a reader error as what went wrong for the format ("malformed
// Prowler CSV row"): a parse error as "<what>: <cause>" at its line and
// column, io.EOF as "<what>: empty input" at line 1, anything else as it
// is, without a place.
func Describe(err error, what string) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return report.AtLine(pe.Line, pe.Column, errors.New(what+": "+pe.Err.Error()))
	}
	if err == io.EOF {
		return report.AtLine(1, 1, errors.New(what+": empty input"))
	}
	return report.AtLine(0, 0, err)
}

// ContainsFold reports whether line contains word (ASCII, lower case) in
// any case. Detectors test a head line for a column name they require
// before parsing it as CSV: a parse costs a reader and a map per line, and
// a JSON report's head has hundreds of lines, none of them CSV.
func ContainsFold(line []byte, word string) bool {
	for i := 0; i+len(word) <= len(line); i++ {
		if bytes.EqualFold(line[i:i+len(word)], []byte(word)) {
			return true
		}
	}
	return false
}
