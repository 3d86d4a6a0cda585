package wizcliimg_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	wizcliimg "github.com/ctemhq/ctem/internal/discover/formats/wizcli_img"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestContent(t *testing.T) {
	reporttest.CorpusDir(t)
	rec := reporttest.ParseCorpus(t, wizcliimg.New(), "wizcli_img/wizcli_img_many_vul.json")
	for i, want := range []struct{ title, pkg string }{
		{"libcrypto3 - CVE-2024-5535", "libcrypto3"},
		{"libssl3 - CVE-2024-5535", "libssl3"},
	} {
		o := rec.Observations[i]
		if o.Finding.Title != want.title || o.Finding.Severity != model.SevLow || o.Finding.Component.Name != want.pkg ||
			o.Finding.Component.Version != "3.3.1-r0" || o.Finding.Component.FixedVersion != "3.3.1-r1" ||
			o.Finding.Location.File != "" || o.Finding.VulnID != "CVE-2024-5535" {
			t.Errorf("finding[%d] = %+v", i, o.Finding)
		}
	}
	want := report.AssetRef{Kind: model.AssetImage, Name: "wizcli-imagescan", Identifiers: []model.Identifier{{Kind: model.IDImageRef, Value: "wizcli-imagescan"}}}
	if diff := cmp.Diff(want, rec.Assets[0]); diff != "" {
		t.Errorf("asset (-want +got):\n%s", diff)
	}

	rec = reporttest.ParseCorpus(t, wizcliimg.New(), "wizcli_img/wizcli_img_one_vul.json")
	o := rec.Observations[0]
	if !strings.HasPrefix(o.Finding.Title, "Secret: Password in URL (postgresql://postgres:---REDACTED---@localhos") ||
		o.Finding.Severity != model.SevHigh || o.Finding.Location.File != "/app/testing.go" || o.Finding.Kind != model.KindSecret {
		t.Errorf("secret = %+v", o.Finding)
	}
}

func TestImageIdentifiers(t *testing.T) {
	in := `{"scanOriginResource":{"__typename":"CICDScanOriginContainerImage","name":"registry.example.com/app:1.2","id":"` + strings.Repeat("a", 64) + `","digest":"registry.example.com/app@sha256:` + strings.Repeat("b", 64) + `"},"result":{"osPackages":null}}`
	rec := &reporttest.Recorder{}
	if err := wizcliimg.New().Parse(context.Background(), strings.NewReader(in), rec); err != nil {
		t.Fatal(err)
	}
	want := []model.Identifier{
		{Kind: model.IDImageRef, Value: "registry.example.com/app:1.2"},
		{Kind: model.IDImageDigest, Value: "sha256:" + strings.Repeat("b", 64)},
		{Kind: model.IDImageID, Value: "sha256:" + strings.Repeat("a", 64)},
	}
	if diff := cmp.Diff(want, rec.Assets[0].Identifiers); diff != "" {
		t.Errorf("identifiers (-want +got):\n%s", diff)
	}
}

var fuzzSeeds = []string{
	`{"scanOriginResource":{"__typename":"CICDScanOriginContainerImage","name":"img:1","digest":"sha256:00"},"result":{"osPackages":[{"name":"p","version":"1","vulnerabilities":[{"name":"CVE-2024-1","severity":"CRITICAL","fixedVersion":"2"}]}],"libraries":[{"name":"l","version":"1","path":"/app/go.mod","vulnerabilities":[{"name":"GHSA-xxxx-xxxx-xxxx","severity":"LOW"}]}]}}`,
}
