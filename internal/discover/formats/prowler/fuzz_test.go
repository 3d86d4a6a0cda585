package prowler_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/prowler"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// FuzzParse checks that no input makes the parser panic and that every
// failure is a positioned ParseError.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"ACCOUNT_UID;FINDING_UID;PROVIDER;CHECK_ID;CHECK_TITLE;STATUS;STATUS_EXTENDED;MUTED;SEVERITY;RESOURCE_UID;REGION\n1;f;aws;c;t;FAIL;e;False;low;arn:aws:s3:::b;r\n",
		"[{\"message\":\"m\",\"metadata\":{\"event_code\":\"c\",\"product\":{\"name\":\"Prowler\",\"version\":\"5.4.0\"},\"version\":\"1.4.0\"},\"status_code\":\"MANUAL\",\"severity_id\":3,\"resources\":[{\"uid\":\"u\",\"namespace\":\"n\"}],\"unmapped\":{\"additional_urls\":[\"https://x\"]}}]",
	} {
		f.Add([]byte(s))
	}
	// Small corpus files make good seeds when the corpus is around; the
	// fuzz target must not depend on it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "prowler")); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil && !e.IsDir() && info.Size() < 32<<10 {
				if b, err := os.ReadFile(filepath.Join(dir, "prowler", e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := prowler.New()
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
