package rescore_test

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/prioritize"
	"github.com/ctemhq/ctem/internal/prioritize/rescore"
	"github.com/ctemhq/ctem/internal/scope"
	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/postgres/pgtest"
	"github.com/ctemhq/ctem/internal/store/sqlite"
)

var ctx = context.Background()

// backends runs fn on a fresh SQLite store and, when CTEM_TEST_POSTGRES
// is set, a fresh PostgreSQL schema.
func backends(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ctem.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, pgtest.Open(t))
	})
}

const testConfig = `version: 1
sla:
  P1: 7
  P2: 30
scopes:
  - name: prod
    assets: asset.tags["env"] == "prod"
  - name: pci
    assets: asset.tags["pci"] == "true"
    sla: {P1: 3, P2: 14}
teams:
  - name: platform
    contact: platform@example.com
  - name: payments
    contact: payments@example.com
owners:
  - name: pci
    when: '"pci" in scopes'
    team: payments
  - name: prod
    when: '"prod" in scopes'
    team: platform
controls:
  - name: pci-feature-off
    kind: feature_disabled
    applies_to: '"pci" in scopes'
    effect: removes_precondition
    evidence: Disabled fleet-wide.
    expires: 2026-09-05T00:00:00Z
`

func config(t *testing.T, yaml string) *scope.Config {
	t.Helper()
	cfg, err := scope.Parse("ctem.yaml", []byte(yaml), time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// estate seeds a small estate: 30 hosts with 8 findings each.
func estate(t *testing.T, st store.Store) rescore.SeedResult {
	t.Helper()
	res, err := rescore.Seed(ctx, st, rescore.SeedSpec{Assets: 30, FindingsPerAsset: 8, Vulns: 40, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// stored is a finding's stored decision.
type stored struct {
	Band, Policy, Owner string
	Score               int
	DecidedAt           time.Time
	Due                 time.Time
	AssetID             int64
	VulnID              string
}

func snapshot(t *testing.T, st store.Store) map[int64]stored {
	t.Helper()
	out := map[int64]stored{}
	f := store.FindingFilter{Page: store.Page{Limit: 500}}
	for {
		page, err := st.ListFindings(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range page {
			s := stored{Band: fd.Priority.Band, Policy: fd.Priority.Policy, Owner: fd.Owner, Score: fd.Priority.Score,
				DecidedAt: fd.Priority.DecidedAt, AssetID: fd.AssetID, VulnID: fd.VulnID}
			if fd.SLADue != nil {
				s.Due = *fd.SLADue
			}
			out[fd.ID] = s
			f.After = fd.ID
		}
		if len(page) < f.Limit {
			return out
		}
	}
}

// changed lists the findings whose stored decision differs.
func changed(before, after map[int64]stored) []int64 {
	var out []int64
	for id, a := range after {
		if before[id] != a {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func count(snap map[int64]stored, keep func(stored) bool) int {
	n := 0
	for _, s := range snap {
		if keep(s) {
			n++
		}
	}
	return n
}

func run(t *testing.T, st store.Store, cfg *scope.Config, pol prioritize.Policy, opt rescore.Options) rescore.Summary {
	t.Helper()
	sum, err := rescore.Run(ctx, st, st, cfg, pol, opt)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func incremental(t *testing.T, st store.Store, cfg *scope.Config, pol prioritize.Policy, ch rescore.Changes) rescore.Summary {
	t.Helper()
	sum, err := rescore.Incremental(ctx, st, st, cfg, pol, ch)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestFullRunThenNothing(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		res := estate(t, st)
		cfg, pol := config(t, testConfig), prioritize.DefaultPolicy()
		defer rescore.SetParallelAbove(0)()
		sum := run(t, st, cfg, pol, rescore.Options{Workers: 3})
		if sum.Findings != res.Findings || sum.Changed != res.Findings || !sum.All {
			t.Fatalf("first run = %+v, want %d findings decided and written", sum, res.Findings)
		}
		snap := snapshot(t, st)
		for id, s := range snap {
			if s.Band == "" || s.Policy != pol.Version() || s.DecidedAt.IsZero() || s.Due.IsZero() {
				t.Fatalf("finding %d: %+v", id, s)
			}
		}
		// Everything again: the same decisions, nothing written.
		if sum := run(t, st, cfg, pol, rescore.Options{}); sum.Findings != res.Findings || sum.Changed != 0 {
			t.Errorf("second run = %+v, want nothing written", sum)
		}
		// Nothing changed since: nothing to plan, nothing read.
		sel, err := rescore.Plan(ctx, st, cfg, pol, rescore.Changes{})
		if err != nil || !sel.Empty() {
			t.Errorf("Plan = %+v, %v; want empty", sel, err)
		}
		if sum := incremental(t, st, cfg, pol, rescore.Changes{}); sum.Findings != 0 {
			t.Errorf("incremental with no change = %+v", sum)
		}
		if d := changed(snap, snapshot(t, st)); len(d) > 0 {
			t.Errorf("findings rewritten without a change: %v", d)
		}
	})
}

// TestMatchesExplain checks that the fast path (Score on cached inputs,
// narrow reads) decides exactly what Explain (Decide on the whole finding)
// does, for every finding, with ctem.yaml's SLA and owner.
func TestMatchesExplain(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		estate(t, st)
		cfg, pol := config(t, testConfig), prioritize.DefaultPolicy()
		now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
		run(t, st, cfg, pol, rescore.Options{Now: now})
		snap := snapshot(t, st)
		bands := map[string]int{}
		for id, s := range snap {
			d, err := rescore.ExplainAt(ctx, st, st, cfg, pol, id, now)
			if err != nil {
				t.Fatal(err)
			}
			if string(d.Band) != s.Band || d.Points != s.Score || !s.DecidedAt.AddDate(0, 0, d.SLADays).Equal(s.Due) {
				t.Errorf("finding %d: stored %+v, explained %s %d points %d days", id, s, d.Band, d.Points, d.SLADays)
			}
			if len(d.Inputs) == 0 || len(d.RulesFired) == 0 {
				t.Errorf("finding %d: explanation without inputs or rules: %+v", id, d)
			}
			bands[s.Band]++
		}
		// The estate exercises several bands, the control (P4) and both owners.
		if len(bands) < 3 || bands["P4"] == 0 {
			t.Errorf("bands = %v", bands)
		}
		owners := map[string]bool{}
		for _, s := range snap {
			owners[s.Owner] = true
		}
		if !owners["payments"] || !owners["platform"] {
			t.Errorf("owners = %v", slices.Collect(maps.Keys(owners)))
		}
	})
}

func TestIntelChangeRescoresThatCVE(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		res := estate(t, st)
		cfg, pol := config(t, testConfig), prioritize.DefaultPolicy()
		run(t, st, cfg, pol, rescore.Options{})
		before := snapshot(t, st)
		// A CVE that is not in KEV yet and has open findings.
		vi, err := st.VulnIntel(ctx, res.Vulns)
		if err != nil {
			t.Fatal(err)
		}
		var cve string
		best := 0
		for _, id := range res.Vulns {
			if n := count(before, func(s stored) bool { return s.VulnID == id }); !vi[id].KEV && n > best {
				cve, best = id, n
			}
		}
		if best < 2 {
			t.Fatalf("no CVE with findings outside KEV")
		}
		now := time.Now().UTC()
		_, _, err = st.LoadKEV(ctx, store.KEVCatalog{Version: "2026.11.27", Released: now, Count: 1,
			Entries: []store.KEVEntry{{VulnID: cve, DateAdded: now.Truncate(24 * time.Hour)}}})
		if err != nil {
			t.Fatal(err)
		}
		sel, err := rescore.Plan(ctx, st, cfg, pol, rescore.Changes{})
		if err != nil || sel.All || !slices.Equal(sel.VulnIDs, []string{cve}) || len(sel.AssetIDs)+len(sel.FindingIDs) > 0 || sel.NewerThan != 0 {
			t.Fatalf("Plan = %+v, %v; want just %s", sel, err, cve)
		}
		sum := incremental(t, st, cfg, pol, rescore.Changes{})
		if sum.Findings != best || sum.All {
			t.Errorf("incremental = %+v, want the %d findings of %s", sum, best, cve)
		}
		after := snapshot(t, st)
		for _, id := range changed(before, after) {
			if after[id].VulnID != cve {
				t.Errorf("finding %d of %s changed", id, after[id].VulnID)
			}
		}
		if sum.Changed == 0 || len(changed(before, after)) != sum.Changed {
			t.Errorf("%d written, %d changed", sum.Changed, len(changed(before, after)))
		}
		// The KEV listing made some of them more urgent, now.
		for _, id := range changed(before, after) {
			a, b := after[id], before[id]
			if prioritize.Band(a.Band).Urgency() < prioritize.Band(b.Band).Urgency() {
				t.Errorf("finding %d went from %s to %s on a KEV listing", id, b.Band, a.Band)
			}
			if a.Band != b.Band && !a.DecidedAt.After(b.DecidedAt) {
				t.Errorf("finding %d changed band but kept decided_at", id)
			}
			if a.Band == b.Band && !a.DecidedAt.Equal(b.DecidedAt) {
				t.Errorf("finding %d kept its band but its SLA clock restarted", id)
			}
		}
		// Once covered, the change is not rescored again.
		if sum := incremental(t, st, cfg, pol, rescore.Changes{}); sum.Changed != 0 {
			t.Errorf("second incremental = %+v", sum)
		}
	})
}

func TestAssetChangeRescoresThatAsset(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		estate(t, st)
		cfg, pol := config(t, testConfig), prioritize.DefaultPolicy()
		run(t, st, cfg, pol, rescore.Options{})
		before := snapshot(t, st)
		// Asset 2 (not pci, no control) becomes an internet-facing crown jewel.
		const asset = 2
		err := st.UpdateAssetContext(ctx, []store.AssetContext{{AssetID: asset, Criticality: 5, InternetExposed: true, CrownJewel: true,
			Tags: map[string]string{"env": "prod"}}})
		if err != nil {
			t.Fatal(err)
		}
		sum := incremental(t, st, cfg, pol, rescore.Changes{AssetIDs: []int64{asset}})
		want := count(before, func(s stored) bool { return s.AssetID == asset })
		if sum.Findings != want || sum.Changed == 0 {
			t.Errorf("incremental = %+v, want the %d findings of asset %d, some changed", sum, want, asset)
		}
		after := snapshot(t, st)
		for _, id := range changed(before, after) {
			if after[id].AssetID != asset {
				t.Errorf("finding %d on asset %d changed", id, after[id].AssetID)
			}
		}
	})
}

func TestPolicyOrConfigChangeRescoresAll(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		res := estate(t, st)
		cfg, pol := config(t, testConfig), prioritize.DefaultPolicy()
		run(t, st, cfg, pol, rescore.Options{})
		before := snapshot(t, st)

		strict, err := prioritize.NewPolicy(prioritize.PolicyConfig{EPSSThreshold: ptr(0.01), EPSSPossibleThreshold: ptr(0.001)})
		if err != nil {
			t.Fatal(err)
		}
		sel, err := rescore.Plan(ctx, st, cfg, strict, rescore.Changes{})
		if err != nil || !sel.All || !strings.Contains(strings.Join(sel.Reasons, ";"), "policy changed") {
			t.Fatalf("Plan after a policy change = %+v, %v", sel, err)
		}
		sum := incremental(t, st, cfg, strict, rescore.Changes{})
		after := snapshot(t, st)
		diff := changed(before, after)
		if sum.Findings != res.Findings || !sum.All || sum.Changed != len(diff) || sum.Changed == 0 || sum.Changed == res.Findings {
			t.Errorf("incremental after a policy change = %+v; %d rows changed of %d", sum, len(diff), res.Findings)
		}
		// Rows written name the new policy; the others keep theirs.
		for id, s := range after {
			if slices.Contains(diff, id) != (s.Policy == strict.Version()) {
				t.Errorf("finding %d: policy %s, changed %v", id, s.Policy, slices.Contains(diff, id))
			}
		}

		// The same policy, another ctem.yaml (no pci SLA).
		other := config(t, strings.Replace(testConfig, "  P2: 30\n", "  P2: 45\n", 1))
		sel, err = rescore.Plan(ctx, st, other, strict, rescore.Changes{})
		if err != nil || !sel.All || sel.Reasons[0] != "ctem.yaml changed" {
			t.Fatalf("Plan after a ctem.yaml change = %+v, %v", sel, err)
		}
		before = after
		sum = incremental(t, st, other, strict, rescore.Changes{})
		after = snapshot(t, st)
		for _, id := range changed(before, after) {
			a, b := after[id], before[id]
			if a.Band != b.Band || a.Score != b.Score || !a.DecidedAt.Equal(b.DecidedAt) || a.Due.Equal(b.Due) {
				t.Errorf("finding %d: only its due date should move: %+v -> %+v", id, b, a)
			}
		}
		if sum.Changed == 0 {
			t.Error("no due date moved")
		}
	})
}

func TestNewFindingsAndImports(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		res := estate(t, st)
		cfg, pol := config(t, testConfig), prioritize.DefaultPolicy()
		run(t, st, cfg, pol, rescore.Options{})
		now := time.Now().UTC()
		// An import on asset 3: one new finding, one existing finding
		// whose severity changed.
		var importID, existing, fresh int64
		err := st.Ingest(ctx, func(tx store.IngestTx) error {
			imp := model.Import{Source: "nessus", StartedAt: now}
			if err := tx.BeginImport(ctx, &imp); err != nil {
				return err
			}
			importID = imp.ID
			page, err := st.ListFindings(ctx, store.FindingFilter{AssetID: 3, Page: store.Page{Limit: 1}})
			if err != nil || len(page) != 1 {
				return fmt.Errorf("asset 3's findings: %v %v", page, err)
			}
			old := page[0]
			existing = old.ID
			old.Severity = model.SevCritical
			nf := model.Finding{AssetID: 3, Fingerprint: "new-finding", Kind: model.KindVulnerability, Title: "new", Severity: model.SevHigh, VulnID: res.Vulns[0]}
			ids, err := tx.UpsertFindings(ctx, []store.FindingWrite{{Finding: old, Key: "k", Source: "nessus"}, {Finding: nf, Key: "new", Source: "nessus"}}, now)
			if err != nil {
				return err
			}
			fresh = ids["new-finding"]
			if err := tx.SetCoverage(ctx, "nessus", []int64{3}, imp.ID, now); err != nil {
				return err
			}
			imp.FinishedAt = now
			return tx.FinishImport(ctx, imp)
		})
		if err != nil {
			t.Fatal(err)
		}
		// Without the import: just the new finding.
		sel, err := rescore.Plan(ctx, st, cfg, pol, rescore.Changes{})
		if err != nil || sel.NewerThan != int64(res.Findings) || len(sel.AssetIDs) > 0 || len(sel.VulnIDs) > 0 {
			t.Fatalf("Plan = %+v, %v", sel, err)
		}
		// With it: the asset's findings too.
		sel, err = rescore.Plan(ctx, st, cfg, pol, rescore.Changes{ImportIDs: []int64{importID}})
		if err != nil || !slices.Equal(sel.AssetIDs, []int64{3}) {
			t.Fatalf("Plan with the import = %+v, %v", sel, err)
		}
		before := snapshot(t, st)
		sum := incremental(t, st, cfg, pol, rescore.Changes{ImportIDs: []int64{importID}})
		want := count(before, func(s stored) bool { return s.AssetID == 3 })
		if sum.Findings != want {
			t.Errorf("incremental = %+v, want asset 3's %d findings", sum, want)
		}
		after := snapshot(t, st)
		diff := changed(before, after)
		for _, id := range diff {
			if after[id].AssetID != 3 {
				t.Errorf("finding %d on asset %d changed", id, after[id].AssetID)
			}
		}
		if !slices.Contains(diff, fresh) || after[fresh].Band == "" {
			t.Errorf("the new finding %d was not decided: %+v", fresh, after[fresh])
		}
		// A finding named by id.
		if sum := incremental(t, st, cfg, pol, rescore.Changes{FindingIDs: []int64{existing}}); sum.Findings != 1 {
			t.Errorf("incremental of one finding = %+v", sum)
		}
	})
}

