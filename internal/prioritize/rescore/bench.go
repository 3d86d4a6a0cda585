package rescore

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ctemhq/ctem/internal/prioritize"
	"github.com/ctemhq/ctem/internal/scope"
	"github.com/ctemhq/ctem/internal/store"
)

// BenchOptions size the rescoring benchmark.
type BenchOptions struct {
	Assets           int     // default 20,000
	FindingsPerAsset int     // default 50
	Vulns            int     // CVE catalogue, default 5,000
	IntelChange      float64 // share of the catalogue whose intel changes, default 0.01
	Seed             uint64
	Workers          int // default GOMAXPROCS
}

// BenchResult is what RunBench measured.
type BenchResult struct {
	Findings int           `json:"findings"`
	Assets   int           `json:"assets"`
	Vulns    int           `json:"vulns"`
	Seeding  time.Duration `json:"seeding_ns"`
	// First decides every finding for the first time: every row is written.
	First Summary `json:"first"`
	// Again decides every finding again with nothing changed: nothing is
	// written.
	Again Summary `json:"again"`
	// Policy decides every finding under a changed policy (another EPSS
	// threshold): the rows whose decision changed are written.
	Policy Summary `json:"policy"`
	// Intel is the incremental run (Plan, then the run) after intel
	// changed for IntelChange of the CVEs: KEV listings and EPSS rises.
	Intel        Summary       `json:"intel"`
	IntelVulns   int           `json:"intel_vulns"` // CVEs changed
	IntelElapsed time.Duration `json:"intel_elapsed_ns"`
	// Nothing is an incremental run with nothing changed.
	Nothing        Summary       `json:"nothing"`
	NothingElapsed time.Duration `json:"nothing_elapsed_ns"`
}

// benchConfig is the ctem.yaml of the benchmark: scopes with SLAs, an
// ownership rule and a control, all decided per asset.
const benchConfig = `version: 1
sla:
  P1: 7
  P2: 30
scopes:
  - name: prod
    assets: asset.tags["env"] == "prod"
    criticality: 4
  - name: pci
    assets: asset.tags["pci"] == "true"
    criticality: 5
    crown_jewel: true
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
  - name: edge-waf
    kind: waf
    applies_to: asset.internet_exposed && "prod" in scopes
    effect: reduces_impact
    evidence: Managed rules in block mode.
    expires: 2099-01-01
`

// RunBench measures rescoring on a generated estate: it seeds st (empty
// and migrated; SQLite or PostgreSQL) with Seed, then times a first full
// run, a full run with nothing changed, a full run under a changed policy,
// an incremental run after intel changed for 1 % of the CVEs, and one with
// nothing changed. Progress goes to log.
func RunBench(ctx context.Context, st store.Store, opt BenchOptions, log io.Writer) (BenchResult, error) {
	if opt.Assets <= 0 {
		opt.Assets = 20000
	}
	if opt.FindingsPerAsset <= 0 {
		opt.FindingsPerAsset = 50
	}
	if opt.IntelChange <= 0 {
		opt.IntelChange = 0.01
	}
	if log == nil {
		log = io.Discard
	}
	var res BenchResult
	start := time.Now()
	seeded, err := Seed(ctx, st, SeedSpec{Assets: opt.Assets, FindingsPerAsset: opt.FindingsPerAsset, Vulns: opt.Vulns, Seed: opt.Seed})
	if err != nil {
		return res, err
	}
	res.Findings, res.Assets, res.Vulns, res.Seeding = seeded.Findings, seeded.Assets, len(seeded.Vulns), time.Since(start)
	fmt.Fprintf(log, "seeded %d open findings on %d assets, %d CVEs, in %s\n", res.Findings, res.Assets, res.Vulns, res.Seeding.Round(time.Millisecond))

	cfg, err := scope.Parse("bench.yaml", []byte(benchConfig), time.Now())
	if err != nil {
		return res, err
	}
	pol := prioritize.DefaultPolicy()
	run := func(name string, p prioritize.Policy) (Summary, error) {
		s, err := Run(ctx, st, st, cfg, p, Options{Workers: opt.Workers})
		if err == nil {
			fmt.Fprintf(log, "%-34s %s\n", name+":", describe(s, s.Elapsed))
		}
		return s, err
	}
	if res.First, err = run("first decision of every finding", pol); err != nil {
		return res, err
	}
	if res.Again, err = run("every finding again, no change", pol); err != nil {
		return res, err
	}
	changed, err := prioritize.NewPolicy(prioritize.PolicyConfig{EPSSThreshold: ptr(0.05)})
	if err != nil {
		return res, err
	}
	if res.Policy, err = run("every finding, policy changed", changed); err != nil {
		return res, err
	}

	// Intel changes for a share of the CVEs, stamped now as a feed load
	// would stamp them.
	r := rand.New(rand.NewPCG(opt.Seed, 99))
	n := max(1, int(float64(len(seeded.Vulns))*opt.IntelChange))
	var ids []string
	for _, i := range r.Perm(len(seeded.Vulns))[:n] {
		ids = append(ids, seeded.Vulns[i])
	}
	if err := touchIntel(ctx, st, ids); err != nil {
		return res, err
	}
	res.IntelVulns = n
	t := time.Now()
	if res.Intel, err = Incremental(ctx, st, st, cfg, changed, Changes{}); err != nil {
		return res, err
	}
	res.IntelElapsed = time.Since(t)
	fmt.Fprintf(log, "%-34s %s\n", fmt.Sprintf("intel changed for %d CVEs:", n), describe(res.Intel, res.IntelElapsed))
	t = time.Now()
	if res.Nothing, err = Incremental(ctx, st, st, cfg, changed, Changes{}); err != nil {
		return res, err
	}
	res.NothingElapsed = time.Since(t)
	fmt.Fprintf(log, "%-34s %s\n", "nothing changed:", describe(res.Nothing, res.NothingElapsed))
	return res, nil
}

func ptr[T any](v T) *T { return &v }

func describe(s Summary, d time.Duration) string {
	rate := ""
	if s.Findings > 0 && d > 0 {
		rate = fmt.Sprintf(" = %.0f findings/s", float64(s.Findings)/d.Seconds())
	}
	return fmt.Sprintf("%d decided, %d written in %s%s", s.Findings, s.Changed, d.Round(time.Millisecond), rate)
}

// touchIntel lists the CVEs in KEV and raises their EPSS, stamped now.
func touchIntel(ctx context.Context, st store.Store, ids []string) error {
	db, ok := st.(rawDB)
	if !ok {
		return fmt.Errorf("bench: store %T has no SQL handle", st)
	}
	now := time.Now().UTC()
	for lo := 0; lo < len(ids); lo += 500 {
		hi := min(lo+500, len(ids))
		args := []any{now}
		ph := make([]string, 0, hi-lo)
		for _, id := range ids[lo:hi] {
			args = append(args, id)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		// $N placeholders: PostgreSQL's, and SQLite binds them by number.
		q := "UPDATE vuln_intel SET kev = TRUE, kev_date_added = $1, epss = epss + 0.2, updated_at = $1 WHERE vuln_id IN (" + strings.Join(ph, ", ") + ")"
		if _, err := db.Writer().ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}
