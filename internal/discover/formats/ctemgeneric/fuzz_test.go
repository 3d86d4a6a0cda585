package ctemgeneric_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/ctemgeneric"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

// FuzzParse is seeded with every fixture, valid and invalid. Whatever the
// input, Parse must not panic, its errors must be positioned ParseErrors,
// and what it emits must satisfy the format's promises.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.json", "testdata/*.csv", "testdata/errors/*"} {
		files, err := filepath.Glob(filepath.FromSlash(pattern))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		format := ctemgeneric.New()
		_ = format.Detect(data)
		rec := &reporttest.Recorder{}
		err := format.Parse(context.Background(), bytes.NewReader(data), rec)
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v (%T)", err, err)
			}
			if pe.Offset < 0 && pe.Line == 0 {
				t.Fatalf("error has no position: %v", err)
			}
			return
		}
		for _, a := range rec.Assets {
			checkAsset(t, a)
		}
		for _, o := range rec.Observations {
			// A finding names a valid asset or none at all.
			if o.Asset.Kind != "" || o.Asset.Name != "" || len(o.Asset.Identifiers) > 0 || len(o.Asset.Attributes) > 0 {
				checkAsset(t, o.Asset)
			}
			f := o.Finding
			if !slices.Contains(model.FindingKinds, f.Kind) {
				t.Fatalf("finding kind %q", f.Kind)
			}
			if !slices.Contains(model.Severities, f.Severity) {
				t.Fatalf("severity %q", f.Severity)
			}
			if strings.TrimSpace(f.Title) == "" || o.ToolID == "" {
				t.Fatalf("empty title or tool id: %+v", o)
			}
			if len(o.Evidence) > 4<<10 {
				t.Fatalf("evidence of %d bytes", len(o.Evidence))
			}
			if len(o.Secret) >= 4 && (strings.Contains(o.Evidence, o.Secret) || strings.Contains(f.Title, o.Secret) || strings.Contains(f.Description, o.Secret)) {
				t.Fatalf("the secret is in the evidence, title or description: %+v", o)
			}
			if f.Location.Port < 0 || f.Location.Port > 65535 || f.Location.Line < 0 {
				t.Fatalf("location %+v", f.Location)
			}
		}
	})
}

func checkAsset(t *testing.T, a report.AssetRef) {
	t.Helper()
	if !slices.Contains(model.AssetKinds, a.Kind) {
		t.Fatalf("asset kind %q", a.Kind)
	}
	if a.Name == "" || len(a.Identifiers) == 0 {
		t.Fatalf("asset without name or identifiers: %+v", a)
	}
	for _, id := range a.Identifiers {
		if strings.TrimSpace(id.Value) == "" {
			t.Fatalf("empty identifier: %+v", a)
		}
	}
}

func TestRedactCannotRespellTheSecret(t *testing.T) {
	for _, secret := range []string{"DACT", "[RED", "ED]x", "aaaa"} {
		in := `{"ctem": "findings/v1", "findings": [{"asset": {"kind": "repository", "name": "r"}, "kind": "secret",
			"title": "` + secret + `", "evidence": "x` + secret + secret + `DACTED]", "secret": "` + secret + `"}]}`
		rec := &reporttest.Recorder{}
		if err := ctemgeneric.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
			t.Fatal(err)
		}
		o := rec.Observations[0]
		if strings.Contains(o.Evidence, secret) || strings.Contains(o.Finding.Title, secret) || o.Finding.Title == "" {
			t.Errorf("secret %q: title %q, evidence %q", secret, o.Finding.Title, o.Evidence)
		}
	}
}
