package snyk_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/snyk"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("{\"vulnerabilities\":[{\"id\":\"SNYK-JS-LODASH-1\",\"title\":\"Proto\",\"severity\":\"high\",\"CVSSv3\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\",\"identifiers\":{\"CVE\":[\"CVE-2021-23337\"],\"CWE\":[\"CWE-94\"]},\"packageName\":\"lodash\",\"name\":\"lodash\",\"version\":\"4.17.11\",\"packageManager\":\"npm\",\"from\":[\"a@1\",\"lodash@4.17.11\"],\"upgradePath\":[false,\"lodash@4.17.21\"],\"isUpgradable\":true,\"fixedIn\":[\"4.17.21\"]}],\"ok\":false,\"packageManager\":\"npm\",\"uniqueCount\":1,\"projectName\":\"p\",\"displayTargetFile\":\"package-lock.json\"}"))
	f.Add([]byte("[{\"vulnerabilities\":[],\"ok\":true,\"projectName\":\"p\",\"packageManager\":\"maven\",\"summary\":\"No known vulnerabilities\"},{\"ok\":false,\"error\":\"x\"}]"))
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "snyk", "*"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		snyk.New().Detect(in)
		err := snyk.New().Parse(context.Background(), strings.NewReader(string(in)), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
		}
	})
}
