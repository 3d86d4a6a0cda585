package prioritize

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// DefaultName is the name of the built-in policy; DefaultVersion its version.
const (
	DefaultName = "ctem-default"
	// modelGeneration is bumped whenever the decision logic or an embedded
	// table changes, so a version string always names one behaviour.
	// Generation 2: every Likely threat reaches P1, Possible threats with
	// total technical impact reach P2, and points and SortKey order a band by
	// threat, technical impact, then likelihood (docs/backtest.md).
	modelGeneration = "2"
	DefaultVersion  = DefaultName + "/" + modelGeneration
)

// PolicyConfig is the policy section of ctem.yaml. Every field is optional:
// unset fields take the defaults of "CTEM Priority v1". NewPolicy validates
// it. Any value that differs from the defaults changes the policy version
// (a content hash is appended), so stored decisions always name the exact
// policy that made them.
type PolicyConfig struct {
	// Name of the policy; the version is Name + "/2" (+ "+hash" when any
	// value differs from the defaults). Default "ctem-default".
	Name string `yaml:"name,omitempty" json:"name,omitempty"`

	// EPSSThreshold is τ_L: EPSS (or LEV) ≥ τ_L makes the threat Likely.
	// Default 0.10.
	EPSSThreshold *float64 `yaml:"epss_threshold,omitempty" json:"epss_threshold,omitempty"`
	// EPSSPossibleThreshold is τ_P: EPSS ≥ τ_P makes the threat Possible.
	// Default 0.01. Must not exceed τ_L.
	EPSSPossibleThreshold *float64 `yaml:"epss_possible_threshold,omitempty" json:"epss_possible_threshold,omitempty"`
	// EPSSModelThresholds overrides both thresholds for one EPSS
	// model_version (thresholds only mean something for one model).
	EPSSModelThresholds map[string]EPSSThresholds `yaml:"epss_model_thresholds,omitempty" json:"epss_model_thresholds,omitempty"`

	// SLADays per band (P0..P4). Defaults P0 3, P1 14, P2 60, P3 180, P4 365.
	// Must not decrease from P0 to P4.
	SLADays map[Band]int `yaml:"sla_days,omitempty" json:"sla_days,omitempty"`

	// OutcomeBands maps BOD 26-04 outcomes to bands. Defaults: 3D+F and 3D
	// → P0, 14D → P1, 60D → P2, FSU → P3. P4 is reserved for mitigations.
	OutcomeBands map[string]Band `yaml:"outcome_bands,omitempty" json:"outcome_bands,omitempty"`
	// BandTable replaces rows of the BOD 26-04 table (matched on the four
	// decision points). The resulting table must stay monotone.
	BandTable []BODRow `yaml:"band_table,omitempty" json:"band_table,omitempty"`

	// LikelyBandExposedOrAutomatable is the band a Likely threat reaches at
	// least when the asset is exposed or the flaw automatable (default P1);
	// LikelyBandOther otherwise (default P1 too: the backtest found the
	// derived Automatable heuristic carries no signal among Likely CVEs, so
	// it must not hold predicted exploitation back; the reference's P2 is
	// one setting away).
	LikelyBandExposedOrAutomatable *Band `yaml:"likely_band_exposed_or_automatable,omitempty" json:"likely_band_exposed_or_automatable,omitempty"`
	LikelyBandOther                *Band `yaml:"likely_band_other,omitempty" json:"likely_band_other,omitempty"`
	// PossibleTotalBand is the band a Possible threat (public PoC, CISA
	// "poc", EPSS ≥ τ_P) with total technical impact reaches at least
	// (default P2). Total-impact CVEs are five to nine times as likely to
	// be added to KEV as partial ones (docs/backtest.md); without this the
	// BOD 26-04 rows of unexposed assets ignore technical impact. P3
	// switches it off.
	PossibleTotalBand *Band `yaml:"possible_total_band,omitempty" json:"possible_total_band,omitempty"`

	// MissionImpact maps asset criticality 1..5 to low/medium/high
	// (default 1–2 low, 3 medium, 4–5 high). Crown jewels are always high.
	MissionImpact map[int]string `yaml:"mission_impact,omitempty" json:"mission_impact,omitempty"`
	// DefaultCriticality is used when an asset has none (default 3).
	DefaultCriticality *int `yaml:"default_criticality,omitempty" json:"default_criticality,omitempty"`
	// CriticalityOverlay: high mission impact → one band more urgent; low
	// mission impact with a Possible/Unlikely threat → one band less urgent
	// (never below P3). Default true.
	CriticalityOverlay *bool `yaml:"criticality_overlay,omitempty" json:"criticality_overlay,omitempty"`
	// RefutedDemotes: a finding validation refuted goes one band less urgent
	// (never below P3, never for an Active threat). Default true.
	RefutedDemotes *bool `yaml:"refuted_demotes,omitempty" json:"refuted_demotes,omitempty"`
	// RansomwareFloor: KEV entries with known ransomware use are at least
	// this band (default P1).
	RansomwareFloor *Band `yaml:"ransomware_floor,omitempty" json:"ransomware_floor,omitempty"`
	// ControlsRequireVerification: controls without VerifiedAt are ignored
	// (and the explanation says so). Default false: a control declared in
	// ctem.yaml is in force until it expires.
	ControlsRequireVerification *bool `yaml:"controls_require_verification,omitempty" json:"controls_require_verification,omitempty"`

	// ExposureFactors (internet, internal, isolated) and ImpactFactors
	// (total, partial) are the f_X and f_TI of the risk formula. Defaults
	// 1.0/0.4/0.1 and 1.0/0.5. Values in (0, 1], monotone.
	ExposureFactors map[string]float64 `yaml:"exposure_factors,omitempty" json:"exposure_factors,omitempty"`
	ImpactFactors   map[string]float64 `yaml:"impact_factors,omitempty" json:"impact_factors,omitempty"`
}

