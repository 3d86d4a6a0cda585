package osvscanner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/osv_scanner"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("{\"results\":[{\"source\":{\"path\":\"/x/yarn.lock\",\"type\":\"lockfile\"},\"packages\":[{\"package\":{\"name\":\"flot-axis\",\"version\":\"0.0.0\",\"ecosystem\":\"npm\"},\"vulnerabilities\":[{\"id\":\"MAL-2023-1035\",\"aliases\":[\"GHSA-8348-2q94-ffjx\"],\"summary\":\"Malicious\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"flot-axis\",\"purl\":\"pkg:npm/flot-axis\"},\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"}]}],\"database_specific\":{\"cwes\":[{\"cweId\":\"CWE-506\"}]}}]}],\"groups\":[{\"ids\":[\"MAL-2023-1035\"],\"aliases\":[\"GHSA-8348-2q94-ffjx\",\"MAL-2023-1035\"]}]}]}]}"))
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "osv_scanner", "*"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		osvscanner.New().Detect(in)
		err := osvscanner.New().Parse(context.Background(), strings.NewReader(string(in)), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
		}
	})
}
