package snykcode_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/snyk_code"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("{\"$schema\":\"sarif\",\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"SnykCode\",\"rules\":[{\"id\":\"js/XSS\",\"shortDescription\":{\"text\":\"XSS\"},\"properties\":{\"cwe\":[\"CWE-79\"]}}]}},\"results\":[{\"ruleId\":\"js/XSS\",\"ruleIndex\":0,\"level\":\"warning\",\"message\":{\"text\":\"m\"},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"a.ts\"},\"region\":{\"startLine\":3,\"endLine\":4}}}],\"fingerprints\":{\"0\":\"abc\"},\"properties\":{\"priorityScore\":504}}]}]}"))
	f.Add([]byte("{\"runs\":[{\"results\":[{\"ruleId\":\"r\",\"ruleIndex\":5}],\"tool\":{\"driver\":{\"name\":\"SnykCode\"}}}]}"))
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "snyk_code", "*"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		snykcode.New().Detect(in)
		err := snykcode.New().Parse(context.Background(), strings.NewReader(string(in)), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
		}
	})
}
