// Package webtest holds the corpus tests that the web-scanner formats
// (Acunetix, Burp, ZAP, Nikto, Nuclei, Qualys WAS) share: manifest counts,
// detection over the whole corpus, positioned errors, and the summary of an
// observation their content tests compare.
package webtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// ManifestCounts parses every corpus file the manifest lists for format
// name and compares the number of observations with the peer's count,
// except where exceptions records a deliberate difference.
func ManifestCounts(t *testing.T, f report.Format, formatName string, countExceptions map[string]int) {
	t.Helper()
	dir := reporttest.CorpusDir(t)
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != formatName {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec, err := reporttest.ParseFile(t, f, filepath.Join(dir, row.File))
			if strings.Contains(row.Details, "parse expected to raise") {
				if err == nil {
					t.Fatalf("parsed without error, want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := row.Expected
			if n, ok := countExceptions[row.File]; ok {
				want = n
			}
			if want >= 0 && len(rec.Observations) != want {
				t.Errorf("got %d observations, want %d (manifest: %d)", len(rec.Observations), want, row.Expected)
			}
			for _, o := range rec.Observations {
				if o.Finding.Title == "" || o.ToolID == "" || o.Finding.Severity == "" || o.Finding.Kind == "" {
					t.Errorf("incomplete observation %+v", o)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for " + formatName)
	}
}

// Detect checks that every corpus file of format name is detected by f and
// that no other format's corpus file is claimed.
func Detect(t *testing.T, f report.Format, formatName string) {
	t.Helper()
	dir := reporttest.CorpusDir(t)
	mine, others := 0, 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Dir(path) == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		own := strings.HasPrefix(rel, formatName+string(filepath.Separator))
		head := reporttest.Head(t, path)
		score := f.Detect(head)
		switch {
		case own && len(bytes.TrimSpace(head)) == 0:
			// An empty file has no content to recognize; it imports
			// only with the format named explicitly.
			if score != 0 {
				t.Errorf("%s: empty file claimed with score %d", rel, score)
			}
		case own:
			mine++
			if score <= 0 {
				t.Errorf("%s: not detected", rel)
			}
		case score > 0:
			t.Errorf("%s: claimed with score %d", rel, score)
		default:
			others++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if mine == 0 || others == 0 {
		t.Fatalf("walked %d own and %d other files", mine, others)
	}
}

// CheckErrors parses each input (and the first half of each named corpus
// file) with f and wants a positioned *report.ParseError.
func CheckErrors(t *testing.T, f report.Format, inputs map[string][]byte, truncate ...string) {
	t.Helper()
	dir := reporttest.CorpusDir(t)
	for _, name := range truncate {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		inputs["truncated "+name] = b[:len(b)/2]
	}
	for name, in := range inputs {
		err := f.Parse(context.Background(), bytes.NewReader(in), &reporttest.Recorder{})
		var pe *report.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: got %v, want a *report.ParseError", name, err)
			continue
		}
		if pe.Line == 0 && pe.Offset < 0 {
			t.Errorf("%s: error %v has no position", name, err)
		}
	}
}

// Summary is the part of an observation the content tests compare.
type Summary struct {
	ToolID    string
	Title     string
	Severity  model.Severity
	Kind      model.FindingKind
	VulnID    string
	CWEs      []int
	CVSS      []string
	URL       string
	Param     string
	Asset     string
	Instances int
}

// Summarize reduces an observation to its Summary.
func Summarize(o report.Observation) Summary {
	s := Summary{
		ToolID:   o.ToolID,
		Title:    o.Finding.Title,
		Severity: o.Finding.Severity,
		Kind:     o.Finding.Kind,
		VulnID:   o.Finding.VulnID,
		CWEs:     o.Finding.CWEs,
		URL:      o.Finding.Location.URL,
		Param:    o.Finding.Location.Param,
		Asset:    o.Asset.Name,
	}
	for _, c := range o.Finding.CVSS {
		s.CVSS = append(s.CVSS, c.Vector)
	}
	// Grouped observations count their instances in the evidence.
	s.Instances = 1
	if i := strings.Index(o.Evidence, "Instances ("); i >= 0 {
		var n int
		if _, err := fmt.Sscanf(o.Evidence[i:], "Instances (%d)", &n); err == nil {
			s.Instances = n
		}
	}
	return s
}

// ByToolID finds the observation with a tool id (and a title, when given).
func ByToolID(obs []report.Observation, id, title string) (report.Observation, bool) {
	for _, o := range obs {
		if o.ToolID == id && (title == "" || o.Finding.Title == title) {
			return o, true
		}
	}
	return report.Observation{}, false
}