// EPSSThresholds are τ_L and τ_P for one EPSS model version.
type EPSSThresholds struct {
	Threshold         float64 `yaml:"threshold" json:"threshold"`
	PossibleThreshold float64 `yaml:"possible_threshold" json:"possible_threshold"`
}

// Policy is a compiled, immutable, versioned policy. The zero Policy is the
// default policy. Policies are safe for concurrent use.
type Policy struct{ c *compiled }

type compiled struct {
	version string
	cfg     PolicyConfig // effective (all fields set)

	tauL, tauP float64
	tauText    [2]string
	byModel    map[string]*modelTau

	sla         [5]int // by urgency (0 = P4 … 4 = P0)
	cfSuffix    [5]string
	bodBand     [16]int8 // urgency per BOD row
	bodOutcome  [16]string
	bodRule     [16]string
	likelyEA    int8
	likelyOther int8
	possibleTI  int8
	mwi         [6]int8 // by criticality 1..5: 0 low, 1 medium, 2 high
	mwiText     [6]string
	defaultCrit int8
	critOverlay bool
	refuted     bool
	ransomFloor int8
	requireVer  bool
	fX          [3]float64 // isolated, internal, internet
	fTI         [2]float64 // partial, total
	ssvcRule    [36]string
}

type modelTau struct {
	l, p float64
	text [2]string
}

func ptr[T any](v T) *T { return &v }

// DefaultConfig returns the effective configuration of the default policy,
// every field set.
func DefaultConfig() PolicyConfig {
	return PolicyConfig{
		Name:                           DefaultName,
		EPSSThreshold:                  ptr(0.10),
		EPSSPossibleThreshold:          ptr(0.01),
		SLADays:                        map[Band]int{P0: 3, P1: 14, P2: 60, P3: 180, P4: 365},
		OutcomeBands:                   map[string]Band{Outcome3DF: P0, Outcome3D: P0, Outcome14D: P1, Outcome60D: P2, OutcomeFSU: P3},
		BandTable:                      BODTable(),
		LikelyBandExposedOrAutomatable: ptr(P1),
		LikelyBandOther:                ptr(P1),
		PossibleTotalBand:              ptr(P2),
		MissionImpact:                  map[int]string{1: "low", 2: "low", 3: "medium", 4: "high", 5: "high"},
		DefaultCriticality:             ptr(3),
		CriticalityOverlay:             ptr(true),
		RefutedDemotes:                 ptr(true),
		RansomwareFloor:                ptr(P1),
		ControlsRequireVerification:    ptr(false),
		ExposureFactors:                map[string]float64{"internet": 1.0, "internal": 0.4, "isolated": 0.1},
		ImpactFactors:                  map[string]float64{"total": 1.0, "partial": 0.5},
	}
}

var defaultCompiled = func() *compiled {
	c, err := compile(PolicyConfig{})
	if err != nil {
		panic("prioritize: default policy: " + err.Error())
	}
	return c
}()

var defaultHash = settingsHash(DefaultConfig())

// DefaultPolicy returns the built-in policy "ctem-default/2".
func DefaultPolicy() Policy { return Policy{defaultCompiled} }

