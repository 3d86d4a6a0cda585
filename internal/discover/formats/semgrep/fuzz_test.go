package semgrep_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/semgrep"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("{\"results\":[{\"check_id\":\"a.b.c\",\"path\":\"x.py\",\"start\":{\"line\":3,\"col\":1},\"end\":{\"line\":4,\"col\":2},\"extra\":{\"message\":\"Bad. Very.\",\"severity\":\"ERROR\",\"lines\":\"x = 1\",\"metadata\":{\"cwe\":[\"CWE-79: XSS\"],\"references\":[\"https://a\"]},\"fingerprint\":\"requires login\"}}],\"errors\":[]}"))
	f.Add([]byte("{\"vulns\":[{\"title\":\"t\",\"advisory\":{\"ruleId\":\"ssc-1\",\"severity\":\"HIGH\",\"references\":{\"cveIds\":[\"CVE-2023-1428\"],\"cweIds\":[\"CWE-617: x\"],\"urls\":[\"https://github.com/advisories/GHSA-6628-q6j9-w8vg\"]}},\"repositoryName\":\"o/r\",\"matchedDependency\":{\"name\":\"grpcio\",\"versionSpecifier\":\"1.47.0\"},\"dependencyFileLocation\":{\"path\":\"requirements.txt\",\"startLine\":\"2\"}}]}"))
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "semgrep", "*"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		semgrep.New().Detect(in)
		err := semgrep.New().Parse(context.Background(), strings.NewReader(string(in)), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
		}
	})
}
