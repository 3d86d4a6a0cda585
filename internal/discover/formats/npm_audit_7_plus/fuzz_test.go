package npmaudit7plus_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/npm_audit_7_plus"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("{\"auditReportVersion\":2,\"vulnerabilities\":{\"debug\":{\"name\":\"debug\",\"severity\":\"high\",\"isDirect\":true,\"via\":[{\"source\":1094222,\"name\":\"debug\",\"dependency\":\"debug\",\"title\":\"ReDoS\",\"url\":\"https://github.com/advisories/GHSA-gxpj-cx7g-858c\",\"severity\":\"moderate\",\"cwe\":[\"CWE-400\"],\"cvss\":{\"score\":5.3,\"vectorString\":\"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L\"},\"range\":\"<2.6.9\"},\"ms\"],\"effects\":[],\"range\":\"<=2.6.8\",\"nodes\":[\"node_modules/debug\"],\"fixAvailable\":{\"name\":\"express\",\"version\":\"4.18.3\",\"isSemVerMajor\":false}},\"ms\":{\"name\":\"ms\",\"severity\":\"low\",\"via\":[\"debug\"],\"fixAvailable\":true}},\"metadata\":{}}"))
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "npm_audit_7_plus", "*"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		npmaudit7plus.New().Detect(in)
		err := npmaudit7plus.New().Parse(context.Background(), strings.NewReader(string(in)), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
		}
	})
}
