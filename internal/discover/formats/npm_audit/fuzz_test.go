package npmaudit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/npm_audit"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("{\"actions\":[],\"advisories\":{\"146\":{\"findings\":[{\"version\":\"1.9.2\",\"paths\":[\"a>growl\"]}],\"id\":146,\"title\":\"Command Injection\",\"module_name\":\"growl\",\"cves\":[\"CVE-2017-16042\"],\"vulnerable_versions\":\"<1.10.2\",\"patched_versions\":\">=1.10.2\",\"overview\":\"o\",\"recommendation\":\"r\",\"references\":\"[x](https://e.org/a)\",\"severity\":\"critical\",\"cwe\":\"CWE-94\",\"url\":\"https://npmjs.com/advisories/146\"}},\"muted\":[],\"metadata\":{}}"))
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "npm_audit", "*"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		npmaudit.New().Detect(in)
		err := npmaudit.New().Parse(context.Background(), strings.NewReader(string(in)), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
		}
	})
}
