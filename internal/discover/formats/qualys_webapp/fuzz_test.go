package qualyswebapp_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	qualyswebapp "github.com/ctemhq/ctem/internal/discover/formats/qualys_webapp"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		// Small files only: minimizing a large interesting input takes
		// the fuzzer longer than a whole run.
		for _, name := range fuzzCorpus {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(b) <= 16<<10 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := qualyswebapp.New().Parse(context.Background(), bytes.NewReader(data), &reporttest.Recorder{})
		var pe *report.ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("error is not a *report.ParseError: %v", err)
		}
	})
}
