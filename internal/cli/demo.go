package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctemhq/ctem/internal/demo"
	"github.com/ctemhq/ctem/internal/discover"
	"github.com/ctemhq/ctem/internal/intel"
	"github.com/ctemhq/ctem/internal/prioritize/rescore"
	"github.com/ctemhq/ctem/internal/scope"
	"github.com/ctemhq/ctem/internal/store"
)

func (a *app) demoCommand() *cobra.Command {
	var dir, feedsDir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run ctem end to end on a fictional organization's reports",
		Long: `Writes the reports a fictional company's tools would produce (Nessus, nmap, Trivy, Grype,
CodeQL SARIF and a package inventory) for three weekly scan cycles, imports them into the
database (the embedded ctem.db unless --db names another) and prints what ctem made of
them: assets merged across tools, findings reported by several tools, what was fixed and
reopened, and the top open findings. Running it again re-imports the same reports.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			if a.cfg.File == "" {
				// No ctem.yaml here: write Acme Shop's, so that the demo
				// shows scopes, crown jewels and controls at work.
				if err := os.WriteFile("ctem.yaml", demo.ConfigYAML, 0o644); err != nil {
					return err
				}
				sc, err := scope.Load("ctem.yaml")
				if err != nil {
					return err
				}
				a.cfg.File, a.cfg.Scope = "ctem.yaml", sc
				fmt.Fprintln(a.env.Stdout, "wrote ctem.yaml: Acme Shop's scopes, crown jewels, zones, controls and teams")
			} else {
				fmt.Fprintf(a.env.Stdout, "using %s for business context\n", a.cfg.File)
			}
			a.demoIntel(cmd.Context(), st, feedsDir)
			apply := func(ctx context.Context) error { return a.materialize(ctx, st) }
			explain := func(ctx context.Context, id int64) (string, error) {
				d, err := rescore.Explain(ctx, st, st, a.cfg.Scope, a.cfg.Scope.Policy(), id)
				return d.Reason(), err
			}
			return demo.Run(cmd.Context(), discover.New(st, a.registry, nil), dir, a.env.Stdout, apply, explain)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "ctem-demo", "folder for the generated reports")
	cmd.Flags().StringVar(&feedsDir, "feeds", "", "load threat intel (KEV, EPSS, NVD files) from this folder instead of syncing online")
	return cmd
}

// demoIntel loads threat intel for the demo: from a folder when given,
// else from the feeds' public URLs; offline, the demo goes on without it
// and says so.
func (a *app) demoIntel(ctx context.Context, st store.Store, dir string) {
	w := a.env.Stdout
	if dir != "" {
		results, err := intel.LoadDir(ctx, st, dir)
		if err != nil {
			fmt.Fprintf(w, "threat intel: loading %s failed (%v); priorities use CVSS and business context only\n", dir, err)
			return
		}
		fmt.Fprintf(w, "threat intel: loaded %s (%s)\n", dir, summarizeResults(results))
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	client := intel.NewClient(intel.Config{Logger: a.log, Retries: 1, Timeout: 30 * time.Second})
	results, err := client.Sync(ctx, st, intel.SyncOptions{})
	if err != nil {
		fmt.Fprintf(w, "threat intel: online sync failed (offline?); the demo goes on without KEV and EPSS — use --feeds DIR to load files\n")
		return
	}
	fmt.Fprintf(w, "threat intel: synced online (%s)\n", summarizeResults(results))
}

func summarizeResults(rs []intel.Result) string {
	var parts []string
	for _, r := range rs {
		if r.Outcome == "loaded" || r.Outcome == "unchanged" {
			parts = append(parts, fmt.Sprintf("%s %s %s", r.Feed, r.Version, r.Outcome))
		}
	}
	return strings.Join(parts, "; ")
}
