package awsprowler_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/aws_prowler"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

// FuzzParse checks that no input makes the parser panic and that every
// failure is a positioned ParseError.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"PROFILE,ACCOUNT_NUM,REGION,TITLE_ID,CHECK_RESULT,ITEM_SCORED,ITEM_LEVEL,TITLE_TEXT,CHECK_RESULT_EXTENDED,CHECK_SEVERITY\n,1,us-east-1,1.1,FAIL,Scored,Level 1,[check11] Root,Root used,High\n",
		"{\"Account Number\":\"1\",\"Control\":\"[check11] Root\",\"Message\":\"r: m\",\"Severity\":\"High\",\"Status\":\"FAIL\",\"Region\":\"r\"}\n{\"Account Number\":\"1\",\"Control\":\"[c] x\",\"Status\":\"Pass\"}\n",
	} {
		f.Add([]byte(s))
	}
	// Small corpus files make good seeds when the corpus is around; the
	// fuzz target must not depend on it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "aws_prowler")); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil && !e.IsDir() && info.Size() < 32<<10 {
				if b, err := os.ReadFile(filepath.Join(dir, "aws_prowler", e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := awsprowler.New()
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
