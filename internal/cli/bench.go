package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/ctemhq/ctem/internal/discover"
	"github.com/ctemhq/ctem/internal/gen"
	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/open"
	"github.com/ctemhq/ctem/internal/store/postgres"
	"github.com/ctemhq/ctem/internal/store/sqlite"
)

func (a *app) benchCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure ctem on generated data"}
	var assets, perAsset int
	var format, output string
	var keep bool
	var cpuProfile, memProfile string
	ingest := &cobra.Command{
		Use:   "ingest",
		Short: "Generate a realistic report, import it into a fresh database, then re-import it unchanged",
		Long: `Generates a report of --assets assets with --findings-per-asset findings each (vulnerabilities
drawn from a shared catalogue, as in real estates), imports it into a fresh database (a
temporary SQLite file, or a fresh schema of the PostgreSQL server named by --db), then
imports it again unchanged, and prints both rates and the peak memory of the process.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "nessus" && format != "trivy" {
				return usagef("--format %q: want nessus or trivy", format)
			}
			if assets < 1 || perAsset < 1 {
				return usagef("--assets and --findings-per-asset must be positive")
			}
			ctx := cmd.Context()
			dir, err := os.MkdirTemp("", "ctem-bench-*")
			if err != nil {
				return err
			}
			if !keep {
				defer os.RemoveAll(dir)
			}
			w := a.env.Stdout
			start := time.Now()
			files, size, err := generate(dir, format, assets, perAsset)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "generated %s: %d assets x %d findings in %d file(s), %.1f MB, in %s\n", format, assets, perAsset, len(files), float64(size)/1e6, time.Since(start).Round(time.Millisecond))
			st, cleanup, err := benchStore(ctx, a.flags.db, dir)
			if err != nil {
				return err
			}
			defer cleanup()
			p := discover.New(st, a.registry, nil)
			total := assets * perAsset
			var rows []benchRow
			for i, round := range []string{"first import", "unchanged re-import"} {
				runtime.GC()
				stop, err := startProfile(cpuProfile, i)
				if err != nil {
					return err
				}
				start := time.Now()
				var counts struct{ findings, new, unchanged int }
				for _, f := range files {
					res, err := p.ImportFile(ctx, f, discover.Options{})
					if err != nil {
						stop() // the profile of a failed run still says where it went
						return err
					}
					for _, r := range res {
						counts.findings += r.Import.Counts.Findings
						counts.new += r.Import.Counts.New
						counts.unchanged += r.Import.Counts.Unchanged
					}
				}
				took := time.Since(start)
				stop()
				if err := writeHeapProfile(memProfile, i); err != nil {
					return err
				}
				row := benchRow{Round: round, Findings: counts.findings, New: counts.new, Unchanged: counts.unchanged,
					Seconds: took.Seconds(), PerSecond: float64(total) / took.Seconds(), PeakRSSMB: peakRSSMB()}
				rows = append(rows, row)
				fmt.Fprintf(w, "%-20s %8d findings (%d new, %d unchanged) in %7.2fs = %9.0f findings/s, peak RSS %d MB\n",
					round, row.Findings, row.New, row.Unchanged, row.Seconds, row.PerSecond, row.PeakRSSMB)
			}
			fmt.Fprintf(w, "database: %s; machine: %d CPUs, %s/%s, %s\n", st.Dialect(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
			if output == "json" {
				return writeJSON(w, rows)
			}
			return nil
		},
	}
	f := ingest.Flags()
	f.IntVar(&assets, "assets", 20000, "assets in the generated report")
	f.IntVar(&perAsset, "findings-per-asset", 50, "findings per asset")
	f.StringVar(&format, "format", "nessus", "generated format: nessus (one file) or trivy (one file per image)")
	f.StringVarP(&output, "output", "o", "table", "output: table, or json for the figures as well")
	f.BoolVar(&keep, "keep", false, "keep the generated files and database")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write CPU profiles of the imports: the first to this file, the re-import to this file with .reimport appended (go tool pprof)")
	f.StringVar(&memProfile, "memprofile", "", "write heap profiles taken at the end of each import: the first to this file, the re-import's with .reimport appended (go tool pprof -sample_index=inuse_space)")
	cmd.AddCommand(ingest)
	return cmd
}

// writeHeapProfile writes the heap profile at the end of round i (nothing
// when path is empty), after a collection so that it shows what is live.
func writeHeapProfile(path string, i int) error {
	if path == "" {
		return nil
	}
	if i > 0 {
		path += ".reimport"
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startProfile starts the CPU profile of round i (none when path is
// empty); one file per round, as the two rounds spend their time in
// different places.
func startProfile(path string, i int) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	if i > 0 {
		path += ".reimport"
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

type benchRow struct {
	Round     string  `json:"round"`
	Findings  int     `json:"findings"`
	New       int     `json:"new"`
	Unchanged int     `json:"unchanged"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"findings_per_second"`
	PeakRSSMB int64   `json:"peak_rss_mb"`
}

func peakRSSMB() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss / 1024 // kilobytes on Linux
}

func generate(dir, format string, assets, perAsset int) ([]string, int64, error) {
	cat := gen.NewCatalogue(1, 5000)
	var files []string
	var size int64
	write := func(name string, fn func(f *os.File) error) error {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return err
		}
		if st, err := f.Stat(); err == nil {
			size += st.Size()
		}
		files = append(files, path)
		return f.Close()
	}
	switch format {
	case "nessus":
		err := write("scan.nessus", func(f *os.File) error {
			return gen.WriteNessus(f, gen.NessusSpec{Hosts: gen.Hosts(1, assets, "corp.example.com"), Findings: func(int) []gen.Vuln { return cat.Draw(perAsset) }})
		})
		return files, size, err
	default:
		for i, img := range gen.Images(assets, "registry.example.com") {
			err := write(fmt.Sprintf("trivy-%05d.json", i), func(f *os.File) error { return gen.WriteTrivy(f, img, cat.Draw(perAsset)) })
			if err != nil {
				return nil, 0, err
			}
		}
		return files, size, nil
	}
}

// benchStore opens a fresh database: a SQLite file in dir, or a new schema
// on the PostgreSQL server db names, dropped afterwards.
func benchStore(ctx context.Context, db, dir string) (store.Store, func(), error) {
	if !open.IsPostgres(db) {
		st, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"))
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	}
	b := make([]byte, 4)
	rand.Read(b)
	schema := "ctem_bench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close(ctx)
		return nil, nil, err
	}
	drop := func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	}
	st, err := postgres.Open(ctx, postgres.WithSchema(db, schema))
	if err != nil {
		drop()
		return nil, nil, err
	}
	return st, func() { st.Close(); drop() }, nil
}
