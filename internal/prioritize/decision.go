package prioritize

import (
	"strconv"
	"strings"
	"time"
)

// Decision is the policy's verdict for one finding, with its explanation.
// It is a pure function of (Input, Policy.Version()). Store it as JSON
// (AppendJSON, or encoding/json) in the priority_explanation column.
type Decision struct {
	Policy string `json:"policy"` // policy version that decided it
	Band   Band   `json:"band"`
	// SLADays is the band's SLA; the due date is decided_at + SLADays.
	SLADays int `json:"sla_days"`
	// ForensicTriage: the BOD 26-04 row was 3D+F and the band is P0 —
	// check whether the system is already compromised.
	ForensicTriage bool `json:"forensic_triage,omitempty"`
	// Points are risk points 0..1000 for ordering, tiered by band (P0
	// 800–1000, P1 600–799, P2 400–599, P3 200–399, P4 0–199) so sorting
	// by points never contradicts the band. Within a band they follow
	// SortKey: threat level, technical impact, published exploit code,
	// then the likelihood p_eff·f_X·f_C (EPSS or LEV, floored at the
	// threat's threshold, times the exposure and criticality factors).
	Points int `json:"risk_points"`
	// SortKey orders decisions at full resolution, most urgent = largest:
	// band, threat level, technical impact, exploit code (public PoC or
	// weaponized, or CISA "poc"), p_eff·f_X·f_C, then the CVSS base score. Sorting by SortKey never contradicts Band or Points;
	// equal keys are ties for the caller to break (e.g. by finding id).
	// It is not part of the stored explanation.
	SortKey uint64 `json:"-"`
	// Risk is the reference formula round(1000·p_eff·f_TI·f_X·f_C), 0..1000,
	// not tiered by band: use it for aggregation, Points for ordering.
	Risk        int         `json:"risk"`
	ThreatLevel ThreatLevel `json:"threat"`
	// SSVC is the CISA SSVC coordinator label: Track, Track*, Attend, Act.
	SSVC string `json:"ssvc_cisa"`
	// BOD2604 is the BOD 26-04 outcome of the row that set the base band
	// (with KEV := threat Active): FSU, 60D, 14D, 3D or 3D+F.
	BOD2604 string `json:"bod2604"`
	// DecisionPoints are the values the tables were read with, after
	// control rewrites.
	DecisionPoints DecisionPoints `json:"decision_points"`
	// RulesFired are stable rule ids, in the order they fired.
	RulesFired []string `json:"rules"`
	// Inputs are the inputs used, with source and date; derived values
	// (threat, automatable…) say what they were derived from.
	Inputs []InputUsed `json:"inputs"`
	// Rewrites are the control rewrites applied before the tables.
	Rewrites []Rewrite `json:"controls_applied,omitempty"`
	// Counterfactuals are single-input changes that would change the band,
	// each verified by re-deciding: "if the asset were not internet-facing
	// → P2 (60 days)".
	Counterfactuals []string `json:"counterfactuals,omitempty"`
	// RecheckBy is the earliest expiry among the controls in force: the
	// decision must be recomputed then.
	RecheckBy time.Time `json:"recheck_by,omitzero"`
}

// DecisionPoints are the SSVC / BOD decision points as used.
type DecisionPoints struct {
	Exploitation    string `json:"exploitation"` // SSVC label input: none, public_poc, active
	Exposed         bool   `json:"exposed"`
	Automatable     bool   `json:"automatable"`
	TechnicalImpact string `json:"technical_impact"` // partial, total
	MissionImpact   string `json:"mission_impact"`   // low, medium, high
}

// InputUsed is one input of a decision and where it came from.
type InputUsed struct {
	Name   string    `json:"name"`
	Value  string    `json:"value"`
	Source string    `json:"source,omitempty"`
	Date   time.Time `json:"date,omitzero"`
}

// Rewrite records a control rewriting one input.
type Rewrite struct {
	Control string `json:"control"`
	Effect  string `json:"effect"`
	Input   string `json:"input"`
	From    string `json:"from"`
	To      string `json:"to"`
}

// Due returns the SLA due date for a decision made at decidedAt.
func (d Decision) Due(decidedAt time.Time) time.Time { return decidedAt.AddDate(0, 0, d.SLADays) }

