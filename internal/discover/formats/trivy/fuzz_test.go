package trivy_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/trivy"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
)

var fuzzSeeds = []string{
	"null",
	"[]",
	`[{"Target":"img (alpine 3.7.1)","Type":"alpine","Vulnerabilities":[{"VulnerabilityID":"CVE-2018-1","PkgName":"curl","InstalledVersion":"1","Severity":"HIGH"}]}]`,
	sameImage,
	`{"SchemaVersion":2,"ArtifactName":".","ArtifactType":"filesystem","Results":[{"Target":"Dockerfile","Class":"config","Type":"dockerfile","Misconfigurations":[{"ID":"DS002","Title":"root","Severity":"HIGH","Status":"FAIL","CauseMetadata":{"StartLine":1,"Code":{"Lines":[{"Number":1,"Content":"FROM x","IsCause":true}]}}}]},{"Target":"a.env","Class":"secret","Secrets":[{"RuleID":"r","Severity":"LOW","Match":"K=***","StartLine":2}]}]}`,
	`{"SchemaVersion":2,"ArtifactName":"alpine:3.11","ArtifactType":"container_image","Results":[{"Target":"OS Packages","Class":"license","Licenses":[{"Severity":"HIGH","Category":"restricted","PkgName":"busybox","Name":"GPL-2.0","Confidence":1}]}]}`,
	`{"ClusterName":"c","Resources":[{"Namespace":"n","Kind":"Deployment","Name":"d","Metadata":{"ImageID":"sha256:1","RepoTags":["x:1"]},"Results":[{"Target":"x:1 (debian 12)","Class":"os-pkgs","Vulnerabilities":[{"VulnerabilityID":"CVE-1","PkgName":"p","CVSS":{"nvd":{"V3Vector":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}]}]}]}`,
	`{"ClusterName":"c","Vulnerabilities":[{"Namespace":"n","Kind":"Pod","Name":"p","Results":[]}],"Misconfigurations":[{"Kind":"Pod","Name":"p","Results":[{"Target":"Pod/p","Misconfigurations":[{"ID":"KSV1","Status":"FAIL"}]}]}]}`,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	// Small corpus files too, when the corpus is there; the target does
	// not need it.
	dir := os.Getenv("CTEM_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "trivy", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := &reporttest.Recorder{}
		err := trivy.New().Parse(context.Background(), strings.NewReader(string(data)), rec)
		if err != nil {
			var pe *report.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
			return
		}
		for _, o := range rec.Observations {
			if o.Finding.Kind == "" || o.Finding.Severity == "" || o.Asset.Kind == "" {
				t.Fatalf("incomplete observation %+v", o)
			}
		}
		_ = trivy.New().Detect(data)
	})
}
