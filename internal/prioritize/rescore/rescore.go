// Package rescore applies the prioritization policy to stored findings: it
// gathers each finding's inputs (threat intel, asset context, scopes,
// declared controls, validation state), decides, and writes the band,
// points, SLA due date and owner back. The policy itself (package
// prioritize) stays a pure function.
//
// Runs are incremental: Plan works out which findings a change can affect
// (findings of CVEs whose intel changed, of assets imported or re-scoped,
// new findings, findings under a control that expired) and everything is
// re-decided only when the policy or ctem.yaml changed. A run decides with
// prioritize.Policy.Score, without the explanation, and writes a finding
// only when its band, points, SLA or owner changed. Explanations are
// computed when asked for (Explain), from the same inputs.
//
// Stored fields: decided_at is when the finding entered its current band —
// the start of its SLA clock — and sla_due is decided_at plus the SLA days,
// so re-deciding a finding into the same band does not restart its clock;
// policy_version is the policy of the last write. priority_explanation is
// left empty: Explain recomputes the explanation.
package rescore

import (
	"context"
	"runtime"
	"slices"
	"sync"
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

// Selection is what a run rescores: every open finding, or those matching
// any of the lists.
type Selection struct {
	All        bool     `json:"all,omitempty"`
	VulnIDs    []string `json:"vuln_ids,omitempty"`    // findings of these vulnerabilities
	AssetIDs   []int64  `json:"asset_ids,omitempty"`   // findings on these assets
	FindingIDs []int64  `json:"finding_ids,omitempty"` // these findings
	NewerThan  int64    `json:"newer_than,omitempty"`  // when > 0, findings with a greater id
	// Reasons say why, as Plan decided it.
	Reasons []string `json:"reasons,omitempty"`
}

// Empty reports whether the selection selects nothing.
func (s Selection) Empty() bool {
	return !s.All && len(s.VulnIDs) == 0 && len(s.AssetIDs) == 0 && len(s.FindingIDs) == 0 && s.NewerThan <= 0
}

// Options tell Run what to rescore and how.
type Options struct {
	// Selection picks the findings; an empty one means every open finding.
	Selection
	// Now is the decision time (default: the clock).
	Now time.Time
	// Workers is how many goroutines read and decide in a large run
	// (default GOMAXPROCS). One goroutine writes.
	Workers int
}

// Summary says what a run did.
type Summary struct {
	// Findings is how many findings were decided, Changed how many of
	// them were written because their decision changed.
	Findings int                     `json:"findings"`
	Changed  int                     `json:"changed"`
	ByBand   map[prioritize.Band]int `json:"by_band"` // of the decided findings
	Policy   string                  `json:"policy"`
	Errors   int                     `json:"expression_errors"`
	// All says every open finding was decided; Reasons say why the run
	// selected what it did.
	All     bool          `json:"all"`
	Reasons []string      `json:"reasons,omitempty"`
	Elapsed time.Duration `json:"elapsed_ns"`
}

func (s *Summary) add(o Summary) {
	s.Findings += o.Findings
	s.Changed += o.Changed
	s.Errors += o.Errors
	for b, n := range o.ByBand {
		s.ByBand[b] += n
	}
}

// Run decides the priority of the selected findings and stores the
// decisions that changed. A run of every finding also records the state
// Plan starts from.
func Run(ctx context.Context, st store.Store, intel Intel, cfg *scope.Config, pol prioritize.Policy, opt Options) (Summary, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now().UTC()
	}
	sel := opt.Selection
	if sel.Empty() {
		sel.All = true
	}
	_, hi, err := st.FindingIDBounds(ctx)
	if err != nil {
		return Summary{}, err
	}
	sum, err := execute(ctx, st, intel, cfg, pol, sel, opt)
	if err != nil || !sel.All {
		return sum, err
	}
	return sum, saveState(ctx, st, state{Policy: pol.Version(), Config: digest(cfg), Started: opt.Now, MaxID: hi})
}

// Thresholds of execute: a selection estimated above 1/scanShare of the
// table is read by a scan rather than by index look-ups, and one above
// parallelAbove findings is split between the workers.
const scanShare = 5

var parallelAbove = 20000

