// Package backtest evaluates vulnerability prioritization strategies at a
// past date D against what happened next: which CVEs CISA added to its
// Known Exploited Vulnerabilities catalog after D.
//
// The method is the project's prioritization reference §6: at the EPSS
// file's score date D the population is the CVEs scored that day (by
// default only those with a CVSS base score too), minus the CVEs already in
// KEV at D — they are excluded from the population and from the labels,
// since KEV-aware strategies would otherwise win trivially and EPSS uses
// KEV as a feature. The positives are the population's CVEs added to KEV
// after D (optionally within a horizon). Each strategy flags or ranks the
// population using only CVE-level inputs, and is measured by effort (share
// of the population flagged), coverage (recall of the positives) and
// efficiency (precision), at its own threshold and at fixed effort budgets.
//
// Strategies: CVSS base score thresholds and ranking, EPSS thresholds and
// ranking, public-exploit signals when the CVSS table carries them, and
// ctem's own policy (internal/prioritize) fed CVE-level inputs only — EPSS
// at D, no KEV (excluded), the CVSS vector for Automatable and Technical
// Impact, no asset context (exposure unknown, default criticality) — ranked
// by its sort key and cut at its bands; with exploit signals, the policy
// is evaluated a second time with them as its exploit maturity.
//
// Everything is deterministic: ties in a ranking are broken by CVE id in
// text order (the order of the EPSS file), and every budget result says
// how much a tie straddling the cut could move it.
package backtest

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/intel"
	"github.com/ctemhq/ctem/internal/prioritize"
	"github.com/ctemhq/ctem/internal/store"
)

// Population selects the CVEs a backtest evaluates.
type Population string

const (
	// PopulationScored is the CVEs with an EPSS score at D and a CVSS base
	// score (the reference protocol, §6.2 step 3): every strategy can rank
	// every CVE. The default.
	PopulationScored Population = "scored"
	// PopulationEPSS is every CVE in the EPSS file. CVEs without a CVSS
	// row are never flagged by the CVSS strategies, rank after every
	// scored CVE, and reach the policy without a vector.
	PopulationEPSS Population = "epss"
)

// ParsePopulation reads "scored" or "epss".
func ParsePopulation(s string) (Population, error) {
	switch Population(strings.ToLower(strings.TrimSpace(s))) {
	case "", PopulationScored:
		return PopulationScored, nil
	case PopulationEPSS:
		return PopulationEPSS, nil
	}
	return "", fmt.Errorf("population %q: want scored or epss", s)
}

// Horizon bounds the label window: a CVE is positive when it was added to
// KEV in (D, D+horizon]. The zero Horizon is no bound (up to the KEV
// catalog's release).
type Horizon struct {
	Months int
	Days   int
}

// NoHorizon labels every KEV addition after D.
var NoHorizon = Horizon{}

// TwelveMonths is the reference's one-year horizon (calendar months, as in
// the feeds README's counts).
var TwelveMonths = Horizon{Months: 12}

// ParseHorizon reads "none" (or ""), "90d", "12m" or "1y".
func ParseHorizon(s string) (Horizon, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "none" || s == "0" {
		return NoHorizon, nil
	}
	if len(s) >= 2 {
		n, err := strconv.Atoi(s[:len(s)-1])
		if err == nil && n > 0 && n <= 1200 {
			switch s[len(s)-1] {
			case 'd':
				return Horizon{Days: n}, nil
			case 'm':
				return Horizon{Months: n}, nil
			case 'y':
				return Horizon{Months: 12 * n}, nil
			}
		}
	}
	return NoHorizon, fmt.Errorf("horizon %q: want none, Nd, Nm or Ny (e.g. 90d, 12m)", s)
}

// IsZero reports whether h is no horizon.
func (h Horizon) IsZero() bool { return h.Months == 0 && h.Days == 0 }

// String is "none", "12m" or "90d".
func (h Horizon) String() string {
	switch {
	case h.IsZero():
		return "none"
	case h.Days == 0:
		return strconv.Itoa(h.Months) + "m"
	case h.Months == 0:
		return strconv.Itoa(h.Days) + "d"
	}
	return strconv.Itoa(h.Months) + "m" + strconv.Itoa(h.Days) + "d"
}

// End is the last day of the label window starting after d.
func (h Horizon) End(d time.Time) time.Time { return d.AddDate(0, h.Months, h.Days) }

// KEV is what the backtest needs of a KEV catalog: when each CVE was added.
type KEV struct {
	Version  string
	Released time.Time // the catalog's dateReleased
	Added    map[string]time.Time
}

// NewKEV indexes a parsed catalog.
func NewKEV(c store.KEVCatalog) KEV {
	k := KEV{Version: c.Version, Released: c.Released, Added: make(map[string]time.Time, len(c.Entries))}
	for _, e := range c.Entries {
		k.Added[e.VulnID] = e.DateAdded
	}
	return k
}

