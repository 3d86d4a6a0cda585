package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctemhq/ctem/internal/cliutil"
	"github.com/ctemhq/ctem/internal/discover"
	"github.com/ctemhq/ctem/internal/discover/report"
)

func (a *app) importCommand() *cobra.Command {
	var format, output, asset string
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import scanner reports (format detected from content; gzip and zip accepted; - for stdin)",
		Long: `Import scanner reports. Each file is one transaction: a file that fails to parse
changes nothing and the error names the file and the place. Formats are detected
from the content; --format names one. Assets seen in a report are covered by it:
that tool's findings on them that the report no longer lists become fixed.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := outputFormat(output)
			if err != nil {
				return err
			}
			if out == "csv" {
				return usagef("--output csv is not available for import; use table or json")
			}
			var def *report.AssetRef
			if asset != "" {
				ref, err := parseAssetFlag(asset)
				if err != nil {
					return err
				}
				def = &ref
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			var all []discover.Result
			p := discover.New(st, a.registry, a.log)
			// ctem.yaml's context and scopes are applied once, after the
			// reports, to whatever was imported.
			defer func() {
				if len(all) > 0 {
					ids := make([]int64, len(all))
					for i, r := range all {
						ids[i] = r.Import.ID
					}
					if err := a.materialize(cmd.Context(), st, ids...); err != nil {
						a.log.Error("applying ctem.yaml", "err", err)
					}
				}
			}()
			for _, path := range args {
				start := time.Now()
				res, err := p.ImportFile(cmd.Context(), path, discover.Options{Format: format, Asset: def})
				if err != nil {
					if out == "json" && len(all) > 0 {
						_ = writeJSON(a.env.Stdout, importJSON(all))
					}
					return err
				}
				all = append(all, res...)
				if out == "table" {
					for _, r := range res {
						printImport(a, r, time.Since(start))
					}
				}
			}
			if out == "json" {
				return writeJSON(a.env.Stdout, importJSON(all))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "report format (see `ctem formats`); detected when empty")
	f.StringVarP(&output, "output", "o", "table", "output: table or json")
	f.StringVar(&asset, "asset", "", "asset for findings whose report names none, as KIND:NAME (e.g. repository:github.com/acme/shop)")
	return cmd
}

// importJSON is one object for a single report, an array for several.
func importJSON(rs []discover.Result) any {
	if len(rs) == 1 {
		return rs[0]
	}
	return rs
}

func parseAssetFlag(v string) (report.AssetRef, error) {
	ref, err := cliutil.ParseAssetRef(v)
	if err != nil {
		return ref, usagef("--asset %v", err)
	}
	return ref, nil
}

func printImport(a *app, r discover.Result, took time.Duration) {
	c := r.Import.Counts
	w := a.env.Stdout
	fmt.Fprintf(w, "%s (%s): %d findings on %d assets in %s\n", r.Import.File, r.Import.Source, c.Findings, c.AssetsCovered, took.Round(time.Millisecond))
	fmt.Fprintf(w, "  new %d, unchanged %d, updated %d, fixed %d, reopened %d", c.New, c.Unchanged, c.Updated, c.Fixed, c.Reopened)
	if c.Correlated > 0 {
		fmt.Fprintf(w, ", also reported by another tool %d", c.Correlated)
	}
	if c.Duplicates > 0 {
		fmt.Fprintf(w, ", duplicates folded %d", c.Duplicates)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  assets created %d, merged %d\n", c.AssetsCreated, c.AssetsMerged)
	for _, e := range r.Assets {
		if e.Action == "merged" {
			fmt.Fprintf(w, "  merged asset %d (%s) into %d by rule %s\n", e.From, e.Name, e.AssetID, e.Rule)
		}
	}
}

func (a *app) formatsCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "formats",
		Short: "List the report formats ctem reads",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := outputFormat(output)
			if err != nil {
				return err
			}
			t := &table{header: []string{"NAME", "VERSION", "DESCRIPTION"}}
			type row struct {
				Name        string `json:"name"`
				Version     int    `json:"version"`
				Description string `json:"description"`
			}
			var rows []row
			for _, f := range a.registry.Formats() {
				t.add(f.Name(), f.Version(), f.Description())
				rows = append(rows, row{f.Name(), f.Version(), f.Description()})
			}
			switch out {
			case "json":
				return writeJSON(a.env.Stdout, rows)
			case "csv":
				return t.writeCSV(a.env.Stdout)
			}
			return t.writeText(a.env.Stdout)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output: table, json or csv")
	return cmd
}
