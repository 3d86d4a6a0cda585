package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctemhq/ctem/internal/discover"
	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/prioritize/rescore"
	"github.com/ctemhq/ctem/internal/scope"
	"github.com/ctemhq/ctem/internal/store"
)

// materialize applies ctem.yaml to every asset: context and scope
// membership. It runs after imports and whenever ctem.yaml changed.
func (a *app) materialize(ctx context.Context, st store.Store, importIDs ...int64) error {
	res, err := scope.Materialize(ctx, st, a.cfg.Scope)
	if err != nil {
		return fmt.Errorf("applying %s: %w", firstOf(a.cfg.File, "ctem.yaml"), err)
	}
	if res.EvalErrors > 0 {
		a.log.Warn("some ctem.yaml expressions failed and counted as no match", "count", res.EvalErrors, "first", res.First)
	}
	a.log.Debug("scope context applied", "assets", res.Assets, "changed", res.Changed)
	// Context feeds the priorities: decide them again.
	_, err = a.rescore(ctx, st, rescore.Changes{ImportIDs: importIDs})
	return err
}

// scopedImporter imports a report and then keeps scope context current.
type scopedImporter struct {
	a *app
	p *discover.Pipeline
}

func (s scopedImporter) ImportFile(ctx context.Context, path string, opt discover.Options) ([]discover.Result, error) {
	res, err := s.p.ImportFile(ctx, path, opt)
	if err != nil {
		return res, err
	}
	var ids []int64
	for _, r := range res {
		ids = append(ids, r.Import.ID)
	}
	return res, s.a.materialize(ctx, s.p.Store, ids...)
}

// checkScope refuses a --scope that ctem.yaml does not define.
func (a *app) checkScope(name string) error {
	if name == "" {
		return nil
	}
	if _, ok := a.cfg.Scope.Scope(name); !ok {
		var names []string
		for _, s := range a.cfg.Scope.Scopes() {
			names = append(names, s.Name)
		}
		return usagef("--scope %q: no such scope in %s (defined: %s)", name, firstOf(a.cfg.File, "ctem.yaml"), firstOf(strings.Join(names, ", "), "none"))
	}
	return nil
}

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check ctem.yaml"}
	var output string
	validate := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Validate a ctem.yaml (default: the one in use) and list its problems with their lines",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := a.cfg.File
			if len(args) == 1 {
				path = args[0]
			}
			if path == "" {
				return usagef("no ctem.yaml here: name a file, or create one with `ctem init`")
			}
			c, err := scope.Load(path)
			var ve *scope.ValidationError
			if errors.As(err, &ve) {
				if output == "json" {
					writeJSON(a.env.Stdout, map[string]any{"file": path, "valid": false, "problems": ve.Problems})
				} else {
					for _, p := range ve.Problems {
						fmt.Fprintln(a.env.Stdout, p.String())
					}
				}
				return fmt.Errorf("%s: %d problem(s)", path, len(ve.Problems))
			}
			if err != nil {
				return err
			}
			now := time.Now()
			var warnings []string
			for _, w := range c.Warnings() {
				warnings = append(warnings, w.String())
			}
			for _, ctl := range c.ExpiredControls(now) {
				warnings = append(warnings, fmt.Sprintf("%s:%d: control %q expired %s: it no longer applies", path, ctl.Line, ctl.Name, ctl.Expires.Format("2006-01-02")))
			}
			if output == "json" {
				return writeJSON(a.env.Stdout, map[string]any{"file": path, "valid": true, "warnings": warnings,
					"scopes": len(c.Scopes()), "context_rules": len(c.ContextRules()), "zones": len(c.Zones()), "controls": len(c.Controls()), "teams": len(c.Teams())})
			}
			for _, w := range warnings {
				fmt.Fprintln(a.env.Stdout, "warning: "+w)
			}
			fmt.Fprintf(a.env.Stdout, "%s is valid: %d scopes, %d context rules, %d zones, %d controls (%d active), %d teams\n", path,
				len(c.Scopes()), len(c.ContextRules()), len(c.Zones()), len(c.Controls()), len(c.ActiveControls(now)), len(c.Teams()))
			return nil
		},
	}
	validate.Flags().StringVarP(&output, "output", "o", "table", "output: table or json")
	cmd.AddCommand(validate)
	return cmd
}

func (a *app) initCommand() *cobra.Command {
	var force bool
	var path string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented example ctem.yaml that shows every feature",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(path, flag, 0o644)
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s exists; use --force to overwrite it", path)
			}
			if err != nil {
				return err
			}
			if _, err := f.Write(scope.ExampleYAML()); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(a.env.Stdout, "wrote %s; check it with `ctem config validate %s`\n", path, path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	cmd.Flags().StringVar(&path, "path", "ctem.yaml", "where to write")
	return cmd
}

