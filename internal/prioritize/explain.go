package prioritize

import (
	"strconv"
	"time"
)

var sevNames = [6]string{"unknown", "info", "low", "medium", "high", "critical"}

var cvssVersions = [4]string{"2.0", "3.0", "3.1", "4.0"}

func cvssVersionIndex(v string) int {
	for i, x := range cvssVersions {
		if x == v {
			return i
		}
	}
	return 2
}

// texts holds the explanation texts that depend only on small
// enumerations, built once.
var texts = func() (t struct {
	autoCVSS [4][2]string // [CVSS version][automatable]
	tiCVSS   [4]string
	kind     [][6]string // [kind][severity rank]
}) {
	for v, name := range cvssVersions {
		cond := "AV:N/AC:L/PR:N/UI:N"
		switch name {
		case "4.0":
			cond = "AV:N/AC:L/AT:N/PR:N/UI:N"
		case "2.0":
			cond = "AV:N/AC:L/Au:N"
		}
		t.autoCVSS[v][0] = "derived (heuristic): the CVSS " + name + " vector does not match " + cond + "; no CISA SSVC assessment"
		t.autoCVSS[v][1] = "derived (heuristic): the CVSS " + name + " vector matches " + cond + "; no CISA SSVC assessment"
		t.tiCVSS[v] = "derived: CERT/CC CVSS→technical impact mapping of the CVSS " + name + " vector; no CISA SSVC assessment"
	}
	t.kind = make([][6]string, len(kindRules))
	for k, r := range kindRules {
		for s, sev := range sevNames {
			t.kind[k][s] = "derived: default for a " + r.name + " finding of severity " + sev + "; no CISA SSVC, no CVSS vector"
		}
	}
	return t
}()

// derivedInputs records the decision points the policy derived, with what
// they were derived from.
func (c *compiled) derivedInputs(in *Input, f *facts, r *result, tr *trace) {
	tr.input("threat", string(threatNames[r.threat]), threatWhyText(r.why, f, tr), time.Time{})

	switch r.aSrc {
	case 0:
		tr.input("automatable", yn(r.a), in.SSVC.Source, in.SSVC.Date)
	case 1:
		tr.input("automatable", yn(r.a), texts.autoCVSS[cvssVersionIndex(f.cvss.version)][b2i(r.a)], in.CVSS.Date)
	default:
		tr.input("automatable", yn(r.a), texts.kind[f.kind][f.sev], time.Time{})
	}
	ti := pt(r.ti)
	if r.ti != r.tiRaw {
		ti = "partial (total, rewritten by a control)"
	}
	switch r.tiSrc {
	case 0:
		tr.input("technical_impact", ti, in.SSVC.Source, in.SSVC.Date)
	case 1:
		tr.input("technical_impact", ti, texts.tiCVSS[cvssVersionIndex(f.cvss.version)], in.CVSS.Date)
	default:
		tr.input("technical_impact", ti, texts.kind[f.kind][f.sev], time.Time{})
	}

	ex := yn(r.exposure == 2)
	if r.exposure != f.exposure {
		ex = "no (internet-facing, rewritten by a control)"
	}
	tr.input("exposed", ex, "derived: asset.exposure == internet", time.Time{})

	if f.crown {
		tr.input("mission_impact", mwiNames[r.mwi], "derived: crown jewel", time.Time{})
	} else {
		tr.input("mission_impact", mwiNames[r.mwi], c.mwiText[f.crit], time.Time{})
	}
}

func threatWhyText(w uint16, f *facts, tr *trace) string {
	const prefix = "derived: "
	b := append(tr.buf[:0], prefix...)
	add := func(bit uint16, s ...string) {
		if w&bit == 0 {
			return
		}
		if len(b) > len(prefix) {
			b = append(b, "; "...)
		}
		for _, x := range s {
			b = append(b, x...)
		}
	}
	add(whyKEV, "in CISA KEV")
	add(whySSVCActive, "CISA SSVC exploitation=active")
	add(whyInWild, "exploited in the wild")
	add(whyValidated, "validated exploitable")
	add(whyVerified, "verified live by the reporting tool")
	add(whyWeaponized, "weaponized exploit")
	add(whyEPSSL, "EPSS ≥ ", f.tauText[0])
	add(whyLEV, "LEV ≥ ", f.tauText[0])
	add(whyPoC, "public proof-of-concept exploit")
	add(whySSVCPoC, "CISA SSVC exploitation=poc")
	add(whyEPSSP, "EPSS ≥ ", f.tauText[1])
	add(whyKind, "default for a ", kindRules[f.kind].name, " finding of this severity")
	add(whyNone, "no exploitation evidence, EPSS below ", f.tauText[1])
	tr.buf = b
	return string(b)
}

