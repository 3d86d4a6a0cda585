package sarif_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/sarif"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"runs":[]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","rules":[{"id":"R","messageStrings":{"m":{"text":"a {0} {1}"}}}]}},"results":[{"ruleIndex":0,"message":{"id":"m","arguments":["b"]},"locations":[{"physicalLocation":{"artifactLocation":{"index":0},"region":{"startLine":2,"endLine":1}}}]}],"artifacts":[{"location":{"uri":"f"}}]}]}`,
		`{"runs":[{"results":[{"ruleId":"CVE-2020-0001","fingerprints":{"x/vz":"1"},"suppressions":[{}]}],"versionControlProvenance":[{"repositoryUri":"r"}]}]}`,
		`{"runs":[{"tool":{"driver":{"name":"gitleaks"},"extensions":[{"rules":[{"id":"e"}]}]},"results":[{"rule":{"index":0,"toolComponent":{"index":0}},"properties":{"offender":"s3cr3t","cwe":["CWE-1"]},"taxa":[{"id":"2","toolComponent":{"name":"CWE"}}]}]}]}`,
		`{"runs":[{"tool":{"driver":{"rules":[{"id":"a","properties":{"security-severity":"x"},"relationships":[{"target":{"id":"CWE-9"}}]}]}},"results":[{"ruleId":"a/b","level":7,"message":{"text":"{{0}} {9999999999}"}}]}]}`,
	} {
		f.Add([]byte(s))
	}
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		// Small files only: the fuzzer minimizes large inputs slowly.
		for _, name := range []string{"appendix_k2.sarif", "appendix_k3.sarif", "njsscan.sarif", "dockle_0_3_15.sarif", "SuppressionTestCurrent.sarif", "suppression_test.sarif"} {
			if data, err := os.ReadFile(filepath.Join(dir, "sarif", name)); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, seekable := range []bool{true, false} {
			var r interface{ Read([]byte) (int, error) } = bytes.NewReader(data)
			if !seekable {
				r = onlyReader{bytes.NewReader(data)}
			}
			rec := &reporttest.Recorder{}
			err := sarif.New().Parse(context.Background(), r, rec)
			if err != nil {
				var pe *report.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v (%T) is not a ParseError", err, err)
				}
				continue
			}
			for _, o := range rec.Observations {
				if len(o.Finding.Title) > 250 {
					t.Fatalf("title too long: %d", len(o.Finding.Title))
				}
				if o.Secret != "" && bytes.Contains([]byte(o.Evidence), []byte(o.Secret)) && len(o.Secret) > 3 {
					t.Fatalf("secret in evidence: %q", o.Evidence)
				}
			}
		}
		_ = sarif.New().Detect(data)
	})
}
