package rescore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/prioritize"
	"github.com/ctemhq/ctem/internal/scope"
	"github.com/ctemhq/ctem/internal/store"
)

// Explain decides one finding again, now, with the full explanation: the
// inputs with their sources and dates, the rules fired, the control
// rewrites and the counterfactuals. It reads the same inputs a run does,
// so it gives the stored band and points unless something changed that no
// run has picked up yet (compare with the finding's stored Priority).
// When ctem.yaml sets the SLA of the finding's band, SLADays is that and
// an "sla" input says where it comes from.
func Explain(ctx context.Context, st store.Store, intel Intel, cfg *scope.Config, pol prioritize.Policy, findingID int64) (prioritize.Decision, error) {
	return ExplainAt(ctx, st, intel, cfg, pol, findingID, time.Now().UTC())
}

// ExplainAt is Explain at a given decision time.
func ExplainAt(ctx context.Context, st store.Store, intel Intel, cfg *scope.Config, pol prioritize.Policy, findingID int64, now time.Time) (prioritize.Decision, error) {
	f, err := st.GetFinding(ctx, findingID)
	if err != nil {
		return prioritize.Decision{}, err
	}
	as, err := st.ListAssets(ctx, store.AssetFilter{IDs: []int64{f.AssetID}})
	if err != nil {
		return prioritize.Decision{}, err
	}
	var a model.Asset
	if len(as) == 1 {
		a = as[0]
	}
	members, err := st.ScopeMembers(ctx, []int64{f.AssetID})
	if err != nil {
		return prioritize.Decision{}, err
	}
	var vi model.VulnIntel
	if intel != nil && f.VulnID != "" {
		m, err := intel.VulnIntel(ctx, []string{f.VulnID})
		if err != nil {
			return prioritize.Decision{}, err
		}
		vi = m[f.VulnID]
	}
	r := newRules(cfg, now)
	ai, err := newAssetInputs(r, a, members[f.AssetID])
	if err != nil {
		return prioritize.Decision{}, err
	}
	in, _, _, err := r.input(&f, ai, newVulnInputs(f.VulnID, vi))
	if err != nil {
		return prioritize.Decision{}, err
	}
	d := pol.Decide(in)
	if cfg != nil {
		if days, from := cfg.SLAFor(string(d.Band), ai.scopes); days > 0 && from != "" {
			d.SLADays = days
			d.Inputs = append(d.Inputs, prioritize.InputUsed{Name: "sla", Value: strconv.Itoa(days) + " days for " + string(d.Band),
				Source: fmt.Sprintf("%s (%s)", from, cfg.File)})
		}
	}
	return d, nil
}
