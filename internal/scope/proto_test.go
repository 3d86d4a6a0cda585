package scope

import (
	"testing"
	"time"
)

func TestProto(t *testing.T) {
	env, err := newEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{`asset.kind == "host" && asset.tags["env"] == "prod"`, `asset.nope == 1`, `asset.criticality`, `asset.identifiers.exists(i, i.kind == "ipv4" && i.value.startsWith("10."))`, `"a" in asset.hostnames`, `has(asset.tags.env)`} {
		ast, iss := env.Compile(src)
		if iss.Err() != nil {
			t.Logf("%s: %v", src, iss.Err())
			for _, e := range iss.Errors() {
				t.Logf("  loc %d:%d %s", e.Location.Line(), e.Location.Column(), e.Message)
			}
			continue
		}
		t.Logf("%s: %v", src, ast.OutputType())
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		a := &assetVars{Kind: "host", Tags: map[string]string{"env": "prod"}, Identifiers: []identVars{{"ipv4", "10.1.1.1"}}, Hostnames: []string{"a"}}
		v, _, err := prg.Eval(map[string]any{"asset": a, "now": time.Now()})
		t.Logf("  => %v %v", v, err)
	}
}

func BenchmarkProto(b *testing.B) {
	env, _ := newEnv()
	ast, _ := env.Compile(`asset.kind == "host" && asset.tags["env"] == "prod" && asset.identifiers.exists(i, i.kind == "ipv4" && i.value.startsWith("10."))`)
	prg, _ := env.Program(ast)
	a := &assetVars{Kind: "host", Tags: map[string]string{"env": "prod"}, Identifiers: []identVars{{"ipv4", "10.1.1.1"}}, Hostnames: []string{"a"}}
	vars := map[string]any{"asset": a, "now": time.Now()}
	for b.Loop() {
		prg.Eval(vars)
	}
}