func (a *app) scopesCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "scopes", Short: "Scopes of ctem.yaml and what they hold"}
	var output string
	list := &cobra.Command{
		Use:   "list",
		Short: "List scopes with their assets and open findings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			t := &table{header: []string{"SCOPE", "CRITICALITY", "CROWN JEWEL", "REGULATORY", "ASSETS", "OPEN FINDINGS", "DESCRIPTION"}}
			type row struct {
				Name        string   `json:"name"`
				Criticality int      `json:"criticality"`
				CrownJewel  bool     `json:"crown_jewel"`
				Regulatory  []string `json:"regulatory"`
				Assets      int      `json:"assets"`
				Open        int      `json:"open_findings"`
				Description string   `json:"description"`
			}
			rows := []row{}
			for _, s := range a.cfg.Scope.Scopes() {
				na, err := st.CountAssets(cmd.Context(), store.AssetFilter{Scope: s.Name})
				if err != nil {
					return err
				}
				nf, err := st.CountFindings(cmd.Context(), store.FindingFilter{Scope: s.Name})
				if err != nil {
					return err
				}
				rows = append(rows, row{s.Name, s.Criticality, s.CrownJewel, s.Regulatory, na, nf, s.Description})
				t.add(s.Name, s.Criticality, s.CrownJewel, strings.Join(s.Regulatory, ","), na, nf, s.Description)
			}
			switch output {
			case "json":
				return writeJSON(a.env.Stdout, rows)
			case "csv":
				return t.writeCSV(a.env.Stdout)
			}
			if len(rows) == 0 {
				fmt.Fprintf(a.env.Stdout, "no scopes: define them in ctem.yaml (`ctem init` writes an example)\n")
				return nil
			}
			return t.writeText(a.env.Stdout)
		},
	}
	list.Flags().StringVarP(&output, "output", "o", "table", "output: table, json or csv")
	var showOutput string
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a scope: its definition and its open findings by severity and kind",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.checkScope(args[0]); err != nil {
				return err
			}
			s, _ := a.cfg.Scope.Scope(args[0])
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			na, err := st.CountAssets(ctx, store.AssetFilter{Scope: s.Name})
			if err != nil {
				return err
			}
			bySev := map[string]int{}
			for _, sev := range model.Severities {
				n, err := st.CountFindings(ctx, store.FindingFilter{Scope: s.Name, Severities: []model.Severity{sev}})
				if err != nil {
					return err
				}
				bySev[string(sev)] = n
			}
			byKind := map[string]int{}
			for _, k := range model.FindingKinds {
				n, err := st.CountFindings(ctx, store.FindingFilter{Scope: s.Name, Kind: k})
				if err != nil {
					return err
				}
				if n > 0 {
					byKind[string(k)] = n
				}
			}
			if showOutput == "json" {
				return writeJSON(a.env.Stdout, map[string]any{"name": s.Name, "description": s.Description, "assets_selector": s.Assets,
					"findings_selector": s.Findings, "exclude": s.Exclude, "criticality": s.Criticality, "crown_jewel": s.CrownJewel,
					"regulatory": s.Regulatory, "assets": na, "open_by_severity": bySev, "open_by_kind": byKind})
			}
			w := a.env.Stdout
			fmt.Fprintf(w, "scope %s — %s\n", s.Name, s.Description)
			fmt.Fprintf(w, "  assets       %s\n", s.Assets)
			if s.Exclude != "" {
				fmt.Fprintf(w, "  exclude      %s\n", s.Exclude)
			}
			if s.Findings != "" {
				fmt.Fprintf(w, "  findings     %s\n", s.Findings)
			}
			fmt.Fprintf(w, "  criticality  %d   crown jewel %v   regulatory %s\n", s.Criticality, s.CrownJewel, firstOf(strings.Join(s.Regulatory, ", "), "-"))
			fmt.Fprintf(w, "  defined at   %s line %d\n", firstOf(a.cfg.File, "ctem.yaml"), s.Line)
			fmt.Fprintf(w, "members: %d assets\nopen findings by severity:", na)
			for _, sev := range model.Severities {
				fmt.Fprintf(w, " %s %d", sev, bySev[string(sev)])
			}
			fmt.Fprint(w, "\nopen findings by kind:")
			for _, k := range model.FindingKinds {
				if byKind[string(k)] > 0 {
					fmt.Fprintf(w, " %s %d", k, byKind[string(k)])
				}
			}
			fmt.Fprintln(w)
			return nil
		},
	}
	show.Flags().StringVarP(&showOutput, "output", "o", "table", "output: table or json")
	cmd.AddCommand(list, show)
	return cmd
}
