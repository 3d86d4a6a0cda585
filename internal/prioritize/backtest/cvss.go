package backtest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/prioritize"
)

// CVSSScore is one CVE's NVD base score: the severity baseline of the
// backtest and the vector the policy reads Automatable and Technical Impact
// from.
type CVSSScore struct {
	Version   string    // 2.0, 3.0 or 3.1
	Score     float64   // base score
	Vector    string    // base vector
	Published time.Time // CVE publication date (zero when the file has none)
	// Exploit is the public-exploit flags (ExploitDB … Nuclei bits), read
	// only by ReadCVSSWithExploits.
	Exploit uint8
}

// Public-exploit flags of the CVSS-BT dataset, as CVSSScore.Exploit bits.
const (
	ExploitDB     = 1 << iota // an ExploitDB entry
	ExploitPoC                // a proof of concept on GitHub (PoC-in-GitHub)
	ExploitMSF                // a Metasploit module
	ExploitNuclei             // a Nuclei template
)

// Maturity is the exploit maturity the flags say: weaponized for a
// Metasploit module or a Nuclei template (ready-made, automatable
// tooling), poc for an ExploitDB entry or a GitHub proof of concept,
// none otherwise. The values are prioritize's.
func (s CVSSScore) Maturity() string {
	switch {
	case s.Exploit&(ExploitMSF|ExploitNuclei) != 0:
		return prioritize.MaturityWeaponized
	case s.Exploit&(ExploitDB|ExploitPoC) != 0:
		return prioritize.MaturityPoC
	}
	return prioritize.MaturityNone
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
	// Exploits: the exploit flag columns were read (ReadCVSSWithExploits).
	Exploits bool
}

// The only columns ReadCVSS reads. The CVSS-BT dataset (t0sche/cvss-bt)
// also has cvss-bt_score/_severity/_vector (a temporal score from exploit
// evidence), epss, cisa_kev, vulncheck_kev, exploitdb, metasploit, nuclei
// and poc_github: they describe the day the file was built and would leak
// later knowledge into a backtest dated before it, so they are never read —
// except the four exploit flags by ReadCVSSWithExploits, which the report
// then names as an input read on the file's date.
var cvssColumns = []string{"cve", "cvss_version", "base_score", "base_vector", "published_date"}

// exploitColumns are the public-exploit flag columns, in Exploit bit order.
var exploitColumns = []string{"exploitdb", "poc_github", "metasploit", "nuclei"}

// ReadCVSS streams a CSV (plain or gzip'd) with the columns cve,
// cvss_version, base_score and base_vector (published_date optional) — the
// layout of the CVSS-BT dataset — and keeps one base score per CVE. Only
// those columns are read: a CVSS-BT file's temporal score and exploit,
// EPSS and KEV flags are ignored (see cvssColumns). A row without a base
// score is skipped; a CVE listed twice is an error.
func ReadCVSS(r io.Reader) (*CVSSTable, error) { return readCVSS(r, false) }

// ReadCVSSWithExploits is ReadCVSS that also reads the CVSS-BT exploit
// flags exploitdb, poc_github, metasploit and nuclei ("True"/"False") into
// CVSSScore.Exploit. They describe the day the file was built: a backtest
// dated before that day must say so (see Options.Exploits).
func ReadCVSSWithExploits(r io.Reader) (*CVSSTable, error) { return readCVSS(r, true) }

func readCVSS(r io.Reader, exploits bool) (*CVSSTable, error) {
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
	wanted := cvssColumns
	if exploits {
		wanted = slices.Concat(cvssColumns, exploitColumns)
	}
	col := map[string]int{}
	for i, h := range header {
		if h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))); slices.Contains(wanted, h) {
			col[h] = i
		}
	}
	for _, need := range cvssColumns[:4] {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("cvss: header lacks the %s column (want %s)", need, strings.Join(cvssColumns[:4], ","))
		}
	}
	t := &CVSSTable{Scores: make(map[string]CVSSScore, 1<<18), Exploits: exploits}
	for _, c := range cvssColumns {
		if _, ok := col[c]; ok {
			t.Columns = append(t.Columns, c)
		}
	}
	var flagCol []int
	if exploits {
		for _, c := range exploitColumns {
			i, ok := col[c]
			if !ok {
				return nil, fmt.Errorf("cvss: header lacks the %s column (want %s for exploit signals)", c, strings.Join(exploitColumns, ","))
			}
			flagCol = append(flagCol, i)
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
		for bit, i := range flagCol {
			switch v := strings.TrimSpace(rec[i]); {
			case strings.EqualFold(v, "true"):
				sc.Exploit |= 1 << bit
			case strings.EqualFold(v, "false"), v == "":
			default:
				return nil, fmt.Errorf("cvss: line %d: %s: %s %q is not True or False", line, id, exploitColumns[bit], v)
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
