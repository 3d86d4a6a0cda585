package discover_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctemhq/ctem/internal/discover"
	"github.com/ctemhq/ctem/internal/discover/formats"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/postgres/pgtest"
	"github.com/ctemhq/ctem/internal/store/sqlite"
)

// backends runs fn against a fresh SQLite store and, when CTEM_TEST_POSTGRES
// is set (always in CI), a fresh PostgreSQL store.
func backends(t *testing.T, fn func(t *testing.T, p *discover.Pipeline)) {
	t.Helper()
	reg, err := formats.Registry()
	if err != nil {
		t.Fatal(err)
	}
	mk := func(st store.Store) *discover.Pipeline {
		p := discover.New(st, reg, nil)
		clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		p.Now = func() time.Time { clock = clock.Add(time.Minute); return clock }
		return p
	}
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ctem.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, mk(st))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, mk(pgtest.Open(t)))
	})
}

func importFile(t *testing.T, p *discover.Pipeline, path string, opt discover.Options) model.ImportCounts {
	t.Helper()
	res, err := p.ImportFile(context.Background(), path, opt)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	if len(res) != 1 {
		t.Fatalf("import %s: %d results", path, len(res))
	}
	return res[0].Import.Counts
}

func openFindings(t *testing.T, st store.Store) []model.Finding {
	t.Helper()
	fs, err := st.ListFindings(context.Background(), store.FindingFilter{AllStatus: true})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestTrivyAndGrypeSameImageOneFinding(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		c1 := importFile(t, p, "testdata/trivy-alpine.json", discover.Options{})
		c2 := importFile(t, p, "testdata/grype-alpine.json", discover.Options{})
		if c1.New != 2 || c2.New != 1 || c2.Correlated != 1 {
			t.Errorf("trivy %+v\ngrype %+v\nwant trivy 2 new; grype 1 new (log4j) and 1 correlated (CVE-2020-1967)", c1, c2)
		}
		assets, _ := p.Store.ListAssets(context.Background(), store.AssetFilter{})
		if len(assets) != 1 || assets[0].Kind != model.AssetImage {
			t.Fatalf("assets = %+v, want the one image", assets)
		}
		fs, _ := p.Store.ListFindings(context.Background(), store.FindingFilter{VulnID: "CVE-2020-1967"})
		if len(fs) != 1 {
			t.Fatalf("CVE-2020-1967 findings = %d, want 1", len(fs))
		}
		if d := cmp.Diff([]string{"anchore_grype", "trivy"}, fs[0].Sources); d != "" {
			t.Errorf("sources (-want +got):\n%s", d)
		}
		dets, _ := p.Store.FindingDetections(context.Background(), fs[0].ID)
		if len(dets) != 2 {
			t.Errorf("detections = %d, want 2", len(dets))
		}
		// Grype's GHSA id canonicalizes to the CVE, keeping the GHSA as alias.
		l4j, _ := p.Store.ListFindings(context.Background(), store.FindingFilter{VulnID: "CVE-2021-44228"})
		if len(l4j) != 1 || !strings.Contains(strings.Join(l4j[0].Aliases, ","), "GHSA-jfh8-c2jp-5v3q") {
			t.Errorf("log4j finding = %+v", l4j)
		}
	})
}

func TestNessusAndPackageScannerSameHostOneFinding(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		importFile(t, p, "testdata/nessus-web01.nessus", discover.Options{})
		c := importFile(t, p, "testdata/packages-web01.json", discover.Options{})
		if c.New != 0 || c.Correlated != 1 {
			t.Errorf("package import %+v, want the CVE matched to Nessus's finding", c)
		}
		fs := openFindings(t, p.Store)
		if len(fs) != 1 || len(fs[0].Sources) != 2 {
			t.Fatalf("findings = %+v, want one with two sources", fs)
		}
		assets, _ := p.Store.ListAssets(context.Background(), store.AssetFilter{})
		if len(assets) != 1 {
			t.Errorf("assets = %d, want 1 host", len(assets))
		}
	})
}