// scanBatch is how many findings a worker reads and decides at a time.
var scanBatch = 5000

// writeBatch is how many decisions one write transaction takes: on SQLite
// each commit is followed by a checkpoint with its fsync, and 50,000 rows a
// transaction write 1M rows about a third faster than 5,000.
var writeBatch = 50000

// execute runs one selection: workers read and decide, one goroutine
// writes what changed.
func execute(ctx context.Context, st store.Store, intel Intel, cfg *scope.Config, pol prioritize.Policy, sel Selection, opt Options) (Summary, error) {
	start := time.Now()
	sum := Summary{ByBand: map[prioritize.Band]int{}, Policy: pol.Version(), All: sel.All, Reasons: sel.Reasons}
	lo, hi, err := st.FindingIDBounds(ctx)
	if err != nil || hi == 0 {
		return sum, err
	}
	r := newRules(cfg, opt.Now)
	ssel := store.RescoreSelection{All: sel.All, IDs: sel.FindingIDs, AssetIDs: sel.AssetIDs, VulnIDs: sel.VulnIDs,
		NewerThan: sel.NewerThan, Full: r.needFinding(), Batch: scanBatch}
	size := int(hi - lo + 1)
	est := size
	if !sel.All {
		if est, err = st.CountRescore(ctx, ssel); err != nil {
			return sum, err
		}
		// New findings alone are a range of ids: no scan of the rest.
		lists := len(sel.FindingIDs) + len(sel.AssetIDs) + len(sel.VulnIDs)
		ssel.Scan = lists > 0 && est*scanShare > size
	}
	parts := 1
	if (ssel.All || ssel.Scan) && est > parallelAbove {
		parts = opt.Workers
		if parts <= 0 {
			parts = runtime.GOMAXPROCS(0)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	// Workers and the writer share the cores through tokens, one per core:
	// a worker hands its token over between batches, so while the writer
	// (the bottleneck when many decisions change) is in a transaction one
	// fewer worker competes with it; with nothing to write, every core
	// reads and decides.
	cpus := make(chan struct{}, runtime.GOMAXPROCS(0))
	acquire := func() bool {
		select {
		case cpus <- struct{}{}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	release := func() { <-cpus }
	// The queue holds two write batches: workers keep deciding while the
	// writer is in a transaction.
	updates := make(chan []store.PriorityUpdate, parts+2*writeBatch/scanBatch)
	written := make(chan struct{})
	go func() {
		defer close(written)
		var buf []store.PriorityUpdate
		flush := func() {
			if len(buf) > 0 && acquire() {
				if err := st.SetPriorities(ctx, buf); err != nil {
					fail(err)
				}
				release()
			}
			buf = buf[:0]
		}
		for ups := range updates {
			buf = append(buf, ups...)
			if len(buf) >= writeBatch {
				flush()
			}
		}
		flush()
	}()
	var wg sync.WaitGroup
	sums := make([]Summary, parts)
	step := (hi - lo + int64(parts)) / int64(parts)
	for p := range parts {
		psel := ssel
		if parts > 1 {
			psel.MinID, psel.MaxID = lo+int64(p)*step, min(lo+int64(p+1)*step-1, hi)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{st: st, intel: intel, pol: pol, r: r, now: opt.Now,
				assets: map[int64]*assetInputs{}, vulns: map[string]*vulnInputs{}, sum: &sums[p]}
			sums[p].ByBand = map[prioritize.Band]int{}
			if !acquire() {
				return
			}
			held := true
			err := st.ScanRescore(ctx, psel, func(b []model.Finding) error {
				ups, err := w.decide(ctx, b)
				if err != nil {
					return err
				}
				release()
				held = false
				if len(ups) > 0 {
					select {
					case updates <- ups:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				if !acquire() {
					return ctx.Err()
				}
				held = true
				return nil
			})
			if held {
				release()
			}
			if err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	close(updates)
	<-written
	for _, s := range sums {
		sum.add(s)
	}
	sum.Elapsed = time.Since(start)
	return sum, firstErr
}

// worker decides batches of findings, with its own caches (no locks).
type worker struct {
	st     store.Store
	intel  Intel
	pol    prioritize.Policy
	r      rules
	now    time.Time
	assets map[int64]*assetInputs
	vulns  map[string]*vulnInputs
	sum    *Summary
}

// decide re-decides a batch and returns the decisions that changed.
func (w *worker) decide(ctx context.Context, b []model.Finding) ([]store.PriorityUpdate, error) {
	if err := w.load(ctx, b); err != nil {
		return nil, err
	}
	var ups []store.PriorityUpdate
	var ai *assetInputs
	var vi *vulnInputs
	for i := range b {
		f := &b[i]
		// A finding's neighbours are mostly on the same asset.
		if ai == nil || ai.asset.ID != f.AssetID {
			ai = w.assets[f.AssetID]
		}
		if vi == nil || vi.id != f.VulnID {
			vi = w.vulns[f.VulnID]
		}
		in, owner, evalErr, err := w.r.input(f, ai, vi)
		if err != nil {
			return nil, err
		}
		if evalErr != nil {
			w.sum.Errors++
		}
		d := w.pol.Score(in)
		w.sum.Findings++
		w.sum.ByBand[d.Band]++
		if u, changed := w.update(f, ai, &d, owner); changed {
			ups = append(ups, u)
		}
	}
	w.sum.Changed += len(ups)
	return ups, nil
}

// update compares a decision with the stored one and returns what to
// write, if anything. A finding that stays in its band keeps its
// decided_at, so its SLA clock runs on.
func (w *worker) update(f *model.Finding, ai *assetInputs, d *prioritize.Decision, owner string) (store.PriorityUpdate, bool) {
	days := d.SLADays
	if n := ai.slaDays(w.r.cfg, d.Band); n > 0 {
		days = n
	}
	decided := w.now
	sameBand := f.Priority.Band == string(d.Band) && !f.Priority.DecidedAt.IsZero()
	if sameBand {
		decided = f.Priority.DecidedAt
	}
	due := decided.AddDate(0, 0, days)
	if sameBand && f.Priority.Score == d.Points && f.Owner == owner && f.SLADue != nil && f.SLADue.Equal(due) {
		return store.PriorityUpdate{}, false
	}
	return store.PriorityUpdate{FindingID: f.ID, Band: string(d.Band), Score: d.Points, Policy: d.Policy,
		DecidedAt: decided, SLADue: &due, Owner: owner}, true
}

// load fills the caches for a batch: assets with their scopes and
// ctem.yaml context, and intel.
func (w *worker) load(ctx context.Context, b []model.Finding) error {
	var assets []int64
	var vulns []string
	pendingA, pendingV := map[int64]bool{}, map[string]bool{}
	for i := range b {
		f := &b[i]
		if _, ok := w.assets[f.AssetID]; !ok && !pendingA[f.AssetID] {
			pendingA[f.AssetID] = true
			assets = append(assets, f.AssetID)
		}
		if _, ok := w.vulns[f.VulnID]; !ok && !pendingV[f.VulnID] {
			pendingV[f.VulnID] = true
			vulns = append(vulns, f.VulnID)
		}
	}
	if len(assets) > 0 {
		as, err := w.st.ListAssets(ctx, store.AssetFilter{IDs: assets})
		if err != nil {
			return err
		}
		byID := make(map[int64]model.Asset, len(as))
		for _, a := range as {
			byID[a.ID] = a
		}
		members, err := w.st.ScopeMembers(ctx, assets)
		if err != nil {
			return err
		}
		for _, id := range assets {
			a, ok := byID[id]
			if !ok {
				a.ID = id // gone or merged away: decided without context
			}
			ai, err := newAssetInputs(w.r, a, members[id])
			if err != nil {
				return err
			}
			w.assets[id] = ai
		}
	}
	if len(vulns) > 0 {
		var vi map[string]model.VulnIntel
		if w.intel != nil {
			ids := slices.DeleteFunc(slices.Clone(vulns), func(s string) bool { return s == "" })
			if len(ids) > 0 {
				var err error
				if vi, err = w.intel.VulnIntel(ctx, ids); err != nil {
					return err
				}
			}
		}
		for _, id := range vulns {
			w.vulns[id] = newVulnInputs(id, vi[id])
		}
	}
	return nil
}