// ReadKEV parses a KEV catalog with intel.ParseKEV.
func ReadKEV(r io.Reader) (KEV, error) {
	c, err := intel.ParseKEV(r)
	if err != nil {
		return KEV{}, err
	}
	return NewKEV(c), nil
}

// Options configure Load.
type Options struct {
	Population Population        // default PopulationScored
	Policy     prioritize.Policy // default: the built-in policy
	// Date is the score date D when the EPSS file has no metadata line
	// (files before 2022-02-04); ignored otherwise.
	Date time.Time
	// CVSSReadOn is when the CVSS table was read (the CVSS-BT snapshot
	// date), for the "known at D" notes; zero when unknown.
	CVSSReadOn time.Time
	// Exploits evaluates the public-exploit strategies and the policy with
	// the CVSS table's exploit flags (read with ReadCVSSWithExploits) as
	// of CVSSReadOn.
	Exploits bool
	// KEVKnownUntil, when after D, also leaves out of the population (and
	// the labels) the CVEs added to KEV up to that day — e.g. up to the
	// day the exploit flags were read, so that no label can have caused a
	// flag.
	KEVKnownUntil time.Time
	// Names of the input files, for the report.
	EPSSName, KEVName, CVSSName string
}

// InputNote says where one input of the backtest came from and whether it
// was known at D.
type InputNote struct {
	Input    string `json:"input"`
	Source   string `json:"source"`
	KnownAtD bool   `json:"known_at_d"`
	Note     string `json:"note"`
}

// Dataset is one EPSS date's population, with every strategy's ranking.
// Evaluate measures the strategies against KEV additions in a window.
type Dataset struct {
	Date       time.Time
	Model      string // EPSS model_version
	Population Population
	Policy     string // policy version

	EPSSRows       int // CVEs in the EPSS file
	ExcludedKEV    int // in the EPSS file and in KEV at D (dateAdded ≤ D)
	ExcludedNoCVSS int // not in KEV at D, no CVSS row (PopulationScored only)
	WithoutCVSS    int // in the population without a CVSS row (PopulationEPSS only)
	Size           int // the population
	V3             int // population CVEs with a v3.x base score

	// KEVKnownUntil is the last dateAdded excluded (D unless
	// Options.KEVKnownUntil is later).
	KEVKnownUntil time.Time

	kev        KEV
	droppedKEV []int32 // dateAdded (days) of later-KEV CVEs left out for want of a CVSS row
	cvssRead   time.Time
	notes      []InputNote

	ids    []string  // text order
	epss   []float64 // EPSS at D
	cvss   []float64 // base score; -1 = none
	added  []int32   // KEV dateAdded, days since 1970; -1 = not in KEV
	recent []bool    // CVSS published in the 90 days up to D, or after D
	// exploit is the public-exploit maturity: 0 none, 1 poc, 2 weaponized
	// (nil without exploit signals).
	exploit []int8
	// views are the policy's decisions: CVE-level inputs, then (with
	// exploit signals) the same plus the exploit maturity.
	views []*policyView

	rankings []*ranking
}

// maturities are the exploit maturities by rank: none 0, poc 1, weaponized 2.
var maturities = []string{prioritize.MaturityNone, prioritize.MaturityPoC, prioritize.MaturityWeaponized}

// policyView is the policy's decision for every population CVE, under one
// set of inputs.
type policyView struct {
	name   string
	band   []int8 // urgency: P0 = 4 … P3 = 1
	threat []int8
	point  []uint8 // decision points: 1 automatable, 2 technical impact total
	key    []uint64
	points []int16
}

func (v *policyView) add(d prioritize.Decision) {
	v.band = append(v.band, int8(d.Band.Urgency()))
	v.threat = append(v.threat, int8(d.ThreatLevel.Rank()))
	var pt uint8
	if d.DecisionPoints.Automatable {
		pt |= pointA
	}
	if d.DecisionPoints.TechnicalImpact == "total" {
		pt |= pointTotal
	}
	v.point = append(v.point, pt)
	v.key = append(v.key, d.SortKey)
	v.points = append(v.points, int16(d.Points))
}

func (v *policyView) permute(idx []int) {
	v.band, v.threat, v.point = permute(v.band, idx), permute(v.threat, idx), permute(v.point, idx)
	v.key, v.points = permute(v.key, idx), permute(v.points, idx)
}

// ranking is one strategy's order of the population, most urgent first.
type ranking struct {
	name, order string
	perm        []int32 // population indexes
	rank        []int32 // position of each index in perm
	grpStart    []int32 // per position: first position of its tie group
	grpEnd      []int32 // per position: one past its tie group's last position
	rules       []rule
}

// rule is a threshold strategy: a prefix of a ranking.
type rule struct {
	name, rule string
	n          int  // flagged
	budget     bool // also evaluate every ranking at this rule's effort
}

// Ranking names.
const (
	RankCVSS        = "CVSS base score"
	RankEPSS        = "EPSS"
	RankExploit     = "public exploit, then CVSS"
	RankPolicy      = "ctem-policy"
	RankPolicyExp   = "ctem-policy + exploit signals"
	ruleCVSS7       = "CVSS ≥ 7"
	lookAheadWindow = 90 // days before D in which a CVE's NVD score may postdate D
)

