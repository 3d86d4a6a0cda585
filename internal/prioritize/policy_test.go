package prioritize

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v4"
)

func TestDefaultPolicy(t *testing.T) {
	for name, p := range map[string]Policy{"DefaultPolicy": DefaultPolicy(), "zero": {}, "NewPolicy(empty)": must(NewPolicy(PolicyConfig{})), "NewPolicy(DefaultConfig)": must(NewPolicy(DefaultConfig()))} {
		if p.Version() != "ctem-default/2" {
			t.Errorf("%s: version %q", name, p.Version())
		}
		if diff := cmp.Diff(DefaultConfig(), p.Config()); diff != "" {
			t.Errorf("%s: config (-default +got):\n%s", name, diff)
		}
	}
	want := map[Band]int{P0: 3, P1: 14, P2: 60, P3: 180, P4: 365}
	for b, d := range want {
		if got := DefaultPolicy().SLADays(b); got != d {
			t.Errorf("SLADays(%s) = %d, want %d", b, got, d)
		}
	}
	// Config returns a copy.
	c := DefaultPolicy().Config()
	c.SLADays[P0] = 99
	*c.EPSSThreshold = 0.5
	if DefaultPolicy().SLADays(P0) != 3 || *DefaultPolicy().Config().EPSSThreshold != 0.1 {
		t.Error("Config() aliases the policy")
	}
}

func must(p Policy, err error) Policy {
	if err != nil {
		panic(err)
	}
	return p
}

const exampleYAML = `
name: acme
epss_threshold: 0.2
epss_possible_threshold: 0.02
epss_model_thresholds:
  v2026.06.15: {threshold: 0.15, possible_threshold: 0.03}
sla_days: {P0: 2, P1: 10, P3: 120}
outcome_bands: {"3D": P1}
band_table:
  - {kev: no, exposed: yes, automatable: yes, technical_impact: total, outcome: 14D}
likely_band_other: P3
mission_impact: {3: high}
default_criticality: 2
criticality_overlay: true
refuted_demotes: false
ransomware_floor: P0
controls_require_verification: true
exposure_factors: {internal: 0.5}
impact_factors: {partial: 0.25}
`

