package prioritize

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The expected outcomes below are typed from the project's prioritization
// reference (§5.3, §5.4), independently of the embedded CSV files, so a
// corrupted table fails here.

// ssvcGolden: CISA SSVC coordinator table v2.0.3, all 36 rows, plus the
// band ctem's default policy gives the same decision points on an internal
// (not internet-facing) asset with criticality 1 (low), 3 (medium) or 5
// (high) — derived by hand from reference §7.4: BOD row with KEV := Active
// and AE = no (no,no → FSU/P3; no,A=yes → 60D/P2; yes,A=no → 14D/P1;
// yes,A=yes,partial → 14D/P1; yes,yes,total → 3D+F/P0), then mission
// high +1, mission low −1 for Possible/Unlikely (not below P3).
var ssvcGolden = []struct {
	e, a, ti, mwi, outcome string
	band                   Band
}{
	{"none", "no", "partial", "low", "Track", P3},
	{"none", "no", "partial", "medium", "Track", P3},
	{"none", "no", "partial", "high", "Track", P2},
	{"none", "no", "total", "low", "Track", P3},
	{"none", "no", "total", "medium", "Track", P3},
	{"none", "no", "total", "high", "Track*", P2},
	{"none", "yes", "partial", "low", "Track", P3},
	{"none", "yes", "partial", "medium", "Track", P2},
	{"none", "yes", "partial", "high", "Attend", P1},
	{"none", "yes", "total", "low", "Track", P3},
	{"none", "yes", "total", "medium", "Track", P2},
	{"none", "yes", "total", "high", "Attend", P1},
	{"public_poc", "no", "partial", "low", "Track", P3},
	{"public_poc", "no", "partial", "medium", "Track", P3},
	{"public_poc", "no", "partial", "high", "Track*", P2},
	{"public_poc", "no", "total", "low", "Track", P3},
	{"public_poc", "no", "total", "medium", "Track*", P2},
	{"public_poc", "no", "total", "high", "Attend", P1},
	{"public_poc", "yes", "partial", "low", "Track", P3},
	{"public_poc", "yes", "partial", "medium", "Track", P2},
	{"public_poc", "yes", "partial", "high", "Attend", P1},
	{"public_poc", "yes", "total", "low", "Track", P3},
	{"public_poc", "yes", "total", "medium", "Track*", P2},
	{"public_poc", "yes", "total", "high", "Attend", P1},
	{"active", "no", "partial", "low", "Track", P1},
	{"active", "no", "partial", "medium", "Track", P1},
	{"active", "no", "partial", "high", "Attend", P0},
	{"active", "no", "total", "low", "Track", P1},
	{"active", "no", "total", "medium", "Attend", P1},
	{"active", "no", "total", "high", "Act", P0},
	{"active", "yes", "partial", "low", "Attend", P1},
	{"active", "yes", "partial", "medium", "Attend", P1},
	{"active", "yes", "partial", "high", "Act", P0},
	{"active", "yes", "total", "low", "Attend", P0},
	{"active", "yes", "total", "medium", "Act", P0},
	{"active", "yes", "total", "high", "Act", P0},
}

// bodGolden: BOD 26-04 table (CERT/CC encoding v1.0.0), all 16 rows, and
// the default policy's band mapping (3D+F, 3D → P0; 14D → P1; 60D → P2;
// FSU → P3).
var bodGolden = []struct {
	kev, exposed, a, ti, outcome string
	band                         Band
	sla                          int
	forensic                     bool
}{
	{"no", "no", "no", "partial", "FSU", P3, 180, false},
	{"no", "no", "no", "total", "FSU", P3, 180, false},
	{"no", "no", "yes", "partial", "60D", P2, 60, false},
	{"no", "no", "yes", "total", "60D", P2, 60, false},
	{"no", "yes", "no", "partial", "60D", P2, 60, false},
	{"no", "yes", "no", "total", "14D", P1, 14, false},
	{"no", "yes", "yes", "partial", "14D", P1, 14, false},
	{"no", "yes", "yes", "total", "3D", P0, 3, false},
	{"yes", "no", "no", "partial", "14D", P1, 14, false},
	{"yes", "no", "no", "total", "14D", P1, 14, false},
	{"yes", "no", "yes", "partial", "14D", P1, 14, false},
	{"yes", "no", "yes", "total", "3D+F", P0, 3, true},
	{"yes", "yes", "no", "partial", "14D", P1, 14, false},
	{"yes", "yes", "no", "total", "3D+F", P0, 3, true},
	{"yes", "yes", "yes", "partial", "3D", P0, 3, false},
	{"yes", "yes", "yes", "total", "3D+F", P0, 3, true},
}

