package prioritize

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

var asOf = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

var vectors = []string{
	"",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:L/A:N",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:N",
	"CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
	"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
	"AV:N/AC:L/Au:N/C:C/I:C/A:C",
	"not a vector",
}

var kinds = []string{"vulnerability", "secret", "misconfiguration", "code_weakness", "exposed_service", "web_weakness", "identity_weakness", "", "unknown_kind"}
var sevs = []string{"critical", "high", "medium", "low", "info", ""}
var effects = []string{"removes_internet_exposure", "reduces_impact", "removes_precondition", "detect_only", "exposure_removed", "bogus"}

func drawScore(t *rapid.T, label string) float64 {
	return rapid.OneOf(
		rapid.SampledFrom([]float64{0, 0.0099, 0.01, 0.05, 0.0999, 0.1, 0.5, 1}),
		rapid.Float64Range(0, 1),
	).Draw(t, label)
}

func drawDate(t *rapid.T, label string) time.Time {
	return rapid.SampledFrom([]time.Time{{}, asOf.AddDate(0, -2, 0), asOf.AddDate(0, 0, -1)}).Draw(t, label)
}

// genInput draws an arbitrary input, including absent and invalid values.
func genInput(t *rapid.T) Input {
	in := Input{AsOf: asOf}
	in.Finding = Finding{
		Kind: rapid.SampledFrom(kinds).Draw(t, "kind"), Severity: rapid.SampledFrom(sevs).Draw(t, "severity"),
		VulnID: "CVE-2025-1234", Verified: rapid.IntRange(0, 9).Draw(t, "verified") == 0, Source: "trivy", Date: drawDate(t, "finding.date"),
	}
	if rapid.Bool().Draw(t, "kev.known") {
		in.KEV = KEV{Listed: rapid.IntRange(0, 3).Draw(t, "kev") == 0, Source: "cisa-kev 2026.06.30", Date: drawDate(t, "kev.date"), DateAdded: asOf.AddDate(0, -1, 0)}
		in.KEV.Ransomware = rapid.Bool().Draw(t, "ransomware")
	}
	if rapid.Bool().Draw(t, "epss.known") {
		in.EPSS = EPSS{Score: drawScore(t, "epss"), Percentile: 0.5, Model: rapid.SampledFrom([]string{"v2025.03.14", "v2026.06.15"}).Draw(t, "model"), Date: drawDate(t, "epss.date"), Source: "first-epss"}
	}
	if rapid.IntRange(0, 4).Draw(t, "lev.known") == 0 {
		in.LEV = LEV{Score: drawScore(t, "lev"), Source: "nist-lev"}
	}
	if rapid.Bool().Draw(t, "ssvc.known") {
		in.SSVC = SSVC{
			Exploitation:    rapid.SampledFrom([]string{"", "none", "poc", "public_poc", "active", "Active", "maybe"}).Draw(t, "ssvc.e"),
			Automatable:     rapid.SampledFrom([]string{"", "yes", "no", "YES", "perhaps"}).Draw(t, "ssvc.a"),
			TechnicalImpact: rapid.SampledFrom([]string{"", "partial", "total", "huge"}).Draw(t, "ssvc.ti"),
			Source:          "CISA-ADP", Date: drawDate(t, "ssvc.date"),
		}
	}
	if rapid.IntRange(0, 3).Draw(t, "exploit.known") == 0 {
		in.Exploit = Exploit{Maturity: rapid.SampledFrom([]string{"", "none", "poc", "weaponized", "odd"}).Draw(t, "maturity"), Source: "exploitdb"}
		if rapid.Bool().Draw(t, "refs") {
			in.Exploit.References = []string{"https://www.exploit-db.com/exploits/51234"}
		}
	}
	in.InTheWild = InTheWild{Reported: rapid.IntRange(0, 9).Draw(t, "wild") == 0, Source: "vendor advisory"}
	in.CVSS = CVSS{Vector: rapid.SampledFrom(vectors).Draw(t, "vector"), Score: 7.5, Source: "NVD", Date: drawDate(t, "cvss.date")}
	in.Validation = Validation{State: rapid.SampledFrom([]string{"", "unknown", "exploitable", "refuted", "weird"}).Draw(t, "validation"), Source: "nuclei", Date: drawDate(t, "validation.date")}
	in.Asset = Asset{
		Name:           "web-01",
		Exposure:       rapid.SampledFrom([]Exposure{"", ExposureInternet, ExposureInternal, ExposureIsolated, "dmz"}).Draw(t, "exposure"),
		ExposureSource: "external scan", ExposureDate: drawDate(t, "exposure.date"),
		Criticality: rapid.IntRange(-1, 6).Draw(t, "criticality"), CriticalitySource: "tag tier",
		CrownJewel: rapid.IntRange(0, 5).Draw(t, "crown") == 0, CrownJewelSource: "ctem.yaml",
	}
	if rapid.Bool().Draw(t, "scoped") {
		in.Asset.Scopes = []string{"prod", "pci"}
	}
	n := rapid.IntRange(0, 3).Draw(t, "controls")
	for i := range n {
		in.Controls = append(in.Controls, Control{
			ID:         rapid.SampledFrom([]string{"waf-1", "acl-2", "sandbox", "flag-off"}).Draw(t, "control.id") + string(rune('a'+i)),
			Effect:     rapid.SampledFrom(effects).Draw(t, "control.effect"),
			Source:     "ctem.yaml",
			VerifiedAt: rapid.SampledFrom([]time.Time{{}, asOf.AddDate(0, -1, 0)}).Draw(t, "control.verified"),
			ExpiresAt:  rapid.SampledFrom([]time.Time{{}, asOf.AddDate(0, 0, -1), asOf, asOf.AddDate(0, 1, 0)}).Draw(t, "control.expires"),
		})
	}
	return in
}