// EPSSThresholds are the EPSS cut-offs evaluated (0.088 is the EPSS v3
// paper's equal-coverage threshold).
var EPSSThresholds = []float64{0.01, 0.05, 0.088, 0.1, 0.2, 0.5}

// CVSSThresholds are the CVSS base score cut-offs evaluated.
var CVSSThresholds = []float64{7, 9, 9.1}

const day = 24 * time.Hour

// Decision point bits.
const (
	pointA     = 1
	pointTotal = 2
)

func days(t time.Time) int32 { return int32(t.Unix() / 86400) }

// Load reads one EPSS file and builds the population at its score date D:
// the EPSS CVEs not in KEV at D (and, for PopulationScored, with a CVSS
// row), each decided by the policy with CVE-level inputs, and ranked by
// every strategy.
func Load(epss io.Reader, kev KEV, cv *CVSSTable, opt Options) (*Dataset, error) {
	if cv == nil || kev.Added == nil {
		return nil, errors.New("backtest: KEV and CVSS tables are required")
	}
	if opt.Exploits && !cv.Exploits {
		return nil, errors.New("backtest: exploit signals asked for, but the CVSS table was read without its exploit flags")
	}
	pop := opt.Population
	if pop == "" {
		pop = PopulationScored
	}
	er, err := intel.NewEPSSReader(epss)
	if err != nil {
		return nil, fmt.Errorf("backtest: EPSS: %w", err)
	}
	dd := er.Day()
	d := dd.Date
	if d.IsZero() {
		if opt.Date.IsZero() {
			return nil, errors.New("backtest: the EPSS file states no score_date: give the date")
		}
		d = opt.Date.UTC().Truncate(day)
	}
	ds := &Dataset{Date: d, Model: dd.ModelVersion, Population: pop, Policy: opt.Policy.Version(), kev: kev, cvssRead: opt.CVSSReadOn, KEVKnownUntil: d}
	if k := opt.KEVKnownUntil.UTC().Truncate(day); k.After(d) {
		ds.KEVKnownUntil = k
	}
	ds.views = []*policyView{{name: RankPolicy}}
	if opt.Exploits {
		ds.views = append(ds.views, &policyView{name: RankPolicyExp})
	}
	knownDays := days(ds.KEVKnownUntil)
	for sc, err := range er.Scores() {
		if err != nil {
			return nil, fmt.Errorf("backtest: EPSS: %w", err)
		}
		ds.EPSSRows++
		added := int32(-1)
		if t, ok := kev.Added[sc.VulnID]; ok {
			added = days(t)
			if added <= knownDays {
				ds.ExcludedKEV++
				continue
			}
		}
		c, hasCVSS := cv.Scores[sc.VulnID]
		if !hasCVSS {
			if pop == PopulationScored {
				ds.ExcludedNoCVSS++
				if added >= 0 {
					ds.droppedKEV = append(ds.droppedKEV, added)
				}
				continue
			}
			ds.WithoutCVSS++
		}
		score := -1.0
		recent := false
		if hasCVSS {
			score = c.Score
			if c.V3() {
				ds.V3++
			}
			recent = !c.Published.IsZero() && c.Published.After(d.AddDate(0, 0, -lookAheadWindow))
		}
		in := policyInput(sc, dd, d, c, hasCVSS)
		ds.views[0].add(opt.Policy.Score(in))
		if opt.Exploits {
			m := c.Maturity()
			ds.exploit = append(ds.exploit, int8(slices.Index(maturities, m)))
			if m != prioritize.MaturityNone {
				in.Exploit = prioritize.Exploit{Maturity: m, Source: "CVSS-BT exploit flags", Date: opt.CVSSReadOn}
			}
			ds.views[1].add(opt.Policy.Score(in))
		}
		ds.ids = append(ds.ids, sc.VulnID)
		ds.epss = append(ds.epss, sc.EPSS)
		ds.cvss = append(ds.cvss, score)
		ds.added = append(ds.added, added)
		ds.recent = append(ds.recent, recent)
	}
	ds.Size = len(ds.ids)
	if ds.Size == 0 {
		return nil, errors.New("backtest: empty population")
	}
	if !slices.IsSorted(ds.ids) {
		ds.sortByID()
	}
	ds.rank()
	ds.notes = ds.inputNotes(opt)
	return ds, nil
}

// policyInput is a CVE-level policy input: EPSS at D and the CVSS vector;
// no KEV (the population excludes it), no SSVC, exploit or validation
// evidence, no asset (exposure unknown, default criticality).
func policyInput(sc store.EPSSScore, dd store.EPSSDay, d time.Time, c CVSSScore, hasCVSS bool) prioritize.Input {
	in := prioritize.Input{
		AsOf:    d,
		Finding: prioritize.Finding{Kind: "vulnerability", VulnID: sc.VulnID},
		EPSS:    prioritize.EPSS{Score: sc.EPSS, Percentile: sc.Percentile, Model: dd.ModelVersion, Date: d, Source: "first-epss"},
	}
	if hasCVSS {
		in.Finding.Severity = severity(c.Score)
		in.CVSS = prioritize.CVSS{Version: c.Version, Vector: c.Vector, Score: c.Score, Source: "NVD"}
	}
	return in
}

