package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctemhq/ctem/internal/intel"
	"github.com/ctemhq/ctem/internal/prioritize/rescore"
)

func (a *app) feedsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "feeds", Short: "Threat intel: CISA KEV, FIRST EPSS, NVD CVE records"}
	var feeds, since, output string
	var cves []string
	var force bool
	sync := &cobra.Command{
		Use:   "sync",
		Short: "Fetch the feeds from their public URLs (conditional requests, retries) and load what changed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			opts := intel.SyncOptions{Force: force, NVDCVEs: cves}
			if feeds != "" {
				opts.Feeds = splitComma(feeds)
			}
			if since != "" {
				t, err := time.Parse("2006-01-02", since)
				if err != nil {
					return usagef("--nvd-since %q: want YYYY-MM-DD", since)
				}
				opts.NVDSince = t
			}
			client := intel.NewClient(intel.Config{NVDAPIKey: a.env.Getenv("NVD_API_KEY"), Logger: a.log})
			results, err := client.Sync(cmd.Context(), st, opts)
			if werr := a.printFeedResults(results, output); werr != nil {
				return werr
			}
			if loaded(results) {
				if _, rerr := a.rescore(cmd.Context(), st, rescore.Changes{}); rerr != nil {
					return rerr
				}
			}
			return err
		},
	}
	sf := sync.Flags()
	sf.StringVar(&feeds, "feed", "", "feeds to sync, comma-separated: kev, epss, nvd (default kev,epss; nvd pages through every CVE the first time)")
	sf.BoolVar(&force, "force", false, "fetch and load even when unchanged")
	sf.StringVar(&since, "nvd-since", "", "NVD: records modified since YYYY-MM-DD (default: since the last NVD sync)")
	sf.StringSliceVar(&cves, "cve", nil, "NVD: fetch just these CVE records")
	sf.StringVarP(&output, "output", "o", "table", "output: table or json")
	var loadOutput string
	load := &cobra.Command{
		Use:   "load DIR",
		Short: "Load feed files from a folder, for air-gapped sites (KEV JSON, EPSS CSV(.gz), NVD API JSON(.gz))",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			results, err := intel.LoadDir(cmd.Context(), st, args[0])
			if werr := a.printFeedResults(results, loadOutput); werr != nil {
				return werr
			}
			if loaded(results) {
				if _, rerr := a.rescore(cmd.Context(), st, rescore.Changes{}); rerr != nil {
					return rerr
				}
			}
			return err
		},
	}
	load.Flags().StringVarP(&loadOutput, "output", "o", "table", "output: table or json")
	var statusOutput string
	status := &cobra.Command{
		Use:   "status",
		Short: "Show what intel is loaded and how old it is",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			reports, err := intel.Status(cmd.Context(), st, time.Now())
			if err != nil {
				return err
			}
			if statusOutput == "json" {
				return writeJSON(a.env.Stdout, reports)
			}
			t := &table{header: []string{"FEED", "VERSION", "AS OF", "AGE", "ROWS", "HISTORY", "STALE", "NOTE"}}
			for _, r := range reports {
				asOf, age := "-", "-"
				if !r.AsOf.IsZero() {
					asOf, age = r.AsOf.Format("2006-01-02"), humanAge(r.DataAge)
				}
				t.add(r.Feed, firstOf(r.Version, "-"), asOf, age, r.Rows, r.History, r.Stale, r.Note)
			}
			return t.writeText(a.env.Stdout)
		},
	}
	status.Flags().StringVarP(&statusOutput, "output", "o", "table", "output: table or json")
	cmd.AddCommand(sync, load, status)
	return cmd
}

func loaded(rs []intel.Result) bool {
	for _, r := range rs {
		if r.Outcome == "loaded" {
			return true
		}
	}
	return false
}

func (a *app) printFeedResults(rs []intel.Result, output string) error {
	if output == "json" {
		type row struct {
			Feed, Source, Outcome, Version string
			Rows, Added, Removed           int
			Warnings                       []string
			Error                          string `json:",omitempty"`
			Seconds                        float64
		}
		var out []row
		for _, r := range rs {
			e := ""
			if r.Err != nil {
				e = r.Err.Error()
			}
			out = append(out, row{r.Feed, r.Source, r.Outcome, r.Version, r.Rows, r.Added, r.Removed, r.Warnings, e, r.Duration.Seconds()})
		}
		return writeJSON(a.env.Stdout, out)
	}
	printFeedResults(a.env.Stdout, rs)
	return nil
}

func printFeedResults(w io.Writer, rs []intel.Result) {
	for _, r := range rs {
		line := fmt.Sprintf("%-5s %-9s %s", r.Feed, r.Outcome, r.Source)
		if r.Version != "" {
			line += " — " + r.Version
		}
		if r.Rows > 0 {
			line += fmt.Sprintf(", %d rows", r.Rows)
		}
		if r.Added > 0 || r.Removed > 0 {
			line += fmt.Sprintf(", %d added, %d removed", r.Added, r.Removed)
		}
		if r.Err != nil {
			line += ": " + r.Err.Error()
		}
		fmt.Fprintln(w, line)
		for _, warn := range r.Warnings {
			fmt.Fprintln(w, "      warning: "+warn)
		}
	}
}

func splitComma(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func humanAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return d.Round(time.Minute).String()
}
