package awsprowlerv3plus_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/aws_prowler_v3plus"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// FuzzParse checks that no input makes the parser panic and that every
// failure is a positioned ParseError.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"[{\"FindingUniqueId\":\"u\",\"CheckID\":\"c\",\"Status\":\"FAIL\",\"StatusExtended\":\"e\",\"Severity\":\"high\",\"AccountId\":\"1\",\"Region\":\"r\",\"ResourceArn\":\"arn:aws:s3:::b\"}]",
		"[{\"metadata\":{\"event_code\":\"c\",\"product\":{\"name\":\"Prowler\",\"version\":\"4.2.1\"},\"version\":\"1.2.0\"},\"status_code\":\"FAIL\",\"status\":\"New\",\"severity\":\"High\",\"resources\":[{\"uid\":\"x\",\"region\":\"r\"}],\"cloud\":{\"provider\":\"aws\",\"account\":{\"uid\":\"1\"}}}]",
	} {
		f.Add([]byte(s))
	}
	// Small corpus files make good seeds when the corpus is around; the
	// fuzz target must not depend on it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "aws_prowler_v3plus")); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil && !e.IsDir() && info.Size() < 32<<10 {
				if b, err := os.ReadFile(filepath.Join(dir, "aws_prowler_v3plus", e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := awsprowlerv3plus.New()
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