func TestExpiredControl(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		estate(t, st)
		cfg, pol := config(t, testConfig), prioritize.DefaultPolicy()
		before := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC) // the control is in force
		after := time.Date(2026, 9, 10, 0, 0, 0, 0, time.UTC) // it expired on the 5th
		run(t, st, cfg, pol, rescore.Options{Now: before})
		snap := snapshot(t, st)
		mitigated := count(snap, func(s stored) bool { return s.Band == "P4" })
		if mitigated == 0 {
			t.Fatal("no finding mitigated by the control")
		}
		sel, err := rescore.Plan(ctx, st, cfg, pol, rescore.Changes{Now: after})
		if err != nil || sel.All || len(sel.AssetIDs) == 0 {
			t.Fatalf("Plan after the expiry = %+v, %v", sel, err)
		}
		sum := incremental(t, st, cfg, pol, rescore.Changes{Now: after})
		if sum.Changed < mitigated {
			t.Errorf("incremental = %+v, want the %d mitigated findings rewritten", sum, mitigated)
		}
		for id, s := range snapshot(t, st) {
			if s.Band == "P4" {
				t.Errorf("finding %d still mitigated after the control expired", id)
			}
			if snap[id].Band != "P4" && s != snap[id] {
				t.Errorf("finding %d, not under the control, changed", id)
			}
		}
	})
}