// Reason is a one-line summary for tables: threat and its evidence, then
// the decision points, e.g. "Active (KEV) · internet-facing · automatable ·
// total impact · mission high → 3D+F".
func (d Decision) Reason() string {
	var b strings.Builder
	b.WriteString(string(d.ThreatLevel))
	var why []string
	for _, r := range d.RulesFired {
		if rest, ok := strings.CutPrefix(r, "threat:"); ok {
			if i := strings.IndexByte(rest, ':'); i >= 0 {
				why = append(why, threatReasonText[rest[i+1:]])
			}
		}
	}
	if len(why) > 0 {
		b.WriteString(" (" + strings.Join(why, ", ") + ")")
	}
	p := d.DecisionPoints
	if p.Exposed {
		b.WriteString(" · internet-facing")
	} else {
		b.WriteString(" · not internet-facing")
	}
	if p.Automatable {
		b.WriteString(" · automatable")
	}
	b.WriteString(" · " + p.TechnicalImpact + " impact · mission " + p.MissionImpact)
	if d.Band == P4 {
		b.WriteString(" · mitigated by a control")
	} else {
		b.WriteString(" → " + d.BOD2604)
	}
	return b.String()
}

var threatReasonText = map[string]string{
	"kev": "KEV", "ssvc-exploitation": "CISA: exploited", "in-the-wild": "exploited in the wild",
	"validated": "validated exploitable", "tool-verified": "verified by the tool",
	"weaponized-exploit": "weaponized exploit", "epss": "EPSS", "lev": "LEV",
	"poc": "public PoC", "ssvc-poc": "CISA: PoC", "kind-default": "finding kind", "no-evidence": "no exploitation evidence",
}

// Decide applies the policy to one finding's inputs, with the full
// explanation (rules, inputs, rewrites, counterfactuals). It is pure and
// deterministic: no clock, no I/O, no randomness, no map iteration.
func (p Policy) Decide(in Input) Decision {
	c := p.get()
	var tr trace
	tr.rules = make([]string, 0, 16+len(in.Controls))
	tr.inputs = make([]InputUsed, 0, 18+len(in.Controls))
	var scratch [256]byte
	tr.buf = scratch[:0]
	f := c.facts(&in, &tr)
	r := c.evaluate(&f, &tr, false)
	d := c.decision(&r)
	d.RulesFired = tr.rules
	d.Rewrites = tr.rewrites
	d.RecheckBy = f.recheck
	c.derivedInputs(&in, &f, &r, &tr)
	d.Inputs = tr.inputs
	d.Counterfactuals = c.counterfactuals(&f, &r, &tr)
	return d
}

// Score is Decide without the explanation: the same Band, SLADays,
// ForensicTriage, Points, Risk, ThreatLevel, SSVC, BOD2604,
// DecisionPoints and RecheckBy, with RulesFired, Inputs, Rewrites and
// Counterfactuals left nil. It does not allocate (about 0.3 µs against
// 3–4 µs for Decide): use it where only the band and points matter —
// sorting, dry runs of a new policy, what-if questions.
func (p Policy) Score(in Input) Decision {
	c := p.get()
	f := c.facts(&in, nil)
	r := c.evaluate(&f, nil, false)
	d := c.decision(&r)
	d.RecheckBy = f.recheck
	return d
}

func (c *compiled) decision(r *result) Decision {
	return Decision{
		Policy:         c.version,
		Band:           bandOf(r.band),
		SLADays:        c.sla[r.band],
		ForensicTriage: r.forensic,
		Points:         r.points,
		SortKey:        r.sortKey,
		Risk:           r.raw,
		ThreatLevel:    threatNames[r.threat],
		SSVC:           ssvcDense[r.ssvc],
		BOD2604:        c.bodOutcome[r.bod],
		DecisionPoints: DecisionPoints{
			Exploitation:    [3]string{"none", "public_poc", "active"}[r.ssvcE],
			Exposed:         r.exposure == 2,
			Automatable:     r.a,
			TechnicalImpact: pt(r.ti),
			MissionImpact:   mwiNames[r.mwi],
		},
	}
}

