package kubescape_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/kubescape"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// FuzzParse checks that no input makes the parser panic and that every
// failure is a positioned ParseError.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"{\"clusterName\":\"c\",\"customerGUID\":\"g\",\"resources\":[{\"resourceID\":\"path=1/api=apps/v1//Deployment/d\",\"object\":{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},\"relatedObjects\":{\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"}}},\"source\":{\"relativePath\":\"a.yaml\"}}],\"results\":[{\"resourceID\":\"path=1/api=apps/v1//Deployment/d\",\"controls\":[{\"controlID\":\"C-1\",\"status\":{\"status\":\"failed\"},\"rules\":[{\"name\":\"r\",\"status\":\"failed\",\"paths\":[{\"failedPath\":\"x\"}]}]}]}],\"summaryDetails\":{\"controls\":{\"C-1\":{\"scoreFactor\":9}}}}",
	} {
		f.Add([]byte(s))
	}
	// Small corpus files make good seeds when the corpus is around; the
	// fuzz target must not depend on it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "kubescape")); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil && !e.IsDir() && info.Size() < 32<<10 {
				if b, err := os.ReadFile(filepath.Join(dir, "kubescape", e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := kubescape.New()
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