func clone(in Input) Input {
	in.Controls = append([]Control(nil), in.Controls...)
	in.Asset.Scopes = append([]string(nil), in.Asset.Scopes...)
	in.Exploit.References = append([]string(nil), in.Exploit.References...)
	return in
}

// raise is one change that adds risk. It returns false when it does not
// apply to the input (already at the maximum).
type raise struct {
	name string
	do   func(t *rapid.T, in *Input) bool
}

func level(v string, order ...string) int {
	v = strings.ToLower(v)
	for i, o := range order {
		if o == v {
			return i
		}
	}
	return 0
}

var raises = []raise{
	{"kev", func(t *rapid.T, in *Input) bool { ok := !in.KEV.Listed; in.KEV.Listed = true; return ok }},
	{"kev.ransomware", func(t *rapid.T, in *Input) bool {
		ok := !in.KEV.Ransomware
		in.KEV.Ransomware = true
		return ok
	}},
	{"epss", func(t *rapid.T, in *Input) bool {
		if in.EPSS.Score < 0 || in.EPSS.Score >= 1 {
			return false
		}
		in.EPSS.Score = rapid.Float64Range(in.EPSS.Score, 1).Draw(t, "epss.new")
		return true
	}},
	{"epss.threshold", func(t *rapid.T, in *Input) bool {
		if in.EPSS.Score >= 0.1 {
			return false
		}
		in.EPSS.Score = 0.1
		return true
	}},
	{"lev", func(t *rapid.T, in *Input) bool {
		if in.LEV.Score < 0 || in.LEV.Score >= 1 {
			return false
		}
		in.LEV.Score = rapid.Float64Range(in.LEV.Score, 1).Draw(t, "lev.new")
		return true
	}},
	{"ssvc.exploitation", func(t *rapid.T, in *Input) bool {
		cur := level(in.SSVC.Exploitation, "none", "poc", "active")
		if in.SSVC.Exploitation == "public_poc" {
			cur = 1
		}
		if cur == 2 {
			return false
		}
		in.SSVC.Exploitation = []string{"none", "poc", "active"}[rapid.IntRange(cur+1, 2).Draw(t, "e.new")]
		return true
	}},
	{"automatable", func(t *rapid.T, in *Input) bool { in.SSVC.Automatable = "yes"; return true }},
	{"technical_impact", func(t *rapid.T, in *Input) bool { in.SSVC.TechnicalImpact = "total"; return true }},
	{"exploit.maturity", func(t *rapid.T, in *Input) bool {
		cur := level(in.Exploit.Maturity, "none", "poc", "weaponized")
		if len(in.Exploit.References) > 0 && cur == 0 {
			cur = 1
		}
		if cur == 2 {
			return false
		}
		in.Exploit.Maturity = []string{"none", "poc", "weaponized"}[rapid.IntRange(cur+1, 2).Draw(t, "m.new")]
		return true
	}},
	{"in_the_wild", func(t *rapid.T, in *Input) bool {
		ok := !in.InTheWild.Reported
		in.InTheWild.Reported = true
		return ok
	}},
	{"validation", func(t *rapid.T, in *Input) bool {
		switch in.Validation.State {
		case ValidationExploitable:
			return false
		case ValidationRefuted:
			in.Validation.State = rapid.SampledFrom([]string{"", ValidationUnknown, ValidationExploitable}).Draw(t, "v.new")
		default:
			in.Validation.State = ValidationExploitable
		}
		return true
	}},
	{"verified", func(t *rapid.T, in *Input) bool { ok := !in.Finding.Verified; in.Finding.Verified = true; return ok }},
	{"exposure", func(t *rapid.T, in *Input) bool {
		switch in.Asset.Exposure {
		case ExposureInternet:
			return false
		case ExposureIsolated:
			in.Asset.Exposure = rapid.SampledFrom([]Exposure{ExposureInternal, ExposureInternet, ""}).Draw(t, "x.new")
		default:
			in.Asset.Exposure = ExposureInternet
		}
		return true
	}},
	{"criticality", func(t *rapid.T, in *Input) bool {
		c := in.Asset.Criticality
		if c < 1 || c > 5 {
			c = 3 // unset: the default
		}
		if c == 5 {
			return false
		}
		in.Asset.Criticality = rapid.IntRange(c+1, 5).Draw(t, "c.new")
		return true
	}},
	{"crown_jewel", func(t *rapid.T, in *Input) bool { ok := !in.Asset.CrownJewel; in.Asset.CrownJewel = true; return ok }},
	{"severity", func(t *rapid.T, in *Input) bool {
		r := int(severityRank(in.Finding.Severity))
		if r == 5 {
			return false
		}
		in.Finding.Severity = sevNames[rapid.IntRange(r+1, 5).Draw(t, "s.new")]
		return true
	}},
	{"remove control", func(t *rapid.T, in *Input) bool {
		if len(in.Controls) == 0 {
			return false
		}
		i := rapid.IntRange(0, len(in.Controls)-1).Draw(t, "control.remove")
		in.Controls = append(in.Controls[:i:i], in.Controls[i+1:]...)
		return true
	}},
}

