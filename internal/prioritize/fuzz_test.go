package prioritize

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecide: arbitrary strings in every enum-like field never panic and
// always give a valid, self-consistent decision with valid JSON.
func FuzzDecide(f *testing.F) {
	f.Add("vulnerability", "critical", "active", "yes", "total", "weaponized", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "internet", "exploitable", "removes_internet_exposure", 0.5, 3)
	f.Add("secret", "", "", "", "", "", "", "", "", "", 0.0, 0)
	f.Add("x", "HIGH", "public_poc", "NO", "partial", "poc", "AV:N/AC:L/Au:N/C:C/I:C/A:C", "isolated", "refuted", "precondition_removed", 2.0, 9)
	f.Fuzz(func(t *testing.T, kind, sev, e, a, ti, mat, vec, exp, val, eff string, epss float64, crit int) {
		in := Input{
			AsOf:       time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
			Finding:    Finding{Kind: kind, Severity: sev, VulnID: vec},
			EPSS:       EPSS{Score: epss, Model: e},
			SSVC:       SSVC{Exploitation: e, Automatable: a, TechnicalImpact: ti},
			Exploit:    Exploit{Maturity: mat},
			CVSS:       CVSS{Vector: vec},
			Validation: Validation{State: val},
			Asset:      Asset{Exposure: Exposure(exp), Criticality: crit},
			Controls:   []Control{{ID: eff, Effect: eff}},
		}
		d := DefaultPolicy().Decide(in)
		if d.Band.Urgency() < 0 || d.Points < 0 || d.Points > 1000 || len(d.RulesFired) == 0 {
			t.Fatalf("invalid decision %+v", d)
		}
		if !json.Valid(d.AppendJSON(nil)) {
			t.Fatalf("invalid JSON %s", d.AppendJSON(nil))
		}
		if s := DefaultPolicy().Score(in); s.Band != d.Band || s.Points != d.Points {
			t.Fatalf("Score %s/%d, Decide %s/%d", s.Band, s.Points, d.Band, d.Points)
		}
	})
}
