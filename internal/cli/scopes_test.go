package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const scopeYAML = `scopes:
  - name: dmz
    description: internet-facing web tier
    assets: 'asset.kind == "host" && inCIDR(asset.ips, "10.0.0.0/24")'
    criticality: 4
  - name: registry
    assets: 'asset.kind == "image"'
context_rules:
  - name: web-hosts-face-the-internet
    when: 'asset.fqdns.exists(f, f.startsWith("web01."))'
    set:
      internet_exposed: true
      criticality: 5
`

func TestScopesFromConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ctem.yaml")
	os.WriteFile(cfg, []byte(scopeYAML), 0o644)
	env := map[string]string{"CTEM_CONFIG": cfg}
	if r := run(t, dir, env, "config", "validate"); r.code != 0 || !strings.Contains(r.stdout, "is valid: 2 scopes, 1 context rules") {
		t.Fatalf("validate = %d %s %s", r.code, r.stdout, r.stderr)
	}
	for _, f := range []string{"trivy-alpine.json", "nessus-web01.nessus"} {
		if r := run(t, dir, env, "import", testdata+f); r.code != 0 {
			t.Fatalf("import: %s", r.stderr)
		}
	}
	r := run(t, dir, env, "scopes", "list", "--output", "json")
	var scopes []map[string]any
	json.Unmarshal([]byte(r.stdout), &scopes)
	if len(scopes) != 2 || scopes[0]["name"] != "dmz" || scopes[0]["assets"].(float64) != 1 || scopes[0]["open_findings"].(float64) != 1 ||
		scopes[1]["assets"].(float64) != 1 || scopes[1]["open_findings"].(float64) != 2 {
		t.Errorf("scopes = %s", r.stdout)
	}
	r = run(t, dir, env, "findings", "list", "--scope", "registry", "--output", "json")
	var fs []map[string]any
	json.Unmarshal([]byte(r.stdout), &fs)
	if len(fs) != 2 {
		t.Errorf("findings in registry = %d", len(fs))
	}
	if r = run(t, dir, env, "findings", "list", "--scope", "nope"); r.code != 2 || !strings.Contains(r.stderr, "defined: dmz, registry") {
		t.Errorf("unknown scope = %d %s", r.code, r.stderr)
	}
	r = run(t, dir, env, "assets", "list", "--kind", "host", "--output", "json")
	var as []map[string]any
	json.Unmarshal([]byte(r.stdout), &as)
	if len(as) != 1 || as[0]["criticality"].(float64) != 5 || as[0]["internet_exposed"] != true {
		t.Fatalf("host context = %s", r.stdout)
	}
	id := int(as[0]["id"].(float64))
	r = run(t, dir, env, "assets", "explain", itoa(id))
	if !strings.Contains(r.stdout, `criticality 5 from rule "web-hosts-face-the-internet"`) {
		t.Errorf("explain does not say where criticality came from:\n%s", r.stdout)
	}
	r = run(t, dir, env, "scopes", "show", "dmz")
	if r.code != 0 || !strings.Contains(r.stdout, "members: 1 assets") || !strings.Contains(r.stdout, "high 1") {
		t.Errorf("show = %s %s", r.stdout, r.stderr)
	}
	// Change the config: membership follows without any import.
	os.WriteFile(cfg, []byte(strings.Replace(scopeYAML, `asset.kind == "image"`, `asset.kind == "repository"`, 1)), 0o644)
	r = run(t, dir, env, "scopes", "list", "--output", "json")
	json.Unmarshal([]byte(r.stdout), &scopes)
	if scopes[1]["assets"].(float64) != 0 {
		t.Errorf("membership not refreshed after a config change: %s", r.stdout)
	}
}