// cfKind is one kind of single-input change.
type cfKind int8

const (
	cfExposure    cfKind = iota // arg: 0 isolated, 1 internal, 2 internet
	cfKEV                       // arg: 0 not listed, 1 listed
	cfEPSS                      // val: the new score
	cfValidation                // arg: -1 refuted, 0 unknown, 1 exploitable
	cfCrown                     // arg: 0/1
	cfCriticality               // arg: 1..5
	cfAutomatable               // arg: 0/1, as a CISA SSVC assessment
	cfImpact                    // arg: 0/1, as a CISA SSVC assessment
	cfWeaponized                // a weaponized exploit is published
	cfControlOff                // arg: control index; the control is not in force
	cfControlOn                 // arg: control index; the control is verified and in force
)

// cf is one counterfactual change, applicable to parsed facts (inside
// Decide) and to an Input (to re-check it from outside).
type cf struct {
	kind cfKind
	arg  int
	val  float64
}

// label says the change in words; built only for the changes kept.
func (m cf) label(f *facts, r *result, tr *trace) string {
	switch m.kind {
	case cfExposure:
		if m.arg == 2 {
			return "if the asset were internet-facing"
		}
		return "if the asset were not internet-facing"
	case cfKEV:
		if m.arg == 1 {
			return "if CISA added it to KEV"
		}
		return "if it were not in CISA KEV"
	case cfEPSS:
		switch {
		case m.val >= f.tauL:
			return "if EPSS were " + f.tauText[0] + " or more"
		case m.val >= f.tauP:
			return "if EPSS were in [" + f.tauText[1] + ", " + f.tauText[0] + ")"
		}
		return "if EPSS were below " + f.tauText[1]
	case cfValidation:
		switch {
		case m.arg == 1:
			return "if validation proved it exploitable"
		case f.validation == 1:
			return "without the validation verdict (exploitable)"
		}
		return "without the validation verdict (refuted)"
	case cfCrown:
		if m.arg == 1 {
			return "if the asset were a crown jewel"
		}
		return "if the asset were not a crown jewel"
	case cfCriticality:
		return "if asset criticality were " + strconv.Itoa(m.arg)
	case cfAutomatable:
		if m.arg == 1 {
			return "if it were automatable"
		}
		return "if it were not automatable"
	case cfImpact:
		if m.arg == 1 {
			return "if its technical impact were total"
		}
		return "if its technical impact were partial"
	case cfWeaponized:
		return "if a weaponized exploit were published"
	case cfControlOff:
		st := tr.ctl[m.arg]
		return "if control " + st.id + " (" + string(st.effect) + ") lapsed"
	case cfControlOn:
		st := tr.ctl[m.arg]
		return "if control " + st.id + " (" + string(st.effect) + ") were verified and in force"
	}
	return ""
}

func (m cf) applyFacts(f *facts, tr *trace) {
	switch m.kind {
	case cfExposure:
		f.exposure, f.exposureUnknown = int8(m.arg), false
	case cfKEV:
		f.kev = m.arg == 1
		if !f.kev {
			f.ransomware = false
		}
	case cfEPSS:
		f.epss = m.val
	case cfValidation:
		f.validation = int8(m.arg)
	case cfCrown:
		f.crown = m.arg == 1
	case cfCriticality:
		f.crit, f.critDefault = int8(m.arg), false
	case cfAutomatable:
		f.ssvcA = int8(m.arg)
	case cfImpact:
		f.ssvcTI = int8(m.arg)
	case cfWeaponized:
		f.maturity = 2
	case cfControlOff, cfControlOn:
		d := int16(1)
		if m.kind == cfControlOff {
			d = -1
		}
		switch tr.ctl[m.arg].effect {
		case RemovesInternetExposure:
			f.nExpo += d
		case ReducesImpact:
			f.nImpact += d
		case RemovesPrecondition:
			f.nPre += d
		}
	}
}

