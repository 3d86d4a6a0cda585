package checkov_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/checkov"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// FuzzParse checks that no input makes the parser panic and that every
// failure is a positioned ParseError.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"[{\"check_type\":\"terraform\",\"results\":{\"failed_checks\":[{\"check_id\":\"CKV_1\",\"check_name\":\"n\",\"file_path\":\"/a.tf\",\"file_line_range\":[1,2],\"resource\":\"r.x\",\"severity\":\"HIGH\"}]}},{\"check_type\":\"sca_package\",\"results\":{\"failed_checks\":[{\"check_id\":\"CKV_CVE\",\"vulnerability_details\":{\"id\":\"CVE-2020-1\",\"package_name\":\"p\",\"package_version\":\"1\"}}]}}]",
		"{\"passed\":0,\"failed\":0,\"checkov_version\":\"2.1\"}",
	} {
		f.Add([]byte(s))
	}
	// Small corpus files make good seeds when the corpus is around; the
	// fuzz target must not depend on it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "checkov")); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil && !e.IsDir() && info.Size() < 32<<10 {
				if b, err := os.ReadFile(filepath.Join(dir, "checkov", e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := checkov.New()
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
