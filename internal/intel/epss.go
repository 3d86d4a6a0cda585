package intel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strconv"
	"strings"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/store"
)

// EPSSReader streams a FIRST EPSS daily CSV, plain or gzip'd (every gzip
// member is read: some files put the metadata line in a member of its own):
//
//	#model_version:v2025.03.14,score_date:2026-01-30T12:55:00Z
//	cve,epss,percentile
//	CVE-1999-0001,0.01151,0.78086
//
// The metadata line is absent from files before 2022-02-04; then Day has no
// date and the caller supplies one (e.g. from the file name). Scores may use
// exponent notation (5e-05).
type EPSSReader struct {
	r    *bufio.Reader
	day  store.EPSSDay
	line int // lines read
	cve  int // column indexes
	epss int
	pct  int // -1 when absent
	cols int
	rows int
	used bool

	fields [][]byte // reused per row
	starts []int
}

// NewEPSSReader reads the metadata line and the header.
func NewEPSSReader(r io.Reader) (*EPSSReader, error) {
	dr, err := decompress(r)
	if err != nil {
		return nil, report.AtLine(1, 1, err)
	}
	e := &EPSSReader{r: bufio.NewReaderSize(dr, 64<<10), pct: -1}
	for {
		line, err := e.next()
		if err == io.EOF {
			return nil, report.AtLine(e.line+1, 1, errors.New("not an EPSS file: no header (cve,epss,percentile)"))
		}
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			if err := e.meta(string(line[1:])); err != nil {
				return nil, report.AtLine(e.line, 1, err)
			}
			continue
		}
		return e, e.header(line)
	}
}

// next returns the next line without its line ending; the slice is valid
// until the following call.
func (e *EPSSReader) next() ([]byte, error) {
	line, err := e.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, report.AtLine(e.line+1, 1, fmt.Errorf("line longer than %d bytes", e.r.Size()))
	}
	if err == io.EOF && len(line) > 0 {
		err = nil
	}
	if err != nil {
		if err != io.EOF {
			err = report.AtLine(e.line+1, 1, err)
		}
		return nil, err
	}
	e.line++
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, nil
}

// meta reads "model_version:v2025.03.14,score_date:2026-01-30T12:55:00Z".
func (e *EPSSReader) meta(s string) error {
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "model_version":
			e.day.ModelVersion = v
		case "score_date":
			t, err := parseTime(v)
			if err != nil {
				return fmt.Errorf("score_date: %v", err)
			}
			e.day.ScoredAt = t
			e.day.Date = day(t)
		}
	}
	return nil
}

func (e *EPSSReader) header(line []byte) error {
	e.cve, e.epss = -1, -1
	fields := bytes.Split(line, []byte(","))
	e.cols = len(fields)
	for i, f := range fields {
		switch strings.ToLower(strings.TrimSpace(string(f))) {
		case "cve":
			e.cve = i
		case "epss":
			e.epss = i
		case "percentile":
			e.pct = i
		}
	}
	if e.cve < 0 || e.epss < 0 {
		return report.AtLine(e.line, 1, fmt.Errorf("not an EPSS file: header %q lacks the cve and epss columns", clip(string(line), 80)))
	}
	return nil
}

// Day describes the file: its score date and model version (Rows and
// SHA256 are not set).
func (e *EPSSReader) Day() store.EPSSDay { return e.day }

// Rows is the number of scores read so far.
func (e *EPSSReader) Rows() int { return e.rows }

// Scores yields the scores, one per data row, then stops at the end of the
// file or at the first malformed row (yielding its ParseError). It can be
// ranged over once.
func (e *EPSSReader) Scores() iter.Seq2[store.EPSSScore, error] {
	return func(yield func(store.EPSSScore, error) bool) {
		if e.used {
			yield(store.EPSSScore{}, errors.New("EPSS scores already read"))
			return
		}
		e.used = true
		var prev string
		for {
			line, err := e.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(store.EPSSScore{}, err)
				return
			}
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			sc, err := e.row(line, prev)
			if err != nil {
				yield(store.EPSSScore{}, err)
				return
			}
			e.rows++
			prev = sc.VulnID
			if !yield(sc, nil) {
				return
			}
		}
	}
}

func (e *EPSSReader) row(line []byte, prev string) (store.EPSSScore, error) {
	var sc store.EPSSScore
	fields, cols := e.fields[:0], e.starts[:0]
	start := 0
	for i, c := range line {
		if c == ',' {
			fields = append(fields, line[start:i])
			cols = append(cols, start+1)
			start = i + 1
		}
	}
	fields = append(fields, line[start:])
	cols = append(cols, start+1)
	e.fields, e.starts = fields, cols
	if len(fields) != e.cols {
		return sc, report.AtLine(e.line, 1, fmt.Errorf("%d fields, want %d (cve,epss,percentile)", len(fields), e.cols))
	}
	id := fields[e.cve]
	if !isCVE(id) {
		return sc, report.AtLine(e.line, cols[e.cve], fmt.Errorf("%q is not a CVE id", clip(string(id), 40)))
	}
	sc.VulnID = string(id)
	if sc.VulnID == prev {
		return sc, report.AtLine(e.line, cols[e.cve], fmt.Errorf("%s is scored twice", sc.VulnID))
	}
	var err error
	if sc.EPSS, err = probability(fields[e.epss]); err != nil {
		return sc, report.AtLine(e.line, cols[e.epss], fmt.Errorf("%s: epss: %v", sc.VulnID, err))
	}
	if e.pct >= 0 {
		if sc.Percentile, err = probability(fields[e.pct]); err != nil {
			return sc, report.AtLine(e.line, cols[e.pct], fmt.Errorf("%s: percentile: %v", sc.VulnID, err))
		}
	}
	return sc, nil
}

// probability parses a number in [0, 1], in any notation ParseFloat takes.
func probability(b []byte) (float64, error) {
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(b)), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", clip(string(b), 40))
	}
	if math.IsNaN(f) || f < 0 || f > 1 {
		return 0, fmt.Errorf("%q is not between 0 and 1", clip(string(b), 40))
	}
	return f, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
