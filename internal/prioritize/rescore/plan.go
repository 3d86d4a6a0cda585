package rescore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ctemhq/ctem/internal/prioritize"
	"github.com/ctemhq/ctem/internal/scope"
	"github.com/ctemhq/ctem/internal/store"
)

// StateSetting is the store setting holding what the last complete run
// (Run of every finding, or Incremental) covered, as JSON.
const StateSetting = "rescore_state"

// IntelMargin is how long before the last run's start Plan looks for
// intel changes. A feed load stamps what it changes with its start time
// but commits at its end; a run that started in between did not see the
// load, and the margin makes the next run see it. Loads take seconds (NVD
// is loaded page by page); re-reading a few minutes of changes is cheap,
// as unchanged decisions are not written.
const IntelMargin = 5 * time.Minute

// narrowVulnsAbove is the length above which Plan narrows the changed CVEs
// to those in findings (which reads the findings' CVE index).
const narrowVulnsAbove = 5000

// state is what the last complete run covered.
type state struct {
	Policy  string    `json:"policy"`  // policy version
	Config  string    `json:"config"`  // ctem.yaml digest ("" without one)
	Started time.Time `json:"started"` // when it started: later intel changes are not covered
	MaxID   int64     `json:"max_id"`  // the largest finding id then: later findings are new
}

func loadState(ctx context.Context, st store.Store) (state, bool, error) {
	v, err := st.Setting(ctx, StateSetting, func() (string, error) { return "", nil })
	if err != nil || v == "" {
		return state{}, false, err
	}
	var s state
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		// Unreadable: start over with a full run.
		return state{}, false, nil
	}
	return s, true, nil
}

func saveState(ctx context.Context, st store.Store, s state) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return st.PutSetting(ctx, StateSetting, string(b))
}

func digest(cfg *scope.Config) string {
	if cfg == nil {
		return ""
	}
	return cfg.Digest
}

// Changes are what changed that the store does not tell by itself. Intel
// changes, new findings, a policy or ctem.yaml change and expired controls
// Plan finds on its own.
type Changes struct {
	// ImportIDs are imports just made: the findings on the assets they
	// covered are rescored (changed severity or CVSS, reopened findings,
	// context that ctem.yaml derives from imported attributes).
	ImportIDs []int64
	// AssetIDs are assets whose context or scopes changed.
	AssetIDs []int64
	// FindingIDs are findings that changed otherwise: validated, status
	// set back to open.
	FindingIDs []int64
	// Since, when set, re-reads intel changed since then even if an
	// earlier run covered it (e.g. the start of a feed load).
	Since time.Time
	// Now is the decision time (default: the clock).
	Now time.Time
}