func TestSASTLineMoveSameFinding(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		importFile(t, p, "testdata/sarif-v1.sarif", discover.Options{})
		c := importFile(t, p, "testdata/sarif-v2-line-moved.sarif", discover.Options{})
		if c.New != 0 || c.Fixed != 0 || c.Updated != 1 {
			t.Errorf("counts %+v, want the moved result updated in place", c)
		}
		fs := openFindings(t, p.Store)
		if len(fs) != 1 || fs[0].Location.Line != 57 || fs[0].Status != model.StatusOpen {
			t.Fatalf("findings = %+v, want one open finding now at line 57", fs)
		}
	})
}

func TestIPReuseDoesNotMerge(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		importFile(t, p, "testdata/hosts-dhcp-1.json", discover.Options{})
		c := importFile(t, p, "testdata/hosts-dhcp-2.json", discover.Options{})
		if c.AssetsCreated != 1 || c.AssetsMerged != 0 {
			t.Errorf("counts %+v, want a second host", c)
		}
		assets, _ := p.Store.ListAssets(context.Background(), store.AssetFilter{})
		if len(assets) != 2 {
			t.Fatalf("assets = %+v, want laptop-alice and laptop-bob apart", assets)
		}
		// Alice's finding is untouched: the second import did not cover her.
		fs := openFindings(t, p.Store)
		for _, f := range fs {
			if f.Status != model.StatusOpen {
				t.Errorf("%s on %s is %s", f.Title, f.AssetName, f.Status)
			}
		}
	})
}

// writeGeneric writes a ctem generic JSON report of host findings.
func writeGeneric(t *testing.T, dir, name string, host string, cves ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"ctem": "findings/v1", "assets": [{"kind": "host", "identifiers": {"hostname": "` + host + `"}}], "findings": [`)
	for i, c := range cves {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"asset": {"kind": "host", "identifiers": {"hostname": "` + host + `"}}, "kind": "vulnerability", "title": "` + c + `", "vuln_id": "` + c + `", "severity": "high"}`)
	}
	b.WriteString("]}")
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLifecycle(t *testing.T) {
	// Batches of 2 split a report's assets across batches, so that the
	// stored state of one asset is read partly whole, partly one by one.
	for _, size := range []int{discover.DefaultLimits.BatchSize, 2} {
		t.Run(fmt.Sprint("batch-", size), func(t *testing.T) { testLifecycle(t, size) })
	}
}

func testLifecycle(t *testing.T, batchSize int) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		p.Limits.BatchSize = batchSize
		dir := t.TempDir()
		ctx := context.Background()
		first := writeGeneric(t, dir, "scan1.json", "db01", "CVE-2024-0001", "CVE-2024-0002", "CVE-2024-0003")
		other := writeGeneric(t, dir, "other.json", "db02", "CVE-2024-0009")
		importFile(t, p, first, discover.Options{})
		importFile(t, p, other, discover.Options{})

		// Re-importing the same file changes nothing.
		c := importFile(t, p, first, discover.Options{})
		if d := cmp.Diff(model.ImportCounts{Findings: 3, Detections: 3, Unchanged: 3, AssetsCovered: 1}, c); d != "" {
			t.Errorf("re-import (-want +got):\n%s", d)
		}
		// A manual decision survives imports.
		fp, _ := p.Store.ListFindings(ctx, store.FindingFilter{VulnID: "CVE-2024-0003"})
		if err := p.Store.SetFindingStatus(ctx, fp[0].ID, model.StatusFalsePositive, "not exploitable here"); err != nil {
			t.Fatal(err)
		}
		// 0002 and 0003 gone: 0002 is fixed; 0003 stays a false positive.
		second := writeGeneric(t, dir, "scan2.json", "db01", "CVE-2024-0001")
		c = importFile(t, p, second, discover.Options{})
		if c.Fixed != 1 || c.Unchanged != 1 {
			t.Errorf("second scan %+v, want 1 fixed, 1 unchanged", c)
		}
		fixed, _ := p.Store.ListFindings(ctx, store.FindingFilter{Statuses: []model.Status{model.StatusFixed}})
		if len(fixed) != 1 || fixed[0].VulnID != "CVE-2024-0002" || fixed[0].FixedAt == nil {
			t.Errorf("fixed = %+v", fixed)
		}
		// 0002 back: reopened.
		c = importFile(t, p, first, discover.Options{})
		if c.Reopened != 1 {
			t.Errorf("third scan %+v, want 1 reopened", c)
		}
		byID := map[string]model.Status{}
		for _, f := range openFindings(t, p.Store) {
			byID[f.VulnID] = f.Status
		}
		want := map[string]model.Status{"CVE-2024-0001": model.StatusOpen, "CVE-2024-0002": model.StatusReopened,
			"CVE-2024-0003": model.StatusFalsePositive, "CVE-2024-0009": model.StatusOpen}
		if d := cmp.Diff(want, byID); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
		// A report that covers db01 with zero findings fixes its open ones.
		empty := writeGeneric(t, dir, "empty.json", "db01")
		c = importFile(t, p, empty, discover.Options{})
		if c.Fixed != 2 || c.AssetsCovered != 1 {
			t.Errorf("empty scan %+v, want 2 fixed on 1 covered asset", c)
		}
	})
}

