package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctemhq/ctem/internal/discover"
	"github.com/ctemhq/ctem/internal/prioritize/rescore"
	"github.com/ctemhq/ctem/internal/server"
	"github.com/ctemhq/ctem/internal/store"
)

func (a *app) dbCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Database schema: migrate and status"}
	var to int64
	migrate := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending schema migrations (also done on every start), or go back to an earlier version",
		Long: `Applies pending schema migrations, which every command also does when it opens the database.
With --to VERSION it migrates up or down to that version (see ctem db status): run it with this
ctem before going back to an older one, whose schema is the version it lists last.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("to") {
				if to < 0 {
					return fmt.Errorf("--to %d: want a version from ctem db status", to)
				}
				if err := st.MigrateTo(cmd.Context(), to); err != nil {
					return err
				}
				fmt.Fprintf(a.env.Stdout, "%s database is at version %d\n", st.Dialect(), to)
				return nil
			}
			if err := st.Migrate(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(a.env.Stdout, "%s database is up to date\n", st.Dialect())
			return nil
		},
	}
	migrate.Flags().Int64Var(&to, "to", 0, "migrate up or down to this schema version")
	cmd.AddCommand(migrate, &cobra.Command{
		Use:   "status",
		Short: "List schema migrations and when each was applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			ms, err := st.MigrationStatus(cmd.Context())
			if err != nil {
				return err
			}
			t := &table{header: []string{"VERSION", "NAME", "APPLIED"}}
			for _, m := range ms {
				applied := "pending"
				if !m.AppliedAt.IsZero() {
					applied = m.AppliedAt.Format(time.RFC3339)
				}
				t.add(m.Version, m.Name, applied)
			}
			fmt.Fprintf(a.env.Stdout, "database: %s\n", st.Dialect())
			return t.writeText(a.env.Stdout)
		},
	})
	return cmd
}

func (a *app) tokensCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "API bearer tokens: create, list, revoke"}
	var role string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a token; it is printed once and only its hash is stored",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if role != store.RoleReader && role != store.RoleAdmin {
				return usagef("--role %q: want reader or admin", role)
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				return err
			}
			token := "ctem_" + base64.RawURLEncoding.EncodeToString(b)
			if _, err := st.CreateToken(cmd.Context(), args[0], role, server.HashToken(token)); err != nil {
				return err
			}
			fmt.Fprintln(a.env.Stdout, token)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", store.RoleReader, "reader or admin")
	cmd.AddCommand(create, &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their values)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			toks, err := st.ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			t := &table{header: []string{"NAME", "ROLE", "CREATED", "LAST USED", "REVOKED"}}
			for _, tk := range toks {
				used, revoked := "never", ""
				if tk.LastUsed != nil {
					used = tk.LastUsed.Format("2006-01-02 15:04")
				}
				if tk.RevokedAt != nil {
					revoked = tk.RevokedAt.Format("2006-01-02 15:04")
				}
				t.add(tk.Name, tk.Role, tk.CreatedAt.Format("2006-01-02 15:04"), used, revoked)
			}
			return t.writeText(a.env.Stdout)
		},
	}, &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			if err := st.RevokeToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.env.Stdout, "token %s revoked\n", args[0])
			return nil
		},
	})
	return cmd
}

func (a *app) serveCommand() *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API, health probes and metrics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("listen") {
				a.cfg.Listen = listen
			}
			st, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			ln, err := net.Listen("tcp", a.cfg.Listen)
			if err != nil {
				return err
			}
			srv := &http.Server{
				Handler: server.New(st, scopedImporter{a: a, p: discover.New(st, a.registry, a.log)}, a.log, Version).
					WithExplainer(func(ctx context.Context, id int64) (any, error) {
						return rescore.Explain(ctx, st, st, a.cfg.Scope, a.cfg.Scope.Policy(), id)
					}).Handler(),
				ReadHeaderTimeout: 10 * time.Second,
				ReadTimeout:       60 * time.Second,
				WriteTimeout:      120 * time.Second,
				IdleTimeout:       120 * time.Second,
				MaxHeaderBytes:    64 << 10,
			}
			a.log.Info("serving", "addr", ln.Addr().String(), "database", st.Dialect())
			if toks, err := st.ListTokens(ctx); err == nil && len(toks) == 0 {
				a.log.Warn("no API tokens yet: create one with `ctem tokens create NAME` to use /api/v1")
			}
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			shutdown, cancel := contextWithTimeout(10 * time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdown); err != nil {
				return err
			}
			if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", ":8080", "address to listen on (env CTEM_LISTEN)")
	return cmd
}