// facts are the parsed inputs: everything evaluate needs, without strings.
type facts struct {
	kev, ransomware, inWild, verified bool
	ssvcE, ssvcA, ssvcTI              int8 // -1 = not assessed
	validation                        int8 // -1 refuted, 0 unknown, 1 exploitable
	maturity                          int8 // 0 none, 1 poc, 2 weaponized
	epss, lev                         float64
	tauL, tauP                        float64
	tauText                           *[2]string // τL, τP as text
	cvss                              cvssPoints
	cvssScore                         float64 // base score 0..10, 0 when unknown
	kind, sev                         int8
	exposure                          int8 // 0 isolated, 1 internal, 2 internet
	exposureUnknown                   bool
	crit                              int8 // 1..5
	critDefault                       bool
	crown                             bool
	nExpo, nImpact, nPre              int16     // controls in force, per effect
	recheck                           time.Time // earliest expiry of a control in force
}

// ctlState is one declared control as the decision saw it.
type ctlState struct {
	id      string
	effect  ControlEffect // "" when unrecognized
	inForce bool
}

type trace struct {
	rules    []string
	inputs   []InputUsed
	rewrites []Rewrite
	ctl      []ctlState
	buf      []byte // scratch for building one string at a time
}

func (t *trace) rule(s string) {
	if t != nil {
		t.rules = append(t.rules, s)
	}
}

func (t *trace) input(name, value, source string, date time.Time) {
	t.inputs = append(t.inputs, InputUsed{Name: name, Value: value, Source: source, Date: date})
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// appendDay appends t's UTC date as YYYY-MM-DD (years 0..9999).
func appendDay(b []byte, t time.Time) []byte {
	y, m, d := t.UTC().Date()
	if y < 0 || y > 9999 {
		return t.UTC().AppendFormat(b, "2006-01-02")
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+d/10), byte('0'+d%10))
}

