package wizclidir_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	wizclidir "github.com/ctemhq/ctem/internal/discover/formats/wizcli_dir"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestContent(t *testing.T) {
	reporttest.CorpusDir(t)
	rec := reporttest.ParseCorpus(t, wizclidir.New(), "wizcli_dir/wizcli_dir_many_vul.json")
	for i, want := range []struct {
		title, cve string
		sev        model.Severity
	}{
		{"golang.org/x/net - CVE-2023-44487", "CVE-2023-44487", model.SevMedium},
		{"golang.org/x/net - CVE-2023-45288", "CVE-2023-45288", model.SevMedium},
	} {
		o := rec.Observations[i]
		if o.Finding.Title != want.title || o.Finding.VulnID != want.cve || o.Finding.Severity != want.sev ||
			o.Finding.Location.File != "/grpc/proto/go.mod" || o.Finding.Location.Line != 0 {
			t.Errorf("finding[%d] = %+v", i, o.Finding)
		}
	}
	o := rec.Observations[0]
	wantComp := model.Component{Name: "golang.org/x/net", Version: "0.14.0", FixedVersion: "0.17.0", Path: "/grpc/proto/go.mod"}
	if diff := cmp.Diff(wantComp, o.Finding.Component); diff != "" {
		t.Errorf("component (-want +got):\n%s", diff)
	}
	// A local directory names no repository: the pipeline names it.
	if diff := cmp.Diff(report.AssetRef{Kind: model.AssetRepository}, o.Asset); diff != "" {
		t.Errorf("asset (-want +got):\n%s", diff)
	}
	sec := rec.Observations[len(rec.Observations)-1]
	if sec.Finding.Kind != model.KindSecret || sec.Finding.Severity != model.SevHigh || sec.Finding.Location.File != "/testing.go" ||
		sec.Finding.Location.Line != 35 || sec.Finding.RuleID != "PASSWORD" || sec.Secret != "" || sec.Anchor == "" {
		t.Errorf("secret = %+v", sec)
	}

	rec = reporttest.ParseCorpus(t, wizclidir.New(), "wizcli_dir/wizcli_dir_one_vul.json")
	if o := rec.Observations[0]; o.Finding.Title != "google.golang.org/protobuf - CVE-2024-24786" || o.Finding.Severity != model.SevMedium || o.Finding.Location.File != "/grpc/proto/go.mod" {
		t.Errorf("one_vul = %+v", o.Finding)
	}
}

var fuzzSeeds = []string{
	`{"scanOriginResource":{"__typename":"CICDScanOriginDirectory","name":"/src"},"result":{"__typename":"CICDDiskScanResult","libraries":[{"name":"a","version":"1","path":"/go.mod","vulnerabilities":[{"name":"CVE-2023-1","severity":"HIGH","fixedVersion":"2","source":"https://x","score":7.5,"hasCisaKevExploit":true,"cvssV3Metrics":{"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}]}],"secrets":[{"id":null,"description":"d","path":"/a","lineNumber":1,"type":"PASSWORD","snippet":"x"}]}}`,
}
