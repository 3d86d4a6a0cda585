package snyk_test

// Tests shared by every format package of this kind: manifest counts,
// detection, error positions. Content assertions live in the other test file.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/snyk"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

const formatName = "snyk"

// exceptions lists corpus files where ctem deliberately counts differently
// from DefectDojo's parser, with ctem's count (-2: a parse error) and why.
var exceptions = map[string]struct {
	count  int
	reason string
}{
	"snyk/all_projects_issue4277.json":      {49, "Snyk lists a vulnerability once per dependency path (82 entries); ctem keeps one observation per vulnerability, package and version (50) with the paths as evidence, and leaves out the license issue (snyk:lic:npm:tinymce, 2 entries): license policy is not an exposure"},
	"snyk/single_project_upgrade_libs.json": {52, "254 dependency paths of 52 distinct vulnerable package versions; ctem keeps one observation per vulnerability, package and version"},
	"snyk/snykcontainer_issue_epss.json":    {13, "besides the image's OS package finding, ctem reads the 12 findings of the npm application embedded in the container project (applications[]), which DefectDojo ignores"},
	"snyk/snykcontainer_issue_9270.json":    {30, "container OS findings are kept per installed binary package (gcc-10/libgcc-s1 and gcc-10/libstdc++6 are two components of one source package, as Trivy and Grype count them): 18 image findings across the 25 dependency paths, plus the 12 findings of the embedded npm application that DefectDojo ignores"},
}

// contentless corpus files of this format carry no signature of it at all
// (an empty list, null, or an empty file), so Detect cannot claim them.
var contentless = map[string]string{}

// notMine lists files in this format's folder that belong to another format.
var notMine = map[string]string{
	"snykcode_issue_9270.json": "Snyk Code SARIF: detected by snyk_code; snyk still parses it when told to",
}

// allowClaim lists other formats' corpus files this format may claim, and why.
var allowClaim = map[string]string{}

func TestManifestCounts(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	rows := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != formatName {
			continue
		}
		rows++
		t.Run(filepath.Base(row.File), func(t *testing.T) {
			rec, err := reporttest.ParseFile(t, snyk.New(), filepath.Join(dir, row.File))
			want := row.Expected
			if ex, ok := exceptions[row.File]; ok {
				want = ex.count
			}
			if strings.Contains(row.Details, "parse expected to raise") || want == -2 {
				var pe *report.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("want a ParseError, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want >= 0 && len(rec.Observations) != want {
				t.Errorf("got %d findings, want %d (manifest %d)", len(rec.Observations), want, row.Expected)
			}
			if len(rec.Assets) == 0 {
				t.Error("no asset reported")
			}
			for i, o := range rec.Observations {
				if o.Finding.Kind == "" || o.Finding.Title == "" || o.Finding.Severity == "" || o.ToolID == "" {
					t.Errorf("finding %d lacks kind, title, severity or tool id: %+v", i, o.Finding)
				}
			}
		})
	}
	if rows == 0 {
		t.Fatal("no manifest rows for " + formatName)
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := snyk.New()
	entries, err := os.ReadDir(filepath.Join(dir, formatName))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		s := f.Detect(reporttest.Head(t, filepath.Join(dir, formatName, e.Name())))
		_, other := notMine[e.Name()]
		if _, empty := contentless[e.Name()]; empty || other {
			if s != 0 {
				t.Errorf("%s: claimed with %d though it is contentless or another format's", e.Name(), s)
			}
			continue
		}
		if s <= 0 {
			t.Errorf("%s: not detected", e.Name())
		}
	}
	// No other format's corpus file may be claimed.
	folders, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, fo := range folders {
		if !fo.IsDir() || fo.Name() == formatName {
			continue
		}
		_ = filepath.WalkDir(filepath.Join(dir, fo.Name()), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			if _, ok := allowClaim[filepath.ToSlash(rel)]; ok {
				return nil
			}
			if s := f.Detect(reporttest.Head(t, p)); s > 0 {
				t.Errorf("%s: claimed with score %d", rel, s)
			}
			return nil
		})
	}
}

func TestErrors(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	full, err := os.ReadFile(filepath.Join(dir, "snyk/single_project_one_vuln.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":      "",
		"truncated":  string(full[:len(full)/2]),
		"garbage":    "\x00\x01garbage",
		"noproject":  "{\"ok\": true}",
		"error":      "{\"ok\": false, \"error\": \"Could not detect supported target files\", \"path\": \".\"}",
		"badvuln":    "{\"vulnerabilities\": [5]}",
		"trailing":   "{\"vulnerabilities\": []} {}",
		"emptyarray": "[]",
	}
	for label, in := range cases {
		t.Run(label, func(t *testing.T) {
			err := snyk.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("want a ParseError, got %v", err)
			}
			if pe.Offset < 0 && pe.Line == 0 {
				t.Errorf("no position: %v", pe)
			}
		})
	}
}

func parse(t *testing.T, rel string) *reporttest.Recorder {
	t.Helper()
	return reporttest.ParseCorpus(t, snyk.New(), rel)
}

func parseString(t *testing.T, in string) *reporttest.Recorder {
	t.Helper()
	rec := &reporttest.Recorder{}
	if err := snyk.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
		t.Fatal(err)
	}
	return rec
}
