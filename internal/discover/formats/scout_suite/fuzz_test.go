package scoutsuite_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/scout_suite"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// FuzzParse checks that no input makes the parser panic and that every
// failure is a positioned ParseError.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"scoutsuite_results =\n{\"account_id\":\"1\",\"provider_code\":\"aws\",\"last_run\":{\"ruleset_name\":\"d\",\"ruleset_about\":\"a\"},\"services\":{\"s3\":{\"buckets\":{\"h\":{\"arn\":\"arn:aws:s3:::b/*\",\"name\":\"b\",\"id\":\"h\"}},\"findings\":{\"s3-x\":{\"description\":\"d\",\"level\":\"danger\",\"items\":[\"s3.buckets.h.logging\"],\"path\":\"s3.buckets.id\"}}}}}",
		"{\"account_id\":\"p\",\"provider_code\":\"gcp\",\"services\":{\"iam\":{\"findings\":{\"r\":{\"level\":\"warning\",\"items\":[\"iam.projects.p.x.0\",\"iam.a.b\"],\"path\":\"iam.projects.id.x.id\",\"display_path\":\"iam.projects.id\"}}}}}",
	} {
		f.Add([]byte(s))
	}
	// Small corpus files make good seeds when the corpus is around; the
	// fuzz target must not depend on it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "scout_suite")); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil && !e.IsDir() && info.Size() < 32<<10 {
				if b, err := os.ReadFile(filepath.Join(dir, "scout_suite", e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := scoutsuite.New()
		_ = p.Detect(data)
		err := p.Parse(context.Background(), bytes.NewReader(data), &reporttest.Recorder{})
		if err == nil {
			return
		}
		var pe *report.ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error is not a ParseError: %v", err)
		}
	})
}
