package scope

import (
	"errors"
	"testing"

	"github.com/ctemhq/ctem/internal/model"
)

// FuzzParse feeds the loader arbitrary bytes: it must never panic, must
// answer with a config or a *ValidationError whose problems all name the
// file, and a config it accepts must evaluate without panicking.
func FuzzParse(f *testing.F) {
	f.Add(ExampleYAML())
	for _, s := range []string{precedenceYAML, membershipYAML, ownersYAML, controlsYAML, zonesYAML} {
		f.Add([]byte(yml(s)))
	}
	f.Add([]byte("a: &a [*a, *a]\nb: &b [*a, *a, *a]\nscopes: [*b, *b]\n"))
	f.Add([]byte("scopes:\n  - name: a\n    assets: |\n      asset.kind ==\n        \"host\" &&\n"))
	f.Add([]byte("scopes: [{name: a, assets: \"asset.tags[\\\"x\\\"] == \\u0022y\\u0022 && asset.bad\"}]\n"))
	f.Add([]byte("zones: [{name: z, cidrs: ['::ffff:10.0.0.0/104']}]\nflows: [{from: z, to: internet, ports: [tcp/1-65535]}]\n"))
	a := model.Asset{Kind: model.AssetHost, Name: "paydb01",
		Identifiers: []model.Identifier{{Kind: model.IDIPv4, Value: "10.40.1.2"}, {Kind: model.IDCloudID, Value: "vpc-1"}},
		Tags:        map[string]string{"env": "prod", "app": "payments"}}
	fnd := &model.Finding{Kind: model.KindVulnerability, Severity: model.SevHigh, CWEs: []int{79}}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("ctem.yaml", data, testNow)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error is not a non-empty *ValidationError: %T %v", err, err)
			}
			for _, p := range ve.Problems {
				if p.File != "ctem.yaml" || p.Line < 0 || p.Column < 0 || p.Message == "" {
					t.Fatalf("malformed problem %+v", p)
				}
			}
			return
		}
		r, _ := c.Resolve(a)
		c.FindingScopes(r.Asset, *fnd)
		c.OwnerOf(r.Asset, fnd)
		c.ControlsFor(r.Asset, fnd, testNow)
		for _, z := range c.Zones() {
			c.Allowed(InternetZone, z.Name, 443, "tcp")
		}
	})
}
