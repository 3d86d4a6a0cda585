package wizcli_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/discover/formats/internal/wizcli"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/discover/report/reporttest"
	"github.com/ctemhq/ctem/internal/model"
)

func TestDetectOrigin(t *testing.T) {
	tests := []struct {
		head, origin, result string
	}{
		{`{"scanOriginResource":{"__typename":"CICDScanOriginContainerImage","name":"nginx"},"result":{"__typename":"CICDContainerImageScanResult"}}`, "CICDScanOriginContainerImage", "CICDContainerImageScanResult"},
		{`{"result": {"__typename" : "CICDIACScanResult"}`, "", "CICDIACScanResult"},
		{`{"scanOriginResource":{"__typename":"CICDScanOriginDirectory"}}`, "CICDScanOriginDirectory", ""},
		{`{"__typename":"SomethingElse"}`, "", ""},
	}
	for _, tt := range tests {
		origin, result := wizcli.DetectOrigin([]byte(tt.head))
		if origin != tt.origin || result != tt.result {
			t.Errorf("DetectOrigin(%s) = %q, %q; want %q, %q", tt.head, origin, result, tt.origin, tt.result)
		}
	}
}

func image(o wizcli.Origin) report.AssetRef {
	return report.AssetRef{Kind: model.AssetImage, Name: o.Name}
}

func TestParseScan(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		asset  string
		obs    []string // tool ids in order
		errStr string
	}{
		{
			name:  "origin first, one observation per package vulnerability",
			doc:   `{"scanOriginResource":{"name":"nginx:1"},"result":{"osPackages":[{"name":"openssl","version":"1.1","vulnerabilities":[{"name":"CVE-2024-1","severity":"HIGH"},{"name":"CVE-2024-1","severity":"HIGH"}]}]}}`,
			asset: "nginx:1",
			obs:   []string{"CVE-2024-1"},
		},
		{
			name:  "origin after the result: observations wait for the asset",
			doc:   `{"result":{"secrets":[{"type":"AWS","path":"a.env","lineNumber":3}],"ruleMatches":[{"rule":{"id":"R1","name":"Open bucket"},"severity":"MEDIUM","matches":[{"fileName":"main.tf","lineNumber":1}]}]},"scanOriginResource":{"name":"late"}}`,
			asset: "late",
			obs:   []string{"AWS", "R1"},
		},
		{
			name:  "no origin: an empty one names the asset",
			doc:   `{"result":{}}`,
			asset: "",
		},
		{
			name:   "no result",
			doc:    `{"scanOriginResource":{"name":"x"}}`,
			errStr: `expected a wiz CLI scan result with a "result" object`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &reporttest.Recorder{}
			err := wizcli.ParseScan(context.Background(), strings.NewReader(tt.doc), rec, image)
			if tt.errStr != "" {
				var pe *report.ParseError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.errStr) {
					t.Fatalf("error = %v, want a ParseError saying %q", err, tt.errStr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Assets) != 1 || rec.Assets[0].Name != tt.asset {
				t.Fatalf("assets = %+v, want one named %q", rec.Assets, tt.asset)
			}
			var ids []string
			for _, o := range rec.Observations {
				if o.Asset.Name != tt.asset {
					t.Errorf("observation %s on %q, want %q", o.ToolID, o.Asset.Name, tt.asset)
				}
				ids = append(ids, o.ToolID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.obs, ",") {
				t.Errorf("observations %v, want %v", ids, tt.obs)
			}
		})
	}
}