// facts parses the input and resolves which controls are in force. With
// a trace it also records the raw inputs and the ignored ones.
func (c *compiled) facts(in *Input, tr *trace) facts {
	f := facts{ssvcE: -1, ssvcA: -1, ssvcTI: -1}
	text := tr != nil
	invalid := func(name, v string) {
		if text {
			tr.rule("input:ignored:" + name)
			tr.input(name, v+" (unrecognized, ignored)", "", time.Time{})
		}
	}

	// The finding.
	f.kind = kindIndex(in.Finding.Kind)
	if f.kind == 0 && strings.TrimSpace(in.Finding.Kind) != "" && !strings.EqualFold(strings.TrimSpace(in.Finding.Kind), "vulnerability") {
		invalid("finding.kind", in.Finding.Kind+" (decided as vulnerability)")
	}
	f.sev = severityRank(in.Finding.Severity)
	if f.sev == 0 && in.Finding.Severity != "" {
		invalid("finding.severity", in.Finding.Severity)
	}
	f.verified = in.Finding.Verified
	if text {
		b := tr.buf[:0]
		if in.Finding.VulnID != "" {
			b = append(append(b, in.Finding.VulnID...), " ("...)
		}
		b = append(append(append(b, kindRules[f.kind].name...), ", severity "...), orDash(in.Finding.Severity)...)
		if in.Finding.VulnID != "" {
			b = append(b, ')')
		}
		if f.verified {
			b = append(b, ", verified live by the tool"...)
		}
		tr.buf = b
		tr.input("finding", string(b), in.Finding.Source, in.Finding.Date)
	}

	// Vulnerability intel.
	f.kev = in.KEV.Listed
	f.ransomware = in.KEV.Listed && in.KEV.Ransomware
	if text {
		if in.KEV.Listed {
			b := append(tr.buf[:0], "listed"...)
			if !in.KEV.DateAdded.IsZero() {
				b = appendDay(append(b, ", dateAdded "...), in.KEV.DateAdded)
			}
			if f.ransomware {
				b = append(b, ", known ransomware use"...)
			}
			tr.buf = b
			tr.input("kev", string(b), in.KEV.Source, in.KEV.Date)
		} else if in.KEV.Source != "" {
			tr.input("kev", "not listed", in.KEV.Source, in.KEV.Date)
		}
	}

	f.tauL, f.tauP, f.tauText = c.tauL, c.tauP, &c.tauText
	if len(c.byModel) > 0 {
		if t, ok := c.byModel[in.EPSS.Model]; ok {
			f.tauL, f.tauP, f.tauText = t.l, t.p, &t.text
		}
	}
	if s := in.EPSS.Score; s >= 0 && s <= 1 {
		f.epss = s
	} else {
		invalid("epss", fmtF(s))
	}
	if text && (in.EPSS.Score != 0 || in.EPSS.Model != "" || !in.EPSS.Date.IsZero()) {
		b := strconv.AppendFloat(tr.buf[:0], in.EPSS.Score, 'g', -1, 64)
		if in.EPSS.Percentile != 0 {
			b = strconv.AppendFloat(append(b, ", percentile "...), in.EPSS.Percentile, 'g', -1, 64)
		}
		if in.EPSS.Model != "" {
			b = append(append(b, ", model "...), in.EPSS.Model...)
		}
		tr.buf = b
		tr.input("epss", string(b), in.EPSS.Source, in.EPSS.Date)
	}
	if s := in.LEV.Score; s > 0 && s <= 1 {
		f.lev = s
		if text {
			tr.input("lev", fmtF(s), in.LEV.Source, in.LEV.Date)
		}
	} else if s != 0 {
		invalid("lev", fmtF(s))
	}

	if v := in.SSVC.Exploitation; v != "" {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "none":
			f.ssvcE = 0
		case "poc", "public_poc", "public poc":
			f.ssvcE = 1
		case "active":
			f.ssvcE = 2
		default:
			invalid("ssvc.exploitation", v)
		}
		if text && f.ssvcE >= 0 {
			tr.input("ssvc.exploitation", [3]string{"none", "poc", "active"}[f.ssvcE], in.SSVC.Source, in.SSVC.Date)
		}
	}
	if v := in.SSVC.Automatable; v != "" {
		if b, err := yesNo(v); err == nil {
			f.ssvcA = b2i(b)
			if text {
				tr.input("ssvc.automatable", yn(b), in.SSVC.Source, in.SSVC.Date)
			}
		} else {
			invalid("ssvc.automatable", v)
		}
	}
	if v := in.SSVC.TechnicalImpact; v != "" {
		if b, err := partialTotal(v); err == nil {
			f.ssvcTI = b2i(b)
			if text {
				tr.input("ssvc.technical_impact", pt(b), in.SSVC.Source, in.SSVC.Date)
			}
		} else {
			invalid("ssvc.technical_impact", v)
		}
	}

	switch strings.ToLower(strings.TrimSpace(in.Exploit.Maturity)) {
	case "", "none", "unproven":
		if len(in.Exploit.References) > 0 {
			f.maturity = 1
		}
	case "poc", "public_poc", "proof-of-concept", "functional":
		f.maturity = 1
	case "weaponized", "high", "exploit_kit":
		f.maturity = 2
	default:
		invalid("exploit.maturity", in.Exploit.Maturity)
		if len(in.Exploit.References) > 0 {
			f.maturity = 1
		}
	}
	if text && (f.maturity > 0 || in.Exploit.Maturity != "") {
		b := append(tr.buf[:0], [3]string{"none", "poc", "weaponized"}[f.maturity]...)
		if n := len(in.Exploit.References); n > 0 {
			b = strconv.AppendInt(append(b, ", "...), int64(n), 10)
			b = append(b, " reference"...)
			if n > 1 {
				b = append(b, 's')
			}
			if in.Exploit.Maturity == "" {
				b = append(b, " (maturity not given: taken as poc)"...)
			}
		}
		tr.buf = b
		tr.input("exploit", string(b), in.Exploit.Source, in.Exploit.Date)
	}
	if in.InTheWild.Reported {
		f.inWild = true
		if text {
			tr.input("exploited_in_the_wild", "reported", in.InTheWild.Source, in.InTheWild.Date)
		}
	}
	if sc := in.CVSS.Score; sc > 0 && sc <= 10 {
		f.cvssScore = sc
	}
	if in.CVSS.Vector != "" {
		f.cvss = parseCVSS(in.CVSS.Vector)
		if text {
			b := append(tr.buf[:0], in.CVSS.Vector...)
			if in.CVSS.Score > 0 {
				b = append(strconv.AppendFloat(append(b, " ("...), in.CVSS.Score, 'f', 1, 64), ')')
			}
			if !f.cvss.ok {
				b = append(b, " (unreadable: not used)"...)
				tr.rule("input:ignored:cvss")
			}
			tr.buf = b
			tr.input("cvss", string(b), in.CVSS.Source, in.CVSS.Date)
		}
	}

	// Validation.
	switch strings.ToLower(strings.TrimSpace(in.Validation.State)) {
	case "", ValidationUnknown:
	case ValidationExploitable:
		f.validation = 1
	case ValidationRefuted:
		f.validation = -1
	default:
		invalid("validation", in.Validation.State)
	}
	if text && f.validation != 0 {
		tr.input("validation", in.Validation.State, in.Validation.Source, in.Validation.Date)
	}

	// Asset context.
	switch in.Asset.Exposure {
	case ExposureInternet:
		f.exposure = 2
	case ExposureIsolated:
		f.exposure = 0
	case ExposureInternal:
		f.exposure = 1
	default:
		f.exposure, f.exposureUnknown = 1, true
		if in.Asset.Exposure != "" {
			invalid("asset.exposure", string(in.Asset.Exposure))
		}
	}
	if cr := in.Asset.Criticality; cr >= 1 && cr <= 5 {
		f.crit = int8(cr)
	} else {
		f.crit, f.critDefault = c.defaultCrit, true
		if cr != 0 {
			invalid("asset.criticality", strconv.Itoa(cr))
		}
	}
	f.crown = in.Asset.CrownJewel
	if text {
		if f.exposureUnknown {
			tr.input("asset.exposure", "unknown (decided as internal)", "policy default", time.Time{})
		} else {
			tr.input("asset.exposure", string(in.Asset.Exposure), in.Asset.ExposureSource, in.Asset.ExposureDate)
		}
		if f.critDefault {
			tr.input("asset.criticality", strconv.Itoa(int(c.defaultCrit))+" (not set: policy default)", "policy default", time.Time{})
		} else {
			tr.input("asset.criticality", strconv.Itoa(int(f.crit)), in.Asset.CriticalitySource, time.Time{})
		}
		if f.crown {
			tr.input("asset.crown_jewel", "yes", in.Asset.CrownJewelSource, time.Time{})
		}
		if len(in.Asset.Scopes) > 0 {
			tr.input("asset.scopes", strings.Join(in.Asset.Scopes, ", "), "", time.Time{})
		}
	}

	// Controls: in force when verified (if required) and not expired.
	if text && len(in.Controls) > 0 {
		tr.ctl = make([]ctlState, len(in.Controls))
	}
	for i := range in.Controls {
		ct := &in.Controls[i]
		eff, ok := ParseControlEffect(ct.Effect)
		inForce := ok && (!c.requireVer || !ct.VerifiedAt.IsZero()) && (ct.ExpiresAt.IsZero() || in.AsOf.Before(ct.ExpiresAt))
		if inForce {
			if !ct.ExpiresAt.IsZero() && (f.recheck.IsZero() || ct.ExpiresAt.Before(f.recheck)) {
				f.recheck = ct.ExpiresAt
			}
			switch eff {
			case RemovesInternetExposure:
				f.nExpo++
			case ReducesImpact:
				f.nImpact++
			case RemovesPrecondition:
				f.nPre++
			}
		}
		if text {
			c.traceControl(in, i, eff, ok, inForce, tr)
		}
	}
	return f
}

