package prioritize

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"
)

// The two decision tables, as transcribed in the project's prioritization
// reference (§5.3, §5.4) from CERT/CC's machine-readable encodings.
var (
	//go:embed tables/bod_2604_v1.0.0.csv
	bodCSV string
	//go:embed tables/cisa_coordinator_v2.0.3.csv
	ssvcCSV string
)

// BOD 26-04 outcomes, most urgent first.
const (
	Outcome3DF = "3D+F"
	Outcome3D  = "3D"
	Outcome14D = "14D"
	Outcome60D = "60D"
	OutcomeFSU = "FSU"
)

var bodOutcomes = []string{OutcomeFSU, Outcome60D, Outcome14D, Outcome3D, Outcome3DF} // by urgency

func bodOutcomeRank(s string) int {
	for i, o := range bodOutcomes {
		if o == s {
			return i
		}
	}
	return -1
}

// CISA SSVC coordinator outcomes, least urgent first.
var ssvcOutcomes = []string{"Track", "Track*", "Attend", "Act"}

func ssvcOutcomeRank(s string) int {
	for i, o := range ssvcOutcomes {
		if o == s {
			return i
		}
	}
	return -1
}

// BODRow is one row of the BOD 26-04 table: four binary decision points and
// the outcome (FSU, 60D, 14D, 3D, 3D+F). In ctem.yaml each value is
// yes/no, and technical_impact is partial/total.
type BODRow struct {
	KEV             string `yaml:"kev" json:"kev"`
	Exposed         string `yaml:"exposed" json:"exposed"`
	Automatable     string `yaml:"automatable" json:"automatable"`
	TechnicalImpact string `yaml:"technical_impact" json:"technical_impact"`
	Outcome         string `yaml:"outcome" json:"outcome"`
}

// SSVCRow is one row of the CISA SSVC coordinator table.
type SSVCRow struct {
	Exploitation     string // none, public_poc, active
	Automatable      string // no, yes
	TechnicalImpact  string // partial, total
	MissionWellbeing string // low, medium, high
	Outcome          string // Track, Track*, Attend, Act
}

// bodIndex: kev*8 + exposed*4 + automatable*2 + total.
func bodIndex(kev, exposed, automatable, total bool) int {
	i := 0
	if kev {
		i += 8
	}
	if exposed {
		i += 4
	}
	if automatable {
		i += 2
	}
	if total {
		i++
	}
	return i
}

// ssvcIndex: exploitation(0..2)*12 + automatable*6 + total*3 + mwi(0..2).
func ssvcIndex(e, a, ti, mwi int8) int { return int(e)*12 + int(a)*6 + int(ti)*3 + int(mwi) }

func yesNo(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true":
		return true, nil
	case "no", "n", "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", s)
}

func partialTotal(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "total", "t":
		return true, nil
	case "partial", "p":
		return false, nil
	}
	return false, fmt.Errorf("%q is not partial or total", s)
}

func (r BODRow) index() (int, error) {
	k, err := yesNo(r.KEV)
	if err != nil {
		return 0, fmt.Errorf("kev: %w", err)
	}
	e, err := yesNo(r.Exposed)
	if err != nil {
		return 0, fmt.Errorf("exposed: %w", err)
	}
	a, err := yesNo(r.Automatable)
	if err != nil {
		return 0, fmt.Errorf("automatable: %w", err)
	}
	t, err := partialTotal(r.TechnicalImpact)
	if err != nil {
		return 0, fmt.Errorf("technical_impact: %w", err)
	}
	if bodOutcomeRank(r.Outcome) < 0 {
		return 0, fmt.Errorf("outcome %q is not one of FSU, 60D, 14D, 3D, 3D+F", r.Outcome)
	}
	return bodIndex(k, e, a, t), nil
}

func readCSV(data string, header string, width int) ([][]string, error) {
	recs, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != header {
		return nil, fmt.Errorf("header is not %q", header)
	}
	for i, r := range recs {
		if len(r) != width {
			return nil, fmt.Errorf("line %d: %d fields, want %d", i+1, len(r), width)
		}
	}
	return recs[1:], nil
}

// BODTable returns the embedded BOD 26-04 table (16 rows) in file order.
func BODTable() []BODRow {
	recs, err := readCSV(bodCSV, "kev,exposed,automatable,technical_impact,outcome", 5)
	if err != nil {
		panic("prioritize: embedded BOD 26-04 table: " + err.Error())
	}
	rows := make([]BODRow, len(recs))
	for i, r := range recs {
		rows[i] = BODRow{KEV: r[0], Exposed: r[1], Automatable: r[2], TechnicalImpact: r[3], Outcome: r[4]}
	}
	return rows
}

// SSVCTable returns the embedded CISA SSVC coordinator table v2.0.3 (36
// rows) in file order.
func SSVCTable() []SSVCRow {
	recs, err := readCSV(ssvcCSV, "exploitation,automatable,technical_impact,mission_wellbeing,outcome", 5)
	if err != nil {
		panic("prioritize: embedded SSVC table: " + err.Error())
	}
	rows := make([]SSVCRow, len(recs))
	for i, r := range recs {
		rows[i] = SSVCRow{Exploitation: r[0], Automatable: r[1], TechnicalImpact: r[2], MissionWellbeing: r[3], Outcome: r[4]}
	}
	return rows
}

// The SSVC table is fixed (it is CISA's label, not ctem's band), so it is
// parsed once into a dense array.
var ssvcDense = func() [36]string {
	var t [36]string
	rows := SSVCTable()
	if len(rows) != 36 {
		panic(fmt.Sprintf("prioritize: SSVC table has %d rows, want 36", len(rows)))
	}
	for _, r := range rows {
		e := map[string]int8{"none": 0, "public_poc": 1, "active": 2}[r.Exploitation]
		a, err1 := yesNo(r.Automatable)
		ti, err2 := partialTotal(r.TechnicalImpact)
		m, ok := map[string]int8{"low": 0, "medium": 1, "high": 2}[r.MissionWellbeing]
		if err1 != nil || err2 != nil || !ok || ssvcOutcomeRank(r.Outcome) < 0 {
			panic(fmt.Sprintf("prioritize: bad SSVC row %+v", r))
		}
		i := ssvcIndex(e, b2i(a), b2i(ti), m)
		if t[i] != "" {
			panic(fmt.Sprintf("prioritize: duplicate SSVC row %+v", r))
		}
		t[i] = r.Outcome
	}
	return t
}()

func b2i(b bool) int8 {
	if b {
		return 1
	}
	return 0
}