// Raising any single risk input (or removing a control) never lowers the
// band, the risk points or the raw risk.
func TestPropertyMonotone(t *testing.T) {
	p := DefaultPolicy()
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		d0 := p.Score(in)
		for _, r := range raises {
			in2 := clone(in)
			if !r.do(t, &in2) {
				continue
			}
			d1 := p.Score(in2)
			if d1.Band.Urgency() < d0.Band.Urgency() || d1.Points < d0.Points || d1.Risk < d0.Risk || d1.SortKey < d0.SortKey {
				t.Fatalf("raising %s lowered the decision: %s/%d/%d → %s/%d/%d\nbefore: %v\nafter:  %v",
					r.name, d0.Band, d0.Points, d0.Risk, d1.Band, d1.Points, d1.Risk, p.Decide(in).RulesFired, p.Decide(in2).RulesFired)
			}
		}
	})
}

// The same holds for configured policies that NewPolicy accepts.
func TestPropertyMonotoneConfigured(t *testing.T) {
	p, err := NewPolicy(PolicyConfig{
		Name: "strict", EPSSThreshold: ptr(0.05), EPSSPossibleThreshold: ptr(0.005),
		OutcomeBands:    map[string]Band{Outcome3D: P1},
		MissionImpact:   map[int]string{3: "high"},
		LikelyBandOther: ptr(P1),
		RefutedDemotes:  ptr(false), ControlsRequireVerification: ptr(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		d0 := p.Score(in)
		r := raises[rapid.IntRange(0, len(raises)-1).Draw(t, "raise")]
		in2 := clone(in)
		if !r.do(t, &in2) {
			t.Skip("not applicable")
		}
		if d1 := p.Score(in2); d1.Band.Urgency() < d0.Band.Urgency() || d1.Points < d0.Points {
			t.Fatalf("raising %s lowered %s/%d to %s/%d", r.name, d0.Band, d0.Points, d1.Band, d1.Points)
		}
	})
}

// The decision depends only on (input, policy version): the same input and
// an equal policy give the same decision and the same bytes.
func TestPropertyDeterministic(t *testing.T) {
	p1 := DefaultPolicy()
	p2, err := NewPolicy(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if p1.Version() != p2.Version() {
		t.Fatalf("versions %s and %s", p1.Version(), p2.Version())
	}
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		d1 := p1.Decide(in)
		d2 := p2.Decide(clone(in))
		d3 := Policy{}.Decide(in)
		if diff := cmp.Diff(d1, d2); diff != "" {
			t.Fatalf("two equal policies differ:\n%s", diff)
		}
		if diff := cmp.Diff(d1, d3); diff != "" {
			t.Fatalf("zero policy differs:\n%s", diff)
		}
		d4 := p1.Decide(in)
		if a, b := string(d1.AppendJSON(nil)), string(d4.AppendJSON(nil)); a != b {
			t.Fatalf("JSON differs between runs:\n%s\n%s", a, b)
		}
		if d1.Policy != DefaultVersion {
			t.Fatalf("policy %q", d1.Policy)
		}
	})
}

