package cli

import (
	"github.com/spf13/cobra"

	"github.com/ctemhq/ctem/internal/demo"
	"github.com/ctemhq/ctem/internal/discover"
)

func (a *app) demoCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run ctem end to end on a fictional organization's reports",
		Long: `Writes the reports a fictional company's tools would produce (Nessus, nmap, Trivy, Grype,
CodeQL SARIF and a package inventory) for two weekly scan cycles, imports them into the
database (the embedded ctem.db unless --db names another) and prints what ctem made of
them: assets merged across tools, findings reported by several tools, what was fixed and
reopened, and the top open findings. Running it again re-imports the same reports.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			if err := demo.Run(cmd.Context(), discover.New(st, a.registry, nil), dir, a.env.Stdout); err != nil {
				return err
			}
			return a.materialize(cmd.Context(), st)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "ctem-demo", "folder for the generated reports")
	return cmd
}
