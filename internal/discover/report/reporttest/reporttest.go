// Package reporttest helps parser tests: it finds the shared corpus, reads
// its manifest, and records what a parser emits.
package reporttest

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/report"
)

// CorpusDir returns the corpus folder (CTEM_CORPUS, default ../shared/corpus
// seen from the repository root). It skips the test when the corpus is
// absent, and fails it instead when CI=true.
func CorpusDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join(repoRoot(), "..", "shared", "corpus")
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(repoRoot(), dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.tsv")); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("corpus not found at %s (set CTEM_CORPUS): %v", dir, err)
		}
		tb.Skipf("corpus not found at %s (set CTEM_CORPUS)", dir)
	}
	return dir
}

// FeedsDir returns the shared feeds folder (CTEM_FEEDS, default
// ../shared/feeds), skipping or failing like CorpusDir.
func FeedsDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("CTEM_FEEDS")
	if dir == "" {
		dir = filepath.Join(repoRoot(), "..", "shared", "feeds")
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("feeds not found at %s (set CTEM_FEEDS): %v", dir, err)
		}
		tb.Skipf("feeds not found at %s (set CTEM_FEEDS)", dir)
	}
	return dir
}

// repoRoot is the module root, found from this source file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", "..", ".."))
}

// Row is one manifest row.
type Row struct {
	Format   string
	File     string
	Expected int // -1 when the manifest asserts no count
	Details  string
	Test     string
}

// Manifest reads the corpus manifest.
func Manifest(tb testing.TB) []Row {
	tb.Helper()
	dir := CorpusDir(tb)
	f, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		for len(cols) < 5 {
			cols = append(cols, "")
		}
		n := -1
		if cols[2] != "" {
			if v, err := strconv.Atoi(cols[2]); err == nil {
				n = v
			}
		}
		rows = append(rows, Row{Format: cols[0], File: cols[1], Expected: n, Details: cols[3], Test: cols[4]})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

// Recorder is a Sink that keeps everything it is given.
type Recorder struct {
	Assets       []report.AssetRef
	Observations []report.Observation
}

// Asset records a.
func (r *Recorder) Asset(a report.AssetRef) error { r.Assets = append(r.Assets, a); return nil }

// Observe records o.
func (r *Recorder) Observe(o report.Observation) error {
	r.Observations = append(r.Observations, o)
	return nil
}

// Counter is a Sink that counts and keeps nothing, for benchmarks that
// measure a parser alone.
type Counter struct{ Assets, Observations int }

// Asset counts an asset.
func (c *Counter) Asset(report.AssetRef) error { c.Assets++; return nil }

// Observe counts an observation.
func (c *Counter) Observe(report.Observation) error { c.Observations++; return nil }

// ReportRate adds findings/s and ns/finding to a benchmark's results, for a
// benchmark whose every iteration parses perOp findings.
func ReportRate(b *testing.B, perOp int) {
	n := float64(perOp) * float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "findings/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/finding")
}

// BenchParse is a parse-only benchmark: every iteration parses every doc
// with f into a Counter. It reports bytes/s, allocations and findings/s,
// and returns the last iteration's counts for the caller to check.
func BenchParse(b *testing.B, f report.Format, docs [][]byte) Counter {
	b.Helper()
	size := 0
	for _, d := range docs {
		size += len(d)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var sink Counter
	for b.Loop() {
		sink = Counter{}
		for _, doc := range docs {
			if err := f.Parse(context.Background(), bytes.NewReader(doc), &sink); err != nil {
				b.Fatal(err)
			}
		}
	}
	ReportRate(b, sink.Observations)
	return sink
}

// ParseFile parses a file with f and returns what it emitted and the error.
func ParseFile(tb testing.TB, f report.Format, path string) (*Recorder, error) {
	tb.Helper()
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	rec := &Recorder{}
	err = f.Parse(context.Background(), fh, rec)
	return rec, err
}

// ParseCorpus parses a corpus file (path relative to the corpus folder) and
// fails the test on a parse error.
func ParseCorpus(tb testing.TB, f report.Format, rel string) *Recorder {
	tb.Helper()
	rec, err := ParseFile(tb, f, filepath.Join(CorpusDir(tb), rel))
	if err != nil {
		tb.Fatalf("%s: %v", rel, err)
	}
	return rec
}

// Head returns the first report.DetectBytes of a file, for Detect tests.
func Head(tb testing.TB, path string) []byte {
	tb.Helper()
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	buf := make([]byte, report.DetectBytes)
	n, _ := fh.Read(buf)
	for n < len(buf) {
		m, err := fh.Read(buf[n:])
		n += m
		if err != nil || m == 0 {
			break
		}
	}
	return buf[:n]
}