// severity is the CVSS v3 qualitative rating of a score.
func severity(s float64) string {
	switch {
	case s >= 9:
		return "critical"
	case s >= 7:
		return "high"
	case s >= 4:
		return "medium"
	case s > 0:
		return "low"
	}
	return "info"
}

func (ds *Dataset) sortByID() {
	idx := make([]int, ds.Size)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(ds.ids[a], ds.ids[b]) })
	ds.ids = permute(ds.ids, idx)
	ds.epss = permute(ds.epss, idx)
	ds.cvss = permute(ds.cvss, idx)
	ds.added = permute(ds.added, idx)
	ds.recent = permute(ds.recent, idx)
	if ds.exploit != nil {
		ds.exploit = permute(ds.exploit, idx)
	}
	for _, v := range ds.views {
		v.permute(idx)
	}
}

func permute[T any](s []T, idx []int) []T {
	out := make([]T, len(s))
	for i, j := range idx {
		out[i] = s[j]
	}
	return out
}

// rank builds every strategy's ranking. Each ranking is a dense integer
// key per CVE, smaller = more urgent; equal keys form a tie group, ordered
// by CVE id (the index order).
func (ds *Dataset) rank() {
	cvss, cvssBits := denseDesc(ds.cvss)
	epss, epssBits := denseDesc(ds.epss)

	cv := ds.newRanking(RankCVSS, "base score ↓ (v3 if any, else v2), ties by CVE id", cvss)
	for _, t := range CVSSThresholds {
		cv.addRule("CVSS ≥ "+fmtNum(t), "base score ≥ "+fmtNum(t), t == 9.1, func(i int32) bool { return ds.cvss[i] >= t })
	}
	ep := ds.newRanking(RankEPSS, "EPSS ↓, ties by CVE id", epss)
	for _, t := range EPSSThresholds {
		ep.addRule("EPSS ≥ "+fmtNum(t), "EPSS ≥ "+fmtNum(t), false, func(i int32) bool { return ds.epss[i] >= t })
	}
	if ds.exploit != nil {
		// Weaponized first, then a proof of concept, then none; each by
		// CVSS then EPSS: the "public exploit" strategy of the reference.
		key := make([]uint64, ds.Size)
		for i, e := range ds.exploit {
			key[i] = uint64(2-e)<<(cvssBits+epssBits) | cvss[i]<<epssBits | epss[i]
		}
		ex := ds.newRanking(RankExploit, "weaponized (Metasploit, Nuclei), then PoC (ExploitDB, GitHub), then none; each by CVSS ↓, EPSS ↓; ties by CVE id", key)
		ex.addRule("weaponized exploit", "Metasploit module or Nuclei template", false, func(i int32) bool { return ds.exploit[i] == 2 })
		ex.addRule("public exploit", "any of ExploitDB, GitHub PoC, Metasploit, Nuclei", false, func(i int32) bool { return ds.exploit[i] >= 1 })
	}
	for n, v := range ds.views {
		key := denseDescU64(v.key)
		po := ds.newRanking(v.name, "the policy's sort key ↓ (band, threat, technical impact, p_eff, CVSS), ties by CVE id", key)
		for _, b := range []struct {
			name string
			min  int8
		}{{"P0", 4}, {"P0–P1", 3}, {"P0–P2", 2}} {
			po.addRule(v.name+" "+b.name, "band "+b.name, n == 0, func(i int32) bool { return v.band[i] >= b.min })
		}
	}
}

// denseDescU64 maps keys to dense ranks, 0 for the largest.
func denseDescU64(keys []uint64) []uint64 {
	distinct := slices.Clone(keys)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	out := make([]uint64, len(keys))
	for i, k := range keys {
		j, _ := slices.BinarySearch(distinct, k)
		out[i] = uint64(len(distinct) - 1 - j)
	}
	return out
}

// denseDesc maps values to dense ranks, 0 for the largest, and returns the
// bits a rank needs.
func denseDesc(vals []float64) ([]uint64, int) {
	distinct := slices.Clone(vals)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	rank := make(map[float64]uint64, len(distinct))
	for i, v := range distinct {
		rank[v] = uint64(len(distinct) - 1 - i)
	}
	out := make([]uint64, len(vals))
	for i, v := range vals {
		out[i] = rank[v]
	}
	return out, bits.Len(uint(len(distinct)))
}