// NewPolicy validates cfg, fills unset fields with the defaults and
// compiles the policy. The error lists every problem found.
func NewPolicy(cfg PolicyConfig) (Policy, error) {
	c, err := compile(cfg)
	if err != nil {
		return Policy{}, err
	}
	return Policy{c}, nil
}

func (p Policy) get() *compiled {
	if p.c == nil {
		return defaultCompiled
	}
	return p.c
}

// Version names the policy: "ctem-default/2", or Name + "/2+" + the first
// 12 hex digits of a hash of the effective settings when they differ from
// the defaults.
func (p Policy) Version() string { return p.get().version }

// Config returns the effective configuration (every field set).
func (p Policy) Config() PolicyConfig { return cloneConfig(p.get().cfg) }

// SLADays returns the SLA of a band in days (0 for an unknown band).
func (p Policy) SLADays(b Band) int {
	u := b.Urgency()
	if u < 0 {
		return 0
	}
	return p.get().sla[u]
}

func cloneConfig(c PolicyConfig) PolicyConfig {
	b, _ := json.Marshal(c)
	var out PolicyConfig
	_ = json.Unmarshal(b, &out)
	return out
}

// settingsHash hashes everything but the name. encoding/json sorts map keys,
// so the encoding is canonical.
func settingsHash(c PolicyConfig) string {
	c.Name = ""
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:6])
}