func TestPolicyConfigYAML(t *testing.T) {
	var cfg PolicyConfig
	if err := yaml.Unmarshal([]byte(exampleYAML), &cfg); err != nil {
		t.Fatal(err)
	}
	p, err := NewPolicy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^acme/2\+[0-9a-f]{12}$`).MatchString(p.Version()) {
		t.Errorf("version %q", p.Version())
	}
	eff := p.Config()
	want := DefaultConfig()
	want.Name = "acme"
	want.EPSSThreshold, want.EPSSPossibleThreshold = ptr(0.2), ptr(0.02)
	want.EPSSModelThresholds = map[string]EPSSThresholds{"v2026.06.15": {0.15, 0.03}}
	want.SLADays = map[Band]int{P0: 2, P1: 10, P2: 60, P3: 120, P4: 365}
	want.OutcomeBands[Outcome3D] = P1
	want.BandTable[7].Outcome = Outcome14D
	want.LikelyBandOther = ptr(P3)
	want.MissionImpact[3] = "high"
	want.DefaultCriticality = ptr(2)
	want.RefutedDemotes = ptr(false)
	want.RansomwareFloor = ptr(P0)
	want.ControlsRequireVerification = ptr(true)
	want.ExposureFactors["internal"] = 0.5
	want.ImpactFactors["partial"] = 0.25
	if diff := cmp.Diff(want, eff); diff != "" {
		t.Errorf("effective config (-want +got):\n%s", diff)
	}

	// The same settings give the same version whatever the map order; any
	// change gives another.
	p2 := must(NewPolicy(eff))
	if p2.Version() != p.Version() {
		t.Errorf("re-compiled effective config: %s vs %s", p2.Version(), p.Version())
	}
	eff.SLADays[P2] = 61
	if must(NewPolicy(eff)).Version() == p.Version() {
		t.Error("a changed SLA kept the version")
	}

	// The overrides take effect.
	in := Input{Finding: Finding{Kind: "vulnerability"}, EPSS: EPSS{Score: 0.16, Model: "v2025.03.14"}, Asset: Asset{Criticality: 3, Exposure: ExposureInternal}}
	if d := p.Decide(in); d.ThreatLevel != Possible {
		t.Errorf("EPSS 0.16 under τL 0.2: %s", d.ThreatLevel)
	}
	in.EPSS.Model = "v2026.06.15"
	if d := p.Decide(in); d.ThreatLevel != Likely || d.Policy != p.Version() {
		t.Errorf("EPSS 0.16 under the v2026.06.15 τL 0.15: %s", d.ThreatLevel)
	}
	in.Asset.Criticality = 0
	if d := p.Decide(in); d.DecisionPoints.MissionImpact != "low" {
		t.Errorf("default criticality 2: mission %s", d.DecisionPoints.MissionImpact)
	}
	in = Input{Finding: Finding{Kind: "vulnerability", Severity: "high"}, SSVC: SSVC{Automatable: "yes", TechnicalImpact: "total"}, Asset: Asset{Criticality: 1, Exposure: ExposureInternet}}
	if d := p.Decide(in); d.BOD2604 != Outcome14D || d.Band != P2 || d.SLADays != 60 {
		t.Errorf("overridden row no,yes,yes,total: %s %s (mission low demotes P1 → P2)", d.BOD2604, d.Band)
	}
	in.Controls = []Control{{ID: "waf", Effect: "removes_internet_exposure"}}
	if d := p.Decide(in); !d.DecisionPoints.Exposed || !contains(d.RulesFired, "control:ignored:unverified:waf") {
		t.Errorf("an unverified control applied although verification is required: %v", d.RulesFired)
	}
	in.Controls[0].VerifiedAt = asOf
	if d := p.Decide(in); d.DecisionPoints.Exposed {
		t.Errorf("a verified control was ignored: %v", d.RulesFired)
	}
}

func TestNewPolicyRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  PolicyConfig
		want string
	}{
		{"threshold zero", PolicyConfig{EPSSThreshold: ptr(0.0)}, "epss_threshold 0"},
		{"threshold above one", PolicyConfig{EPSSThreshold: ptr(1.5)}, "epss_threshold 1.5"},
		{"possible above likely", PolicyConfig{EPSSThreshold: ptr(0.05), EPSSPossibleThreshold: ptr(0.1)}, "is above epss_threshold"},
		{"model thresholds", PolicyConfig{EPSSModelThresholds: map[string]EPSSThresholds{"v5": {0.1, 0.2}}}, "epss_model_thresholds.v5.epss_possible_threshold"},
		{"unknown band", PolicyConfig{SLADays: map[Band]int{"P9": 3}}, `unknown band "P9"`},
		{"negative SLA", PolicyConfig{SLADays: map[Band]int{P1: -1}}, "sla_days.P1 = -1"},
		{"SLA order", PolicyConfig{SLADays: map[Band]int{P1: 2}}, "sla_days: P1 (2 days) is shorter than P0 (3 days)"},
		{"unknown outcome", PolicyConfig{OutcomeBands: map[string]Band{"7D": P1}}, `unknown BOD 26-04 outcome "7D"`},
		{"outcome to P4", PolicyConfig{OutcomeBands: map[string]Band{"FSU": P4}}, "want P0..P3"},
		{"outcome order", PolicyConfig{OutcomeBands: map[string]Band{"60D": P0}}, "outcome_bands: 14D (P1) is less urgent than 60D (P0)"},
		{"bad table row", PolicyConfig{BandTable: []BODRow{{"maybe", "no", "no", "partial", "FSU"}}}, `band_table[0]: kev: "maybe"`},
		{"duplicate table row", PolicyConfig{BandTable: []BODRow{{"no", "no", "no", "partial", "FSU"}, {"no", "no", "no", "partial", "60D"}}}, "given twice"},
		{"non-monotone table", PolicyConfig{BandTable: []BODRow{{"yes", "yes", "yes", "total", "60D"}}}, "not monotone"},
		{"likely above active", PolicyConfig{LikelyBandExposedOrAutomatable: ptr(P0)}, "not monotone"},
		{"likely order", PolicyConfig{LikelyBandOther: ptr(P0)}, "likely_band_other (P0) is more urgent"},
		{"mission value", PolicyConfig{MissionImpact: map[int]string{2: "huge"}}, `mission_impact.2 = "huge"`},
		{"mission key", PolicyConfig{MissionImpact: map[int]string{7: "high"}}, "criticality 7"},
		{"mission order", PolicyConfig{MissionImpact: map[int]string{5: "low"}}, "criticality 5 (low) is lower than criticality 4 (high)"},
		{"default criticality", PolicyConfig{DefaultCriticality: ptr(0)}, "default_criticality 0"},
		{"ransomware floor", PolicyConfig{RansomwareFloor: ptr(P4)}, "ransomware_floor"},
		{"factor key", PolicyConfig{ExposureFactors: map[string]float64{"dmz": 0.5}}, `unknown key "dmz"`},
		{"factor range", PolicyConfig{ImpactFactors: map[string]float64{"total": 2}}, "impact_factors.total = 2"},
		{"factor order", PolicyConfig{ExposureFactors: map[string]float64{"isolated": 0.9}}, "isolated (0.9) is above internal (0.4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewPolicy(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
	// Every problem is reported at once.
	_, err := NewPolicy(PolicyConfig{EPSSThreshold: ptr(2.0), DefaultCriticality: ptr(9)})
	if err == nil || !strings.Contains(err.Error(), "epss_threshold 2") || !strings.Contains(err.Error(), "default_criticality 9") {
		t.Errorf("joined errors: %v", err)
	}
}

func TestParseControlEffect(t *testing.T) {
	for in, want := range map[string]ControlEffect{
		"removes_internet_exposure": RemovesInternetExposure, "exposure_removed": RemovesInternetExposure,
		"reduces_impact": ReducesImpact, "impact_reduced": ReducesImpact,
		"removes_precondition": RemovesPrecondition, "Precondition_Removed": RemovesPrecondition,
		"detect_only": DetectOnly,
	} {
		if got, ok := ParseControlEffect(in); !ok || got != want {
			t.Errorf("ParseControlEffect(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := ParseControlEffect("magic"); ok {
		t.Error("accepted magic")
	}
}
