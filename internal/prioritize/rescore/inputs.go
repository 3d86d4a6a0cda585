package rescore

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/prioritize"
	"github.com/ctemhq/ctem/internal/scope"
)

// A decision's inputs come from three places: the finding, its
// vulnerability's intel, and its asset with what ctem.yaml says about it.
// The last two are shared by many findings (50 per host, a common CVE on
// thousands of hosts), so they are gathered once per run into vulnInputs
// and assetInputs, and a finding's Input is put together from them without
// formatting a string or evaluating an expression.

// rules says which ctem.yaml rules must be evaluated per finding rather
// than per asset.
type rules struct {
	cfg *scope.Config
	now time.Time
	// controlsPerFinding: an active control has a findings selector, so
	// which controls apply depends on the finding.
	controlsPerFinding bool
	// ownerPerFinding: an ownership rule reads `finding`.
	ownerPerFinding bool
}

func newRules(cfg *scope.Config, now time.Time) rules {
	r := rules{cfg: cfg, now: now}
	if cfg == nil {
		return r
	}
	for _, c := range cfg.Controls() {
		if c.Findings != "" && !c.Expired(now) {
			r.controlsPerFinding = true
		}
	}
	for _, o := range cfg.OwnerRules() {
		// An expression can only read the finding by naming it.
		if strings.Contains(o.When, "finding") {
			r.ownerPerFinding = true
		}
	}
	return r
}

// needFinding reports whether rules read more of a finding than rescoring
// reads (ScanRescore with Full).
func (r rules) needFinding() bool { return r.controlsPerFinding || r.ownerPerFinding }

// vulnInputs are the decision inputs one vulnerability's intel gives.
type vulnInputs struct {
	id      string
	kev     prioritize.KEV
	epss    prioritize.EPSS
	ssvc    prioritize.SSVC
	exploit prioritize.Exploit
	cvss    prioritize.CVSS // NVD's, for findings whose scanner gave none
	hasCVSS bool
}

func newVulnInputs(id string, vi model.VulnIntel) *vulnInputs {
	v := &vulnInputs{id: id}
	if vi.KEV {
		v.kev = prioritize.KEV{Listed: true, Ransomware: vi.KEVRansomware, Source: "CISA KEV", Date: vi.UpdatedAt}
		if vi.KEVDateAdded != nil {
			v.kev.DateAdded = *vi.KEVDateAdded
		}
	}
	if vi.EPSSModel != "" || vi.EPSS > 0 {
		v.epss = prioritize.EPSS{Score: vi.EPSS, Percentile: vi.EPSSPercentile, Model: vi.EPSSModel, Source: "FIRST EPSS"}
		if vi.EPSSDate != nil {
			v.epss.Date = *vi.EPSSDate
		}
	}
	if vi.SSVCExploitation != "" || vi.SSVCAutomatable != "" || vi.SSVCTechImpact != "" {
		v.ssvc = prioritize.SSVC{Exploitation: vi.SSVCExploitation, Automatable: vi.SSVCAutomatable, TechnicalImpact: vi.SSVCTechImpact,
			Source: "CISA ADP SSVC", Date: vi.UpdatedAt}
	}
	if len(vi.ExploitReferences) > 0 {
		v.exploit = prioritize.Exploit{References: vi.ExploitReferences, Source: "exploit references", Date: vi.UpdatedAt}
	}
	if c, ok := bestCVSS(vi.CVSS); ok {
		v.cvss, v.hasCVSS = prioritize.CVSS{Version: c.Version, Vector: c.Vector, Score: c.Score, Source: "NVD"}, true
	}
	return v
}

// assetInputs are the decision inputs of one asset, with what ctem.yaml
// decides about it as a whole.
type assetInputs struct {
	asset  model.Asset
	scopes []string
	in     prioritize.Asset
	// controls and owner, when they do not depend on the finding.
	controls []prioritize.Control
	owner    string
	// err is the first expression error met evaluating them (an
	// *scope.EvalError; the expression counted as not matching).
	err error
	// sla is the days ctem.yaml sets per band (by urgency, P4..P0); -1
	// until looked up, 0 when it sets none.
	sla [5]int
}