// Sorting by SortKey never contradicts the band or the points: a larger key
// has a band at least as urgent and at least as many points.
func TestPropertySortKeyAgreesWithPoints(t *testing.T) {
	p := DefaultPolicy()
	rapid.Check(t, func(t *rapid.T) {
		a, b := p.Score(genInput(t)), p.Score(genInput(t))
		if a.SortKey < b.SortKey {
			a, b = b, a
		}
		if a.Band.Urgency() < b.Band.Urgency() || a.Points < b.Points {
			t.Fatalf("key %x (%s, %d points) ≥ key %x (%s, %d points)", a.SortKey, a.Band, a.Points, b.SortKey, b.Band, b.Points)
		}
	})
}

// Points are 0..1000 and inside their band's tier, so ordering by points
// never contradicts the band; Score agrees with Decide.
func TestPropertyPointsAndScore(t *testing.T) {
	p := DefaultPolicy()
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		d := p.Decide(in)
		u := d.Band.Urgency()
		if u < 0 || d.Points < tierLo[u] || d.Points > tierLo[u]+tierSpan[u] || d.Points > 1000 || d.Risk < 0 || d.Risk > 1000 {
			t.Fatalf("band %s points %d risk %d", d.Band, d.Points, d.Risk)
		}
		if d.SLADays != p.SLADays(d.Band) {
			t.Fatalf("SLA %d for %s", d.SLADays, d.Band)
		}
		s := p.Score(in)
		d.RulesFired, d.Inputs, d.Rewrites, d.Counterfactuals = nil, nil, nil, nil
		if diff := cmp.Diff(d, s); diff != "" {
			t.Fatalf("Score differs from Decide:\n%s", diff)
		}
	})
}

var rulePatterns = regexp.MustCompile(`^(` + strings.Join([]string{
	`threat:(active:(kev|ssvc-exploitation|in-the-wild|validated|tool-verified)|likely:(weaponized-exploit|epss|lev)|possible:(poc|ssvc-poc|epss|kind-default)|unlikely:no-evidence)`,
	`point:automatable:(ssvc|cvss-heuristic|kind-default)`,
	`point:technical-impact:(ssvc|cvss|severity)`,
	`point:exposure:(asset|unknown-as-internal)`,
	`point:mission:(crown-jewel|criticality|default-criticality)`,
	`control:(removes_internet_exposure|reduces_impact):[^:]+(:no-op)?`,
	`control:removes_precondition:[^:]+`,
	`control:removes_precondition->P4`,
	`cap:informational->P3`,
	`control:detect_only:[^:]+`,
	`control:ignored:(expired|unverified|unknown-effect):[^:]+`,
	`bod2604:KEV=[YN],AE=[YN],A=[YN],TI=[PT]->(FSU|60D|14D|3D|3D\+F)`,
	`(overlay:(likely|mission-high|mission-low|refuted|possible-total-impact)|floor:ransomware)(->P[0-3]|:no-op\(P[0-3]\))`,
	`overlay:refuted:ignored\(active\)`,
	`ssvc:cisa-coordinator:E=(none|public_poc|active),A=(yes|no),TI=(partial|total),MWI=(low|medium|high)->(Track\*?|Attend|Act)`,
	`input:ignored:[a-z._]+`,
}, "|") + `)$`)

