package tfsec_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/tfsec"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// differences lists the corpus files where ctem deliberately counts
// otherwise than DefectDojo's parser, with ctem's count and the reason.
var differences = map[string]struct {
	count  int
	reason string
}{
	"tfsec/many_findings_current.json": {11, "tfsec reports aws-vpc-no-excessive-port-access twice for each of two ACL rules (their from_port and to_port lines) and aws-vpc-no-public-egress-sgr once per module instance; DefectDojo merges equal rule+file+lines (13), ctem one finding per rule and resource block"},
}

// rejected lists the files ctem refuses although DefectDojo reads them.
var rejected = map[string]string{}

// undetectable lists own corpus files with no content to recognize.
var undetectable = map[string]string{}

// unlisted gives counts for corpus files the manifest has no count for.
var unlisted = map[string]struct {
	count  int
	reason string
}{}

func TestManifestCounts(t *testing.T) {
	f := tfsec.New()
	dir := reporttest.CorpusDir(t)
	rows := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != f.Name() {
			continue
		}
		rows++
		t.Run(row.File, func(t *testing.T) {
			rec, err := reporttest.ParseFile(t, f, filepath.Join(dir, row.File))
			if reason, ok := rejected[row.File]; ok || strings.Contains(row.Details, "parse expected to raise") {
				var pe *report.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("want a ParseError (%s), got %v", reason, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := row.Expected
			if d, ok := differences[row.File]; ok {
				want = d.count
			} else if u, ok := unlisted[row.File]; ok && want < 0 {
				want = u.count
			}
			if want >= 0 && len(rec.Observations) != want {
				t.Errorf("%d observations, want %d (DefectDojo: %d)", len(rec.Observations), want, row.Expected)
			}
		})
	}
	if rows == 0 {
		t.Fatal("the manifest has no rows for " + f.Name())
	}
	for file, u := range unlisted {
		rec := reporttest.ParseCorpus(t, f, file)
		if len(rec.Observations) != u.count {
			t.Errorf("%s: %d observations, want %d (%s)", file, len(rec.Observations), u.count, u.reason)
		}
	}
}

// TestDetect checks that every own corpus file is recognized and that no
// file of another format is claimed.
func TestDetect(t *testing.T) {
	f := tfsec.New()
	dir := reporttest.CorpusDir(t)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if !strings.Contains(rel, "/") {
			return nil // manifest, README
		}
		score := f.Detect(reporttest.Head(t, path))
		own := strings.HasPrefix(rel, f.Name()+"/")
		switch {
		case own && undetectable[rel] != "":
		case own && score <= 0:
			t.Errorf("%s: not detected", rel)
		case !own && score > 0:
			t.Errorf("%s: claimed with score %d", rel, score)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func assertPositioned(t *testing.T, err error) {
	t.Helper()
	var pe *report.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("want a ParseError, got %v", err)
	}
	if pe.Offset < 0 && pe.Line <= 0 {
		t.Errorf("error without a position: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "   ", "garbage\x00\x01", "{", "[", "{\"a\": [1, 2", "null", "42", "[1, 2]", "{\"x\": 1}"} {
		err := tfsec.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
		t.Run(in, func(t *testing.T) { assertPositioned(t, err) })
	}
	t.Run("truncated corpus file", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(reporttest.CorpusDir(t), "tfsec/one_finding_legacy.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, len(b) / 3, len(b) / 2, len(b) - 2} {
			err := tfsec.New().Parse(context.Background(), bytes.NewReader(b[:n]), &reporttest.Recorder{})
			assertPositioned(t, err)
		}
	})
}
