package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v4"

	"github.com/ctemhq/ctem/internal/prioritize"
	"github.com/ctemhq/ctem/internal/prioritize/backtest"
)

// backtestCommand is `ctem prioritize backtest`: strategies evaluated at an
// EPSS file's date against the CVEs CISA added to KEV afterwards.
func (a *app) backtestCommand() *cobra.Command {
	var epssFiles []string
	var kevFile, cvssFile, output, horizon, population, date, cvssDate, policyFile, excludeUntil string
	var exploits bool
	cmd := &cobra.Command{
		Use:   "backtest --epss FILE --kev FILE --cvss FILE",
		Short: "Backtest prioritization strategies (CVSS, EPSS, ctem's policy) against later KEV additions",
		Long: `Evaluates prioritization strategies at the score date D of each EPSS file against the CVEs
added to CISA KEV after D (CVEs already in KEV at D are left out of the population and the
labels): CVSS base score ≥ 7 / 9 / 9.1, EPSS ≥ 0.01 … 0.5, ctem's policy with CVE-level inputs
(EPSS at D and the CVSS vector; no asset context) cut at its bands, and each ranking at 5 % and
15 % effort and at CVSS ≥ 9.1's effort, with the effort each needs to match CVSS ≥ 7's coverage.
With --exploit-signals, also public-exploit strategies and the policy with exploit maturity.

--kev is a CISA KEV catalog (JSON) newer than D. --cvss is a CSV(.gz) with the columns cve,
cvss_version, base_score, base_vector (the CVSS-BT dataset's layout); only those columns are
read, plus exploitdb, poc_github, metasploit and nuclei with --exploit-signals (the report says
when they were read after D). --epss may be repeated. See docs/backtest.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(epssFiles) == 0 || kevFile == "" || cvssFile == "" {
				return usagef("--epss, --kev and --cvss are required")
			}
			switch output {
			case "table", "json", "markdown":
			default:
				return usagef("--output %q: want table, json or markdown", output)
			}
			var horizons []backtest.Horizon
			if horizon != "" {
				h, err := backtest.ParseHorizon(horizon)
				if err != nil {
					return usagef("--horizon: %v", err)
				}
				horizons = []backtest.Horizon{h}
			}
			pop, err := backtest.ParsePopulation(population)
			if err != nil {
				return usagef("--population: %v", err)
			}
			var d time.Time
			if date != "" {
				if d, err = time.Parse("2006-01-02", date); err != nil {
					return usagef("--date %q: want YYYY-MM-DD", date)
				}
			}
			var kevUntil time.Time
			if excludeUntil != "" {
				if kevUntil, err = time.Parse("2006-01-02", excludeUntil); err != nil {
					return usagef("--exclude-kev-until %q: want YYYY-MM-DD", excludeUntil)
				}
			}
			readOn := backtest.ReadOnFromName(filepath.Base(cvssFile))
			if cvssDate != "" {
				if readOn, err = time.Parse("2006-01-02", cvssDate); err != nil {
					return usagef("--cvss-date %q: want YYYY-MM-DD", cvssDate)
				}
			}

			// The policy in use (ctem.yaml's `prioritization`), unless
			// --policy names another.
			policy := prioritize.DefaultPolicy()
			if a.cfg.Scope != nil {
				policy = a.cfg.Scope.Policy()
			}
			if policyFile != "" {
				if policy, err = readWith(policyFile, readPolicy); err != nil {
					return fmt.Errorf("%s: %w", policyFile, err)
				}
			}

			kev, err := readWith(kevFile, backtest.ReadKEV)
			if err != nil {
				return fmt.Errorf("%s: %w", kevFile, err)
			}
			readCVSS := backtest.ReadCVSS
			if exploits {
				readCVSS = backtest.ReadCVSSWithExploits
			}
			cv, err := readWith(cvssFile, readCVSS)
			if err != nil {
				return fmt.Errorf("%s: %w", cvssFile, err)
			}
			var reports []backtest.Report
			for _, ef := range epssFiles {
				opt := backtest.Options{
					Population: pop, Policy: policy, Date: d, CVSSReadOn: readOn, Exploits: exploits, KEVKnownUntil: kevUntil,
					EPSSName: filepath.Base(ef), KEVName: filepath.Base(kevFile), CVSSName: filepath.Base(cvssFile),
				}
				if opt.Date.IsZero() {
					opt.Date = backtest.ReadOnFromName(filepath.Base(ef))
				}
				ds, err := readWith(ef, func(r io.Reader) (*backtest.Dataset, error) { return backtest.Load(r, kev, cv, opt) })
				if err != nil {
					return fmt.Errorf("%s: %w", ef, err)
				}
				reports = append(reports, ds.Report(filepath.Base(ef), filepath.Base(cvssFile), horizons...))
			}
			switch output {
			case "json":
				return writeJSON(a.env.Stdout, reports)
			case "markdown":
				return backtest.WriteMarkdown(a.env.Stdout, reports)
			}
			return backtest.WriteText(a.env.Stdout, reports)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&epssFiles, "epss", nil, "FIRST EPSS daily file (CSV or CSV.gz); D is its score_date (repeatable)")
	f.StringVar(&kevFile, "kev", "", "CISA KEV catalog (JSON) released after D: its dateAdded values are the labels")
	f.StringVar(&cvssFile, "cvss", "", "CVSS base scores: CSV(.gz) with cve,cvss_version,base_score,base_vector")
	f.StringVar(&horizon, "horizon", "", "label window after D: none, Nd, Nm or Ny (default: none, plus 12m when the catalog covers it)")
	f.StringVar(&population, "population", "scored", "population: scored (EPSS and CVSS base score, the reference protocol) or epss (every EPSS CVE)")
	f.StringVar(&date, "date", "", "score date D for EPSS files without a score_date line (default: from the file name)")
	f.StringVar(&cvssDate, "cvss-date", "", "when the CVSS scores were read, YYYY-MM-DD (default: from the file name)")
	f.StringVar(&policyFile, "policy", "", "policy settings to evaluate instead of the built-in policy (YAML, the keys of docs/prioritization.md)")
	f.BoolVar(&exploits, "exploit-signals", false, "also read the --cvss file's exploit flags (exploitdb, poc_github, metasploit, nuclei): public-exploit strategies, and the policy with exploit maturity")
	f.StringVar(&excludeUntil, "exclude-kev-until", "", "also leave out CVEs added to KEV after D up to this day, YYYY-MM-DD (e.g. the day the exploit flags were read)")
	f.StringVarP(&output, "output", "o", "table", "output: table, json or markdown")
	return cmd
}

// readPolicy reads policy settings (prioritize.PolicyConfig as YAML;
// unknown keys are errors) and compiles them.
func readPolicy(r io.Reader) (prioritize.Policy, error) {
	var cfg prioritize.PolicyConfig
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && err != io.EOF {
		return prioritize.Policy{}, err
	}
	return prioritize.NewPolicy(cfg)
}

// readWith opens path and parses it with parse.
func readWith[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return parse(f)
}
