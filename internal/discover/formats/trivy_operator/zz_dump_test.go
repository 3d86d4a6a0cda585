package trivyoperator_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	dc "github.com/ctemhq/ctem/internal/discover/formats/dependency_check"
	"github.com/ctemhq/ctem/internal/discover/formats/gitleaks"
	"github.com/ctemhq/ctem/internal/discover/formats/govulncheck"
	npm "github.com/ctemhq/ctem/internal/discover/formats/npm_audit"
	npm7 "github.com/ctemhq/ctem/internal/discover/formats/npm_audit_7_plus"
	osv "github.com/ctemhq/ctem/internal/discover/formats/osv_scanner"
	"github.com/ctemhq/ctem/internal/discover/formats/semgrep"
	"github.com/ctemhq/ctem/internal/discover/formats/snyk"
	sc "github.com/ctemhq/ctem/internal/discover/formats/snyk_code"
	to "github.com/ctemhq/ctem/internal/discover/formats/trivy_operator"
	"github.com/ctemhq/ctem/internal/discover/formats/trufflehog"
	"github.com/ctemhq/ctem/internal/discover/formats/trufflehog3"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func TestZZDump(t *testing.T) {
	spec := os.Getenv("DUMP")
	if spec == "" {
		t.Skip()
	}
	fs := map[string]report.Format{"dependency_check": dc.New(), "gitleaks": gitleaks.New(), "govulncheck": govulncheck.New(), "npm_audit": npm.New(), "npm_audit_7_plus": npm7.New(), "osv_scanner": osv.New(), "semgrep": semgrep.New(), "snyk": snyk.New(), "snyk_code": sc.New(), "trivy_operator": to.New(), "trufflehog": trufflehog.New(), "trufflehog3": trufflehog3.New()}
	for _, p := range strings.Split(spec, ",") {
		parts := strings.SplitN(p, ":", 2)
		rec, err := reporttest.ParseFile(t, fs[parts[0]], parts[1])
		fmt.Printf("== %s err=%v assets=%d obs=%d\n", p, err, len(rec.Assets), len(rec.Observations))
		for _, a := range rec.Assets {
			b, _ := json.Marshal(a)
			fmt.Println("A", string(b))
		}
		for i, o := range rec.Observations {
			if i >= 3 {
				break
			}
			if len(o.Finding.Description) > 100 {
				o.Finding.Description = o.Finding.Description[:100] + "..."
			}
			if len(o.Finding.Remediation) > 100 {
				o.Finding.Remediation = o.Finding.Remediation[:100] + "..."
			}
			b, _ := json.MarshalIndent(o, "", " ")
			fmt.Println("O", string(b))
		}
	}
}

func TestZZCounts(t *testing.T) {
	if os.Getenv("COUNTS") == "" {
		t.Skip()
	}
	fs := map[string]report.Format{"dependency_check": dc.New(), "gitleaks": gitleaks.New(), "govulncheck": govulncheck.New(), "npm_audit": npm.New(), "npm_audit_7_plus": npm7.New(), "osv_scanner": osv.New(), "semgrep": semgrep.New(), "snyk": snyk.New(), "snyk_code": sc.New(), "trivy_operator": to.New(), "trufflehog": trufflehog.New(), "trufflehog3": trufflehog3.New()}
	dir := reporttest.CorpusDir(t)
	for _, row := range reporttest.Manifest(t) {
		f, ok := fs[row.Format]
		if !ok {
			continue
		}
		rec, err := reporttest.ParseFile(t, f, dir+"/"+row.File)
		e := ""
		if err != nil {
			e = "ERROR"
		}
		exp := fmt.Sprint(row.Expected)
		if strings.Contains(row.Details, "parse expected to raise") {
			exp = "raise"
		}
		fmt.Printf("%s\t%s\t%s\t%d%s\n", row.Format, row.File, exp, len(rec.Observations), e)
	}
}
