package govulncheck_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/govulncheck"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("{\"config\":{\"protocol_version\":\"v1.0.0\",\"scanner_name\":\"govulncheck\",\"scanner_version\":\"v1.0.1\",\"go_version\":\"go1.21.4\",\"scan_level\":\"symbol\"}}\n{\"osv\":{\"id\":\"GO-2023-1840\",\"aliases\":[\"CVE-2023-29403\"],\"summary\":\"s\",\"severity\":\"Low\",\"affected\":[{\"package\":{\"name\":\"stdlib\"},\"ecosystem_specific\":{\"imports\":[{\"path\":\"runtime\"}]}}],\"database_specific\":{\"url\":\"https://pkg.go.dev/vuln/GO-2023-1840\"}}}\n{\"finding\":{\"osv\":\"GO-2023-1840\",\"fixed_version\":\"v1.20.5\",\"trace\":[{\"module\":\"stdlib\",\"version\":\"v1.20.1\",\"package\":\"runtime\",\"function\":\"F\"},{\"module\":\"m\",\"package\":\"m\",\"function\":\"main\",\"position\":{\"filename\":\"main.go\",\"line\":3}}]}}\n"))
	f.Add([]byte("[{\"config\":{\"scanner_name\":\"govulncheck\"}},{\"SBOM\":{\"modules\":[{\"path\":\"example.com/m\"},{\"path\":\"stdlib\",\"version\":\"v1.22.0\"}]}}]"))
	f.Add([]byte("{\"Calls\":{\"Functions\":{}},\"Requires\":{\"Modules\":{\"1\":{\"ID\":1,\"Path\":\"stdlib\",\"Version\":\"v1.19.0\"}}},\"Vulns\":[{\"OSV\":{\"id\":\"GO-2022-1144\",\"aliases\":[\"CVE-2022-41717\"],\"affected\":[{\"package\":{\"name\":\"stdlib\"},\"ranges\":[{\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.19.4\"}]}]}]},\"Symbol\":\"Serve\",\"PkgPath\":\"net/http\",\"ModPath\":\"stdlib\",\"CallSink\":9,\"ImportSink\":5,\"RequireSink\":1}],\"Modules\":[{\"Path\":\"my\",\"Version\":\"\"}]}"))
	if dir := os.Getenv("CTEM_CORPUS"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "govulncheck", "*"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		govulncheck.New().Detect(in)
		err := govulncheck.New().Parse(context.Background(), strings.NewReader(string(in)), &reporttest.Recorder{})
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
		}
	})
}