func TestBadInputChangesNothing(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		ctx := context.Background()
		dir := t.TempDir()
		good := writeGeneric(t, dir, "good.json", "app01", "CVE-2024-1000", "CVE-2024-1001")
		importFile(t, p, good, discover.Options{})
		data, _ := os.ReadFile(good)
		truncated := filepath.Join(dir, "truncated.json")
		os.WriteFile(truncated, data[:len(data)-40], 0o644)
		_, err := p.ImportFile(ctx, truncated, discover.Options{})
		var pe *report.ParseError
		if !errors.As(err, &pe) || pe.File != truncated || pe.Line == 0 {
			t.Fatalf("error = %v, want a ParseError naming the file and line", err)
		}
		imps, _ := p.Store.ListImports(ctx, store.Page{})
		fs := openFindings(t, p.Store)
		if len(imps) != 1 || len(fs) != 2 {
			t.Errorf("after a bad import: %d imports, %d findings; want 1 and 2", len(imps), len(fs))
		}
		unknown := filepath.Join(dir, "notes.txt")
		os.WriteFile(unknown, []byte("hello, world\n"), 0o644)
		if _, err := p.ImportFile(ctx, unknown, discover.Options{}); !errors.Is(err, report.ErrUnknownFormat) || !strings.Contains(err.Error(), unknown) {
			t.Errorf("unknown file: %v", err)
		}
	})
}

func TestCompressedInputs(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		dir := t.TempDir()
		raw, _ := os.ReadFile("testdata/trivy-alpine.json")
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(raw)
		zw.Close()
		gzPath := filepath.Join(dir, "trivy.json.gz")
		os.WriteFile(gzPath, gz.Bytes(), 0o644)
		if c := importFile(t, p, gzPath, discover.Options{}); c.New != 2 {
			t.Errorf("gzip import %+v", c)
		}
		var zb bytes.Buffer
		zwr := zip.NewWriter(&zb)
		for _, name := range []string{"grype-alpine.json", "nessus-web01.nessus"} {
			w, _ := zwr.Create(name)
			b, _ := os.ReadFile("testdata/" + name)
			w.Write(b)
		}
		zwr.Close()
		zipPath := filepath.Join(dir, "reports.zip")
		os.WriteFile(zipPath, zb.Bytes(), 0o644)
		res, err := p.ImportFile(context.Background(), zipPath, discover.Options{})
		if err != nil || len(res) != 2 {
			t.Fatalf("zip import: %d results, %v", len(res), err)
		}
		if res[1].Import.Source != "tenable" || !strings.HasSuffix(res[1].Import.File, "!nessus-web01.nessus") {
			t.Errorf("second zip entry = %+v", res[1].Import)
		}
	})
}