// traceControl records one control's status.
func (c *compiled) traceControl(in *Input, i int, eff ControlEffect, ok, inForce bool, tr *trace) {
	ct := &in.Controls[i]
	tr.ctl[i] = ctlState{id: ct.ID, effect: eff, inForce: inForce}
	var status string
	switch {
	case !ok:
		status = "unrecognized effect " + strconv.Quote(ct.Effect) + ": ignored"
		tr.rule("control:ignored:unknown-effect:" + ct.ID)
	case c.requireVer && ct.VerifiedAt.IsZero():
		status = "not verified: ignored"
		tr.rule("control:ignored:unverified:" + ct.ID)
	case !inForce:
		status = "expired " + string(appendDay(tr.buf[:0], ct.ExpiresAt)) + ": ignored"
		tr.rule("control:ignored:expired:" + ct.ID)
	default:
		status = "in force"
		if !ct.ExpiresAt.IsZero() {
			status += ", expires " + string(appendDay(tr.buf[:0], ct.ExpiresAt))
		}
		if eff == DetectOnly {
			tr.rule("control:detect_only:" + ct.ID)
		}
	}
	src := ct.Source
	if ct.Evidence != "" {
		if src != "" {
			src += "; "
		}
		src += ct.Evidence
	}
	tr.input("control."+ct.ID, string(eff)+", "+status, src, ct.VerifiedAt)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Threat reasons, as bits, in rule order.
const (
	whyKEV = 1 << iota
	whySSVCActive
	whyInWild
	whyValidated
	whyVerified
	whyWeaponized
	whyEPSSL
	whyLEV
	whyPoC
	whySSVCPoC
	whyEPSSP
	whyKind
	whyNone
)

var whyRules = [...]string{
	"threat:active:kev", "threat:active:ssvc-exploitation", "threat:active:in-the-wild",
	"threat:active:validated", "threat:active:tool-verified",
	"threat:likely:weaponized-exploit", "threat:likely:epss", "threat:likely:lev",
	"threat:possible:poc", "threat:possible:ssvc-poc", "threat:possible:epss", "threat:possible:kind-default",
	"threat:unlikely:no-evidence",
}

// threat returns the threat level (0 Unlikely … 3 Active) and every reason
// that holds at that level.
func threat(f *facts) (int8, uint16) {
	var w uint16
	if f.kev {
		w |= whyKEV
	}
	if f.ssvcE == 2 {
		w |= whySSVCActive
	}
	if f.inWild {
		w |= whyInWild
	}
	if f.validation == 1 {
		w |= whyValidated
	}
	if f.verified {
		w |= whyVerified
	}
	if w != 0 {
		return 3, w
	}
	if f.maturity == 2 {
		w |= whyWeaponized
	}
	if f.epss >= f.tauL {
		w |= whyEPSSL
	}
	if f.lev >= f.tauL {
		w |= whyLEV
	}
	if w != 0 {
		return 2, w
	}
	if f.maturity == 1 {
		w |= whyPoC
	}
	if f.ssvcE == 1 {
		w |= whySSVCPoC
	}
	if f.epss >= f.tauP {
		w |= whyEPSSP
	}
	if f.sev >= kindRules[f.kind].possibleFrom {
		w |= whyKind
	}
	if w != 0 {
		return 1, w
	}
	return 0, whyNone
}

// result is evaluate's output.
type result struct {
	threat   int8
	why      uint16
	a        bool
	aSrc     int8 // 0 SSVC, 1 CVSS heuristic, 2 kind default
	tiRaw    bool // technical impact before control rewrites
	ti       bool
	tiSrc    int8 // 0 SSVC, 1 CVSS, 2 kind/severity
	exposure int8 // after control rewrites
	mwi      int8
	bod      int
	base     int8
	band     int8
	forensic bool
	ssvcE    int8
	ssvc     int
	raw      int
	points   int
	sortKey  uint64
}

var tierLo = [5]int{0, 200, 400, 600, 800}
var tierSpan = [5]int{199, 199, 199, 199, 200}

// evaluate is the decision proper on parsed facts. With tr == nil it
// records nothing and allocates nothing; with bandOnly it stops once the
// band is known (the counterfactual path).
func (c *compiled) evaluate(f *facts, tr *trace, bandOnly bool) result {
	var r result
	r.threat, r.why = threat(f)
	if tr != nil {
		for i, s := range whyRules {
			if r.why&(1<<i) != 0 {
				tr.rule(s)
			}
		}
	}

	// Automatable: CISA SSVC, else the CVSS heuristic, else the kind default.
	switch {
	case f.ssvcA >= 0:
		r.a, r.aSrc = f.ssvcA == 1, 0
	case f.cvss.ok:
		r.a, r.aSrc = f.cvss.automatable, 1
	default:
		r.a, r.aSrc = f.sev >= kindRules[f.kind].automatableFrom, 2
	}
	// Technical impact: CISA SSVC, else CERT/CC's CVSS mapping, else severity.
	switch {
	case f.ssvcTI >= 0:
		r.ti, r.tiSrc = f.ssvcTI == 1, 0
	case f.cvss.ok:
		r.ti, r.tiSrc = f.cvss.total, 1
	default:
		r.ti, r.tiSrc = f.sev >= kindRules[f.kind].totalFrom, 2
	}
	r.tiRaw = r.ti
	r.exposure = f.exposure
	if tr != nil {
		tr.rule([3]string{"point:automatable:ssvc", "point:automatable:cvss-heuristic", "point:automatable:kind-default"}[r.aSrc])
		tr.rule([3]string{"point:technical-impact:ssvc", "point:technical-impact:cvss", "point:technical-impact:severity"}[r.tiSrc])
		if f.exposureUnknown {
			tr.rule("point:exposure:unknown-as-internal")
		} else {
			tr.rule("point:exposure:asset")
		}
	}
	switch {
	case f.crown:
		r.mwi = 2
		tr.rule("point:mission:crown-jewel")
	case f.critDefault:
		r.mwi = c.mwi[f.crit]
		tr.rule("point:mission:default-criticality")
	default:
		r.mwi = c.mwi[f.crit]
		tr.rule("point:mission:criticality")
	}

	// Controls rewrite inputs before the tables.
	if f.nExpo > 0 && r.exposure == 2 {
		r.exposure = 1
	}
	if f.nImpact > 0 && r.ti {
		r.ti = false
	}
	if tr != nil {
		c.traceControls(f, &r, tr)
	}

	exposed := r.exposure == 2
	r.bod = bodIndex(r.threat == 3, exposed, r.a, r.ti)
	var rules *[]string
	if tr != nil {
		rules = &tr.rules
		tr.rule(c.bodRule[r.bod])
	}
	r.base, r.band = c.bandForRow(r.bod, r.threat, exposed, r.a, r.ti, r.mwi, f.validation == -1, f.ransomware, rules)
	// An informational finding (severity info or none given: an open
	// port, a banner) that nothing else describes as a weakness — no
	// exploitation evidence or prediction, no CVSS vector — is an
	// observation: the BOD 26-04 rows assume a
	// vulnerability, and an open SSH port on an internet-facing
	// criticality-4 host must not become P0.
	if f.sev <= 1 && r.threat == 0 && !f.cvss.ok && r.band > 1 {
		r.band = 1
		tr.rule("cap:informational->P3")
	}
	if f.nPre > 0 {
		r.band = 0
		tr.rule("control:removes_precondition->P4")
	}
	if bandOnly {
		return r
	}
	r.forensic = c.bodOutcome[r.bod] == Outcome3DF && r.band == 4

	// CISA SSVC coordinator label.
	switch {
	case r.threat == 3:
		r.ssvcE = 2
	case f.maturity >= 1 || f.ssvcE == 1:
		r.ssvcE = 1
	}
	r.ssvc = ssvcIndex(r.ssvcE, b2i(r.a), b2i(r.ti), r.mwi)
	tr.rule(c.ssvcRule[r.ssvc])

	// Risk: round(1000 · p_eff · f_TI · f_X · f_C), then tiered by band.
	pEff := f.epss
	if f.lev > pEff {
		pEff = f.lev
	}
	var floor float64
	switch r.threat {
	case 3:
		floor = 1
	case 2:
		floor = f.tauL
	case 1:
		floor = f.tauP
	}
	if floor > pEff {
		pEff = floor
	}
	fC := float64(f.crit) / 5
	if f.crown {
		fC = 1
	}
	r.raw = int(roundHalfUp(1000 * pEff * c.fTI[b2i(r.ti)] * c.fX[r.exposure] * fC))
	// Within the band: threat, technical impact, exploit code (evidence
	// outranks prediction: a published exploit before an EPSS score alone),
	// then likelihood q = p_eff·f_X·f_C in [0, 1] — sixteen sub-tiers.
	// For an Active threat exploitation is established: exploit code adds
	// nothing, and exposure and criticality (q) order it.
	exploitCode := b2i(r.threat < 3 && (f.maturity >= 1 || f.ssvcE >= 1))
	sub := (int(r.threat)*2+int(b2i(r.ti)))*2 + int(exploitCode)
	q := min(pEff*c.fX[r.exposure]*fC, 1)
	r.points = tierLo[r.band] + (sub*1000+int(q*999+0.5))*tierSpan[r.band]/15999
	r.sortKey = uint64(r.band)<<60 | uint64(sub)<<55 | uint64(q*(1<<32-1))<<23 | uint64(f.cvssScore*10+0.5)<<15
	return r
}

func roundHalfUp(x float64) float64 {
	if x < 0 {
		return 0
	}
	n := float64(int64(x + 0.5))
	if n > 1000 {
		return 1000
	}
	return n
}

func (c *compiled) traceControls(f *facts, r *result, tr *trace) {
	for _, st := range tr.ctl {
		if !st.inForce {
			continue
		}
		id := st.id
		switch st.effect {
		case RemovesInternetExposure:
			if f.exposure == 2 {
				tr.rule("control:removes_internet_exposure:" + id)
				tr.rewrites = append(tr.rewrites, Rewrite{Control: id, Effect: string(st.effect), Input: "exposure", From: "internet", To: "internal"})
			} else {
				tr.rule("control:removes_internet_exposure:" + id + ":no-op")
			}
		case ReducesImpact:
			if r.tiRaw {
				tr.rule("control:reduces_impact:" + id)
				tr.rewrites = append(tr.rewrites, Rewrite{Control: id, Effect: string(st.effect), Input: "technical_impact", From: "total", To: "partial"})
			} else {
				tr.rule("control:reduces_impact:" + id + ":no-op")
			}
		case RemovesPrecondition:
			tr.rule("control:removes_precondition:" + id)
			tr.rewrites = append(tr.rewrites, Rewrite{Control: id, Effect: string(st.effect), Input: "band", From: "table", To: "P4 (mitigated, recheck)"})
		}
	}
}

// bandFor is the band logic on abstract decision points (used by the
// monotonicity check).
func (c *compiled) bandFor(t int8, exposed, a, ti bool, mwi int8, refuted, ransomware bool) int8 {
	_, band := c.bandForRow(bodIndex(t == 3, exposed, a, ti), t, exposed, a, ti, mwi, refuted, ransomware, nil)
	return band
}

// overlayRules[overlay][changed][band] are the overlay rule ids, built once:
// "overlay:likely->P1" when the band changed, "overlay:likely:no-op(P0)"
// when it did not.
var overlayRules = func() (t [6][2][5]string) {
	for o, name := range []string{"overlay:likely", "overlay:mission-high", "overlay:mission-low", "overlay:refuted", "floor:ransomware", "overlay:possible-total-impact"} {
		for u := range 5 {
			t[o][0][u] = name + ":no-op(" + string(bandOf(int8(u))) + ")"
			t[o][1][u] = name + "->" + string(bandOf(int8(u)))
		}
	}
	return t
}()

// bandForRow applies the base table row and the overlays and floors, in
// order, recording each that applies when rules is non-nil.
func (c *compiled) bandForRow(bod int, t int8, exposed, a, ti bool, mwi int8, refuted, ransomware bool, rules *[]string) (base, band int8) {
	base = c.bodBand[bod]
	band = base
	note := func(o int, before, after int8) {
		if rules == nil {
			return
		}
		changed := 0
		if before != after {
			changed = 1
		}
		*rules = append(*rules, overlayRules[o][changed][after])
	}
	// Predicted threat: Likely reaches at least P1 (exposed or automatable;
	// likely_band_other otherwise).
	if t == 2 {
		lb := c.likelyOther
		if exposed || a {
			lb = c.likelyEA
		}
		before := band
		if lb > band {
			band = lb
		}
		note(0, before, band)
	}
	// Possible (or more) with total technical impact reaches at least
	// possible_total_band. Active threats are decided by the table.
	if (t == 1 || t == 2) && ti && c.possibleTI > band {
		before := band
		band = c.possibleTI
		note(5, before, band)
	}
	// Mission impact.
	if c.critOverlay {
		if mwi == 2 {
			before := band
			if band < 4 {
				band++
			}
			note(1, before, band)
		} else if mwi == 0 && t <= 1 {
			before := band
			if band > 1 {
				band--
			}
			note(2, before, band)
		}
	}
	// Refuted by validation: one band less urgent, never for Active.
	if c.refuted && refuted {
		if t == 3 {
			if rules != nil {
				*rules = append(*rules, "overlay:refuted:ignored(active)")
			}
		} else {
			before := band
			if band > 1 {
				band--
			}
			note(3, before, band)
		}
	}
	if ransomware {
		before := band
		if band < c.ransomFloor {
			band = c.ransomFloor
		}
		note(4, before, band)
	}
	return base, band
}
