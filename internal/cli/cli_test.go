package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/cli"
)

type result struct {
	code           int
	stdout, stderr string
}

// run runs ctem in-process with a database in dir and the given environment.
func run(t *testing.T, dir string, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "CTEM_DB" {
			return filepath.Join(dir, "ctem.db")
		}
		return ""
	}
	code := cli.Run(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errb, Getenv: getenv})
	return result{code, out.String(), errb.String()}
}

const testdata = "../discover/testdata/"

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"version"}, 0, ""},
		{[]string{"nope"}, 2, "unknown command"},
		{[]string{"findings", "list", "--bogus"}, 2, "unknown flag"},
		{[]string{"findings", "list", "--output", "xml"}, 2, "want table, json or csv"},
		{[]string{"findings", "list", "--status", "closed"}, 2, "status"},
		{[]string{"assets", "explain"}, 2, "accepts 1 arg"},
		{[]string{"assets", "explain", "abc"}, 2, "want a positive id"},
		{[]string{"findings", "show", "99"}, 1, "finding 99: not found"},
		{[]string{"import", filepath.Join(dir, "missing.json")}, 1, "no such file"},
		{[]string{"import", "--format", "nosuch", testdata + "trivy-alpine.json"}, 1, "unknown format"},
	}
	for _, tc := range tests {
		r := run(t, dir, nil, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.err) {
			t.Errorf("ctem %s = %d %q, want %d and %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.code, tc.err)
		}
		if tc.code != 0 && strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("ctem %s: error should be one line, got %q", strings.Join(tc.args, " "), r.stderr)
		}
	}
}

