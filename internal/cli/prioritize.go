package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctemhq/ctem/internal/prioritize"
	"github.com/ctemhq/ctem/internal/prioritize/rescore"
	"github.com/ctemhq/ctem/internal/store"
)

// rescore decides again the priority of what changed — the findings of
// these imports, vulnerabilities whose intel changed, everything when
// ctem.yaml or the policy changed — with intel from the store and context
// from ctem.yaml.
func (a *app) rescore(ctx context.Context, st store.Store, ch rescore.Changes) (rescore.Summary, error) {
	ch.Now = time.Now().UTC()
	sum, err := rescore.Incremental(ctx, st, st, a.cfg.Scope, a.cfg.Scope.Policy(), ch)
	if err != nil {
		return sum, fmt.Errorf("prioritizing: %w", err)
	}
	if sum.Errors > 0 {
		a.log.Warn("some ctem.yaml expressions failed while prioritizing and counted as no match", "count", sum.Errors)
	}
	return sum, nil
}

func (a *app) prioritizeCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "prioritize", Short: "Decide what to fix first: bands, points, SLAs, explanations"}
	var output string
	run := &cobra.Command{
		Use:   "run",
		Short: "Re-decide the priority of every open finding (imports do this for you)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			sum, err := rescore.Run(cmd.Context(), st, st, a.cfg.Scope, a.cfg.Scope.Policy(), rescore.Options{Now: time.Now().UTC()})
			if err != nil {
				return fmt.Errorf("prioritizing: %w", err)
			}
			if output == "json" {
				return writeJSON(a.env.Stdout, sum)
			}
			fmt.Fprintf(a.env.Stdout, "%d open findings decided with policy %s, %d changed:", sum.Findings, sum.Policy, sum.Changed)
			for _, b := range prioritize.Bands {
				fmt.Fprintf(a.env.Stdout, " %s %d", b, sum.ByBand[b])
			}
			fmt.Fprintln(a.env.Stdout)
			return nil
		},
	}
	run.Flags().StringVarP(&output, "output", "o", "table", "output: table or json")
	cmd.AddCommand(run, a.backtestCommand())
	return cmd
}

func (a *app) findingsExplainCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "explain ID",
		Short: "Explain a finding's priority: inputs with sources and dates, rules fired, what would change it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, f, err := a.findingArg(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if f.Priority.Band == "" {
				return fmt.Errorf("finding %d has no decision yet (it is %s; run `ctem prioritize run`)", f.ID, f.Status)
			}
			// The explanation is recomputed from the same inputs, so it is
			// complete without storing kilobytes per finding.
			d, err := rescore.Explain(cmd.Context(), st, st, a.cfg.Scope, a.cfg.Scope.Policy(), f.ID)
			if err != nil {
				return err
			}
			if string(d.Band) != f.Priority.Band {
				a.log.Warn("the stored band differs from a decision made now; run `ctem prioritize run`", "stored", f.Priority.Band, "now", d.Band)
			}
			if output == "json" {
				return writeJSON(a.env.Stdout, d)
			}
			w := a.env.Stdout
			fmt.Fprintf(w, "finding %d: %s on %s\n", f.ID, f.Title, f.AssetName)
			fmt.Fprintf(w, "  band %s, %d points, threat %s; SSVC %s; decided %s by policy %s\n", d.Band, d.Points, d.ThreatLevel, d.SSVC,
				f.Priority.DecidedAt.Format("2006-01-02 15:04"), d.Policy)
			if f.SLADue != nil {
				fmt.Fprintf(w, "  fix by %s (%d days)", f.SLADue.Format("2006-01-02"), d.SLADays)
				if f.Owner != "" {
					fmt.Fprintf(w, ", owner %s", f.Owner)
				}
				fmt.Fprintln(w)
			}
			fmt.Fprintln(w, "inputs:")
			for _, in := range d.Inputs {
				date := ""
				if !in.Date.IsZero() {
					date = " (" + in.Date.Format("2006-01-02") + ")"
				}
				fmt.Fprintf(w, "  %-22s %-24s from %s%s\n", in.Name, in.Value, in.Source, date)
			}
			for _, r := range d.Rewrites {
				b, _ := json.Marshal(r)
				fmt.Fprintf(w, "control: %s\n", b)
			}
			fmt.Fprintf(w, "rules fired: %s\n", strings.Join(d.RulesFired, ", "))
			if len(d.Counterfactuals) > 0 {
				fmt.Fprintln(w, "what would change it:")
				for _, c := range d.Counterfactuals {
					fmt.Fprintf(w, "  %s\n", c)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output: table or json")
	return cmd
}