// newRanking orders the population by key (ascending), ties by index. The
// key and the index are packed into one integer when they fit, so the sort
// compares machine words instead of calling a comparison function.
func (ds *Dataset) newRanking(name, order string, key []uint64) *ranking {
	n := ds.Size
	r := &ranking{name: name, order: order, perm: make([]int32, n), rank: make([]int32, n), grpStart: make([]int32, n), grpEnd: make([]int32, n)}
	idxBits := bits.Len(uint(n))
	var maxKey uint64
	for _, k := range key {
		maxKey = max(maxKey, k)
	}
	if bits.Len64(maxKey)+idxBits <= 64 {
		packed := make([]uint64, n)
		for i, k := range key {
			packed[i] = k<<idxBits | uint64(i)
		}
		slices.Sort(packed)
		mask := uint64(1)<<idxBits - 1
		for p, v := range packed {
			r.perm[p] = int32(v & mask)
		}
	} else {
		for i := range r.perm {
			r.perm[i] = int32(i)
		}
		slices.SortFunc(r.perm, func(a, b int32) int { return cmp.Or(cmp.Compare(key[a], key[b]), cmp.Compare(a, b)) })
	}
	for p, i := range r.perm {
		r.rank[i] = int32(p)
		if p > 0 && key[r.perm[p-1]] == key[i] {
			r.grpStart[p] = r.grpStart[p-1]
		} else {
			r.grpStart[p] = int32(p)
		}
	}
	for p := n - 1; p >= 0; p-- {
		if p < n-1 && r.grpStart[p+1] == r.grpStart[p] {
			r.grpEnd[p] = r.grpEnd[p+1]
		} else {
			r.grpEnd[p] = int32(p + 1)
		}
	}
	ds.rankings = append(ds.rankings, r)
	return r
}

