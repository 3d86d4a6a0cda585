package scope

import (
	"testing"

	"github.com/ctemhq/ctem/internal/model"
)

func benchAsset() model.Asset {
	return model.Asset{Kind: model.AssetHost, Name: "paydb01",
		Identifiers: []model.Identifier{
			{Kind: model.IDHostname, Value: "paydb01"}, {Kind: model.IDFQDN, Value: "paydb01.acme.example"},
			{Kind: model.IDIPv4, Value: "10.40.1.2"}, {Kind: model.IDCloudID, Value: "i-0abc"},
		},
		Tags:       map[string]string{"env": "prod"},
		Attributes: map[string]string{"account": "111122223333", "os": "linux"}}
}

// BenchmarkResolve is the per-asset cost of the import hook with the
// example configuration (4 context rules, 3 scopes, 4 zones).
func BenchmarkResolve(b *testing.B) {
	c, err := Parse("ctem.yaml", ExampleYAML(), testNow)
	if err != nil {
		b.Fatal(err)
	}
	a := benchAsset()
	for b.Loop() {
		if _, err := c.Resolve(a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSelector is one typical selector evaluation.
func BenchmarkSelector(b *testing.B) {
	c, err := Parse("ctem.yaml", []byte("scopes:\n  - name: s\n    assets: asset.kind == \"host\" && asset.tags[\"env\"] == \"prod\"\n"), testNow)
	if err != nil {
		b.Fatal(err)
	}
	act := c.act(new(benchAsset()), nil)
	p := c.scopes[0].assets
	for b.Loop() {
		if ok, err := p.eval(act); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkParse is loading the example: env construction and compiling
// every expression.
func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse("ctem.yaml", ExampleYAML(), testNow); err != nil {
			b.Fatal(err)
		}
	}
}
