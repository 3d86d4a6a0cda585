package prioritize

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// summary is the part of a decision the scenarios pin down.
type summary struct {
	Band            Band
	SLADays         int
	Forensic        bool
	Threat          ThreatLevel
	SSVC            string
	BOD             string
	Points          DecisionPoints
	Rewrites        []Rewrite
	Counterfactuals []string
}

func summarize(d Decision) summary {
	return summary{d.Band, d.SLADays, d.ForensicTriage, d.ThreatLevel, d.SSVC, d.BOD2604, d.DecisionPoints, d.Rewrites, d.Counterfactuals}
}

func TestScenarios(t *testing.T) {
	day := func(n int) time.Time { return asOf.AddDate(0, 0, n) }
	vuln := Finding{Kind: "vulnerability", Severity: "high", VulnID: "CVE-2024-3400", Source: "nessus"}
	critical := "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
	waf := Control{ID: "waf-1", Effect: "removes_internet_exposure", Source: "ctem.yaml", VerifiedAt: day(-30), ExpiresAt: day(30)}

	tests := []struct {
		name      string
		in        Input
		want      summary
		wantRules []string // must be among the rules fired
	}{
		{
			name: "KEV on an internet-facing crown jewel",
			in: Input{AsOf: asOf, Finding: vuln,
				KEV:   KEV{Listed: true, DateAdded: day(-400), Ransomware: true, Source: "cisa-kev"},
				SSVC:  SSVC{Exploitation: "active", Automatable: "yes", TechnicalImpact: "total", Source: "CISA-ADP"},
				Asset: Asset{Exposure: ExposureInternet, CrownJewel: true}},
			want: summary{Band: P0, SLADays: 3, Forensic: true, Threat: Active, SSVC: "Act", BOD: "3D+F",
				Points: DecisionPoints{"active", true, true, "total", "high"}},
			wantRules: []string{"threat:active:kev", "threat:active:ssvc-exploitation", "bod2604:KEV=Y,AE=Y,A=Y,TI=T->3D+F",
				"overlay:mission-high:no-op(P0)", "floor:ransomware:no-op(P0)", "point:mission:crown-jewel"},
		},
		{
			name: "Likely (EPSS) behind a WAF: the control rewrites exposure, its lapse is a counterfactual",
			in: Input{AsOf: asOf, Finding: vuln,
				EPSS:     EPSS{Score: 0.3, Model: "v2026.06.15", Source: "first-epss"},
				CVSS:     CVSS{Vector: critical, Score: 9.8, Source: "NVD"},
				Asset:    Asset{Exposure: ExposureInternet, Criticality: 3},
				Controls: []Control{waf}},
			want: summary{Band: P1, SLADays: 14, Threat: Likely, SSVC: "Track", BOD: "60D",
				Points:   DecisionPoints{"none", false, true, "total", "medium"},
				Rewrites: []Rewrite{{Control: "waf-1", Effect: "removes_internet_exposure", Input: "exposure", From: "internet", To: "internal"}},
				Counterfactuals: []string{
					"if CISA added it to KEV → P0 (3 days)",
					"if EPSS were below 0.01 → P2 (60 days)",
					"if EPSS were in [0.01, 0.1) → P2 (60 days)",
					"if validation proved it exploitable → P0 (3 days)",
					"if the asset were a crown jewel → P0 (3 days)",
					"if asset criticality were 4 → P0 (3 days)",
					"if control waf-1 (removes_internet_exposure) lapsed → P0 (3 days)",
				}},
			wantRules: []string{"threat:likely:epss", "point:automatable:cvss-heuristic", "point:technical-impact:cvss",
				"control:removes_internet_exposure:waf-1", "bod2604:KEV=N,AE=N,A=Y,TI=T->60D", "overlay:likely->P1"},
		},
		{
			name: "EPSS above the threshold on an internal, non-automatable host still reaches P1",
			in: Input{AsOf: asOf, Finding: vuln,
				EPSS:  EPSS{Score: 0.2, Source: "first-epss"},
				CVSS:  CVSS{Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Source: "NVD"},
				Asset: Asset{Exposure: ExposureInternal, Criticality: 3}},
			want: summary{Band: P1, SLADays: 14, Threat: Likely, SSVC: "Track", BOD: "FSU",
				Points: DecisionPoints{"none", false, false, "total", "medium"},
				Counterfactuals: []string{
					"if EPSS were below 0.01 → P3 (180 days)",
					"if EPSS were in [0.01, 0.1) → P2 (60 days)",
					"if the asset were a crown jewel → P0 (3 days)",
					"if asset criticality were 4 → P0 (3 days)",
				}},
			wantRules: []string{"threat:likely:epss", "bod2604:KEV=N,AE=N,A=N,TI=T->FSU", "overlay:likely->P1"},
		},
		{
			name: "public PoC with total impact on an internal, non-automatable host reaches P2",
			in: Input{AsOf: asOf, Finding: vuln,
				Exploit: Exploit{Maturity: "poc", Source: "exploitdb"},
				CVSS:    CVSS{Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Score: 7.8, Source: "NVD"},
				Asset:   Asset{Exposure: ExposureInternal, Criticality: 3}},
			want: summary{Band: P2, SLADays: 60, Threat: Possible, SSVC: "Track*", BOD: "FSU",
				Points: DecisionPoints{"public_poc", false, false, "total", "medium"},
				Counterfactuals: []string{
					"if the asset were internet-facing → P1 (14 days)",
					"if CISA added it to KEV → P1 (14 days)",
					"if EPSS were 0.1 or more → P1 (14 days)",
					"if validation proved it exploitable → P1 (14 days)",
					"if the asset were a crown jewel → P1 (14 days)",
					"if asset criticality were 4 → P1 (14 days)",
					"if asset criticality were 2 → P3 (180 days)",
					"if its technical impact were partial → P3 (180 days)",
					"if a weaponized exploit were published → P1 (14 days)",
				}},
			wantRules: []string{"threat:possible:poc", "bod2604:KEV=N,AE=N,A=N,TI=T->FSU", "overlay:possible-total-impact->P2"},
		},
		{
			name: "an open port (severity info) on an internet-facing criticality-4 host is an observation: capped at P3",
			in: Input{AsOf: asOf,
				Finding: Finding{Kind: "exposed_service", Severity: "info", Source: "nmap"},
				Asset:   Asset{Exposure: ExposureInternet, Criticality: 4}},
			want: summary{Band: P3, SLADays: 180, Threat: Unlikely, SSVC: "Attend", BOD: "14D",
				Points: DecisionPoints{"none", true, true, "partial", "high"},
				Counterfactuals: []string{
					"if CISA added it to KEV → P0 (3 days)",
					"if EPSS were in [0.01, 0.1) → P0 (3 days)",
					"if EPSS were 0.1 or more → P0 (3 days)",
					"if validation proved it exploitable → P0 (3 days)",
					"if a weaponized exploit were published → P0 (3 days)",
				}},
			wantRules: []string{"bod2604:KEV=N,AE=Y,A=Y,TI=P->14D", "overlay:mission-high->P0", "cap:informational->P3"},
		},
		{
			name: "verified secret on an internet-facing asset",
			in: Input{AsOf: asOf,
				Finding: Finding{Kind: "secret", Severity: "high", Verified: true, Source: "trufflehog"},
				Asset:   Asset{Exposure: ExposureInternet, Criticality: 3}},
			want: summary{Band: P0, SLADays: 3, Forensic: true, Threat: Active, SSVC: "Act", BOD: "3D+F",
				Points: DecisionPoints{"active", true, true, "total", "medium"}},
			wantRules: []string{"threat:active:tool-verified", "point:automatable:kind-default", "point:technical-impact:severity"},
		},
		{
			name: "unverified secret in an internal repository",
			in: Input{AsOf: asOf,
				Finding: Finding{Kind: "secret", Severity: "high", Source: "gitleaks"},
				Asset:   Asset{Exposure: ExposureInternal, Criticality: 3}},
			want: summary{Band: P2, SLADays: 60, Threat: Possible, SSVC: "Track", BOD: "60D",
				Points: DecisionPoints{"none", false, true, "total", "medium"},
				Counterfactuals: []string{
					"if the asset were internet-facing → P0 (3 days)",
					"if CISA added it to KEV → P0 (3 days)",
					"if EPSS were 0.1 or more → P1 (14 days)",
					"if validation proved it exploitable → P0 (3 days)",
					"if the asset were a crown jewel → P1 (14 days)",
					"if asset criticality were 4 → P1 (14 days)",
					"if asset criticality were 2 → P3 (180 days)",
					"if a weaponized exploit were published → P1 (14 days)",
				}},
			wantRules: []string{"threat:possible:kind-default"},
		},
		{
			name: "critical misconfiguration on the internet",
			in: Input{AsOf: asOf,
				Finding: Finding{Kind: "misconfiguration", Severity: "critical", Source: "prowler"},
				Asset:   Asset{Exposure: ExposureInternet, Criticality: 3}},
			want: summary{Band: P1, SLADays: 14, Threat: Possible, SSVC: "Track", BOD: "14D",
				Points: DecisionPoints{"none", true, false, "total", "medium"},
				Counterfactuals: []string{
					"if the asset were not internet-facing → P2 (60 days)",
					"if CISA added it to KEV → P0 (3 days)",
					"if validation proved it exploitable → P0 (3 days)",
					"if the asset were a crown jewel → P0 (3 days)",
					"if asset criticality were 4 → P0 (3 days)",
					"if asset criticality were 2 → P2 (60 days)",
					"if it were automatable → P0 (3 days)",
					"if its technical impact were partial → P2 (60 days)",
				}},
		},
		{
			name: "code weakness of medium severity",
			in: Input{AsOf: asOf,
				Finding: Finding{Kind: "code_weakness", Severity: "medium", Source: "semgrep"},
				Asset:   Asset{Criticality: 2}},
			want: summary{Band: P3, SLADays: 180, Threat: Unlikely, SSVC: "Track", BOD: "FSU",
				Points: DecisionPoints{"none", false, false, "partial", "low"},
				Counterfactuals: []string{
					"if CISA added it to KEV → P1 (14 days)",
					"if EPSS were 0.1 or more → P1 (14 days)",
					"if validation proved it exploitable → P1 (14 days)",
					"if the asset were a crown jewel → P2 (60 days)",
					"if asset criticality were 4 → P2 (60 days)",
					"if a weaponized exploit were published → P1 (14 days)",
				}},
			wantRules: []string{"threat:unlikely:no-evidence", "point:exposure:unknown-as-internal", "overlay:mission-low:no-op(P3)"},
		},
		{
			name: "control removing a precondition: P4 until it expires",
			in: Input{AsOf: asOf, Finding: vuln,
				KEV:      KEV{Listed: true, Source: "cisa-kev"},
				CVSS:     CVSS{Vector: critical, Source: "NVD"},
				Asset:    Asset{Exposure: ExposureInternet, Criticality: 3},
				Controls: []Control{{ID: "flag-off", Effect: "precondition_removed", Source: "ctem.yaml", VerifiedAt: day(-1), ExpiresAt: day(7)}}},
			want: summary{Band: P4, SLADays: 365, Threat: Active, SSVC: "Act", BOD: "3D+F",
				Points:   DecisionPoints{"active", true, true, "total", "medium"},
				Rewrites: []Rewrite{{Control: "flag-off", Effect: "removes_precondition", Input: "band", From: "table", To: "P4 (mitigated, recheck)"}},
				Counterfactuals: []string{
					"if control flag-off (removes_precondition) lapsed → P0 (3 days)",
				}},
			wantRules: []string{"control:removes_precondition:flag-off", "control:removes_precondition->P4"},
		},
		{
			name: "expired controls are ignored and said so; a declared control applies",
			in: Input{AsOf: asOf, Finding: vuln,
				KEV:  KEV{Listed: true, Source: "cisa-kev"},
				CVSS: CVSS{Vector: critical, Source: "NVD"}, Asset: Asset{Exposure: ExposureInternet, Criticality: 3},
				Controls: []Control{
					{ID: "old-waf", Effect: "removes_internet_exposure", VerifiedAt: day(-90), ExpiresAt: day(-1)},
					{ID: "sandbox", Effect: "reduces_impact"},
					{ID: "siem", Effect: "detect_only", VerifiedAt: day(-3)},
				}},
			want: summary{Band: P0, SLADays: 3, Threat: Active, SSVC: "Attend", BOD: "3D",
				Points:   DecisionPoints{"active", true, true, "partial", "medium"},
				Rewrites: []Rewrite{{Control: "sandbox", Effect: "reduces_impact", Input: "technical_impact", From: "total", To: "partial"}},
				Counterfactuals: []string{
					"if the asset were not internet-facing → P1 (14 days)",
					"if it were not in CISA KEV → P1 (14 days)",
					"if it were not automatable → P1 (14 days)",
					"if control old-waf (removes_internet_exposure) were verified and in force → P1 (14 days)",
				}},
			wantRules: []string{"control:ignored:expired:old-waf", "control:reduces_impact:sandbox", "control:detect_only:siem"},
		},
		{
			name: "refuted by validation: one band less urgent",
			in: Input{AsOf: asOf, Finding: vuln,
				EPSS:       EPSS{Score: 0.5, Source: "first-epss"},
				CVSS:       CVSS{Vector: critical, Source: "NVD"},
				Validation: Validation{State: "refuted", Source: "nuclei"},
				Asset:      Asset{Exposure: ExposureInternet, Criticality: 3}},
			want: summary{Band: P1, SLADays: 14, Threat: Likely, SSVC: "Track", BOD: "3D",
				Points: DecisionPoints{"none", true, true, "total", "medium"},
				Counterfactuals: []string{
					"if the asset were not internet-facing → P2 (60 days)",
					"if CISA added it to KEV → P0 (3 days)",
					"without the validation verdict (refuted) → P0 (3 days)",
					"if validation proved it exploitable → P0 (3 days)",
					"if it were not automatable → P2 (60 days)",
					"if its technical impact were partial → P2 (60 days)",
				}},
			wantRules: []string{"overlay:refuted->P1"},
		},
		{
			name: "unrecognized values are ignored and listed",
			in: Input{AsOf: asOf, Finding: vuln,
				SSVC:  SSVC{Exploitation: "rampant", Source: "CISA-ADP"},
				CVSS:  CVSS{Vector: "CVSS:9.9/garbage", Source: "NVD"},
				Asset: Asset{Exposure: "dmz", Criticality: 9}},
			want: summary{Band: P3, SLADays: 180, Threat: Unlikely, SSVC: "Track", BOD: "FSU",
				Points: DecisionPoints{"none", false, false, "partial", "medium"},
				Counterfactuals: []string{
					"if the asset were internet-facing → P2 (60 days)",
					"if CISA added it to KEV → P1 (14 days)",
					"if EPSS were 0.1 or more → P1 (14 days)",
					"if validation proved it exploitable → P1 (14 days)",
					"if the asset were a crown jewel → P2 (60 days)",
					"if asset criticality were 4 → P2 (60 days)",
					"if it were automatable → P2 (60 days)",
					"if a weaponized exploit were published → P1 (14 days)",
				}},
			wantRules: []string{"input:ignored:ssvc.exploitation", "input:ignored:cvss", "input:ignored:asset.exposure", "input:ignored:asset.criticality"},
		},
	}
	p := DefaultPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(tt.in)
			if diff := cmp.Diff(tt.want, summarize(d)); diff != "" {
				t.Errorf("(-want +got):\n%s\nrules: %v", diff, d.RulesFired)
			}
			for _, r := range tt.wantRules {
				if !contains(d.RulesFired, r) {
					t.Errorf("rule %q not fired; fired: %v", r, d.RulesFired)
				}
			}
		})
	}
}

