package gitleaks_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/gitleaks"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("[{\"Description\":\"AWS\",\"StartLine\":2,\"EndLine\":2,\"Match\":\"k=secretvalue\",\"Secret\":\"secretvalue\",\"File\":\"f\",\"Commit\":\"c\",\"RuleID\":\"aws\",\"Fingerprint\":\"c:f:aws:2\",\"Tags\":[\"a\"]}]"))
	f.Add([]byte("[{\"line\":\"x=REDACTED\",\"lineNumber\":3,\"offender\":\"REDACTED\",\"commit\":\"c\",\"repoURL\":\"u\",\"rule\":\"AWS\",\"file\":\"f\",\"tags\":\"key, AWS\"}]"))
	f.Add([]byte("null"))
	f.Add([]byte("[]"))
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "gitleaks", "*"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		gitleaks.New().Detect(in)
		err := gitleaks.New().Parse(context.Background(), strings.NewReader(string(in)), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
		}
	})
}