// TestFindingRules: ctem.yaml rules that read the finding are evaluated
// per finding, on whole findings.
func TestFindingRules(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		estate(t, st)
		yaml := strings.Replace(testConfig, `owners:
  - name: pci`, `owners:
  - name: critical
    when: finding.severity == "critical"
    team: payments
  - name: pci`, 1)
		cfg, pol := config(t, yaml), prioritize.DefaultPolicy()
		run(t, st, cfg, pol, rescore.Options{})
		page, err := st.ListFindings(ctx, store.FindingFilter{Page: store.Page{Limit: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page {
			if f.Severity == model.SevCritical && f.Owner != "payments" {
				t.Errorf("critical finding %d owned by %q", f.ID, f.Owner)
			}
		}
	})
}

func TestRunBenchSmall(t *testing.T) {
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bench.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var log strings.Builder
	res, err := rescore.RunBench(ctx, st, rescore.BenchOptions{Assets: 200, FindingsPerAsset: 50, Vulns: 500, Seed: 3}, &log)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + log.String())
	if res.Findings != 10000 || res.First.Findings != 10000 || res.First.Changed != 10000 || res.Again.Changed != 0 {
		t.Errorf("full runs: %+v", res)
	}
	if res.Policy.Changed == 0 || res.Policy.Changed == res.Findings {
		t.Errorf("policy change wrote %d of %d", res.Policy.Changed, res.Findings)
	}
	if res.Intel.Findings == 0 || res.Intel.Findings >= res.Findings/2 || res.Intel.Changed == 0 {
		t.Errorf("intel change: %+v", res.Intel)
	}
	if res.Nothing.Changed != 0 {
		t.Errorf("nothing changed, yet %d written", res.Nothing.Changed)
	}
}

func ptr[T any](v T) *T { return &v }
