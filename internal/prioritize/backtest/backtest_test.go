package backtest

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/prioritize"
)

// The synthetic inputs in testdata, D = 2024-01-10 (KEV catalog released
// 2025-06-01). Hand-derived facts, by CVE-2023-00NN:
//
//	NN  EPSS    CVSS  vector (policy: A = automatable, T = total)  KEV added   role
//	01  0.95    9.8   A T                                          2023-05-01  excluded (KEV before D)
//	02  0.60    8.8   UI:R → not A, T                              2024-03-01  positive (12m too)
//	03  0.30    9.8   A T                                          -
//	04  0.12    7.5   A, C:H/I:N → partial                         2025-03-01  positive (not within 12m)
//	05  0.05    9.8   A T                                          -
//	06  0.02    10.0  v2 AV:N/AC:L/Au:N C:C/I:C → A T              2024-06-01  positive (12m too)
//	07  0.005   5.3   A, partial                                   -
//	08  0.001   7.8   AV:L → not A, T                              2024-02-01  positive (12m too)
//	09  0.001   6.5   PR:L → not A, partial                        -
//	10  0.0005  none                                               2024-05-01  no CVSS row
//	11  0.0004  9.8   A T                                          -
//	12  0.0003  4.3   not A, partial                               -
//	13  0.2     7.5                                                2024-01-10  excluded (KEV on D)
//
// The CVSS file's leaky columns (cvss-bt_score, epss, cisa_kev) are
// deliberately inconsistent with the base columns: reading any of them
// would change the results below. Its exploit flags (read only with
// exploit signals) make 02 04 06 weaponized (Metasploit or Nuclei) and
// 03 08 PoC (ExploitDB or GitHub).
//
// Policy with CVE-level inputs (exposure unknown → internal, criticality
// 3 → mission medium): threat Likely (EPSS ≥ 0.1) for 02 03 04, Possible
// for 05 06, Unlikely below. Band P1 = Likely (02 03 04); P2 = automatable
// (05 06 07 11) or Possible with total impact (05 06); P3 = the rest (08
// 09 12). Order within a band: threat, technical impact, exploit code,
// then p_eff·0.4·0.6: 02 03 (total, EPSS .6 > .3) 04; 05 06 (Possible,
// EPSS .05 > .02) 11 (Unlikely, total) 07; 08 (total) 09 12 (EPSS .001 >
// .0003).
//
// With exploit signals: 06 (weaponized) becomes Likely → P1 and 08 (PoC,
// total) Possible → P2; order 02 03 06 (total, exploit code, p_eff .6 .3
// .1) 04; 08 (Possible, total, exploit code) 05 11 07; 09 12.
func load(t *testing.T, pop Population) *Dataset { return loadWith(t, pop, false) }

func loadWith(t *testing.T, pop Population, exploits bool) *Dataset {
	t.Helper()
	return loadOptions(t, Options{Population: pop, CVSSReadOn: day0("2024-03-04"), Exploits: exploits, EPSSName: "epss.csv", KEVName: "kev.json", CVSSName: "cvss-bt.csv"})
}