func TestLimits(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		dir := t.TempDir()
		// A gzip bomb: 64 MiB of JSON white space in a tiny file.
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write([]byte(`{"ctem": "findings/v1", "findings": [`))
		zw.Write(bytes.Repeat([]byte(" "), 64<<20))
		zw.Close()
		bomb := filepath.Join(dir, "bomb.json.gz")
		os.WriteFile(bomb, gz.Bytes(), 0o644)
		_, err := p.ImportFile(context.Background(), bomb, discover.Options{})
		if !errors.Is(err, discover.ErrLimit) {
			t.Errorf("gzip bomb: %v, want ErrLimit", err)
		}
		p.Limits.MaxArchiveEntries = 2
		var zb bytes.Buffer
		zwr := zip.NewWriter(&zb)
		for _, n := range []string{"a.json", "b.json", "c.json"} {
			w, _ := zwr.Create(n)
			w.Write([]byte(`{"ctem": "findings/v1", "findings": []}`))
		}
		zwr.Close()
		many := filepath.Join(dir, "many.zip")
		os.WriteFile(many, zb.Bytes(), 0o644)
		if _, err := p.ImportFile(context.Background(), many, discover.Options{}); !errors.Is(err, discover.ErrLimit) {
			t.Errorf("too many entries: %v, want ErrLimit", err)
		}
	})
}

func TestAssetOverride(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		// SARIF with repository provenance names its repository itself.
		importFile(t, p, "testdata/sarif-v1.sarif", discover.Options{})
		assets, _ := p.Store.ListAssets(context.Background(), store.AssetFilter{})
		if len(assets) != 1 || assets[0].Identifiers[0] != (model.Identifier{Kind: model.IDRepoURL, Value: "github.com/acme/shop"}) {
			t.Errorf("assets = %+v", assets)
		}
	})
}

func TestGenericSourcesAreSeparateTools(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		dir := t.TempDir()
		write := func(name, source, cve string) string {
			path := filepath.Join(dir, name)
			os.WriteFile(path, []byte(`{"ctem": "findings/v1", "source": "`+source+`", "findings": [{"asset": {"kind": "host", "identifiers": {"hostname": "db01"}}, "kind": "vulnerability", "title": "x", "vuln_id": "`+cve+`"}]}`), 0o644)
			return path
		}
		a := write("a.json", "agent-a", "CVE-2024-0001")
		b := write("b.json", "agent-b", "CVE-2024-0002")
		importFile(t, p, a, discover.Options{})
		c := importFile(t, p, b, discover.Options{})
		if c.Fixed != 0 {
			t.Errorf("agent-b's import fixed agent-a's finding: %+v", c)
		}
		imps, _ := p.Store.ListImports(context.Background(), store.Page{})
		if len(imps) != 2 || imps[0].Source != "ctem:agent-a" || imps[1].Source != "ctem:agent-b" {
			t.Errorf("imports = %+v", imps)
		}
	})
}

// TestAssetsResolvedWithinABatch has one batch name an asset in several
// ways: each later reference must see what the earlier ones created or
// added (the batch's look-ups are read ahead of its writes).
func TestAssetsResolvedWithinABatch(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		path := filepath.Join(t.TempDir(), "one-host.json")
		report := `{"ctem": "findings/v1", "findings": [
  {"asset": {"kind": "host", "identifiers": {"hostname": "web01"}}, "kind": "vulnerability", "title": "a", "vuln_id": "CVE-2024-0001", "severity": "high"},
  {"asset": {"kind": "host", "identifiers": {"hostname": "web01", "ipv4": "10.0.0.7"}}, "kind": "vulnerability", "title": "b", "vuln_id": "CVE-2024-0002", "severity": "high"},
  {"asset": {"kind": "host", "identifiers": {"ipv4": "10.0.0.7"}}, "kind": "vulnerability", "title": "c", "vuln_id": "CVE-2024-0003", "severity": "high"},
  {"asset": {"kind": "host", "identifiers": {"fqdn": "web01.corp.example"}}, "kind": "vulnerability", "title": "d", "vuln_id": "CVE-2024-0004", "severity": "high"}
]}`
		if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
			t.Fatal(err)
		}
		for i, want := range []model.ImportCounts{
			{Findings: 4, Detections: 4, New: 4, AssetsCovered: 1, AssetsCreated: 1},
			{Findings: 4, Detections: 4, Unchanged: 4, AssetsCovered: 1},
		} {
			if d := cmp.Diff(want, importFile(t, p, path, discover.Options{})); d != "" {
				t.Errorf("import %d (-want +got):\n%s", i+1, d)
			}
		}
		assets, err := p.Store.ListAssets(context.Background(), store.AssetFilter{})
		if err != nil || len(assets) != 1 {
			t.Fatalf("assets = %+v, %v; want web01 alone", assets, err)
		}
	})
}