// addRule adds a threshold strategy; flagged must hold on a prefix of the
// ranking (it is monotone in the ranking's key).
func (r *ranking) addRule(name, desc string, budget bool, flagged func(int32) bool) *ranking {
	n := 0
	for _, i := range r.perm {
		if !flagged(i) {
			break
		}
		n++
	}
	r.rules = append(r.rules, rule{name: name, rule: desc, n: n, budget: budget})
	return r
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Inputs says where each input came from and whether it was known at D.
func (ds *Dataset) Inputs() []InputNote { return slices.Clone(ds.notes) }

func (ds *Dataset) inputNotes(opt Options) []InputNote {
	d := ds.Date.Format("2006-01-02")
	orName := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	notes := []InputNote{{
		Input: "EPSS scores", Source: orName(opt.EPSSName, "EPSS file") + " (model " + orDash(ds.Model) + ")", KnownAtD: true,
		Note: "the scores published for " + d,
	}}
	rel := ds.kev.Released.Format("2006-01-02")
	notes = append(notes, InputNote{
		Input: "KEV at D (exclusion)", Source: orName(opt.KEVName, "KEV catalog") + " " + ds.kev.Version, KnownAtD: true,
		Note: fmt.Sprintf("entries with dateAdded ≤ %s, read from the catalog released %s: entries removed from KEV before then are invisible (e.g. CVE-2022-28958, removed Dec 2023) and stay in the population", d, rel),
	}, InputNote{
		Input: "KEV after D (labels)", Source: orName(opt.KEVName, "KEV catalog") + " " + ds.kev.Version, KnownAtD: false,
		Note: "the outcome being predicted, by design; dateAdded is when CISA listed the CVE, not when exploitation began",
	})
	cvssNote := InputNote{Input: "CVSS base scores and vectors", Source: orName(opt.CVSSName, "CVSS table") + " (base_* columns only)"}
	recent, recentPos := 0, 0
	for i, r := range ds.recent {
		if r {
			recent++
			if ds.added[i] > days(ds.Date) {
				recentPos++
			}
		}
	}
	switch {
	case ds.cvssRead.IsZero():
		cvssNote.Note = "read on an unknown date: scores may postdate D"
	case ds.cvssRead.After(ds.Date):
		cvssNote.KnownAtD = false
		cvssNote.Note = fmt.Sprintf("read %s, after D: NVD may have assigned or revised scores after %s; %d population CVEs (%d later-KEV) were published in the %d days before D or later, where a score assigned after D is most likely",
			ds.cvssRead.Format("2006-01-02"), d, recent, recentPos, lookAheadWindow)
	default:
		cvssNote.KnownAtD = true
		cvssNote.Note = fmt.Sprintf("read %s, before D: known at D but stale — no rows for CVEs published after it, no later NVD revisions", ds.cvssRead.Format("2006-01-02"))
	}
	notes = append(notes, cvssNote, InputNote{
		Input: "ctem policy", Source: ds.Policy, KnownAtD: true,
		Note: "CVE-level inputs only (EPSS at D, CVSS vector and score; no KEV, SSVC or asset data: exposure unknown, default criticality); its thresholds (EPSS 0.1 / 0.01), overlays and ordering were chosen in 2026, with hindsight, on these same dates",
	})
	if ds.exploit == nil {
		notes = append(notes, InputNote{
			Input: "public-exploit signals", Source: "not evaluated", KnownAtD: false,
			Note: "give --exploit-signals to read the CVSS table's exploitdb/poc_github/metasploit/nuclei flags",
		})
	} else {
		n, pos := 0, 0
		for i, e := range ds.exploit {
			if e > 0 {
				n++
				if ds.added[i] >= 0 {
					pos++
				}
			}
		}
		ex := InputNote{Input: "public-exploit signals", Source: orName(opt.CVSSName, "CVSS table") + " (exploitdb, poc_github, metasploit, nuclei)"}
		switch {
		case ds.cvssRead.IsZero():
			ex.Note = "read on an unknown date: flags may postdate D"
		case ds.cvssRead.After(ds.Date):
			ex.Note = fmt.Sprintf("read %s, %d days after D: a flag may come from an exploit published after D — look-ahead that favours the exploit strategies and the policy with them",
				ds.cvssRead.Format("2006-01-02"), int(ds.cvssRead.Sub(ds.Date)/day))
			if ds.KEVKnownUntil.Before(ds.cvssRead) {
				ex.Note += "; --exclude-kev-until " + ds.cvssRead.Format("2006-01-02") + " removes the labels that could have prompted one"
			} else {
				ex.Note += "; CVEs added to KEV up to then are left out, so no label can have prompted a flag"
			}
		default:
			ex.KnownAtD = true
			ex.Note = fmt.Sprintf("read %s, before D: known at D but stale — exploits published after it are missing", ds.cvssRead.Format("2006-01-02"))
		}
		ex.Note += fmt.Sprintf("; %d population CVEs flagged (%d later-KEV); weaponized = Metasploit or Nuclei, poc = ExploitDB or GitHub", n, pos)
		notes = append(notes, ex)
	}
	if ds.KEVKnownUntil.After(ds.Date) {
		notes = append(notes, InputNote{
			Input: "KEV up to " + ds.KEVKnownUntil.Format("2006-01-02") + " (exclusion)", Source: orName(opt.KEVName, "KEV catalog"), KnownAtD: false,
			Note: "CVEs added to KEV after D but by then are left out of the population and the labels (--exclude-kev-until)",
		})
	}
	return notes
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Evaluation is every strategy measured against the KEV additions in one
// label window.
type Evaluation struct {
	Horizon  string    `json:"horizon"`   // none, 12m, …
	LabelEnd time.Time `json:"label_end"` // last dateAdded counted
	// Complete: the KEV catalog covers the whole window.
	Complete bool `json:"complete"`

	KEVAdded  int `json:"kev_added"`  // catalog entries added in (D, LabelEnd]
	InEPSS    int `json:"in_epss"`    // … of which in the EPSS file
	Positives int `json:"positives"`  // … of which in the population
	NoCVSS    int `json:"no_cvss"`    // positives in the EPSS file without a CVSS row
	Size      int `json:"population"` // the population

	Rules    []RuleResult    `json:"rules"`
	Rankings []RankingResult `json:"rankings"`
	// Groups split the population by the policy's band, threat level and
	// decision points: which inputs carry the signal.
	Groups []Group `json:"groups"`
}

// Group is the population CVEs with one combination of policy outputs.
type Group struct {
	Policy          string  `json:"policy"` // which view: ctem-policy, or + exploit signals
	Band            string  `json:"band"`
	Threat          string  `json:"threat"`
	Automatable     bool    `json:"automatable"`
	TechnicalImpact string  `json:"technical_impact"`
	Size            int     `json:"size"`
	Positives       int     `json:"positives"`
	Rate            float64 `json:"rate"` // positives / size
}

// RuleResult measures a threshold strategy.
type RuleResult struct {
	Strategy   string     `json:"strategy"`
	Rule       string     `json:"rule"`
	Flagged    int        `json:"flagged"`
	Hits       int        `json:"hits"`
	Effort     float64    `json:"effort"`
	Coverage   float64    `json:"coverage"`
	CoverageCI [2]float64 `json:"coverage_ci95"` // Wilson
	Efficiency float64    `json:"efficiency"`
}

// RankingResult measures a ranking strategy at fixed effort budgets, and
// the effort it needs to match CVSS ≥ 7's coverage.
type RankingResult struct {
	Strategy string         `json:"strategy"`
	Order    string         `json:"order"`
	Budgets  []BudgetResult `json:"budgets"`
	// MatchCVSS7 is the smallest effort at which the ranking covers as
	// many positives as CVSS ≥ 7.
	MatchCVSS7 Match `json:"match_cvss7"`
}

// BudgetResult is a ranking cut at a fixed number of CVEs.
type BudgetResult struct {
	Budget     string     `json:"budget"` // "5%", "15%", "CVSS ≥ 9.1"
	K          int        `json:"k"`      // CVEs taken
	Effort     float64    `json:"effort"`
	Hits       int        `json:"hits"`
	Coverage   float64    `json:"coverage"`
	CoverageCI [2]float64 `json:"coverage_ci95"` // Wilson
	Efficiency float64    `json:"efficiency"`
	// Tie is set when a tie group straddles the cut: the coverage then
	// depends on the tie-break.
	Tie *Tie `json:"tie,omitempty"`
	// Against the CVSS and EPSS rankings at the same k: positives only
	// this ranking takes, only the other takes, and the exact McNemar p.
	VsCVSS *Paired `json:"vs_cvss,omitempty"`
	VsEPSS *Paired `json:"vs_epss,omitempty"`
}

// Tie describes the tie group straddling a cut.
type Tie struct {
	Size      int `json:"size"`      // CVEs with the same key
	Positives int `json:"positives"` // positives among them
	Taken     int `json:"taken"`     // how many of them the cut takes
	// Coverage over every tie order: the least, the most, and the mean
	// (a random tie-break).
	MinCoverage  float64 `json:"min_coverage"`
	MaxCoverage  float64 `json:"max_coverage"`
	MeanCoverage float64 `json:"mean_coverage"`
}

// Paired compares two rankings' top k.
type Paired struct {
	OnlyThis  int     `json:"only_this"`
	OnlyOther int     `json:"only_other"`
	P         float64 `json:"p"` // exact two-sided McNemar (binomial) p
}

// Match is the effort a ranking needs to reach a coverage.
type Match struct {
	Hits   int     `json:"hits"` // positives to cover
	K      int     `json:"k"`    // CVEs taken (ties by CVE id)
	Effort float64 `json:"effort"`
	// Ratio is K over the CVEs CVSS ≥ 7 flags (the reference's
	// equal-coverage effort ratio; goal G1: ≤ 1/3).
	Ratio float64 `json:"ratio"`
	// MeanK is the expected K under a random tie-break (differs from K
	// when the cut falls in a tie group).
	MeanK float64 `json:"mean_k"`
}

// Budgets are the fixed effort budgets evaluated, besides CVSS ≥ 9.1's
// effort.
var Budgets = []float64{0.05, 0.15}

// Evaluate measures every strategy against the KEV additions after D
// within h (NoHorizon: up to the catalog's release).
func (ds *Dataset) Evaluate(h Horizon) Evaluation {
	d := ds.Date
	rel := ds.kev.Released.UTC().Truncate(day)
	end := rel
	if !h.IsZero() {
		end = h.End(d)
	}
	ev := Evaluation{Horizon: h.String(), LabelEnd: end, Complete: !end.After(rel), Size: ds.Size}
	dDays, endDays := days(d), days(end)
	for _, t := range ds.kev.Added {
		if dt := days(t); dt > dDays && dt <= endDays {
			ev.KEVAdded++
		}
	}
	pos := make([]bool, ds.Size)
	for i, a := range ds.added {
		if a > dDays && a <= endDays {
			pos[i] = true
			ev.Positives++
			if ds.cvss[i] < 0 {
				ev.NoCVSS++
			}
		}
	}
	ev.InEPSS = ev.Positives + ds.positivesExcluded(dDays, endDays)

	cum := make(map[*ranking][]int32, len(ds.rankings))
	for _, r := range ds.rankings {
		c := make([]int32, ds.Size+1)
		for p, i := range r.perm {
			c[p+1] = c[p]
			if pos[i] {
				c[p+1]++
			}
		}
		cum[r] = c
	}
	P := ev.Positives
	rate := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	type budget struct {
		name string
		k    int
	}
	var budgets []budget
	for _, b := range Budgets {
		budgets = append(budgets, budget{fmtNum(b*100) + "%", int(math.Floor(b*float64(ds.Size) + 0.5))})
	}
	var cvss7 int
	for _, r := range ds.rankings {
		for _, ru := range r.rules {
			hits := int(cum[r][ru.n])
			ev.Rules = append(ev.Rules, RuleResult{
				Strategy: ru.name, Rule: ru.rule, Flagged: ru.n, Hits: hits,
				Effort: rate(ru.n, ds.Size), Coverage: rate(hits, P), CoverageCI: wilson(hits, P), Efficiency: rate(hits, ru.n),
			})
			if ru.name == ruleCVSS7 {
				cvss7 = ru.n
			}
			if ru.budget && ru.n > 0 && ru.n < ds.Size {
				budgets = append(budgets, budget{ru.name + " effort", ru.n})
			}
		}
	}
	var cvssR, epssR *ranking
	for _, r := range ds.rankings {
		switch r.name {
		case RankCVSS:
			cvssR = r
		case RankEPSS:
			epssR = r
		}
	}
	target := int(cum[cvssR][cvss7])

	for _, r := range ds.rankings {
		c := cum[r]
		rr := RankingResult{Strategy: r.name, Order: r.order}
		for _, b := range budgets {
			hits := int(c[b.k])
			br := BudgetResult{Budget: b.name, K: b.k, Effort: rate(b.k, ds.Size), Hits: hits,
				Coverage: rate(hits, P), CoverageCI: wilson(hits, P), Efficiency: rate(hits, b.k)}
			if b.k > 0 && b.k < ds.Size {
				s, e := int(r.grpStart[b.k-1]), int(r.grpEnd[b.k-1])
				if e > b.k {
					above, gp, gn, m := int(c[s]), int(c[e]-c[s]), e-s, b.k-s
					br.Tie = &Tie{Size: gn, Positives: gp, Taken: m,
						MinCoverage:  rate(above+max(0, m-(gn-gp)), P),
						MaxCoverage:  rate(above+min(m, gp), P),
						MeanCoverage: (float64(above) + float64(m)*float64(gp)/float64(gn)) / float64(max(P, 1)),
					}
				}
			}
			if r != cvssR {
				br.VsCVSS = paired(r, cvssR, b.k, pos)
			}
			if r != epssR {
				br.VsEPSS = paired(r, epssR, b.k, pos)
			}
			rr.Budgets = append(rr.Budgets, br)
		}
		k, _ := slices.BinarySearch(c, int32(target))
		m := Match{Hits: target, K: k, Effort: rate(k, ds.Size), Ratio: rate(k, cvss7), MeanK: float64(k)}
		if k > 0 && target > 0 {
			s, e := int(r.grpStart[k-1]), int(r.grpEnd[k-1])
			above, gp, gn := int(c[s]), int(c[e]-c[s]), e-s
			// The x-th of gp positives in a random order of gn CVEs sits
			// at x(gn+1)/(gp+1) on average.
			x := target - above
			m.MeanK = float64(s) + float64(x)*float64(gn+1)/float64(gp+1)
		}
		rr.MatchCVSS7 = m
		ev.Rankings = append(ev.Rankings, rr)
	}
	ev.Groups = ds.groups(pos)
	return ev
}

func (ds *Dataset) groups(pos []bool) []Group {
	var out []Group
	for _, v := range ds.views {
		out = append(out, v.groups(pos)...)
	}
	return out
}

func (v *policyView) groups(pos []bool) []Group {
	type key struct{ band, threat, point int8 }
	type count struct{ n, p int }
	counts := map[key]*count{}
	for i := range v.band {
		k := key{v.band[i], v.threat[i], int8(v.point[i])}
		c := counts[k]
		if c == nil {
			c = &count{}
			counts[k] = c
		}
		c.n++
		if pos[i] {
			c.p++
		}
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(b.band, a.band), cmp.Compare(b.threat, a.threat), cmp.Compare(b.point&pointTotal, a.point&pointTotal), cmp.Compare(b.point, a.point))
	})
	threats := [4]string{"Unlikely", "Possible", "Likely", "Active"}
	out := make([]Group, 0, len(keys))
	for _, k := range keys {
		c := counts[k]
		ti := "partial"
		if k.point&pointTotal != 0 {
			ti = "total"
		}
		g := Group{Policy: v.name, Band: "P" + strconv.Itoa(4-int(k.band)), Threat: threats[k.threat], Automatable: k.point&pointA != 0, TechnicalImpact: ti, Size: c.n, Positives: c.p}
		g.Rate = float64(c.p) / float64(c.n)
		out = append(out, g)
	}
	return out
}

