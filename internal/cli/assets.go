package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctemhq/ctem/internal/model"
	"github.com/ctemhq/ctem/internal/store"
)

func (a *app) assetsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "assets", Short: "List, explain and split assets"}
	cmd.AddCommand(a.assetsListCommand(), a.assetsShowCommand(), a.assetsExplainCommand(), a.assetsSplitCommand())
	return cmd
}

func addListFlags(cmd *cobra.Command, o *listOptions) {
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "table", "output: table, json or csv")
	f.IntVar(&o.limit, "limit", 0, "at most this many rows (tables default to 50; json and csv list all)")
	f.Int64Var(&o.after, "after", 0, "start after this id (paging)")
}

func (a *app) assetsListCommand() *cobra.Command {
	var o listOptions
	var kind, scope string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List assets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if kind != "" && !knownAssetKind(kind) {
				return usagef("--kind %q: unknown asset kind", kind)
			}
			if err := a.checkScope(scope); err != nil {
				return err
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			f := store.AssetFilter{Kind: model.AssetKind(kind), Scope: scope}
			return lister[model.Asset]{
				opts: o,
				fetch: func(p store.Page) ([]model.Asset, error) {
					f.Page = p
					return st.ListAssets(cmd.Context(), f)
				},
				id:     func(x model.Asset) int64 { return x.ID },
				header: []string{"ID", "KIND", "NAME", "IDENTIFIERS", "LAST SEEN"},
				cells: func(x model.Asset) []any {
					return []any{x.ID, x.Kind, x.Name, identifierList(x.Identifiers), x.LastSeen.Format("2006-01-02 15:04")}
				},
				count: func() (int, error) { return st.CountAssets(cmd.Context(), f) },
			}.run(a.env.Stdout)
		},
	}
	addListFlags(cmd, &o)
	cmd.Flags().StringVar(&kind, "kind", "", "only assets of this kind (host, image, cloud_resource, repository, web_application, ...)")
	cmd.Flags().StringVar(&scope, "scope", "", "only assets in this scope")
	return cmd
}

func knownAssetKind(k string) bool {
	for _, ak := range model.AssetKinds {
		if string(ak) == k {
			return true
		}
	}
	return false
}

func identifierList(ids []model.Identifier) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = string(id.Kind) + "=" + id.Value
	}
	return strings.Join(parts, " ")
}

func parseID(s, what string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("%s %q: want a positive id", what, s)
	}
	return id, nil
}

// findingArg opens the store and reads the finding whose id is arg.
func (a *app) findingArg(ctx context.Context, arg string) (store.Store, model.Finding, error) {
	id, err := parseID(arg, "finding")
	if err != nil {
		return nil, model.Finding{}, err
	}
	st, err := a.store(ctx)
	if err != nil {
		return nil, model.Finding{}, err
	}
	f, err := st.GetFinding(ctx, id)
	return st, f, err
}

func (a *app) assetsShowCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one asset",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0], "asset")
			if err != nil {
				return err
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			as, err := st.GetAsset(cmd.Context(), id)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.env.Stdout, as)
			}
			w := a.env.Stdout
			fmt.Fprintf(w, "asset %d: %s (%s)\n", as.ID, as.Name, as.Kind)
			for _, i := range as.Identifiers {
				fmt.Fprintf(w, "  %-13s %s\n", i.Kind, i.Value)
			}
			for k, v := range as.Attributes {
				fmt.Fprintf(w, "  %-13s %s\n", k, v)
			}
			fmt.Fprintf(w, "  first seen    %s\n  last seen     %s\n", as.FirstSeen.Format("2006-01-02 15:04:05"), as.LastSeen.Format("2006-01-02 15:04:05"))
			for _, st2 := range []model.Status{model.StatusOpen, model.StatusReopened, model.StatusFixed} {
				n, err := st.CountFindings(cmd.Context(), store.FindingFilter{AssetID: as.ID, Statuses: []model.Status{st2}})
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "  findings %-8s %d\n", st2, n)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output: table or json")
	return cmd
}

func (a *app) assetsExplainCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "explain ID",
		Short: "Explain which identifiers joined an asset, from which import, by which rule",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0], "asset")
			if err != nil {
				return err
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			// The asset id asked for may have been merged into another.
			as, err := st.GetAsset(cmd.Context(), id)
			if err != nil {
				return err
			}
			h, err := st.AssetHistory(cmd.Context(), as.ID)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.env.Stdout, map[string]any{"asset": as, "identifiers": h.Identifiers, "merges": h.Merges})
			}
			w := a.env.Stdout
			if as.ID != id {
				fmt.Fprintf(w, "asset %d was merged into asset %d\n", id, as.ID)
			}
			fmt.Fprintf(w, "asset %d: %s (%s)\n", as.ID, as.Name, as.Kind)
			fmt.Fprintln(w, "identifiers:")
			for _, r := range h.Identifiers {
				from := "by hand"
				if r.ImportID > 0 {
					from = fmt.Sprintf("import %d", r.ImportID)
				}
				origin := ""
				if r.AssetID != as.ID {
					origin = fmt.Sprintf(" (came with merged asset %d)", r.AssetID)
				}
				fmt.Fprintf(w, "  %s=%s  joined %s from %s by rule %s%s\n", r.Kind, r.Value, r.CreatedAt.Format("2006-01-02 15:04"), from, r.Rule, origin)
			}
			if len(as.Context) > 0 {
				fmt.Fprintln(w, "business context (ctem.yaml):")
				for _, d := range as.Context {
					what := "rule"
					if d.Source == "scope" {
						what = "scope"
					}
					fmt.Fprintf(w, "  %s %s from %s %q in %s line %d\n", d.Attribute, d.Value, what, d.Rule, d.File, d.Line)
				}
			}
			if len(h.Merges) > 0 {
				fmt.Fprintln(w, "merges:")
				for _, m := range h.Merges {
					state := ""
					if m.UndoneAt != nil {
						state = fmt.Sprintf(" — split %s; blocked from merging again", m.UndoneAt.Format("2006-01-02 15:04"))
					}
					fmt.Fprintf(w, "  asset %d merged into %d at %s by rule %s (import %d)%s\n", m.From, m.Into, m.MergedAt.Format("2006-01-02 15:04"), m.Rule, m.ImportID, state)
				}
				fmt.Fprintf(w, "undo a merge with: ctem assets split ID-OF-MERGED-ASSET\n")
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output: table or json")
	return cmd
}

func (a *app) assetsSplitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "split ID",
		Short: "Undo the merge of asset ID into another; the two are never merged again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0], "asset")
			if err != nil {
				return err
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			into, err := st.SplitAsset(cmd.Context(), id)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.env.Stdout, "asset %d split from asset %d; the findings first seen on it moved back\n", id, into)
			return nil
		},
	}
}
