package wizcliimg_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	wizcliimg "github.com/ctemhq/ctem/internal/discover/formats/wizcli_img"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func TestManifest(t *testing.T) {
	reporttest.CorpusDir(t)
	n := 0
	for _, row := range reporttest.Manifest(t) {
		if row.Format != "wizcli_img" || row.Expected < 0 {
			continue
		}
		n++
		t.Run(row.File, func(t *testing.T) {
			rec := reporttest.ParseCorpus(t, wizcliimg.New(), row.File)
			if got := len(rec.Observations); got != row.Expected {
				t.Errorf("observations = %d, want %d", got, row.Expected)
			}
			// Zero findings still cover the scanned target.
			if len(rec.Assets) != 1 {
				t.Errorf("assets = %d, want 1", len(rec.Assets))
			}
		})
	}
	if n == 0 {
		t.Fatal("no manifest rows for wizcli_img")
	}
}

func TestDetect(t *testing.T) {
	dir := reporttest.CorpusDir(t)
	f := wizcliimg.New()
	files, _ := filepath.Glob(filepath.Join(dir, "wizcli_img", "*"))
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	for _, p := range files {
		if s := f.Detect(reporttest.Head(t, p)); s <= 0 {
			t.Errorf("%s: Detect = %d, want > 0", filepath.Base(p), s)
		}
	}
	// Other wiz CLI scan kinds included: one family, one claim each.
	others, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	for _, p := range others {
		if filepath.Base(filepath.Dir(p)) == "wizcli_img" {
			continue
		}
		if s := f.Detect(reporttest.Head(t, p)); s != 0 {
			t.Errorf("%s: Detect = %d, want 0", strings.TrimPrefix(p, dir), s)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]string{
		"empty":          "",
		"garbage":        "garbage",
		"array":          "[]",
		"no result":      `{"id":"x","scanOriginResource":{"__typename":"CICDScanOriginDirectory","name":"/x"}}`,
		"truncated":      `{"scanOriginResource":{"name":"x"},"result":{"libraries":[{"name":"a","vulnerabilities":[{"name":`,
		"libraries type": `{"result":{"libraries":{"name":"a"}}}`,
		"trailing":       `{"result":{}} {}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			err := wizcliimg.New().Parse(context.Background(), strings.NewReader(in), &reporttest.Recorder{})
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v, want a *report.ParseError", err)
			}
			if pe.Offset < 0 && pe.Line <= 0 {
				t.Errorf("error has no position: %v", err)
			}
		})
	}
}

func TestOriginAfterResult(t *testing.T) {
	// Observations wait for the asset when the origin comes last.
	in := `{"result":{"secrets":[{"description":"Password in URL","path":"a.yml","lineNumber":3,"type":"PASSWORD"}]},"scanOriginResource":{"__typename":"X","name":"n"}}`
	rec := &reporttest.Recorder{}
	if err := wizcliimg.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Assets) != 1 || len(rec.Observations) != 1 {
		t.Fatalf("assets %d observations %d", len(rec.Assets), len(rec.Observations))
	}
	if o := rec.Observations[0]; o.Asset.Kind != rec.Assets[0].Kind || o.Finding.Location.File != "a.yml" || o.Finding.Location.Line != 3 || o.Anchor == "" {
		t.Errorf("observation = %+v", o)
	}
}
