// Package rescore applies the prioritization policy to stored findings: it
// gathers each finding's inputs (threat intel, asset context, scopes,
// declared controls, validation state), decides, and writes the band,
// points, SLA due date, owner and explanation back. The policy itself
// (package prioritize) stays a pure function.
package rescore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/prioritize"
	"github.com/ctemhq/ctem/internal/scope"
	"github.com/ctemhq/ctem/internal/store"
)

// Intel looks vulnerability intel up by id (the store's intel tables).
type Intel interface {
	VulnIntel(ctx context.Context, ids []string) (map[string]model.VulnIntel, error)
}

// Options select what to rescore.
type Options struct {
	// Filter selects findings; the zero filter is every open and
	// reopened finding. Pass VulnIDs or AssetIDs for an incremental run.
	Filter store.FindingFilter
	// VulnIDs, when set, limits the run to findings of these
	// vulnerabilities (their intel changed).
	VulnIDs []string
	Now     time.Time
}

// Summary says what a run did.
type Summary struct {
	Findings int                     `json:"findings"`
	ByBand   map[prioritize.Band]int `json:"by_band"`
	Policy   string                  `json:"policy"`
	Errors   int                     `json:"expression_errors"`
}

// Run decides the priority of the selected findings and stores it.
func Run(ctx context.Context, st store.Store, intel Intel, cfg *scope.Config, pol prioritize.Policy, opt Options) (Summary, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now().UTC()
	}
	sum := Summary{ByBand: map[prioritize.Band]int{}, Policy: pol.Version()}
	if len(opt.VulnIDs) > 0 {
		for _, id := range opt.VulnIDs {
			f := opt.Filter
			f.VulnID = id
			if err := run(ctx, st, intel, cfg, pol, f, opt.Now, &sum); err != nil {
				return sum, err
			}
		}
		return sum, nil
	}
	return sum, run(ctx, st, intel, cfg, pol, opt.Filter, opt.Now, &sum)
}

func run(ctx context.Context, st store.Store, intel Intel, cfg *scope.Config, pol prioritize.Policy, filter store.FindingFilter, now time.Time, sum *Summary) error {
	assets := map[int64]model.Asset{}
	scopes := map[int64][]string{}
	filter.After = 0
	for {
		filter.Limit = 1000
		page, err := st.ListFindings(ctx, filter)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		filter.After = page[len(page)-1].ID
		var missing []int64
		vulnIDs := map[string]bool{}
		for _, f := range page {
			if _, ok := assets[f.AssetID]; !ok {
				missing = append(missing, f.AssetID)
				assets[f.AssetID] = model.Asset{}
			}
			if f.VulnID != "" {
				vulnIDs[f.VulnID] = true
			}
		}
		if len(missing) > 0 {
			as, err := st.ListAssets(ctx, store.AssetFilter{IDs: missing})
			if err != nil {
				return err
			}
			for _, a := range as {
				assets[a.ID] = a
			}
			members, err := st.ScopeMembers(ctx, missing)
			if err != nil {
				return err
			}
			for id, s := range members {
				scopes[id] = s
			}
		}
		vi := map[string]model.VulnIntel{}
		if intel != nil && len(vulnIDs) > 0 {
			ids := make([]string, 0, len(vulnIDs))
			for id := range vulnIDs {
				ids = append(ids, id)
			}
			if vi, err = intel.VulnIntel(ctx, ids); err != nil {
				return err
			}
		}
		updates := make([]store.PriorityUpdate, 0, len(page))
		for i := range page {
			f := &page[i]
			a := assets[f.AssetID]
			in, owner, err := buildInput(cfg, f, a, scopes[f.AssetID], vi[f.VulnID], now)
			var ee *scope.EvalError
			if err != nil && !errors.As(err, &ee) {
				return err
			}
			if err != nil {
				sum.Errors++
			}
			d := pol.Decide(in)
			due := d.Due(now)
			if days, from := cfg.SLAFor(string(d.Band), scopes[f.AssetID]); days > 0 && from != "" {
				due = now.AddDate(0, 0, days)
			}
			updates = append(updates, store.PriorityUpdate{FindingID: f.ID, Band: string(d.Band), Score: d.Points,
				Explanation: string(d.AppendJSON(nil)), Policy: d.Policy, DecidedAt: now, SLADue: &due, Owner: owner})
			sum.Findings++
			sum.ByBand[d.Band]++
		}
		if err := st.SetPriorities(ctx, updates); err != nil {
			return err
		}
	}
}