func TestConfigValidateAndInit(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("scopes:\n  - name: x\n    assets: 'asset.kind =='\n    criticalty: 3\n"), 0o644)
	r := run(t, dir, nil, "config", "validate", bad)
	if r.code != 1 || !strings.Contains(r.stdout, bad+":3:") || !strings.Contains(r.stdout, bad+":4:") {
		t.Errorf("validate bad = %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// A broken ctem.yaml stops every command with its positions.
	if r := run(t, dir, map[string]string{"CTEM_CONFIG": bad}, "findings", "list"); r.code != 1 || !strings.Contains(r.stderr, bad+":") {
		t.Errorf("command with a broken config = %d %s", r.code, r.stderr)
	}
	path := filepath.Join(dir, "ctem.yaml")
	if r := run(t, dir, nil, "init", "--path", path); r.code != 0 {
		t.Fatalf("init: %s", r.stderr)
	}
	if r := run(t, dir, nil, "init", "--path", path); r.code != 1 || !strings.Contains(r.stderr, "--force") {
		t.Errorf("init over a file = %d %s", r.code, r.stderr)
	}
	if r := run(t, dir, nil, "config", "validate", path); r.code != 0 || !strings.Contains(r.stdout, "is valid") {
		t.Errorf("init output does not validate: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestPrioritizeAndExplain(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ctem.yaml")
	os.WriteFile(cfg, []byte(scopeYAML), 0o644)
	env := map[string]string{"CTEM_CONFIG": cfg}
	if r := run(t, dir, env, "import", testdata+"nessus-web01.nessus", testdata+"trivy-alpine.json"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := run(t, dir, env, "findings", "list", "--output", "json")
	var fs []struct {
		ID       int64  `json:"id"`
		Asset    string `json:"asset_name"`
		Priority struct {
			Band  string `json:"band"`
			Score int    `json:"score"`
		} `json:"priority"`
		SLADue string `json:"sla_due"`
	}
	json.Unmarshal([]byte(r.stdout), &fs)
	if len(fs) != 3 {
		t.Fatalf("findings = %s", r.stdout)
	}
	for _, f := range fs {
		if f.Priority.Band == "" || f.SLADue == "" {
			t.Errorf("finding %d has no decision: %+v", f.ID, f)
		}
	}
	// The internet-facing, criticality 5 host's finding outranks the same
	// CVE in an image nobody exposes.
	var host, image int
	for _, f := range fs {
		if f.Asset == "web01.corp.example.com" {
			host = f.Priority.Score
		} else if image == 0 {
			image = f.Priority.Score
		}
	}
	if host <= image {
		t.Errorf("host points %d should exceed image points %d", host, image)
	}
	r = run(t, dir, env, "findings", "explain", itoa(int(fs[0].ID)))
	if r.code != 0 || !strings.Contains(r.stdout, "rules fired:") || !strings.Contains(r.stdout, "inputs:") {
		t.Errorf("explain = %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, dir, env, "findings", "explain", itoa(int(fs[0].ID)), "--output", "json")
	var d map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || d["band"] == nil {
		t.Errorf("explain json = %v %s", err, r.stdout)
	}
	r = run(t, dir, env, "prioritize", "run")
	if r.code != 0 || !strings.Contains(r.stdout, "3 open findings decided") {
		t.Errorf("prioritize run = %s %s", r.stdout, r.stderr)
	}
}

func TestScopeFindingSelector(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ctem.yaml")
	os.WriteFile(cfg, []byte(`scopes:
  - name: openssl-in-images
    assets: asset.kind == "image"
    findings: finding.component.name == "libssl1.1"
`), 0o644)
	env := map[string]string{"CTEM_CONFIG": cfg}
	if r := run(t, dir, env, "import", testdata+"trivy-alpine.json", testdata+"nessus-web01.nessus"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := run(t, dir, env, "findings", "list", "--scope", "openssl-in-images", "--output", "json")
	var fs []map[string]any
	json.Unmarshal([]byte(r.stdout), &fs)
	if len(fs) != 1 || fs[0]["vuln_id"] != "CVE-2020-1967" {
		t.Errorf("scope findings = %s", r.stdout)
	}
	r = run(t, dir, env, "scopes", "list", "--output", "json")
	var scopes []map[string]any
	json.Unmarshal([]byte(r.stdout), &scopes)
	if len(scopes) != 1 || scopes[0]["assets"].(float64) != 1 || scopes[0]["open_findings"].(float64) != 1 {
		t.Errorf("scopes = %s", r.stdout)
	}
}