// applyInput makes the same change to an Input (copying what it changes).
func (m cf) applyInput(in *Input) {
	switch m.kind {
	case cfExposure:
		in.Asset.Exposure = [3]Exposure{ExposureIsolated, ExposureInternal, ExposureInternet}[m.arg]
	case cfKEV:
		in.KEV.Listed = m.arg == 1
		if !in.KEV.Listed {
			in.KEV.Ransomware = false
		}
	case cfEPSS:
		in.EPSS.Score = m.val
	case cfValidation:
		in.Validation.State = map[int]string{-1: ValidationRefuted, 0: ValidationUnknown, 1: ValidationExploitable}[m.arg]
	case cfCrown:
		in.Asset.CrownJewel = m.arg == 1
	case cfCriticality:
		in.Asset.Criticality = m.arg
	case cfAutomatable:
		in.SSVC.Automatable = yn(m.arg == 1)
	case cfImpact:
		in.SSVC.TechnicalImpact = pt(m.arg == 1)
	case cfWeaponized:
		in.Exploit.Maturity = MaturityWeaponized
	case cfControlOff:
		cs := make([]Control, 0, len(in.Controls)-1)
		cs = append(cs, in.Controls[:m.arg]...)
		in.Controls = append(cs, in.Controls[m.arg+1:]...)
	case cfControlOn:
		cs := append([]Control(nil), in.Controls...)
		if cs[m.arg].VerifiedAt.IsZero() {
			cs[m.arg].VerifiedAt = in.AsOf
			if cs[m.arg].VerifiedAt.IsZero() {
				cs[m.arg].VerifiedAt = time.Unix(0, 0).UTC()
			}
		}
		cs[m.arg].ExpiresAt = time.Time{}
		in.Controls = cs
	}
}

// candidates lists the single-input changes worth trying for this input,
// in a fixed order.
func (c *compiled) candidates(out []cf, f *facts, r *result, tr *trace) []cf {
	add := func(m cf) { out = append(out, m) }
	if f.exposure == 2 {
		add(cf{kind: cfExposure, arg: 1})
	} else {
		add(cf{kind: cfExposure, arg: 2})
	}
	if f.kev {
		add(cf{kind: cfKEV, arg: 0})
	} else {
		add(cf{kind: cfKEV, arg: 1})
	}
	// EPSS: the band is constant within [0, τP), [τP, τL) and [τL, 1].
	region := 0
	if f.epss >= f.tauL {
		region = 2
	} else if f.epss >= f.tauP {
		region = 1
	}
	if region != 0 {
		add(cf{kind: cfEPSS, val: 0})
	}
	if region != 1 && f.tauP < f.tauL {
		add(cf{kind: cfEPSS, val: f.tauP})
	}
	if region != 2 {
		add(cf{kind: cfEPSS, val: f.tauL})
	}
	switch f.validation {
	case 1:
		add(cf{kind: cfValidation, arg: 0})
	case -1:
		add(cf{kind: cfValidation, arg: 0})
		add(cf{kind: cfValidation, arg: 1})
	default:
		add(cf{kind: cfValidation, arg: 1})
	}
	if f.crown {
		add(cf{kind: cfCrown, arg: 0})
	} else {
		add(cf{kind: cfCrown, arg: 1})
		// For each other mission impact level, the nearest criticality that
		// gives it.
		cur := c.mwi[f.crit]
		for lvl := cur + 1; lvl <= 2; lvl++ {
			for k := f.crit + 1; k <= 5; k++ {
				if c.mwi[k] == lvl {
					add(cf{kind: cfCriticality, arg: int(k)})
					break
				}
			}
		}
		for lvl := cur - 1; lvl >= 0; lvl-- {
			for k := f.crit - 1; k >= 1; k-- {
				if c.mwi[k] == lvl {
					add(cf{kind: cfCriticality, arg: int(k)})
					break
				}
			}
		}
	}
	if r.a {
		add(cf{kind: cfAutomatable, arg: 0})
	} else {
		add(cf{kind: cfAutomatable, arg: 1})
	}
	if r.tiRaw {
		add(cf{kind: cfImpact, arg: 0})
	} else {
		add(cf{kind: cfImpact, arg: 1})
	}
	if f.maturity < 2 && r.threat < 3 {
		add(cf{kind: cfWeaponized})
	}
	for i, st := range tr.ctl {
		if st.effect == "" || st.effect == DetectOnly {
			continue
		}
		if st.inForce {
			add(cf{kind: cfControlOff, arg: i})
		} else {
			add(cf{kind: cfControlOn, arg: i})
		}
	}
	return out
}

// counterfactuals re-decides with each candidate change and keeps those
// that change the band: correct by construction.
func (c *compiled) counterfactuals(f *facts, r *result, tr *trace) []string {
	var out []string
	var buf [16]cf
	cands := c.candidates(buf[:0], f, r, tr)
	for _, m := range cands {
		g := *f
		m.applyFacts(&g, tr)
		nr := c.evaluate(&g, nil, true)
		if nr.band == r.band {
			continue
		}
		if out == nil {
			out = make([]string, 0, len(cands))
		}
		out = append(out, m.label(f, r, tr)+c.cfSuffix[nr.band])
	}
	return out
}
