package awssecurityhub_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/awssecurityhub"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// FuzzParse checks that no input makes the parser panic and that every
// failure is a positioned ParseError.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"{\"Findings\":[{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"x\",\"ProductArn\":\"p\",\"ProductFields\":{\"aws/securityhub/ProductName\":\"GuardDuty\"},\"Types\":[\"TTPs/x/PortProbe\"],\"Resources\":[{\"Type\":\"AwsIamAccessKey\",\"Id\":\"AWS::IAM::AccessKey:1\"}]}]}",
		"{\"findings\":[],\"NextToken\":\"a\"}",
	} {
		f.Add([]byte(s))
	}
	// Small corpus files make good seeds when the corpus is around; the
	// fuzz target must not depend on it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "awssecurityhub")); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil && !e.IsDir() && info.Size() < 32<<10 {
				if b, err := os.ReadFile(filepath.Join(dir, "awssecurityhub", e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := awssecurityhub.New()
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