func compile(in PolicyConfig) (*compiled, error) {
	eff := DefaultConfig()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("prioritize: policy: "+format, a...)) }

	if in.Name != "" {
		eff.Name = in.Name
	}
	okProb := func(v float64) bool { return !math.IsNaN(v) && v > 0 && v <= 1 }
	if in.EPSSThreshold != nil {
		eff.EPSSThreshold = ptr(*in.EPSSThreshold)
	}
	if in.EPSSPossibleThreshold != nil {
		eff.EPSSPossibleThreshold = ptr(*in.EPSSPossibleThreshold)
	}
	checkTau := func(where string, l, pp float64) {
		if !okProb(l) {
			bad("%sepss_threshold %v: want a probability in (0, 1]", where, l)
		}
		if !okProb(pp) {
			bad("%sepss_possible_threshold %v: want a probability in (0, 1]", where, pp)
		}
		if okProb(l) && okProb(pp) && pp > l {
			bad("%sepss_possible_threshold %v is above epss_threshold %v", where, pp, l)
		}
	}
	checkTau("", *eff.EPSSThreshold, *eff.EPSSPossibleThreshold)
	for m, t := range in.EPSSModelThresholds {
		if m == "" {
			bad("epss_model_thresholds: empty model version")
			continue
		}
		checkTau("epss_model_thresholds."+m+".", t.Threshold, t.PossibleThreshold)
		if eff.EPSSModelThresholds == nil {
			eff.EPSSModelThresholds = map[string]EPSSThresholds{}
		}
		eff.EPSSModelThresholds[m] = t
	}

	for b, d := range in.SLADays {
		if b.Urgency() < 0 {
			bad("sla_days: unknown band %q (want P0..P4)", b)
			continue
		}
		if d < 1 || d > 3650 {
			bad("sla_days.%s = %d: want 1..3650 days", b, d)
			continue
		}
		eff.SLADays[b] = d
	}
	for u := 3; u >= 0; u-- {
		b, prev := bandByUrgency[u], bandByUrgency[u+1]
		if eff.SLADays[b] < eff.SLADays[prev] {
			bad("sla_days: %s (%d days) is shorter than %s (%d days)", b, eff.SLADays[b], prev, eff.SLADays[prev])
		}
	}

	for o, b := range in.OutcomeBands {
		if bodOutcomeRank(o) < 0 {
			bad("outcome_bands: unknown BOD 26-04 outcome %q (want FSU, 60D, 14D, 3D, 3D+F)", o)
			continue
		}
		if b.Urgency() < 1 {
			bad("outcome_bands.%s = %q: want P0..P3", o, b)
			continue
		}
		eff.OutcomeBands[o] = b
	}
	for i := 1; i < len(bodOutcomes); i++ {
		lo, hi := bodOutcomes[i-1], bodOutcomes[i]
		if eff.OutcomeBands[hi].Urgency() < eff.OutcomeBands[lo].Urgency() {
			bad("outcome_bands: %s (%s) is less urgent than %s (%s)", hi, eff.OutcomeBands[hi], lo, eff.OutcomeBands[lo])
		}
	}

	var table [16]string
	for _, r := range eff.BandTable {
		i, err := r.index()
		if err != nil {
			panic(err) // embedded table
		}
		table[i] = r.Outcome
	}
	seen := map[int]bool{}
	for n, r := range in.BandTable {
		i, err := r.index()
		if err != nil {
			bad("band_table[%d]: %v", n, err)
			continue
		}
		if seen[i] {
			bad("band_table[%d]: row kev=%s exposed=%s automatable=%s technical_impact=%s given twice", n, r.KEV, r.Exposed, r.Automatable, r.TechnicalImpact)
		}
		seen[i] = true
		table[i] = r.Outcome
	}
	eff.BandTable = make([]BODRow, 16)
	for i := range table {
		eff.BandTable[i] = BODRow{
			KEV: yn(i&8 != 0), Exposed: yn(i&4 != 0), Automatable: yn(i&2 != 0),
			TechnicalImpact: pt(i&1 != 0), Outcome: table[i],
		}
	}

	setBand := func(name string, dst **Band, v *Band, minU int) {
		if v == nil {
			return
		}
		if u := v.Urgency(); u < minU {
			bad("%s = %q: want P0..P%d", name, *v, 4-minU)
			return
		}
		*dst = ptr(*v)
	}
	setBand("likely_band_exposed_or_automatable", &eff.LikelyBandExposedOrAutomatable, in.LikelyBandExposedOrAutomatable, 1)
	setBand("likely_band_other", &eff.LikelyBandOther, in.LikelyBandOther, 1)
	if eff.LikelyBandOther.Urgency() > eff.LikelyBandExposedOrAutomatable.Urgency() {
		bad("likely_band_other (%s) is more urgent than likely_band_exposed_or_automatable (%s)", *eff.LikelyBandOther, *eff.LikelyBandExposedOrAutomatable)
	}
	setBand("possible_total_band", &eff.PossibleTotalBand, in.PossibleTotalBand, 1)
	setBand("ransomware_floor", &eff.RansomwareFloor, in.RansomwareFloor, 1)

	mwiRank := map[string]int8{"low": 0, "medium": 1, "high": 2}
	for c, m := range in.MissionImpact {
		if c < 1 || c > 5 {
			bad("mission_impact: criticality %d: want 1..5", c)
			continue
		}
		if _, ok := mwiRank[m]; !ok {
			bad("mission_impact.%d = %q: want low, medium or high", c, m)
			continue
		}
		eff.MissionImpact[c] = m
	}
	for c := 2; c <= 5; c++ {
		if mwiRank[eff.MissionImpact[c]] < mwiRank[eff.MissionImpact[c-1]] {
			bad("mission_impact: criticality %d (%s) is lower than criticality %d (%s)", c, eff.MissionImpact[c], c-1, eff.MissionImpact[c-1])
		}
	}
	if in.DefaultCriticality != nil {
		if d := *in.DefaultCriticality; d < 1 || d > 5 {
			bad("default_criticality %d: want 1..5", d)
		} else {
			eff.DefaultCriticality = ptr(d)
		}
	}
	for _, b := range []struct {
		dst **bool
		v   *bool
	}{{&eff.CriticalityOverlay, in.CriticalityOverlay}, {&eff.RefutedDemotes, in.RefutedDemotes}, {&eff.ControlsRequireVerification, in.ControlsRequireVerification}} {
		if b.v != nil {
			*b.dst = ptr(*b.v)
		}
	}

	factors := func(name string, dst, src map[string]float64, order []string) {
		for k, v := range src {
			if _, ok := dst[k]; !ok {
				bad("%s: unknown key %q (want %v)", name, k, order)
				continue
			}
			if !okProb(v) {
				bad("%s.%s = %v: want a factor in (0, 1]", name, k, v)
				continue
			}
			dst[k] = v
		}
		for i := 1; i < len(order); i++ {
			if dst[order[i]] > dst[order[i-1]] {
				bad("%s: %s (%v) is above %s (%v)", name, order[i], dst[order[i]], order[i-1], dst[order[i-1]])
			}
		}
	}
	factors("exposure_factors", eff.ExposureFactors, in.ExposureFactors, []string{"internet", "internal", "isolated"})
	factors("impact_factors", eff.ImpactFactors, in.ImpactFactors, []string{"total", "partial"})

	if len(errs) > 0 {
		// Map iteration order varies: sort for a stable message.
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return nil, errors.Join(errs...)
	}

	c := &compiled{cfg: eff}
	c.tauL, c.tauP = *eff.EPSSThreshold, *eff.EPSSPossibleThreshold
	c.tauText = [2]string{fmtF(c.tauL), fmtF(c.tauP)}
	c.byModel = make(map[string]*modelTau, len(eff.EPSSModelThresholds))
	for m, t := range eff.EPSSModelThresholds {
		c.byModel[m] = &modelTau{t.Threshold, t.PossibleThreshold, [2]string{fmtF(t.Threshold), fmtF(t.PossibleThreshold)}}
	}
	for _, b := range bandByUrgency {
		c.sla[b.Urgency()] = eff.SLADays[b]
		c.cfSuffix[b.Urgency()] = fmt.Sprintf(" → %s (%d days)", b, eff.SLADays[b])
	}
	for i, o := range table {
		c.bodOutcome[i] = o
		c.bodBand[i] = int8(eff.OutcomeBands[o].Urgency())
		c.bodRule[i] = fmt.Sprintf("bod2604:KEV=%s,AE=%s,A=%s,TI=%s->%s", yN(i&8 != 0), yN(i&4 != 0), yN(i&2 != 0), tP(i&1 != 0), o)
	}
	c.likelyEA = int8(eff.LikelyBandExposedOrAutomatable.Urgency())
	c.likelyOther = int8(eff.LikelyBandOther.Urgency())
	c.possibleTI = int8(eff.PossibleTotalBand.Urgency())
	for crit := 1; crit <= 5; crit++ {
		c.mwi[crit] = mwiRank[eff.MissionImpact[crit]]
	}
	c.defaultCrit = int8(*eff.DefaultCriticality)
	c.mwi[0] = c.mwi[c.defaultCrit]
	for crit := 1; crit <= 5; crit++ {
		c.mwiText[crit] = fmt.Sprintf("derived: criticality %d → %s (mission_impact table)", crit, mwiNames[c.mwi[crit]])
	}
	c.critOverlay = *eff.CriticalityOverlay
	c.refuted = *eff.RefutedDemotes
	c.ransomFloor = int8(eff.RansomwareFloor.Urgency())
	c.requireVer = *eff.ControlsRequireVerification
	c.fX = [3]float64{eff.ExposureFactors["isolated"], eff.ExposureFactors["internal"], eff.ExposureFactors["internet"]}
	c.fTI = [2]float64{eff.ImpactFactors["partial"], eff.ImpactFactors["total"]}
	for i := range c.ssvcRule {
		e, a, t, m := i/12, (i/6)%2, (i/3)%2, i%3
		c.ssvcRule[i] = fmt.Sprintf("ssvc:cisa-coordinator:E=%s,A=%s,TI=%s,MWI=%s->%s",
			[]string{"none", "public_poc", "active"}[e], yn(a == 1), pt(t == 1), mwiNames[m], ssvcDense[i])
	}

	if err := c.checkMonotone(); err != nil {
		return nil, err
	}
	h := settingsHash(eff)
	c.version = eff.Name + "/" + modelGeneration
	if h != defaultHash {
		c.version += "+" + h
	}
	return c, nil
}

