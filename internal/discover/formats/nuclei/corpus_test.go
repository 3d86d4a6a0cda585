package nuclei_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/nuclei"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// TestManifestCounts parses every corpus file the manifest lists for this
// format and compares the number of observations with DefectDojo's count,
// except where countExceptions records a deliberate difference.
func TestManifestCounts(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != formatName {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec, err := reporttest.ParseFile(t, nuclei.New(), filepath.Join(dir, row.File))
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

// TestDetect checks that every corpus file of this format is detected and
// that no other format's corpus file is claimed.
func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := nuclei.New()
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

// checkErrors parses each input and wants a positioned *report.ParseError.
func checkErrors(t *testing.T, inputs map[string][]byte, truncate ...string) {
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
		err := nuclei.New().Parse(context.Background(), bytes.NewReader(in), &reporttest.Recorder{})
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

// summary is the part of an observation the content tests compare.
type summary struct {
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

func summarize(o report.Observation) summary {
	s := summary{
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

// byToolID finds the observation with a tool id (and a title, when given).
func byToolID(obs []report.Observation, id, title string) (report.Observation, bool) {
	for _, o := range obs {
		if o.ToolID == id && (title == "" || o.Finding.Title == title) {
			return o, true
		}
	}
	return report.Observation{}, false
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