func loadOptions(t *testing.T, opt Options) *Dataset {
	t.Helper()
	kf, err := os.Open("testdata/kev.json")
	if err != nil {
		t.Fatal(err)
	}
	defer kf.Close()
	kev, err := ReadKEV(kf)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := os.Open("testdata/cvss-bt.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	read := ReadCVSS
	if opt.Exploits {
		read = ReadCVSSWithExploits
	}
	cv, err := read(cf)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := os.Open("testdata/epss.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	ds, err := Load(ef, kev, cv, opt)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func day0(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestReadCVSS(t *testing.T) {
	f, err := os.Open("testdata/cvss-bt.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cv, err := ReadCVSS(f)
	if err != nil {
		t.Fatal(err)
	}
	if cv.Rows != 13 || cv.V3 != 11 {
		t.Errorf("rows %d, v3 %d; want 13, 11", cv.Rows, cv.V3)
	}
	if want := []string{"cve", "cvss_version", "base_score", "base_vector", "published_date"}; !cmp.Equal(cv.Columns, want) {
		t.Errorf("columns read %v, want %v", cv.Columns, want)
	}
	// The base score, never the CVSS-BT temporal score (9.0 here).
	if got := cv.Scores["CVE-2023-0003"]; got.Score != 9.8 || got.Version != "3.1" || !got.Published.Equal(day0("2023-01-07")) {
		t.Errorf("CVE-2023-0003 = %+v", got)
	}

	for _, tc := range []struct{ name, in, err string }{
		{"no base_score", "cve,cvss_version,base_vector\nCVE-1-1,3.1,x\n", "lacks the base_score column"},
		{"only the leaky score", "cve,cvss-bt_score,cvss_version,cvss-bt_vector,base_vector\nCVE-2020-1,9.0,3.1,x,y\n", "lacks the base_score column"},
		{"bad score", "cve,cvss_version,base_score,base_vector\nCVE-2020-1,3.1,11,x\n", "not a score"},
		{"twice", "cve,cvss_version,base_score,base_vector\nCVE-2020-1,3.1,5,x\nCVE-2020-1,3.1,5,x\n", "listed twice"},
		{"not a cve", "cve,cvss_version,base_score,base_vector\nGHSA-1,3.1,5,x\n", "not a CVE id"},
		{"empty", "cve,cvss_version,base_score,base_vector\n", "no scores"},
	} {
		if _, err := ReadCVSS(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestReadCVSSWithExploits(t *testing.T) {
	f, err := os.Open("testdata/cvss-bt.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cv, err := ReadCVSSWithExploits(f)
	if err != nil {
		t.Fatal(err)
	}
	if !cv.Exploits || !slices.Contains(cv.Columns, "metasploit") {
		t.Errorf("exploits %v, columns %v", cv.Exploits, cv.Columns)
	}
	for id, want := range map[string]struct {
		bits     uint8
		maturity string
	}{
		"CVE-2023-0002": {ExploitDB | ExploitPoC | ExploitMSF, prioritize.MaturityWeaponized},
		"CVE-2023-0003": {ExploitDB, prioritize.MaturityPoC},
		"CVE-2023-0004": {ExploitMSF, prioritize.MaturityWeaponized},
		"CVE-2023-0008": {ExploitPoC, prioritize.MaturityPoC},
		"CVE-2023-0005": {0, prioritize.MaturityNone},
	} {
		if got := cv.Scores[id]; got.Exploit != want.bits || got.Maturity() != want.maturity {
			t.Errorf("%s: bits %04b maturity %s, want %04b %s", id, got.Exploit, got.Maturity(), want.bits, want.maturity)
		}
	}
	for _, tc := range []struct{ name, in, err string }{
		{"no flags", "cve,cvss_version,base_score,base_vector\nCVE-2020-1,3.1,5,x\n", "lacks the exploitdb column"},
		{"bad flag", "cve,cvss_version,base_score,base_vector,exploitdb,poc_github,metasploit,nuclei\nCVE-2020-1,3.1,5,x,True,False,yes,False\n", `line 2: CVE-2020-1: metasploit "yes" is not True or False`},
	} {
		if _, err := ReadCVSSWithExploits(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestParseHorizon(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Horizon
		ok   bool
	}{
		{"", NoHorizon, true}, {"none", NoHorizon, true}, {"90d", Horizon{Days: 90}, true},
		{"12m", TwelveMonths, true}, {"1y", TwelveMonths, true}, {"12", NoHorizon, false}, {"-3d", NoHorizon, false}, {"xd", NoHorizon, false},
	} {
		h, err := ParseHorizon(tc.in)
		if (err == nil) != tc.ok || h != tc.want {
			t.Errorf("ParseHorizon(%q) = %v, %v", tc.in, h, err)
		}
	}
	// Calendar months: the feeds README counts "within 12 months" of
	// 2024-01-13 up to 2025-01-13 (a leap year: 366 days).
	if got := TwelveMonths.End(day0("2024-01-13")); !got.Equal(day0("2025-01-13")) {
		t.Errorf("12m after 2024-01-13 = %v", got)
	}
}

func TestPopulation(t *testing.T) {
	for _, tc := range []struct {
		pop                                          Population
		rows, exclKEV, exclNoCVSS, without, size, v3 int
	}{
		{PopulationScored, 13, 2, 1, 0, 10, 9},
		{PopulationEPSS, 13, 2, 0, 1, 11, 9},
	} {
		ds := load(t, tc.pop)
		got := []int{ds.EPSSRows, ds.ExcludedKEV, ds.ExcludedNoCVSS, ds.WithoutCVSS, ds.Size, ds.V3}
		want := []int{tc.rows, tc.exclKEV, tc.exclNoCVSS, tc.without, tc.size, tc.v3}
		if !cmp.Equal(got, want) {
			t.Errorf("%s: rows, excluded KEV, excluded no CVSS, without CVSS, size, v3 = %v, want %v", tc.pop, got, want)
		}
		if !ds.Date.Equal(day0("2024-01-10")) || ds.Model != "v2023.03.01" || ds.Policy != prioritize.DefaultVersion {
			t.Errorf("%s: date %v model %q policy %q", tc.pop, ds.Date, ds.Model, ds.Policy)
		}
	}
}

func TestPolicyDecisions(t *testing.T) {
	for _, exploits := range []bool{false, true} {
		ds := loadWith(t, PopulationScored, exploits)
		v := ds.views[len(ds.views)-1]
		want := map[string]int8{ // band urgency
			"CVE-2023-0002": 3, "CVE-2023-0003": 3, "CVE-2023-0004": 3, "CVE-2023-0005": 2,
			"CVE-2023-0006": 2, "CVE-2023-0007": 2, "CVE-2023-0008": 1, "CVE-2023-0009": 1,
			"CVE-2023-0011": 2, "CVE-2023-0012": 1,
		}
		if exploits {
			want["CVE-2023-0006"], want["CVE-2023-0008"] = 3, 2
		}
		for i, id := range ds.ids {
			w, ok := want[id]
			if !ok {
				t.Errorf("%s should not be in the population", id)
				continue
			}
			if v.band[i] != w {
				t.Errorf("exploits %v: %s: urgency %d, want %d", exploits, id, v.band[i], w)
			}
		}
		// Points never contradict the sort key.
		for i := range ds.ids {
			for j := range ds.ids {
				if v.key[i] > v.key[j] && v.points[i] < v.points[j] {
					t.Errorf("%s: key above %s, points %d below %d", ds.ids[i], ds.ids[j], v.points[i], v.points[j])
				}
			}
		}
	}
}

// order returns a ranking's CVEs by their last two digits.
func order(ds *Dataset, name string) string {
	for _, r := range ds.rankings {
		if r.name == name {
			var b []string
			for _, i := range r.perm {
				b = append(b, ds.ids[i][len(ds.ids[i])-2:])
			}
			return strings.Join(b, " ")
		}
	}
	return "no ranking " + name
}

func TestRankings(t *testing.T) {
	ds := loadWith(t, PopulationScored, true)
	for name, want := range map[string]string{
		// Ties by CVE id: 03 05 11 at 9.8; 08 09 at EPSS 0.001.
		RankCVSS:   "06 03 05 11 02 08 04 09 07 12",
		RankEPSS:   "02 03 04 05 06 07 08 09 11 12",
		RankPolicy: "02 03 04 05 06 11 07 08 09 12",
		// Weaponized 06 02 04, PoC 03 08, then none; each by CVSS, EPSS.
		RankExploit:   "06 02 04 03 08 05 11 09 07 12",
		RankPolicyExp: "02 03 06 04 08 05 11 07 09 12",
	} {
		if got := order(ds, name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if got := order(load(t, PopulationScored), RankExploit); got != "no ranking "+RankExploit {
		t.Errorf("exploit ranking without exploit signals: %s", got)
	}
}

func TestExploitSignals(t *testing.T) {
	ds := loadWith(t, PopulationScored, true)
	ev := ds.Evaluate(NoHorizon) // positives 02 04 06 08
	want := map[string][2]int{
		"weaponized exploit": {3, 3}, "public exploit": {5, 4},
		"ctem-policy P0–P1": {3, 2}, "ctem-policy + exploit signals P0–P1": {4, 3}, "ctem-policy + exploit signals P0–P2": {8, 4},
	}
	for _, r := range ev.Rules {
		if w, ok := want[r.Strategy]; ok {
			if r.Flagged != w[0] || r.Hits != w[1] {
				t.Errorf("%s: flagged %d hits %d, want %v", r.Strategy, r.Flagged, r.Hits, w)
			}
			delete(want, r.Strategy)
		}
	}
	if len(want) > 0 {
		t.Errorf("rules not reported: %v", want)
	}
	var note InputNote
	for _, n := range ds.Inputs() {
		if n.Input == "public-exploit signals" {
			note = n
		}
	}
	if note.KnownAtD || !strings.Contains(note.Note, "read 2024-03-04, 54 days after D") || !strings.Contains(note.Note, "5 population CVEs flagged (4 later-KEV)") {
		t.Errorf("exploit note %+v", note)
	}

	// Exploit signals need a table read with its flags.
	cv := &CVSSTable{Scores: map[string]CVSSScore{"CVE-2020-0001": {Version: "3.1", Score: 5}}}
	kev := KEV{Released: day0("2026-01-01"), Added: map[string]time.Time{}}
	if _, err := Load(strings.NewReader("#score_date:2025-01-01T00:00:00Z\ncve,epss,percentile\nCVE-2020-0001,0.5,0.9\n"), kev, cv, Options{Exploits: true}); err == nil || !strings.Contains(err.Error(), "without its exploit flags") {
		t.Errorf("exploits without flags: %v", err)
	}
}

// Leaving out the KEV additions up to a later day removes them from the
// population and the labels.
func TestExcludeKEVUntil(t *testing.T) {
	// 08 (added 2024-02-01) and 02 (2024-03-01) were added by 2024-03-04.
	ds := loadOptions(t, Options{KEVKnownUntil: day0("2024-03-04")})
	ev := ds.Evaluate(NoHorizon)
	if ds.Size != 8 || ds.ExcludedKEV != 4 || ev.Positives != 2 || !ds.KEVKnownUntil.Equal(day0("2024-03-04")) {
		t.Errorf("size %d excluded %d positives %d until %v", ds.Size, ds.ExcludedKEV, ev.Positives, ds.KEVKnownUntil)
	}
	r := ds.Report("epss.csv", "cvss-bt.csv")
	var text strings.Builder
	if err := WriteText(&text, []Report{r}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "4 in KEV by 2024-03-04") {
		t.Errorf("header:\n%s", text.String())
	}
}

func TestEvaluateRules(t *testing.T) {
	type rr struct {
		flagged, hits int
	}
	tests := []struct {
		pop       Population
		h         Horizon
		kevAdded  int
		inEPSS    int
		positives int
		noCVSS    int
		complete  bool
		rules     map[string]rr
	}{
		{PopulationScored, NoHorizon, 6, 5, 4, 0, true, map[string]rr{
			"CVSS ≥ 7": {7, 4}, "CVSS ≥ 9": {4, 1}, "CVSS ≥ 9.1": {4, 1},
			"EPSS ≥ 0.01": {5, 3}, "EPSS ≥ 0.05": {4, 2}, "EPSS ≥ 0.088": {3, 2}, "EPSS ≥ 0.1": {3, 2}, "EPSS ≥ 0.2": {2, 1}, "EPSS ≥ 0.5": {1, 1},
			"ctem-policy P0": {0, 0}, "ctem-policy P0–P1": {3, 2}, "ctem-policy P0–P2": {7, 3},
		}},
		// 12 months: 04 (added 2025-03-01) is no longer positive.
		{PopulationScored, TwelveMonths, 5, 4, 3, 0, true, map[string]rr{
			"CVSS ≥ 7": {7, 3}, "CVSS ≥ 9": {4, 1}, "EPSS ≥ 0.1": {3, 1}, "ctem-policy P0–P1": {3, 1}, "ctem-policy P0–P2": {7, 2},
		}},
		// Every EPSS CVE: 10 (no CVSS row) is a positive no CVSS rule flags.
		{PopulationEPSS, NoHorizon, 6, 5, 5, 1, true, map[string]rr{
			"CVSS ≥ 7": {7, 4}, "EPSS ≥ 0.01": {5, 3}, "ctem-policy P0–P2": {7, 3},
		}},
		// A horizon past the catalog's release is incomplete.
		{PopulationScored, Horizon{Months: 24}, 6, 5, 4, 0, false, map[string]rr{"CVSS ≥ 7": {7, 4}}},
	}
	for _, tc := range tests {
		ds := load(t, tc.pop)
		ev := ds.Evaluate(tc.h)
		name := string(tc.pop) + "/" + tc.h.String()
		got := []int{ev.KEVAdded, ev.InEPSS, ev.Positives, ev.NoCVSS, ev.Size}
		if want := []int{tc.kevAdded, tc.inEPSS, tc.positives, tc.noCVSS, ds.Size}; !cmp.Equal(got, want) || ev.Complete != tc.complete {
			t.Errorf("%s: KEV added, in EPSS, positives, no CVSS, size = %v complete %v; want %v %v", name, got, ev.Complete, want, tc.complete)
		}
		seen := 0
		for _, r := range ev.Rules {
			w, ok := tc.rules[r.Strategy]
			if !ok {
				continue
			}
			seen++
			if r.Flagged != w.flagged || r.Hits != w.hits {
				t.Errorf("%s: %s flagged %d hits %d, want %d %d", name, r.Strategy, r.Flagged, r.Hits, w.flagged, w.hits)
			}
			if !near(r.Effort, float64(w.flagged)/float64(ds.Size)) || !near(r.Coverage, float64(w.hits)/float64(tc.positives)) {
				t.Errorf("%s: %s effort %v coverage %v", name, r.Strategy, r.Effort, r.Coverage)
			}
			if wantEff := 0.0; w.flagged > 0 {
				wantEff = float64(w.hits) / float64(w.flagged)
				if !near(r.Efficiency, wantEff) {
					t.Errorf("%s: %s efficiency %v, want %v", name, r.Strategy, r.Efficiency, wantEff)
				}
			} else if r.Efficiency != 0 {
				t.Errorf("%s: %s efficiency %v for nothing flagged", name, r.Strategy, r.Efficiency)
			}
		}
		if seen != len(tc.rules) {
			t.Errorf("%s: %d of %d expected rules reported", name, seen, len(tc.rules))
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestEvaluateRankings(t *testing.T) {
	ds := load(t, PopulationScored)
	ev := ds.Evaluate(NoHorizon) // 4 positives: 02 04 06 08; N = 10
	type budget struct {
		k, hits int
		tie     *Tie
	}
	// Budgets: 5% → k = 1, 15% → 2, CVSS ≥ 9.1's effort → 4, policy
	// P0–P1's → 3, P0–P2's → 7.
	names := []string{"5%", "15%", "CVSS ≥ 9.1 effort", "ctem-policy P0–P1 effort", "ctem-policy P0–P2 effort"}
	want := map[string]struct {
		budgets []budget
		match   Match
	}{
		RankCVSS: {[]budget{
			{1, 1, nil},
			// k = 2 cuts the 9.8 tie (03 05 11, no positive) after one.
			{2, 1, &Tie{Size: 3, Positives: 0, Taken: 1, MinCoverage: 0.25, MaxCoverage: 0.25, MeanCoverage: 0.25}},
			{4, 1, nil},
			{3, 1, &Tie{Size: 3, Positives: 0, Taken: 2, MinCoverage: 0.25, MaxCoverage: 0.25, MeanCoverage: 0.25}},
			{7, 4, nil},
		}, Match{Hits: 4, K: 7, Effort: 0.7, Ratio: 1, MeanK: 7}},
		RankEPSS: {[]budget{
			{1, 1, nil}, {2, 1, nil}, {4, 2, nil}, {3, 2, nil},
			// k = 7 takes 08 (positive) of the 08/09 tie at 0.001.
			{7, 4, &Tie{Size: 2, Positives: 1, Taken: 1, MinCoverage: 0.75, MaxCoverage: 1, MeanCoverage: 0.875}},
		}, Match{Hits: 4, K: 7, Effort: 0.7, Ratio: 1, MeanK: 7.5}},
		RankPolicy: {[]budget{
			{1, 1, nil}, {2, 1, nil}, {4, 2, nil}, {3, 2, nil}, {7, 3, nil},
		}, // 08 is eighth, with a key of its own (no tie).
			Match{Hits: 4, K: 8, Effort: 0.8, Ratio: 8.0 / 7, MeanK: 8}},
	}
	if len(ev.Rankings) != len(want) {
		t.Fatalf("%d rankings, want %d", len(ev.Rankings), len(want))
	}
	for _, r := range ev.Rankings {
		w := want[r.Strategy]
		if len(r.Budgets) != len(w.budgets) {
			t.Errorf("%s: %d budgets, want %d", r.Strategy, len(r.Budgets), len(w.budgets))
			continue
		}
		for i, b := range r.Budgets {
			wb := w.budgets[i]
			if !strings.HasPrefix(b.Budget, names[i]) || b.K != wb.k || b.Hits != wb.hits || !near(b.Coverage, float64(wb.hits)/4) {
				t.Errorf("%s at %s: k %d hits %d coverage %v; want %s k %d hits %d", r.Strategy, b.Budget, b.K, b.Hits, b.Coverage, names[i], wb.k, wb.hits)
			}
			if !cmp.Equal(b.Tie, wb.tie) {
				t.Errorf("%s at %s: tie %+v, want %+v", r.Strategy, b.Budget, b.Tie, wb.tie)
			}
		}
		if !cmp.Equal(r.MatchCVSS7, w.match, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })) {
			t.Errorf("%s: match CVSS ≥ 7 %+v, want %+v", r.Strategy, r.MatchCVSS7, w.match)
		}
	}
	// Paired with EPSS at P0–P2's effort (k = 7): both take 02 04 06; EPSS
	// also 08 (first of its tie with 09).
	p := ev.Rankings[2].Budgets[4].VsEPSS
	if p == nil || p.OnlyThis != 0 || p.OnlyOther != 1 || p.P != 1 {
		t.Errorf("policy vs EPSS at P0–P2's effort: %+v", p)
	}
	if ev.Rankings[0].Budgets[0].VsCVSS != nil || ev.Rankings[1].Budgets[0].VsEPSS != nil {
		t.Error("a ranking compared with itself")
	}
}

func TestGroups(t *testing.T) {
	ds := load(t, PopulationScored)
	got := ds.Evaluate(NoHorizon).Groups
	g := func(band, threat string, a bool, ti string, n, p int) Group {
		return Group{Policy: RankPolicy, Band: band, Threat: threat, Automatable: a, TechnicalImpact: ti, Size: n, Positives: p, Rate: float64(p) / float64(n)}
	}
	want := []Group{
		g("P1", "Likely", true, "total", 1, 0),      // 03
		g("P1", "Likely", false, "total", 1, 1),     // 02
		g("P1", "Likely", true, "partial", 1, 1),    // 04
		g("P2", "Possible", true, "total", 2, 1),    // 05 06
		g("P2", "Unlikely", true, "total", 1, 0),    // 11
		g("P2", "Unlikely", true, "partial", 1, 0),  // 07
		g("P3", "Unlikely", false, "total", 1, 1),   // 08
		g("P3", "Unlikely", false, "partial", 2, 0), // 09 12
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}

func TestInputNotes(t *testing.T) {
	ds := load(t, PopulationScored)
	notes := ds.Inputs()
	byName := map[string]InputNote{}
	for _, n := range notes {
		byName[n.Input] = n
	}
	cv := byName["CVSS base scores and vectors"]
	// 08 (published 2023-12-20) and 12 (2024-02-15, after D) were
	// published within 90 days of D or later; 08 is a later-KEV CVE.
	if cv.KnownAtD || !strings.Contains(cv.Note, "read 2024-03-04, after D") || !strings.Contains(cv.Note, "2 population CVEs (1 later-KEV)") {
		t.Errorf("CVSS note %+v", cv)
	}
	if n := byName["KEV after D (labels)"]; n.KnownAtD {
		t.Errorf("labels marked known at D: %+v", n)
	}
	if n := byName["EPSS scores"]; !n.KnownAtD || !strings.Contains(n.Source, "epss.csv (model v2023.03.01)") {
		t.Errorf("EPSS note %+v", n)
	}
	if n := byName["public-exploit signals"]; n.KnownAtD {
		t.Errorf("exploit note %+v", n)
	}

	// CVSS read before D: known, but stale.
	kev := KEV{Version: "x", Released: day0("2026-01-01"), Added: map[string]time.Time{}}
	cv2 := &CVSSTable{Scores: map[string]CVSSScore{"CVE-2020-0001": {Version: "3.1", Score: 5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}}}
	ds2, err := Load(strings.NewReader("#model_version:v2025.03.14,score_date:2025-08-28T12:55:00Z\ncve,epss,percentile\nCVE-2020-0001,0.5,0.9\n"), kev, cv2, Options{CVSSReadOn: day0("2024-03-04")})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ds2.Inputs() {
		if n.Input == "CVSS base scores and vectors" && (!n.KnownAtD || !strings.Contains(n.Note, "stale")) {
			t.Errorf("CVSS read before D: %+v", n)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	kev := KEV{Released: day0("2026-01-01"), Added: map[string]time.Time{}}
	cv := &CVSSTable{Scores: map[string]CVSSScore{"CVE-2020-0001": {Version: "3.1", Score: 5}}}
	for _, tc := range []struct {
		name, in string
		opt      Options
		err      string
	}{
		{"no date", "cve,epss,percentile\nCVE-2020-0001,0.5,0.9\n", Options{}, "give the date"},
		{"not EPSS", "hello\n", Options{}, "not an EPSS file"},
		{"bad row", "#score_date:2025-01-01T00:00:00Z\ncve,epss,percentile\nCVE-2020-0001,2,0.9\n", Options{}, "not between 0 and 1"},
		{"empty population", "#score_date:2025-01-01T00:00:00Z\ncve,epss,percentile\nCVE-2020-0002,0.5,0.9\n", Options{}, "empty population"},
	} {
		if _, err := Load(strings.NewReader(tc.in), kev, cv, tc.opt); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
	// A file without metadata takes the given date.
	ds, err := Load(strings.NewReader("cve,epss,percentile\nCVE-2020-0001,0.5,0.9\n"), kev, cv, Options{Date: day0("2021-05-01")})
	if err != nil || !ds.Date.Equal(day0("2021-05-01")) {
		t.Errorf("dated by option: %v %v", ds, err)
	}
}

func TestStatistics(t *testing.T) {
	// Exact two-sided McNemar: 2·P(X ≤ min) for X ~ Bin(b+c, 1/2).
	for _, tc := range []struct {
		b, c int
		p    float64
	}{{0, 0, 1}, {3, 3, 1}, {0, 5, 2.0 / 32}, {1, 5, 14.0 / 64}, {5, 1, 14.0 / 64}, {41, 4, 2 * (1.0 + 45 + 990 + 14190 + 148995) / math.Pow(2, 45)}} {
		if got := mcnemar(tc.b, tc.c); math.Abs(got-tc.p) > 1e-9*tc.p {
			t.Errorf("mcnemar(%d, %d) = %v, want %v", tc.b, tc.c, got, tc.p)
		}
	}
	// Wilson: for x = n the lower bound is n/(n+z²); for x = 0 the upper
	// bound is z²/(n+z²).
	z2 := 1.959963984540054 * 1.959963984540054
	if ci := wilson(4, 4); math.Abs(ci[0]-4/(4+z2)) > 1e-12 || ci[1] != 1 {
		t.Errorf("wilson(4, 4) = %v", ci)
	}
	if ci := wilson(0, 10); ci[0] != 0 || math.Abs(ci[1]-z2/(10+z2)) > 1e-12 {
		t.Errorf("wilson(0, 10) = %v", ci)
	}
}

func TestReport(t *testing.T) {
	ds := load(t, PopulationScored)
	// The catalog (released 2025-06-01) covers 12 months after D.
	r := ds.Report("epss.csv", "cvss-bt.csv")
	if len(r.Evaluations) != 2 || r.Evaluations[1].Horizon != "12m" || r.Size != 10 || r.Date != "2024-01-10" {
		t.Fatalf("report %+v", r)
	}
	var text, md strings.Builder
	if err := WriteText(&text, []Report{r}); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, []Report{r}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"population (scored): 13 EPSS rows − 2 in KEV at D − 1 without a CVSS row = 10 CVEs",
		"6 added, 5 in the EPSS file, 4 in the population",
		"CVSS ≥ 7", "ctem-policy P0–P1", "NOT known at D",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
	if !strings.Contains(md.String(), "| CVSS ≥ 7 | 7 | 70.00% | 4 | 100.0% [51.0–100.0%] | 57.14% |") {
		t.Errorf("markdown output:\n%s", md.String())
	}
	if got := ReadOnFromName(filepath.Base("/x/cvss-bt-2024-03-04.csv.gz")); !got.Equal(day0("2024-03-04")) {
		t.Errorf("ReadOnFromName = %v", got)
	}
}