// TestTextsStorableEverywhere: NUL characters and bytes that are not UTF-8
// (which PostgreSQL refuses and SQLite keeps) become U+FFFD, so that a
// report imports alike into both databases.
func TestTextsStorableEverywhere(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		dir := t.TempDir()
		js := filepath.Join(dir, "nul.json")
		os.WriteFile(js, []byte(`{"ctem": "findings/v1", "findings": [{"asset": {"kind": "host", "identifiers": {"hostname": "db01"}},
			"kind": "vulnerability", "title": "one\u0000two", "description": "a\u0000b", "vuln_id": "CVE-2024-0001", "severity": "high",
			"references": ["https://a.test/\u0000"]}]}`), 0o644)
		csv := filepath.Join(dir, "latin1.csv")
		os.WriteFile(csv, []byte("asset_kind,hostname,kind,title,severity\nhost,build-07,misconfiguration,caf\xe9 \xff,medium\n"), 0o644)
		importFile(t, p, js, discover.Options{})
		importFile(t, p, csv, discover.Options{})
		var got []string
		for _, f := range openFindings(t, p.Store) {
			got = append(got, f.Title, f.Description, strings.Join(f.References, " "))
		}
		want := []string{"one\uFFFDtwo", "a\uFFFDb", "https://a.test/\uFFFD", "caf\uFFFD \uFFFD", "", ""}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("stored texts (-want +got):\n%s", d)
		}
	})
}

// TestAbsentAfterMergeWithinImport: the coverage rule on an asset that an
// import read whole and then merged another asset into must see the merged
// asset's findings too (the import knows the first asset's detections from
// its read, not the second's).
func TestAbsentAfterMergeWithinImport(t *testing.T) {
	backends(t, func(t *testing.T, p *discover.Pipeline) {
		p.Limits.BatchSize = 1
		dir := t.TempDir()
		write := func(name string, findings ...[2]string) string {
			var parts []string
			for _, f := range findings {
				parts = append(parts, `{"asset": {"kind": "host", "identifiers": `+f[0]+`}, "kind": "vulnerability", "title": "`+f[1]+`", "vuln_id": "`+f[1]+`", "severity": "high"}`)
			}
			path := filepath.Join(dir, name)
			os.WriteFile(path, []byte(`{"ctem": "findings/v1", "findings": [`+strings.Join(parts, ",")+`]}`), 0o644)
			return path
		}
		x, y, both := `{"fqdn": "web01.corp.example"}`, `{"mac": "00:11:22:33:44:55"}`, `{"fqdn": "web01.corp.example", "mac": "00:11:22:33:44:55"}`
		importFile(t, p, write("one.json", [2]string{x, "CVE-2024-0001"}, [2]string{x, "CVE-2024-0002"},
			[2]string{y, "CVE-2024-0003"}, [2]string{y, "CVE-2024-0004"}), discover.Options{})
		// x is read whole first; then a reference naming both merges y into x.
		c := importFile(t, p, write("two.json", [2]string{x, "CVE-2024-0001"}, [2]string{both, "CVE-2024-0003"}), discover.Options{})
		if c.AssetsMerged != 1 || c.Fixed != 2 {
			t.Errorf("second import %+v, want 1 merge and 2 fixed (0002 on x, 0004 from y)", c)
		}
		got := map[string]model.Status{}
		for _, f := range openFindings(t, p.Store) {
			got[f.VulnID] = f.Status
		}
		want := map[string]model.Status{"CVE-2024-0001": model.StatusOpen, "CVE-2024-0002": model.StatusFixed,
			"CVE-2024-0003": model.StatusOpen, "CVE-2024-0004": model.StatusFixed}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("statuses (-want +got):\n%s", d)
		}
	})
}