// positivesExcluded counts the label-window KEV additions that are in the
// EPSS file but not in the population (no CVSS row, PopulationScored).
func (ds *Dataset) positivesExcluded(dDays, endDays int32) int {
	n := 0
	for _, a := range ds.droppedKEV {
		if a > dDays && a <= endDays {
			n++
		}
	}
	return n
}

func paired(a, b *ranking, k int, pos []bool) *Paired {
	var p Paired
	for i, y := range pos {
		if !y {
			continue
		}
		inA, inB := int(a.rank[i]) < k, int(b.rank[i]) < k
		switch {
		case inA && !inB:
			p.OnlyThis++
		case inB && !inA:
			p.OnlyOther++
		}
	}
	p.P = mcnemar(p.OnlyThis, p.OnlyOther)
	return &p
}

// mcnemar is the exact two-sided McNemar test: a binomial test of b
// against b+c trials with p = 1/2.
func mcnemar(b, c int) float64 {
	n := b + c
	if n == 0 {
		return 1
	}
	lo := min(b, c)
	// P(X ≤ lo), X ~ Bin(n, 1/2), in logs for large n.
	var sum float64
	lgN, _ := math.Lgamma(float64(n + 1))
	for x := 0; x <= lo; x++ {
		lx, _ := math.Lgamma(float64(x + 1))
		lnx, _ := math.Lgamma(float64(n - x + 1))
		sum += math.Exp(lgN - lx - lnx - float64(n)*math.Ln2)
	}
	return math.Min(1, 2*sum)
}

// wilson is the 95% Wilson score interval of a proportion.
func wilson(x, n int) [2]float64 {
	if n == 0 {
		return [2]float64{0, 1}
	}
	const z = 1.959963984540054
	p, nf := float64(x)/float64(n), float64(n)
	den := 1 + z*z/nf
	mid := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return [2]float64{math.Max(0, mid-half), math.Min(1, mid+half)}
}
