package dependencycheck_test

// Tests shared by every format package of this kind: manifest counts,
// detection, error positions. Content assertions live in the other test file.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/dependency_check"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

const formatName = "dependency_check"

// exceptions lists corpus files where ctem deliberately counts differently
// from DefectDojo's parser, with ctem's count (-2: a parse error) and why.
var exceptions = map[string]struct {
	count  int
	reason string
}{}

// contentless corpus files of this format carry no signature of it at all
// (an empty list, null, or an empty file), so Detect cannot claim them.
var contentless = map[string]string{}

// notMine lists files in this format's folder that belong to another format.
var notMine = map[string]string{}

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
			rec, err := reporttest.ParseFile(t, dependencycheck.New(), filepath.Join(dir, row.File))
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
	f := dependencycheck.New()
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
	full, err := os.ReadFile(filepath.Join(dir, "dependency_check/multiple_vulnerabilities_has_multiple_findings.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":     "",
		"truncated": string(full[:len(full)/2]),
		"garbage":   "\x00\x01garbage",
		"json":      "{\"dependencies\": []}",
		"otherroot": "<?xml version=\"1.0\"?><NessusClientData_v2/>",
		"unclosed":  "<analysis><dependencies><dependency><fileName>a</fileName>",
		"badxml":    "<analysis><dependencies></analysis>",
		"tworoots":  "<analysis></analysis><analysis></analysis>",
		"entity":    "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><analysis><projectInfo><name>&x;</name></projectInfo></analysis>",
	}
	for label, in := range cases {
		t.Run(label, func(t *testing.T) {
			err := dependencycheck.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
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
	return reporttest.ParseCorpus(t, dependencycheck.New(), rel)
}

func parseString(t *testing.T, in string) *reporttest.Recorder {
	t.Helper()
	rec := &reporttest.Recorder{}
	if err := dependencycheck.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
		t.Fatal(err)
	}
	return rec
}