// Plan works out what a run must rescore given the last run's state:
//
//   - everything when there is no state, or the policy version or
//     ctem.yaml changed since;
//   - otherwise the findings of vulnerabilities whose intel changed since
//     the last run (ChangedVulns), findings created since (ids above the
//     last run's largest), the findings on assets ch names or its imports
//     covered, the findings ch names, and the findings on assets under a
//     control that expired since the last run (everything when such a
//     control has a finding selector).
//
// An empty selection means nothing needs rescoring.
func Plan(ctx context.Context, st store.Store, cfg *scope.Config, pol prioritize.Policy, ch Changes) (Selection, error) {
	now := ch.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	var sel Selection
	s, ok, err := loadState(ctx, st)
	if err != nil {
		return sel, err
	}
	switch {
	case !ok:
		sel.All, sel.Reasons = true, []string{"no earlier run recorded"}
	case s.Policy != pol.Version():
		sel.All, sel.Reasons = true, []string{fmt.Sprintf("policy changed (%s, was %s)", pol.Version(), s.Policy)}
	case s.Config != digest(cfg):
		sel.All, sel.Reasons = true, []string{"ctem.yaml changed"}
	}
	if sel.All {
		return sel, nil
	}
	reason := func(n int, format string, args ...any) {
		if n > 0 {
			sel.Reasons = append(sel.Reasons, fmt.Sprintf(format, args...))
		}
	}

	since := s.Started
	if !ch.Since.IsZero() && ch.Since.Before(since) {
		since = ch.Since
	}
	// A few changed CVEs are looked up as they are; a long list (a daily
	// EPSS load) is first narrowed to the CVEs some finding has.
	if sel.VulnIDs, err = st.ChangedVulns(ctx, since.Add(-IntelMargin), false); err != nil {
		return sel, err
	}
	if len(sel.VulnIDs) > narrowVulnsAbove {
		if sel.VulnIDs, err = st.ChangedVulns(ctx, since.Add(-IntelMargin), true); err != nil {
			return sel, err
		}
	}
	reason(len(sel.VulnIDs), "intel changed for %d vulnerabilities", len(sel.VulnIDs))

	_, hi, err := st.FindingIDBounds(ctx)
	if err != nil {
		return sel, err
	}
	if hi > s.MaxID {
		if s.MaxID <= 0 {
			sel.All, sel.Reasons = true, []string{"no finding was decided yet"}
			return sel, nil
		}
		sel.NewerThan = s.MaxID
		reason(1, "findings created since the last run")
	}

	sel.AssetIDs = slices.Clone(ch.AssetIDs)
	reason(len(ch.AssetIDs), "%d assets changed", len(ch.AssetIDs))
	if len(ch.ImportIDs) > 0 {
		ids, err := st.ImportedAssets(ctx, ch.ImportIDs)
		if err != nil {
			return sel, err
		}
		sel.AssetIDs = append(sel.AssetIDs, ids...)
		reason(len(ids), "%d assets imported", len(ids))
	}
	sel.FindingIDs = slices.Clone(ch.FindingIDs)
	reason(len(ch.FindingIDs), "%d findings changed", len(ch.FindingIDs))

	all, assets, names, err := expiredControls(ctx, st, cfg, s.Started, now)
	if err != nil {
		return sel, err
	}
	if all {
		return Selection{All: true, Reasons: []string{fmt.Sprintf("controls expired since the last run: %v", names)}}, nil
	}
	sel.AssetIDs = append(sel.AssetIDs, assets...)
	reason(len(names), "controls expired since the last run: %v (%d assets)", names, len(assets))
	return sel, nil
}

// expiredControls finds the controls of cfg that expired in (after, now]:
// a decision that relied on one must be recomputed (it is its RecheckBy).
// It returns the live assets they applied to just before expiring, or all
// when one has a finding selector (its reach depends on each finding).
func expiredControls(ctx context.Context, st store.Store, cfg *scope.Config, after, now time.Time) (all bool, assets []int64, names []string, err error) {
	if cfg == nil {
		return false, nil, nil, nil
	}
	var expired []scope.Control
	for _, c := range cfg.Controls() {
		if !c.Expires.IsZero() && c.Expires.After(after) && !c.Expires.After(now) {
			expired = append(expired, c)
			names = append(names, c.Name)
			if c.Findings != "" {
				all = true
			}
		}
	}
	if len(expired) == 0 || all {
		return all, nil, names, nil
	}
	f := store.AssetFilter{Page: store.Page{Limit: 1000}}
	for {
		page, err := st.ListAssets(ctx, f)
		if err != nil {
			return false, nil, nil, err
		}
		for _, a := range page {
			f.After = a.ID
			for _, c := range expired {
				in, _ := cfg.ControlsFor(a, nil, c.Expires.Add(-time.Nanosecond))
				if slices.ContainsFunc(in, func(k scope.Control) bool { return k.Name == c.Name }) {
					assets = append(assets, a.ID)
					break
				}
			}
		}
		if len(page) < f.Limit {
			return false, assets, names, nil
		}
	}
}

// Incremental rescores what changed since the last run (see Plan) and
// records the new state. Call it after imports (with their ids), feed loads
// (with the load's start), ctem.yaml or policy changes, validation runs
// and status changes; with nothing changed it reads almost nothing.
func Incremental(ctx context.Context, st store.Store, intel Intel, cfg *scope.Config, pol prioritize.Policy, ch Changes) (Summary, error) {
	if ch.Now.IsZero() {
		ch.Now = time.Now().UTC()
	}
	// The state is taken before planning: what happens from here on is
	// for the next run.
	_, hi, err := st.FindingIDBounds(ctx)
	if err != nil {
		return Summary{}, err
	}
	sel, err := Plan(ctx, st, cfg, pol, ch)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{ByBand: map[prioritize.Band]int{}, Policy: pol.Version()}
	if !sel.Empty() {
		if sum, err = execute(ctx, st, intel, cfg, pol, sel, Options{Now: ch.Now}); err != nil {
			return sum, err
		}
	}
	return sum, saveState(ctx, st, state{Policy: pol.Version(), Config: digest(cfg), Started: ch.Now, MaxID: hi})
}