var mwiNames = [3]string{"low", "medium", "high"}

func yn(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
func yN(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}
func pt(total bool) string {
	if total {
		return "total"
	}
	return "partial"
}
func tP(total bool) string {
	if total {
		return "T"
	}
	return "P"
}

// checkMonotone verifies, over every combination of the abstract decision
// points, that raising any one of them never makes the band less urgent.
// It guards configured tables and overlays: a policy that would punish more
// risk is refused at load time rather than discovered in production.
func (c *compiled) checkMonotone() error {
	// threat, exposed, automatable, total, mission impact, not refuted, ransomware
	lim := [7]int8{3, 1, 1, 1, 2, 1, 1}
	names := [7]string{"threat", "exposed", "automatable", "technical_impact", "mission_impact", "not_refuted", "ransomware"}
	band := func(s [7]int8) int8 {
		return c.bandFor(s[0], s[1] == 1, s[2] == 1, s[3] == 1, s[4], s[5] == 0, s[6] == 1)
	}
	var bad []string
	var s [7]int8
	for {
		b := band(s)
		for k := range s {
			if s[k] == lim[k] {
				continue
			}
			n := s
			n[k]++
			if nb := band(n); nb < b {
				bad = append(bad, fmt.Sprintf("raising %s at %v lowers the band from %s to %s", names[k], s, bandOf(b), bandOf(nb)))
			}
		}
		k := 0
		for ; k < len(s); k++ {
			if s[k] < lim[k] {
				s[k]++
				break
			}
			s[k] = 0
		}
		if k == len(s) {
			break
		}
	}
	if len(bad) > 0 {
		if len(bad) > 5 {
			bad = append(bad[:5], fmt.Sprintf("… and %d more", len(bad)-5))
		}
		return fmt.Errorf("prioritize: policy is not monotone (more risk would lower the band): %s", strings.Join(bad, "; "))
	}
	return nil
}
