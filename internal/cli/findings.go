package cli

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/server"
	"github.com/ctemhq/ctem/internal/store"
)

func (a *app) findingsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "findings", Short: "List, show and triage findings"}
	cmd.AddCommand(a.findingsListCommand(), a.findingsShowCommand(), a.findingsExplainCommand(), a.findingsStatusCommand())
	return cmd
}

func (a *app) findingsListCommand() *cobra.Command {
	var o listOptions
	var status, kind, severity, source, vuln, scope string
	var assetID int64
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List findings (open and reopened by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"status": status, "kind": kind, "severity": severity, "source": source, "vuln_id": vuln, "scope": scope} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if assetID > 0 {
				q.Set("asset_id", fmt.Sprint(assetID))
			}
			f, err := server.FindingFilterFromQuery(q, store.Page{})
			if err != nil {
				return usagef("--%s", strings.Replace(err.Error(), "_id:", "-id:", 1))
			}
			if err := a.checkScope(scope); err != nil {
				return err
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			return lister[model.Finding]{
				opts: o,
				fetch: func(p store.Page) ([]model.Finding, error) {
					f.Page = p
					return st.ListFindings(cmd.Context(), f)
				},
				id:     func(x model.Finding) int64 { return x.ID },
				header: []string{"ID", "BAND", "POINTS", "SEVERITY", "STATUS", "KIND", "ASSET", "ID/RULE", "TITLE", "SOURCES"},
				cells: func(x model.Finding) []any {
					return []any{x.ID, firstOf(x.Priority.Band, "-"), x.Priority.Score, x.Severity, x.Status, x.Kind, x.AssetName, firstOf(x.VulnID, x.RuleID), x.Title, strings.Join(x.Sources, ",")}
				},
				count: func() (int, error) { return st.CountFindings(cmd.Context(), f) },
			}.run(a.env.Stdout)
		},
	}
	addListFlags(cmd, &o)
	fl := cmd.Flags()
	fl.StringVar(&status, "status", "", "open (default, with reopened), reopened, fixed, accepted, false-positive, or all; comma-separated")
	fl.StringVar(&kind, "kind", "", "finding kind (vulnerability, misconfiguration, secret, code_weakness, exposed_service, web_weakness)")
	fl.StringVar(&severity, "severity", "", "severities, comma-separated (critical,high,...)")
	fl.StringVar(&source, "source", "", "only findings a source (format name) detected")
	fl.StringVar(&vuln, "vuln", "", "only findings of this vulnerability id (CVE-...)")
	fl.StringVar(&scope, "scope", "", "only findings on assets in this scope")
	fl.Int64Var(&assetID, "asset", 0, "only findings on this asset id")
	return cmd
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func (a *app) findingsShowCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one finding with its detections",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, f, err := a.findingArg(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			dets, err := st.FindingDetections(cmd.Context(), f.ID)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.env.Stdout, server.FindingDetail{Finding: f, Detections: dets})
			}
			w := a.env.Stdout
			fmt.Fprintf(w, "finding %d: %s\n", f.ID, f.Title)
			fmt.Fprintf(w, "  %-12s %s\n  %-12s %s\n  %-12s %s (%d)\n", "severity", f.Severity, "status", f.Status, "asset", f.AssetName, f.AssetID)
			fmt.Fprintf(w, "  %-12s %s\n", "kind", f.Kind)
			if f.VulnID != "" {
				fmt.Fprintf(w, "  %-12s %s %s\n", "vuln", f.VulnID, strings.Join(f.Aliases, " "))
			}
			for _, c := range f.CVSS {
				fmt.Fprintf(w, "  %-12s %.1f %s\n", "cvss "+c.Version, c.Score, c.Vector)
			}
			if f.Component.Name != "" {
				fmt.Fprintf(w, "  %-12s %s %s (fixed in %s) %s\n", "component", f.Component.Name, f.Component.Version, firstOf(f.Component.FixedVersion, "?"), f.Component.PURL)
			}
			if loc := locationText(f.Location); loc != "" {
				fmt.Fprintf(w, "  %-12s %s\n", "location", loc)
			}
			fmt.Fprintf(w, "  %-12s %s\n  %-12s %s\n", "first seen", f.FirstSeen.Format("2006-01-02 15:04"), "last seen", f.LastSeen.Format("2006-01-02 15:04"))
			if f.FixedAt != nil {
				fmt.Fprintf(w, "  %-12s %s\n", "fixed", f.FixedAt.Format("2006-01-02 15:04"))
			}
			fmt.Fprintln(w, "detections:")
			for _, d := range dets {
				state := "present"
				if !d.Present {
					state = "absent"
				}
				fmt.Fprintf(w, "  %-14s %-8s id %s, severity %q, last seen %s (import %d)\n", d.Source, state, d.ToolID, d.Severity, d.LastSeen.Format("2006-01-02 15:04"), d.ImportID)
			}
			if f.Remediation != "" {
				fmt.Fprintf(w, "remediation:\n  %s\n", clip(oneLine(f.Remediation), 400))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output: table or json")
	return cmd
}

func locationText(l model.Location) string {
	var parts []string
	if l.Port > 0 {
		parts = append(parts, fmt.Sprintf("%d/%s", l.Port, l.Protocol))
	}
	if l.URL != "" {
		parts = append(parts, strings.TrimSpace(l.Method+" "+l.URL))
	}
	if l.File != "" {
		if l.Line > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", l.File, l.Line))
		} else {
			parts = append(parts, l.File)
		}
	}
	if l.Resource != "" {
		parts = append(parts, l.Resource)
	}
	return strings.Join(parts, " ")
}

func (a *app) findingsStatusCommand() *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "set-status ID STATUS",
		Short: "Record a decision: accepted, false-positive, or open to take it back",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0], "finding")
			if err != nil {
				return err
			}
			status := model.Status(strings.ReplaceAll(strings.ToLower(args[1]), "-", "_"))
			if !status.IsManual() && status != model.StatusOpen {
				return usagef("status %q: want accepted, false-positive or open", args[1])
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			if err := st.SetFindingStatus(cmd.Context(), id, status, note); err != nil {
				return err
			}
			fmt.Fprintf(a.env.Stdout, "finding %d is now %s\n", id, status)
			return nil
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why (kept with the finding)")
	return cmd
}

func (a *app) importsCommand() *cobra.Command {
	var o listOptions
	cmd := &cobra.Command{
		Use:   "imports",
		Short: "List past imports and what each changed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			return lister[model.Import]{
				opts:   o,
				fetch:  func(p store.Page) ([]model.Import, error) { return st.ListImports(cmd.Context(), p) },
				id:     func(x model.Import) int64 { return x.ID },
				header: []string{"ID", "WHEN", "SOURCE", "FILE", "FINDINGS", "NEW", "FIXED", "REOPENED", "ASSETS"},
				cells: func(x model.Import) []any {
					c := x.Counts
					return []any{x.ID, x.StartedAt.Format("2006-01-02 15:04"), x.Source, x.File, c.Findings, c.New, c.Fixed, c.Reopened, c.AssetsCovered}
				},
			}.run(a.env.Stdout)
		},
	}
	addListFlags(cmd, &o)
	return cmd
}
