package scope

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

// DigestSetting is the store setting holding the digest of the ctem.yaml
// whose context and membership are materialized.
const DigestSetting = "scope_config_digest"

// Materialized says what Materialize did.
type Materialized struct {
	Assets  int            `json:"assets"`
	Changed int            `json:"changed"` // assets whose context changed
	Members map[string]int `json:"members"` // scope -> assets
	// EvalErrors counts expressions that failed on some asset (they count
	// as "no match"); First is the first of them.
	EvalErrors int    `json:"eval_errors"`
	First      string `json:"first_error,omitempty"`
}

// Materialize applies c to every asset in st: business context (context
// rules and scope criticality, with the decisions that set them) and scope
// membership, kept in the store so that lists and the API filter by scope.
// Context starts from the asset as imported (tools set none of it), so a
// rule removed from ctem.yaml stops applying. It records c's digest, so that
// NeedsMaterialize can tell when the file changed.
func Materialize(ctx context.Context, st store.Store, c *Config) (Materialized, error) {
	res := Materialized{Members: map[string]int{}}
	members := map[string][]int64{}
	for _, sc := range c.Scopes() {
		members[sc.Name] = nil
	}
	filtered := map[string]bool{}
	for _, sc := range c.Scopes() {
		if sc.Findings != "" {
			filtered[sc.Name] = true
		}
	}
	// Assets in a scope with a finding selector, as resolved, to judge
	// their findings against the selector.
	resolved := map[int64]model.Asset{}
	var updates []store.AssetContext
	after := int64(0)
	for {
		page, err := st.ListAssets(ctx, store.AssetFilter{Page: store.Page{After: after, Limit: 1000}})
		if err != nil {
			return res, err
		}
		for _, a := range page {
			after = a.ID
			res.Assets++
			base := a
			base.Criticality, base.InternetExposed, base.Owner, base.Tags, base.CrownJewel, base.Context = 0, false, "", nil, false, nil
			rc, err := c.Resolve(base)
			var ee *EvalError
			if err != nil && !errors.As(err, &ee) {
				return res, err
			}
			if err != nil {
				res.EvalErrors++
				if res.First == "" {
					res.First = fmt.Sprintf("asset %d: %v", a.ID, err)
				}
			}
			for _, s := range rc.Scopes {
				members[s] = append(members[s], a.ID)
				if filtered[s] {
					resolved[a.ID] = rc.Asset
				}
			}
			u := store.AssetContext{AssetID: a.ID, Criticality: rc.Asset.Criticality, InternetExposed: rc.Asset.InternetExposed,
				Owner: rc.Asset.Owner, Tags: rc.Asset.Tags, CrownJewel: rc.CrownJewel}
			for _, d := range rc.Decisions {
				u.Context = append(u.Context, model.ContextDecision{Attribute: d.Attribute, Value: d.Value, Source: d.Source, Rule: d.Rule, File: d.File, Line: d.Line})
			}
			if changed(a, u) {
				updates = append(updates, u)
			}
		}
		if len(page) < 1000 {
			break
		}
	}
	if len(updates) > 0 {
		if err := st.UpdateAssetContext(ctx, updates); err != nil {
			return res, err
		}
	}
	if err := st.SetScopeMembers(ctx, members); err != nil {
		return res, err
	}
	if err := scopeFindings(ctx, st, c, filtered, resolved, &res); err != nil {
		return res, err
	}
	for name, ids := range members {
		res.Members[name] = len(ids)
	}
	res.Changed = len(updates)
	return res, st.PutSetting(ctx, DigestSetting, c.Digest)
}

// NeedsMaterialize reports whether the store's context was materialized
// from another ctem.yaml than c (or never).
func NeedsMaterialize(ctx context.Context, st store.Store, c *Config) (bool, error) {
	v, err := st.Setting(ctx, DigestSetting, func() (string, error) { return "", nil })
	if err != nil {
		return false, err
	}
	return v != c.Digest, nil
}

func changed(a model.Asset, u store.AssetContext) bool {
	if a.Criticality != u.Criticality || a.InternetExposed != u.InternetExposed || a.Owner != u.Owner || a.CrownJewel != u.CrownJewel {
		return true
	}
	if len(a.Tags) != len(u.Tags) || !maps.Equal(a.Tags, u.Tags) {
		return true
	}
	return !slices.Equal(a.Context, u.Context)
}

// scopeFindings records, for scopes with a finding selector, which
// findings of their assets the selector keeps.
func scopeFindings(ctx context.Context, st store.Store, c *Config, filtered map[string]bool, resolved map[int64]model.Asset, res *Materialized) error {
	out := map[string][]int64{}
	for name := range filtered {
		out[name] = nil
	}
	if len(resolved) > 0 {
		f := store.FindingFilter{AllStatus: true}
		for {
			f.Limit = 1000
			page, err := st.ListFindings(ctx, f)
			if err != nil {
				return err
			}
			for _, fd := range page {
				f.After = fd.ID
				a, ok := resolved[fd.AssetID]
				if !ok {
					continue
				}
				names, err := c.FindingScopes(a, fd)
				var ee *EvalError
				if err != nil && !errors.As(err, &ee) {
					return err
				}
				if err != nil {
					res.EvalErrors++
				}
				for _, n := range names {
					if filtered[n] {
						out[n] = append(out[n], fd.ID)
					}
				}
			}
			if len(page) < 1000 {
				break
			}
		}
	}
	return st.SetScopeFindings(ctx, out)
}
