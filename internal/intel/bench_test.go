package intel

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/postgres/pgtest"
	"github.com/ctemhq/ctem/internal/store/sqlite"
)

// openSQLite returns a fresh SQLite store.
func openSQLite(tb testing.TB) store.IntelStore {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "ctem.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// backends are the stores tests run against: SQLite always, PostgreSQL
// when CTEM_TEST_POSTGRES is set.
var backends = []struct {
	name string
	open func(tb testing.TB) store.IntelStore
}{
	{"sqlite", openSQLite},
	{"postgres", func(tb testing.TB) store.IntelStore { return pgtest.Open(tb) }},
}

// BenchmarkLoadEPSS parses and loads the 313,089 scores of 2026-01-30:
// into an empty store (first), into a store holding 2025-08-28 (next: the
// daily case, history plus current view), and into a store holding
// 2026-01-30 already, as 2025-08-28's 291,419 scores (older: history only).
//
//	go test ./internal/intel -run '^$' -bench LoadEPSS -benchtime 3x
func BenchmarkLoadEPSS(b *testing.B) {
	newer := feedFile(b, "epss/epss_scores-2026-01-30.csv.gz")
	older := feedFile(b, "epss/epss_scores-2025-08-28.csv.gz")
	for _, be := range backends {
		for _, tc := range []struct {
			name        string
			before, run string
			rows        int
		}{
			{"first", "", newer, 313089},
			{"next", older, newer, 313089},
			{"older", newer, older, 291419},
		} {
			b.Run(be.name+"/"+tc.name, func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					st := be.open(b)
					if tc.before != "" {
						loadEPSSFile(b, st, tc.before)
					}
					b.StartTimer()
					if n := loadEPSSFile(b, st, tc.run); n != tc.rows {
						b.Fatalf("%d rows", n)
					}
				}
				b.ReportMetric(float64(tc.rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

func loadEPSSFile(tb testing.TB, st store.IntelStore, path string) int {
	tb.Helper()
	f := open(tb, path)
	er, err := NewEPSSReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	n, err := st.LoadEPSS(context.Background(), er.Day(), er.Scores())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkParseEPSS reads the 313,089 scores of 2026-01-30 (gunzip and
// parse, no store).
func BenchmarkParseEPSS(b *testing.B) {
	path := feedFile(b, "epss/epss_scores-2026-01-30.csv.gz")
	for b.Loop() {
		er, err := NewEPSSReader(open(b, path))
		if err != nil {
			b.Fatal(err)
		}
		for _, err := range er.Scores() {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkChangedVulns asks which of the 313,089 vulnerabilities of a
// loaded EPSS day changed since a time after the load (none: a scan of
// vuln_intel, which has no index on updated_at).
func BenchmarkChangedVulns(b *testing.B) {
	path := feedFile(b, "epss/epss_scores-2026-01-30.csv.gz")
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			loadEPSSFile(b, st, path)
			since := time.Now()
			for b.Loop() {
				ids, err := st.ChangedVulns(context.Background(), since, false)
				if err != nil || len(ids) != 0 {
					b.Fatal(len(ids), err)
				}
			}
		})
	}
}