func newAssetInputs(r rules, a model.Asset, scopes []string) (*assetInputs, error) {
	ai := &assetInputs{asset: a, scopes: scopes, sla: [5]int{-1, -1, -1, -1, -1}}
	ai.in = prioritize.Asset{Name: a.Name, Exposure: prioritize.ExposureFromBool(a.InternetExposed), Criticality: a.Criticality,
		CrownJewel: a.CrownJewel, Scopes: scopes}
	for _, d := range a.Context {
		switch d.Attribute {
		case "criticality":
			ai.in.CriticalitySource = fmt.Sprintf("%s %q (%s line %d)", d.Source, d.Rule, d.File, d.Line)
		case "crown_jewel":
			ai.in.CrownJewelSource = fmt.Sprintf("%s %q (%s line %d)", d.Source, d.Rule, d.File, d.Line)
		case "internet_exposed":
			ai.in.ExposureSource = fmt.Sprintf("%s %q (%s line %d)", d.Source, d.Rule, d.File, d.Line)
		}
	}
	if ai.in.ExposureSource == "" {
		ai.in.ExposureSource = "asset as imported"
	}
	if r.cfg == nil {
		return ai, nil
	}
	if !r.controlsPerFinding {
		cs, err := r.cfg.ControlsFor(a, nil, r.now)
		if err := ai.keep(err); err != nil {
			return nil, err
		}
		ai.controls = r.convert(cs)
	}
	ai.owner = a.Owner
	if !r.ownerPerFinding {
		team, _, err := r.cfg.OwnerOf(a, nil)
		if err := ai.keep(err); err != nil {
			return nil, err
		}
		if err == nil && team != "" {
			ai.owner = team
		}
	}
	return ai, nil
}

// keep records an expression error and returns any other error.
func (ai *assetInputs) keep(err error) error {
	return keepEvalErr(&ai.err, err)
}

func keepEvalErr(first *error, err error) error {
	if err == nil {
		return nil
	}
	var ee *scope.EvalError
	if !errors.As(err, &ee) {
		return err
	}
	if *first == nil {
		*first = err
	}
	return nil
}

func (r rules) convert(cs []scope.Control) []prioritize.Control {
	if len(cs) == 0 {
		return nil
	}
	out := make([]prioritize.Control, len(cs))
	for i, c := range cs {
		out[i] = prioritize.Control{ID: c.Name, Effect: c.Effect, Source: fmt.Sprintf("%s line %d", r.cfg.File, c.Line),
			Evidence: c.Evidence, VerifiedAt: c.Verified, ExpiresAt: c.Expires}
	}
	return out
}

// slaDays returns the days to fix in band that ctem.yaml sets for the
// asset's scopes, 0 when it sets none.
func (ai *assetInputs) slaDays(cfg *scope.Config, band prioritize.Band) int {
	u := band.Urgency()
	if cfg == nil || u < 0 {
		return 0
	}
	if ai.sla[u] < 0 {
		ai.sla[u] = 0
		if days, from := cfg.SLAFor(string(band), ai.scopes); days > 0 && from != "" {
			ai.sla[u] = days
		}
	}
	return ai.sla[u]
}

// input puts one finding's decision inputs together. Rules that depend on
// the finding are evaluated here; their expression errors are returned as
// evalErr (counted, not fatal), anything else as err.
func (r rules) input(f *model.Finding, ai *assetInputs, vi *vulnInputs) (in prioritize.Input, owner string, evalErr, err error) {
	in = prioritize.Input{AsOf: r.now, KEV: vi.kev, EPSS: vi.epss, SSVC: vi.ssvc, Exploit: vi.exploit, Asset: ai.in}
	in.Finding = prioritize.Finding{Kind: string(f.Kind), Severity: string(f.Severity), VulnID: f.VulnID, Date: f.FirstSeen}
	if len(f.Sources) > 0 {
		in.Finding.Source = f.Sources[0]
	}
	// The scanner's CVSS first (it is about this instance); intel's NVD
	// vector when the scanner gave none.
	if c, ok := bestCVSS(f.CVSS); ok {
		in.CVSS = prioritize.CVSS{Version: c.Version, Vector: c.Vector, Score: c.Score, Source: "scanner"}
	} else if vi.hasCVSS {
		in.CVSS = vi.cvss
	}
	if f.Validation != "" && f.Validation != model.ValidationUnknown {
		in.Validation = prioritize.Validation{State: f.Validation, Source: "validation"}
	}
	if r.cfg == nil {
		return in, "", nil, nil
	}
	evalErr = ai.err
	in.Controls = ai.controls
	if r.controlsPerFinding {
		cs, cerr := r.cfg.ControlsFor(ai.asset, f, r.now)
		if err := keepEvalErr(&evalErr, cerr); err != nil {
			return in, "", nil, err
		}
		in.Controls = r.convert(cs)
	}
	owner = ai.owner
	if r.ownerPerFinding {
		team, _, oerr := r.cfg.OwnerOf(ai.asset, f)
		if err := keepEvalErr(&evalErr, oerr); err != nil {
			return in, "", nil, err
		}
		owner = ai.asset.Owner
		if oerr == nil && team != "" {
			owner = team
		}
	}
	return in, owner, evalErr, nil
}

// bestCVSS picks the newest CVSS version given.
func bestCVSS(cs []model.CVSS) (model.CVSS, bool) {
	var best model.CVSS
	ok := false
	for _, c := range cs {
		if !ok || c.Version > best.Version {
			best, ok = c, true
		}
	}
	return best, ok
}