func TestImportAndList(t *testing.T) {
	dir := t.TempDir()
	r := run(t, dir, nil, "import", "--output", "json", testdata+"trivy-alpine.json")
	if r.code != 0 {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	var res struct {
		Import struct {
			Source string
			Counts map[string]int
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("import json: %v\n%s", err, r.stdout)
	}
	if res.Import.Source != "trivy" || res.Import.Counts["new"] != 2 {
		t.Errorf("import = %+v", res)
	}
	r = run(t, dir, nil, "import", testdata+"grype-alpine.json", testdata+"nessus-web01.nessus")
	if r.code != 0 || !strings.Contains(r.stdout, "also reported by another tool 1") {
		t.Errorf("import table = %d %s %s", r.code, r.stdout, r.stderr)
	}

	r = run(t, dir, nil, "findings", "list", "--output", "json")
	var fs []struct {
		ID      int64    `json:"id"`
		VulnID  string   `json:"vuln_id"`
		Status  string   `json:"status"`
		Sources []string `json:"sources"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil || len(fs) != 4 {
		t.Fatalf("findings json: %v %d\n%s", err, len(fs), r.stdout)
	}
	for _, f := range fs {
		if f.ID == 0 || f.Status != "open" {
			t.Errorf("finding %+v", f)
		}
	}
	r = run(t, dir, nil, "findings", "list", "--output", "csv", "--severity", "critical")
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][7] != "CVE-2021-44228" {
		t.Errorf("csv = %v %v", rows, err)
	}
	r = run(t, dir, nil, "findings", "list", "--limit", "1")
	if !strings.Contains(r.stdout, "more with --after") {
		t.Errorf("table paging hint missing:\n%s", r.stdout)
	}
	r = run(t, dir, nil, "findings", "list", "--output", "json", "--limit", "2", "--after", "1")
	var two []map[string]any
	json.Unmarshal([]byte(r.stdout), &two)
	if len(two) != 2 || two[0]["id"].(float64) != 2 {
		t.Errorf("json --limit 2 --after 1 = %v", two)
	}
	r = run(t, dir, nil, "findings", "show", "1")
	if r.code != 0 || !strings.Contains(r.stdout, "detections:") || !strings.Contains(r.stdout, "anchore_grype") {
		t.Errorf("show = %s", r.stdout)
	}
	r = run(t, dir, nil, "findings", "set-status", "1", "false-positive", "--note", "vendor backport")
	if r.code != 0 {
		t.Fatalf("set-status: %s", r.stderr)
	}
	r = run(t, dir, nil, "findings", "list", "--status", "false-positive", "--output", "json")
	json.Unmarshal([]byte(r.stdout), &fs)
	if len(fs) != 1 || fs[0].Status != "false_positive" {
		t.Errorf("false positives = %+v", fs)
	}
	r = run(t, dir, nil, "assets", "list", "--output", "json", "--kind", "host")
	var as []map[string]any
	json.Unmarshal([]byte(r.stdout), &as)
	if len(as) != 1 || as[0]["name"] != "web01.corp.example.com" {
		t.Errorf("hosts = %v", as)
	}
	r = run(t, dir, nil, "assets", "explain", "1")
	if r.code != 0 || !strings.Contains(r.stdout, "image_digest=sha256:cb8a924") || !strings.Contains(r.stdout, "by rule new-asset") {
		t.Errorf("explain = %s", r.stdout)
	}
	r = run(t, dir, nil, "imports", "--output", "json")
	var imps []map[string]any
	json.Unmarshal([]byte(r.stdout), &imps)
	if len(imps) != 3 {
		t.Errorf("imports = %s", r.stdout)
	}
}

func TestMergeExplainSplit(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	// nmap-like: IP only; then an agent: hostname only; then a scanner
	// seeing both by FQDN — the first two are one machine.
	a := write("a.json", `{"ctem": "findings/v1", "findings": [{"asset": {"kind": "host", "identifiers": {"fqdn": "pay01.corp.example.com"}}, "kind": "exposed_service", "title": "Open port 443/tcp", "location": {"port": 443, "protocol": "tcp"}}]}`)
	b := write("b.json", `{"ctem": "findings/v1", "findings": [{"asset": {"kind": "host", "identifiers": {"mac": "00:11:22:33:44:55"}}, "kind": "vulnerability", "title": "x", "vuln_id": "CVE-2024-1111"}]}`)
	c := write("c.json", `{"ctem": "findings/v1", "assets": [{"kind": "host", "identifiers": {"fqdn": "pay01.corp.example.com", "mac": "00:11:22:33:44:55"}}], "findings": []}`)
	for _, f := range []string{a, b} {
		if r := run(t, dir, nil, "import", f); r.code != 0 {
			t.Fatal(r.stderr)
		}
	}
	r := run(t, dir, nil, "import", c)
	if !strings.Contains(r.stdout, "merged asset 2") {
		t.Fatalf("merge not reported:\n%s", r.stdout)
	}
	r = run(t, dir, nil, "assets", "explain", "1")
	if !strings.Contains(r.stdout, "asset 2 merged into 1") || !strings.Contains(r.stdout, "shared-strong-identifier:") {
		t.Errorf("explain:\n%s", r.stdout)
	}
	r = run(t, dir, nil, "assets", "list", "--output", "json")
	var as []map[string]any
	json.Unmarshal([]byte(r.stdout), &as)
	if len(as) != 1 {
		t.Errorf("assets after merge = %d", len(as))
	}
	if r = run(t, dir, nil, "assets", "split", "2"); r.code != 0 {
		t.Fatalf("split: %s", r.stderr)
	}
	r = run(t, dir, nil, "assets", "list", "--output", "json")
	json.Unmarshal([]byte(r.stdout), &as)
	if len(as) != 2 {
		t.Errorf("assets after split = %d", len(as))
	}
	// Importing the joining report again does not merge a split pair.
	r = run(t, dir, nil, "import", c)
	if strings.Contains(r.stdout, "merged asset") {
		t.Errorf("split pair merged again:\n%s", r.stdout)
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ctem.yaml")
	os.WriteFile(cfg, []byte("database: "+filepath.Join(dir, "from-file.db")+"\nlog:\n  format: json\n"), 0o644)
	env := map[string]string{"CTEM_CONFIG": cfg, "CTEM_DB": ""}
	r := run(t, dir, env, "db", "status")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "from-file.db")); err != nil {
		t.Errorf("ctem.yaml database not used: %v", err)
	}
	env["CTEM_DB"] = filepath.Join(dir, "from-env.db")
	run(t, dir, env, "db", "status")
	if _, err := os.Stat(env["CTEM_DB"]); err != nil {
		t.Errorf("CTEM_DB not used over ctem.yaml: %v", err)
	}
	flagDB := filepath.Join(dir, "from-flag.db")
	run(t, dir, env, "--db", flagDB, "db", "status")
	if _, err := os.Stat(flagDB); err != nil {
		t.Errorf("--db not used over CTEM_DB: %v", err)
	}
	// Logs follow the file's format unless the environment says otherwise.
	r = run(t, dir, env, "import", testdata+"trivy-alpine.json")
	if !strings.Contains(r.stderr, `"msg":"import"`) {
		t.Errorf("want JSON logs from ctem.yaml, got %q", r.stderr)
	}
	env["CTEM_LOG_FORMAT"] = "text"
	r = run(t, dir, env, "import", testdata+"trivy-alpine.json")
	if !strings.Contains(r.stderr, "msg=import") {
		t.Errorf("want text logs from CTEM_LOG_FORMAT, got %q", r.stderr)
	}
	env["CTEM_CONFIG"] = filepath.Join(dir, "missing.yaml")
	if r = run(t, dir, env, "version"); r.code != 1 {
		t.Errorf("a named but missing config should fail: %d %s", r.code, r.stderr)
	}
}

func TestTokensAndDB(t *testing.T) {
	dir := t.TempDir()
	r := run(t, dir, nil, "tokens", "create", "ci", "--role", "admin")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ctem_") {
		t.Fatalf("create = %d %s %s", r.code, r.stdout, r.stderr)
	}
	token := strings.TrimSpace(r.stdout)
	r = run(t, dir, nil, "tokens", "list")
	if !strings.Contains(r.stdout, "ci") || strings.Contains(r.stdout, token) {
		t.Errorf("list must name the token and never show it:\n%s", r.stdout)
	}
	if r = run(t, dir, nil, "tokens", "create", "x", "--role", "root"); r.code != 2 {
		t.Errorf("bad role = %d", r.code)
	}
	if r = run(t, dir, nil, "tokens", "revoke", "ci"); r.code != 0 {
		t.Errorf("revoke = %s", r.stderr)
	}
	if r = run(t, dir, nil, "tokens", "revoke", "ci"); r.code != 1 {
		t.Errorf("revoke twice = %d", r.code)
	}
	r = run(t, dir, nil, "db", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "00001_initial.sql") {
		t.Errorf("db status = %s", r.stdout)
	}
	// Back to schema 2, as an older ctem needs it: findings unique by
	// fingerprint again. The next command migrates up again.
	if r = run(t, dir, nil, "db", "migrate", "--to", "2"); r.code != 0 || !strings.Contains(r.stdout, "at version 2") {
		t.Errorf("db migrate --to 2 = %d %s %s", r.code, r.stdout, r.stderr)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "ctem.db"))
	if err != nil {
		t.Fatal(err)
	}
	var version int64
	if err := db.QueryRow("SELECT MAX(version_id) FROM goose_db_version").Scan(&version); err != nil || version != 2 {
		t.Errorf("schema version after --to 2 = %d, %v", version, err)
	}
	db.Close()
	if r = run(t, dir, nil, "db", "migrate", "--to", "-1"); r.code == 0 {
		t.Errorf("db migrate --to -1 succeeded")
	}
	if r = run(t, dir, nil, "db", "status"); r.code != 0 || strings.Contains(r.stdout, "pending") {
		t.Errorf("db status after going back = %s %s", r.stdout, r.stderr)
	}
	r = run(t, dir, nil, "formats", "--output", "json")
	var fmts []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &fmts); err != nil || len(fmts) < 7 {
		t.Errorf("formats = %v %v", len(fmts), err)
	}
	names := map[string]bool{}
	for _, f := range fmts {
		names[f["name"].(string)] = true
	}
	for _, want := range []string{"trivy", "anchore_grype", "tenable", "nmap", "sarif", "cyclonedx", "ctem"} {
		if !names[want] {
			t.Errorf("format %s not listed", want)
		}
	}
}