func TestEmbeddedTablesMatchReference(t *testing.T) {
	var wantSSVC []SSVCRow
	for _, g := range ssvcGolden {
		wantSSVC = append(wantSSVC, SSVCRow{g.e, g.a, g.ti, g.mwi, g.outcome})
	}
	if diff := cmp.Diff(wantSSVC, SSVCTable()); diff != "" {
		t.Errorf("SSVC table (-reference +embedded):\n%s", diff)
	}
	var wantBOD []BODRow
	for _, g := range bodGolden {
		wantBOD = append(wantBOD, BODRow{g.kev, g.exposed, g.a, g.ti, g.outcome})
	}
	if diff := cmp.Diff(wantBOD, BODTable()); diff != "" {
		t.Errorf("BOD 26-04 table (-reference +embedded):\n%s", diff)
	}
}

func TestSSVCCoordinatorGolden(t *testing.T) {
	p := DefaultPolicy()
	crit := map[string]int{"low": 1, "medium": 3, "high": 5}
	exploitation := map[string]string{"none": "none", "public_poc": "poc", "active": "active"}
	threat := map[string]ThreatLevel{"none": Unlikely, "public_poc": Possible, "active": Active}
	for _, g := range ssvcGolden {
		name := g.e + "," + g.a + "," + g.ti + "," + g.mwi
		t.Run(name, func(t *testing.T) {
			in := Input{
				Finding: Finding{Kind: "vulnerability", Severity: "high", VulnID: "CVE-2024-0001"},
				SSVC:    SSVC{Exploitation: exploitation[g.e], Automatable: g.a, TechnicalImpact: g.ti, Source: "CISA-ADP"},
				Asset:   Asset{Exposure: ExposureInternal, Criticality: crit[g.mwi]},
			}
			d := p.Decide(in)
			type got struct {
				SSVC   string
				Band   Band
				Threat ThreatLevel
				Points DecisionPoints
			}
			want := got{g.outcome, g.band, threat[g.e], DecisionPoints{
				Exploitation: g.e, Exposed: false, Automatable: g.a == "yes", TechnicalImpact: g.ti, MissionImpact: g.mwi,
			}}
			if diff := cmp.Diff(want, got{d.SSVC, d.Band, d.ThreatLevel, d.DecisionPoints}); diff != "" {
				t.Errorf("(-want +got):\n%s\nrules: %v", diff, d.RulesFired)
			}
			// The same row reached through a KEV listing and a crown jewel
			// instead of CISA's exploitation and criticality.
			if g.e == "active" && g.mwi == "high" {
				in.SSVC.Exploitation = ""
				in.KEV = KEV{Listed: true, Source: "cisa-kev"}
				in.Asset.Criticality, in.Asset.CrownJewel = 1, true
				if d2 := p.Decide(in); d2.SSVC != g.outcome || d2.Band != g.band {
					t.Errorf("via KEV and crown jewel: SSVC %s band %s, want %s %s", d2.SSVC, d2.Band, g.outcome, g.band)
				}
			}
		})
	}
}

func TestBOD2604Golden(t *testing.T) {
	p := DefaultPolicy()
	for _, g := range bodGolden {
		name := g.kev + "," + g.exposed + "," + g.a + "," + g.ti
		t.Run(name, func(t *testing.T) {
			in := Input{
				Finding: Finding{Kind: "vulnerability", Severity: "high", VulnID: "CVE-2024-0002"},
				KEV:     KEV{Listed: g.kev == "yes", Source: "cisa-kev"},
				SSVC:    SSVC{Automatable: g.a, TechnicalImpact: g.ti, Source: "CISA-ADP"},
				Asset:   Asset{Exposure: map[string]Exposure{"yes": ExposureInternet, "no": ExposureInternal}[g.exposed], Criticality: 3},
			}
			d := p.Decide(in)
			type got struct {
				BOD      string
				Band     Band
				SLA      int
				Forensic bool
			}
			if diff := cmp.Diff(got{g.outcome, g.band, g.sla, g.forensic}, got{d.BOD2604, d.Band, d.SLADays, d.ForensicTriage}); diff != "" {
				t.Errorf("(-want +got):\n%s\nrules: %v", diff, d.RulesFired)
			}
			wantRule := "bod2604:KEV=" + yN(g.kev == "yes") + ",AE=" + yN(g.exposed == "yes") + ",A=" + yN(g.a == "yes") + ",TI=" + tP(g.ti == "total") + "->" + g.outcome
			if !contains(d.RulesFired, wantRule) {
				t.Errorf("rule %q not fired: %v", wantRule, d.RulesFired)
			}
		})
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