// buildInput gathers one finding's decision inputs, each with its source.
func buildInput(cfg *scope.Config, f *model.Finding, a model.Asset, scopes []string, vi model.VulnIntel, now time.Time) (prioritize.Input, string, error) {
	in := prioritize.Input{AsOf: now}
	in.Finding = prioritize.Finding{Kind: string(f.Kind), Severity: string(f.Severity), VulnID: f.VulnID, Date: f.FirstSeen}
	if len(f.Sources) > 0 {
		in.Finding.Source = f.Sources[0]
	}
	if vi.KEV {
		in.KEV = prioritize.KEV{Listed: true, Ransomware: vi.KEVRansomware, Source: "CISA KEV", Date: vi.UpdatedAt}
		if vi.KEVDateAdded != nil {
			in.KEV.DateAdded = *vi.KEVDateAdded
		}
	}
	if vi.EPSSModel != "" || vi.EPSS > 0 {
		in.EPSS = prioritize.EPSS{Score: vi.EPSS, Percentile: vi.EPSSPercentile, Model: vi.EPSSModel, Source: "FIRST EPSS"}
		if vi.EPSSDate != nil {
			in.EPSS.Date = *vi.EPSSDate
		}
	}
	if vi.SSVCExploitation != "" || vi.SSVCAutomatable != "" || vi.SSVCTechImpact != "" {
		in.SSVC = prioritize.SSVC{Exploitation: vi.SSVCExploitation, Automatable: vi.SSVCAutomatable, TechnicalImpact: vi.SSVCTechImpact,
			Source: "CISA ADP SSVC", Date: vi.UpdatedAt}
	}
	if len(vi.ExploitReferences) > 0 {
		in.Exploit = prioritize.Exploit{References: vi.ExploitReferences, Source: "exploit references", Date: vi.UpdatedAt}
	}
	// The scanner's CVSS first (it is about this instance); intel's NVD
	// vector when the scanner gave none.
	cvss := f.CVSS
	src := "scanner"
	if len(cvss) == 0 {
		cvss, src = vi.CVSS, "NVD"
	}
	if c, ok := bestCVSS(cvss); ok {
		in.CVSS = prioritize.CVSS{Version: c.Version, Vector: c.Vector, Score: c.Score, Source: src}
	}
	if f.Validation != "" && f.Validation != model.ValidationUnknown {
		in.Validation = prioritize.Validation{State: f.Validation, Source: "validation"}
	}
	in.Asset = prioritize.Asset{Name: a.Name, Exposure: prioritize.ExposureFromBool(a.InternetExposed), Criticality: a.Criticality,
		CrownJewel: a.CrownJewel, Scopes: scopes}
	for _, d := range a.Context {
		switch d.Attribute {
		case "criticality":
			in.Asset.CriticalitySource = fmt.Sprintf("%s %q (%s line %d)", d.Source, d.Rule, d.File, d.Line)
		case "crown_jewel":
			in.Asset.CrownJewelSource = fmt.Sprintf("%s %q (%s line %d)", d.Source, d.Rule, d.File, d.Line)
		case "internet_exposed":
			in.Asset.ExposureSource = fmt.Sprintf("%s %q (%s line %d)", d.Source, d.Rule, d.File, d.Line)
		}
	}
	if in.Asset.ExposureSource == "" {
		in.Asset.ExposureSource = "asset as imported"
	}
	if cfg == nil {
		return in, "", nil
	}
	var firstErr error
	controls, err := cfg.ControlsFor(a, f, now)
	if err != nil {
		firstErr = err
	}
	for _, c := range controls {
		in.Controls = append(in.Controls, prioritize.Control{ID: c.Name, Effect: c.Effect, Source: fmt.Sprintf("%s line %d", cfg.File, c.Line),
			Evidence: c.Evidence, VerifiedAt: c.Verified, ExpiresAt: c.Expires})
	}
	owner := a.Owner
	if team, _, err := cfg.OwnerOf(a, f); err != nil {
		if firstErr == nil {
			firstErr = err
		}
	} else if team != "" {
		owner = team
	}
	return in, owner, firstErr
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
