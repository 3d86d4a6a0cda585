package backtest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// CVSSScore is one CVE's NVD base score: the severity baseline of the
// backtest and the vector the policy reads Automatable and Technical Impact
// from.
type CVSSScore struct {
	Version   string    // 2.0, 3.0 or 3.1
	Score     float64   // base score
	Vector    string    // base vector
	Published time.Time // CVE publication date (zero when the file has none)
}

// V3 reports whether the score is a CVSS v3.x score.
func (s CVSSScore) V3() bool { return strings.HasPrefix(s.Version, "3") }

// CVSSTable is a per-CVE table of base scores.
type CVSSTable struct {
	Scores map[string]CVSSScore
	Rows   int
	V3     int // rows with a v3.x score
	// Columns are the columns read; every other column of the file is
	// skipped without being parsed.
	Columns []string
}

// The only columns ReadCVSS reads. The CVSS-BT dataset (t0sche/cvss-bt)
// also has cvss-bt_score/_severity/_vector (a temporal score from exploit
// evidence), epss, cisa_kev, vulncheck_kev, exploitdb, metasploit, nuclei
// and poc_github: they describe the day the file was built and would leak
// later knowledge into a backtest dated before it, so they are never read.
var cvssColumns = []string{"cve", "cvss_version", "base_score", "base_vector", "published_date"}

// ReadCVSS streams a CSV (plain or gzip'd) with the columns cve,
// cvss_version, base_score and base_vector (published_date optional) — the
// layout of the CVSS-BT dataset — and keeps one base score per CVE. Only
// those columns are read: a CVSS-BT file's temporal score and exploit,
// EPSS and KEV flags are ignored (see cvssColumns). A row without a base
// score is skipped; a CVE listed twice is an error.
func ReadCVSS(r io.Reader) (*CVSSTable, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var in io.Reader = br
	if head, _ := br.Peek(2); bytes.Equal(head, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("cvss: gzip: %w", err)
		}
		defer zr.Close()
		in = zr
	}
	cr := csv.NewReader(in)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("cvss: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		for _, want := range cvssColumns {
			if h == want {
				col[h] = i
			}
		}
	}
	for _, need := range cvssColumns[:4] {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("cvss: header lacks the %s column (want %s)", need, strings.Join(cvssColumns[:4], ","))
		}
	}
	t := &CVSSTable{Scores: make(map[string]CVSSScore, 1<<18)}
	for _, c := range cvssColumns {
		if _, ok := col[c]; ok {
			t.Columns = append(t.Columns, c)
		}
	}
	pub, hasPub := col["published_date"]
	versions := map[string]string{} // interned
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cvss: %w", err)
		}
		line, _ := cr.FieldPos(0)
		id := strings.TrimSpace(rec[col["cve"]])
		if !strings.HasPrefix(id, "CVE-") {
			return nil, fmt.Errorf("cvss: line %d: %q is not a CVE id", line, id)
		}
		s := strings.TrimSpace(rec[col["base_score"]])
		if s == "" {
			continue
		}
		score, err := strconv.ParseFloat(s, 64)
		if err != nil || !(score >= 0 && score <= 10) { // NaN too
			return nil, fmt.Errorf("cvss: line %d: %s: base_score %q is not a score in [0, 10]", line, id, s)
		}
		v := strings.TrimSpace(rec[col["cvss_version"]])
		if iv, ok := versions[v]; ok {
			v = iv
		} else {
			v = strings.Clone(v)
			versions[v] = v
		}
		sc := CVSSScore{Version: v, Score: score, Vector: strings.TrimSpace(rec[col["base_vector"]])}
		if hasPub {
			if p := strings.TrimSpace(rec[pub]); p != "" {
				if sc.Published, err = parseDay(p); err != nil {
					return nil, fmt.Errorf("cvss: line %d: %s: published_date %q: %v", line, id, p, err)
				}
			}
		}
		if _, dup := t.Scores[id]; dup {
			return nil, fmt.Errorf("cvss: line %d: %s is listed twice", line, id)
		}
		t.Scores[strings.Clone(id)] = sc
		t.Rows++
		if sc.V3() {
			t.V3++
		}
	}
	if t.Rows == 0 {
		return nil, errors.New("cvss: no scores")
	}
	return t, nil
}

// parseDay reads the date part of a timestamp such as 2024-03-04T12:15Z.
func parseDay(s string) (time.Time, error) {
	if len(s) < 10 {
		return time.Time{}, errors.New("not a date")
	}
	return time.Parse("2006-01-02", s[:10])
}
