package rescore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/prioritize/rescore"
	"github.com/ctemhq/ctem/internal/store/postgres/pgtest"
	"github.com/ctemhq/ctem/internal/store/sqlite"
)

// BenchmarkRescore1M is the benchmark: 1,000,000 open findings on
// 20,000 assets in SQLite. Run it once:
//
//	go test -run '^$' -bench BenchmarkRescore1M -benchtime 1x ./internal/prioritize/rescore/
//
// The metrics are seconds per scenario (see RunBench).
func BenchmarkRescore1M(b *testing.B) {
	benchRescore(b, 20000, 50)
}

// BenchmarkRescore100k is the same at a tenth of the size.
func BenchmarkRescore100k(b *testing.B) {
	benchRescore(b, 2000, 50)
}

func benchRescore(b *testing.B, assets, perAsset int) {
	for b.Loop() {
		st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		res, err := rescore.RunBench(context.Background(), st, rescore.BenchOptions{Assets: assets, FindingsPerAsset: perAsset, Seed: 1}, os.Stderr)
		st.Close()
		if err != nil {
			b.Fatal(err)
		}
		report(b, res)
	}
}

// BenchmarkRescore1MPostgres is BenchmarkRescore1M on the PostgreSQL server
// CTEM_TEST_POSTGRES names (skipped without it).
func BenchmarkRescore1MPostgres(b *testing.B) {
	benchRescorePostgres(b, 20000, 50)
}

// BenchmarkRescore100kPostgres is the same at a tenth of the size.
func BenchmarkRescore100kPostgres(b *testing.B) {
	benchRescorePostgres(b, 2000, 50)
}

func benchRescorePostgres(b *testing.B, assets, perAsset int) {
	for b.Loop() {
		st := pgtest.Open(b)
		res, err := rescore.RunBench(context.Background(), st, rescore.BenchOptions{Assets: assets, FindingsPerAsset: perAsset, Seed: 1}, os.Stderr)
		if err != nil {
			b.Fatal(err)
		}
		report(b, res)
	}
}

func report(b *testing.B, res rescore.BenchResult) {
	b.ReportMetric(res.First.Elapsed.Seconds(), "s/first")
	b.ReportMetric(res.Again.Elapsed.Seconds(), "s/again")
	b.ReportMetric(res.Policy.Elapsed.Seconds(), "s/policy")
	b.ReportMetric(res.IntelElapsed.Seconds(), "s/intel")
	b.ReportMetric(res.NothingElapsed.Seconds(), "s/nothing")
}