func TestExplanationNamesDerivations(t *testing.T) {
	in := Input{AsOf: asOf,
		Finding: Finding{Kind: "vulnerability", VulnID: "CVE-2021-44228", Source: "grype"},
		EPSS:    EPSS{Score: 0.97, Percentile: 0.9999, Model: "v2025.03.14", Date: asOf, Source: "first-epss"},
		CVSS:    CVSS{Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10, Source: "NVD", Date: asOf},
		Asset:   Asset{Exposure: ExposureInternet, ExposureSource: "external-scan tcp/443", Criticality: 4, Scopes: []string{"prod"}},
	}
	d := DefaultPolicy().Decide(in)
	got := map[string]InputUsed{}
	for _, u := range d.Inputs {
		got[u.Name] = u
	}
	want := map[string]InputUsed{
		"epss":           {Name: "epss", Value: "0.97, percentile 0.9999, model v2025.03.14", Source: "first-epss", Date: asOf},
		"automatable":    {Name: "automatable", Value: "yes", Source: "derived (heuristic): the CVSS 3.1 vector matches AV:N/AC:L/PR:N/UI:N; no CISA SSVC assessment", Date: asOf},
		"threat":         {Name: "threat", Value: "Likely", Source: "derived: EPSS ≥ 0.1"},
		"asset.exposure": {Name: "asset.exposure", Value: "internet", Source: "external-scan tcp/443"},
		"asset.scopes":   {Name: "asset.scopes", Value: "prod"},
	}
	for n, w := range want {
		if diff := cmp.Diff(w, got[n]); diff != "" {
			t.Errorf("input %s (-want +got):\n%s", n, diff)
		}
	}
	if r := d.Reason(); r != "Likely (EPSS) · internet-facing · automatable · total impact · mission high → 3D" {
		t.Errorf("Reason() = %q", r)
	}
	if due := d.Due(asOf); !due.Equal(asOf.AddDate(0, 0, 3)) {
		t.Errorf("Due = %v", due)
	}
	if !strings.HasPrefix(string(d.AppendJSON(nil)), `{"policy":"ctem-default/2","band":"P0","sla_days":3,`) {
		t.Errorf("JSON: %s", d.AppendJSON(nil))
	}
}