// Every decision explains itself: rules from the documented set (one BOD
// row and one SSVC row exactly), the inputs with their sources and dates,
// the derived decision points, and counterfactuals that are true — each
// re-checked here by changing the Input and calling Decide again, and
// complete: every candidate change that moves the band is listed.
func TestPropertyExplanation(t *testing.T) {
	p := DefaultPolicy()
	c := p.get()
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		d := p.Decide(in)
		if len(d.RulesFired) == 0 {
			t.Fatal("no rule fired")
		}
		nBOD, nSSVC, nThreat := 0, 0, 0
		for _, r := range d.RulesFired {
			if !rulePatterns.MatchString(r) {
				t.Fatalf("undocumented rule id %q", r)
			}
			switch {
			case strings.HasPrefix(r, "bod2604:"):
				nBOD++
			case strings.HasPrefix(r, "ssvc:"):
				nSSVC++
			case strings.HasPrefix(r, "threat:"):
				nThreat++
			}
		}
		if nBOD != 1 || nSSVC != 1 || nThreat == 0 {
			t.Fatalf("rules %v", d.RulesFired)
		}
		byName := map[string]InputUsed{}
		for _, u := range d.Inputs {
			if u.Name == "" || u.Value == "" {
				t.Fatalf("empty input %+v", u)
			}
			byName[u.Name] = u
		}
		for _, n := range []string{"finding", "asset.exposure", "asset.criticality", "threat", "automatable", "technical_impact", "exposed", "mission_impact"} {
			if _, ok := byName[n]; !ok {
				t.Fatalf("input %s missing: %+v", n, d.Inputs)
			}
		}
		check := func(name, source string, date time.Time) {
			u, ok := byName[name]
			if !ok {
				t.Fatalf("input %s missing", name)
			}
			if u.Source != source || !u.Date.Equal(date) {
				t.Fatalf("input %s: source %q date %v, want %q %v", name, u.Source, u.Date, source, date)
			}
		}
		if in.KEV.Listed || in.KEV.Source != "" {
			check("kev", in.KEV.Source, in.KEV.Date)
		}
		if in.EPSS.Source != "" {
			check("epss", in.EPSS.Source, in.EPSS.Date)
		}
		if in.Validation.State == ValidationExploitable || in.Validation.State == ValidationRefuted {
			check("validation", in.Validation.Source, in.Validation.Date)
		}
		if in.CVSS.Vector != "" {
			check("cvss", in.CVSS.Source, in.CVSS.Date)
		}
		if in.Asset.Exposure == ExposureInternet {
			check("asset.exposure", in.Asset.ExposureSource, in.Asset.ExposureDate)
		}
		for _, ct := range in.Controls {
			check("control."+ct.ID, ct.Source, ct.VerifiedAt)
		}
		if strings.Contains(byName["automatable"].Source, "derived") == contains(d.RulesFired, "point:automatable:ssvc") {
			t.Fatalf("automatable source %q with rules %v", byName["automatable"].Source, d.RulesFired)
		}

		// Counterfactuals, re-checked on the Input.
		tr := trace{buf: make([]byte, 0, 64)}
		f := c.facts(&in, &tr)
		r := c.evaluate(&f, &tr, false)
		var want []string
		for _, m := range c.candidates(nil, &f, &r, &tr) {
			in2 := clone(in)
			m.applyInput(&in2)
			d2 := p.Decide(in2)
			if d2.Band != d.Band {
				want = append(want, m.label(&f, &r, &tr)+" → "+string(d2.Band)+" ("+itoa(d2.SLADays)+" days)")
			}
		}
		if diff := cmp.Diff(want, d.Counterfactuals); diff != "" {
			t.Fatalf("counterfactuals (-re-decided +listed):\n%s", diff)
		}
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// AppendJSON is valid JSON, decodes back to the same decision, and is the
// same document encoding/json produces.
func TestPropertyJSON(t *testing.T) {
	p := DefaultPolicy()
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		in.Finding.VulnID = rapid.SampledFrom([]string{"CVE-2025-1", "a\"b\\c\n\t\x01<>&", "bad\xffutf8", "é→✓"}).Draw(t, "id")
		d := p.Decide(in)
		b := d.AppendJSON(nil)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON: %s", b)
		}
		var back Decision
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		back.SortKey = d.SortKey // not part of the document
		if !strings.Contains(in.Finding.VulnID, "\xff") {
			if diff := cmp.Diff(d, back); diff != "" {
				t.Fatalf("round trip (-decided +decoded):\n%s", diff)
			}
		}
		std, err := json.Marshal(plainDecision(d))
		if err != nil {
			t.Fatal(err)
		}
		var a, s any
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(std, &s); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s, a); diff != "" {
			t.Fatalf("AppendJSON differs from encoding/json (-std +ours):\n%s", diff)
		}
		if m, _ := json.Marshal(d); !json.Valid(m) {
			t.Fatalf("MarshalJSON: %s", m)
		}
	})
}

// Decide is safe for concurrent use: one policy, many goroutines, the same
// answers (run with -race).
func TestConcurrentDecide(t *testing.T) {
	ins := benchInputs(256)
	p := DefaultPolicy()
	want := make([]string, len(ins))
	for i := range ins {
		d := p.Decide(ins[i])
		want[i] = string(d.AppendJSON(nil))
	}
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range ins {
				j := (i + g*64) % len(ins)
				d := p.Decide(ins[j])
				if got := string(d.AppendJSON(nil)); got != want[j] {
					done <- fmt.Errorf("input %d differs under concurrency", j)
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
