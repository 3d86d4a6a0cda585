package asff_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/asff"
	"github.com/ctemhq/ctem/internal/discover/formats/aws_inspector2"
	"github.com/ctemhq/ctem/internal/discover/formats/aws_prowler"
	"github.com/ctemhq/ctem/internal/discover/formats/aws_prowler_v3plus"
	"github.com/ctemhq/ctem/internal/discover/formats/awssecurityhub"
	"github.com/ctemhq/ctem/internal/discover/formats/checkov"
	"github.com/ctemhq/ctem/internal/discover/formats/kubescape"
	"github.com/ctemhq/ctem/internal/discover/formats/prowler"
	"github.com/ctemhq/ctem/internal/discover/formats/scout_suite"
	"github.com/ctemhq/ctem/internal/discover/formats/tfsec"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

func TestZZDump(t *testing.T) {
	fs := []report.Format{asff.New(), awsinspector2.New(), awsprowler.New(), awsprowlerv3plus.New(), awssecurityhub.New(), checkov.New(), kubescape.New(), prowler.New(), scoutsuite.New(), tfsec.New()}
	dir := "/work/shared/corpus"
	out, _ := os.Create("/tmp/dump.txt")
	defer out.Close()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		filepath.Walk(filepath.Join(dir, e.Name()), func(p string, info os.FileInfo, err error) error {
			if info.IsDir() {
				return nil
			}
			head := reporttest.Head(t, p)
			var claims []string
			for _, f := range fs {
				if s := f.Detect(head); s > 0 {
					claims = append(claims, fmt.Sprintf("%s=%d", f.Name(), s))
				}
			}
			rel, _ := filepath.Rel(dir, p)
			mine := false
			for _, f := range fs {
				if strings.HasPrefix(rel, f.Name()+"/") {
					mine = true
					rec, err := reporttest.ParseFile(t, f, p)
					fmt.Fprintf(out, "=== %s [%s] obs=%d assets=%d err=%v claims=%v\n", rel, f.Name(), len(rec.Observations), len(rec.Assets), err, claims)
					if os.Getenv("DUMP") != "" && strings.Contains(rel, os.Getenv("DUMP")) {
						for _, o := range rec.Observations {
							b, _ := json.Marshal(o)
							fmt.Fprintln(out, string(b))
						}
						for _, a := range rec.Assets {
							b, _ := json.Marshal(a)
							fmt.Fprintln(out, "ASSET", string(b))
						}
					}
				}
			}
			if !mine && len(claims) > 0 {
				fmt.Fprintf(out, "!!! foreign %s claims=%v\n", rel, claims)
			}
			return nil
		})
	}
}