func TestCVSSParsing(t *testing.T) {
	tests := []struct {
		vector string
		want   cvssPoints
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", cvssPoints{true, "3.1", true, true}},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", cvssPoints{true, "3.1", false, true}},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:N", cvssPoints{true, "3.0", true, true}},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:L/A:N", cvssPoints{true, "3.1", false, false}},
		{"CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L", cvssPoints{true, "3.1", false, false}},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", cvssPoints{true, "4.0", true, true}},
		{"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A", cvssPoints{true, "4.0", false, true}},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:N/SC:N/SI:N/SA:N", cvssPoints{true, "4.0", true, true}},
		{"AV:N/AC:L/Au:N/C:C/I:C/A:C", cvssPoints{true, "2.0", true, true}},
		{"(AV:N/AC:M/Au:N/C:P/I:P/A:P)", cvssPoints{true, "2.0", false, false}},
		{"CVSS:3.1/AV:N/AC:L", cvssPoints{}},
		{"CVSS:2.5/AV:N", cvssPoints{}},
		{"", cvssPoints{}},
	}
	for _, tt := range tests {
		if got := parseCVSS(tt.vector); got != tt.want {
			t.Errorf("parseCVSS(%q) = %+v, want %+v", tt.vector, got, tt.want)
		}
	}
}
