package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctemhq/ctem/internal/prioritize/backtest"
)

const backtestData = "../prioritize/backtest/testdata/"

// runBacktest runs `ctem prioritize backtest` (not registered here: the
// command is built directly).
func runBacktest(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{env: Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}}
	cmd := a.backtestCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

func TestBacktestCommand(t *testing.T) {
	files := []string{"--epss", backtestData + "epss.csv", "--kev", backtestData + "kev.json", "--cvss", backtestData + "cvss-bt.csv", "--cvss-date", "2024-03-04"}

	out, err := runBacktest(t, files...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"EPSS 2024-01-10 (model v2023.03.01) · KEV 2025.06.01",
		"population (scored): 13 EPSS rows − 2 in KEV at D − 1 without a CVSS row = 10 CVEs",
		"labels: horizon none", "labels: horizon 12m",
		"CVSS ≥ 7", "ctem-policy P0–P1", "public-exploit signals — not evaluated",
		"CVSS base scores and vectors — cvss-bt.csv (base_* columns only) — NOT known at D: read 2024-03-04",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table output lacks %q:\n%s", want, out)
		}
	}

	out, err = runBacktest(t, append(files, "--output", "json", "--horizon", "90d", "--population", "epss")...)
	if err != nil {
		t.Fatal(err)
	}
	var reports []backtest.Report
	if err := json.Unmarshal([]byte(out), &reports); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	// 90 days after 2024-01-10: 08 (2024-02-01) and 02 (2024-03-01).
	if len(reports) != 1 || len(reports[0].Evaluations) != 1 || reports[0].Size != 11 || reports[0].EPSSFile != "epss.csv" {
		t.Fatalf("reports %+v", reports)
	}
	if ev := reports[0].Evaluations[0]; ev.Horizon != "90d" || ev.Positives != 2 || ev.LabelEnd.Format("2006-01-02") != "2024-04-09" {
		t.Errorf("evaluation: horizon %s, %d positives, label end %v", ev.Horizon, ev.Positives, ev.LabelEnd)
	}

	out, err = runBacktest(t, append(files, "-o", "markdown")...)
	if err != nil || !strings.Contains(out, "| CVSS ≥ 7 | 7 | 70.00% | 4 | 100.0% [51.0–100.0%] | 57.14% |") {
		t.Errorf("markdown: %v\n%s", err, out)
	}

	// Exploit signals, and the labels that could have prompted them left
	// out: 08 (2024-02-01) and 02 (2024-03-01) were added by 2024-03-04.
	out, err = runBacktest(t, append(files, "--exploit-signals", "--exclude-kev-until", "2024-03-04")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"− 4 in KEV by 2024-03-04", "public exploit, then CVSS", "ctem-policy + exploit signals P0–P1",
		"public-exploit signals — cvss-bt.csv (exploitdb, poc_github, metasploit, nuclei) — NOT known at D: read 2024-03-04, 54 days after D",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("exploit-signals output lacks %q:\n%s", want, out)
		}
	}

	// A policy what-if: the reference's Likely overlay (P2 unless exposed
	// or automatable) leaves 02 in P2 (P0–P1 = 03 04).
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte("name: what-if\nlikely_band_other: P2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runBacktest(t, append(files, "--policy", pol, "-o", "json")...)
	if err != nil {
		t.Fatal(err)
	}
	reports = nil
	if err := json.Unmarshal([]byte(out), &reports); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(reports[0].Policy, "what-if/2+") {
		t.Errorf("policy %q", reports[0].Policy)
	}
	for _, r := range reports[0].Evaluations[0].Rules {
		if r.Strategy == "ctem-policy P0–P1" && (r.Flagged != 2 || r.Hits != 1) {
			t.Errorf("what-if P0–P1: %+v", r)
		}
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("epss_treshold: 0.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args  []string
		usage bool
		err   string
	}{
		{[]string{"--epss", "x"}, true, "--epss, --kev and --cvss are required"},
		{append(files, "-o", "xml"), true, "want table, json or markdown"},
		{append(files, "--horizon", "soon"), true, "want none, Nd, Nm or Ny"},
		{append(files, "--population", "all"), true, "want scored or epss"},
		{append(files, "--date", "13/01/2024"), true, "want YYYY-MM-DD"},
		{append(files, "--exclude-kev-until", "March"), true, "want YYYY-MM-DD"},
		{append(files, "--policy", bad), false, "epss_treshold"},
		{[]string{"--epss", backtestData + "epss.csv", "--kev", backtestData + "missing.json", "--cvss", backtestData + "cvss-bt.csv"}, false, "missing.json"},
		{[]string{"--epss", backtestData + "kev.json", "--kev", backtestData + "kev.json", "--cvss", backtestData + "cvss-bt.csv"}, false, "not an EPSS file"},
	} {
		_, err := runBacktest(t, tc.args...)
		var ue usageError
		if err == nil || !strings.Contains(err.Error(), tc.err) || errors.As(err, &ue) != tc.usage {
			t.Errorf("%v: error %v (usage %v), want %q (usage %v)", tc.args, err, errors.As(err, &ue), tc.err, tc.usage)
		}
	}
}
