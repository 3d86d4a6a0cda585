// Package cli is the ctem command line. Run is a plain function over
// arguments, standard streams and environment, so every command can be
// tested in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctemhq/ctem/internal/discover/formats"
	"github.com/ctemhq/ctem/internal/discover/report"
	"github.com/ctemhq/ctem/internal/scope"
	"github.com/ctemhq/ctem/internal/store"
	"github.com/ctemhq/ctem/internal/store/open"
)

// Exit codes scripts can rely on.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Version is set at build time with -ldflags "-X .../cli.Version=v1.2.3".
var Version = "dev"

// Env is what a command may touch of the outside world.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment (os.Getenv in production).
	Getenv func(string) string
}

// usageError marks errors in how the command was called (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// app holds what commands share for one run.
type app struct {
	env      Env
	flags    globalFlags
	cfg      Config
	log      *slog.Logger
	registry *report.Registry
	st       store.Store
}

type globalFlags struct {
	db, config, logFormat, logLevel string
}

// Run runs the ctem command line and returns its exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	a := &app{env: env}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetIn(env.Stdin)
	err := root.ExecuteContext(ctx)
	if a.st != nil {
		a.st.Close()
	}
	if err == nil {
		return ExitOK
	}
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
	fmt.Fprintf(env.Stderr, "ctem: %s\n", msg)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return ExitUsage
	}
	return ExitFailure
}

// isCobraUsage recognizes cobra's own argument and command errors.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "ctem",
		Short: "Continuous Threat Exposure Management: scope, discover, prioritize, validate, mobilize",
		Long: `ctem stitches the reports of your scanners, cloud posture and attack-surface tools into one
deduplicated view of assets and exposures, decides what matters, and drives it to fixed.

The database is a SQLite file (ctem.db) unless --db or CTEM_DB names another file or a
postgres:// URL.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.setup(cmd)
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.flags.db, "db", "", "database: a SQLite file path or a postgres:// URL (env CTEM_DB; default ctem.db)")
	pf.StringVar(&a.flags.config, "config", "", "configuration file (env CTEM_CONFIG; default ./ctem.yaml when present)")
	pf.StringVar(&a.flags.logFormat, "log-format", "", "log format: text or json (env CTEM_LOG_FORMAT)")
	pf.StringVar(&a.flags.logLevel, "log-level", "", "log level: debug, info, warn, error (env CTEM_LOG_LEVEL)")
	root.AddCommand(
		a.versionCommand(),
		a.serveCommand(),
		a.importCommand(),
		a.formatsCommand(),
		a.assetsCommand(),
		a.findingsCommand(),
		a.importsCommand(),
		a.dbCommand(),
		a.tokensCommand(),
		a.benchCommand(),
		a.demoCommand(),
		a.configCommand(),
		a.initCommand(),
		a.scopesCommand(),
		a.prioritizeCommand(),
		a.feedsCommand(),
	)
	return root
}

// setup resolves configuration and logging before any command runs.
func (a *app) setup(cmd *cobra.Command) error {
	cfg, err := LoadConfig(a.flags, cmd.Flags().Changed, a.env.Getenv)
	if err != nil {
		return err
	}
	a.cfg = cfg
	log, err := newLogger(a.env.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	a.log = log
	reg, err := formats.Registry()
	if err != nil {
		return err
	}
	a.registry = reg
	return nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	switch strings.ToLower(level) {
	case "", "info":
		lvl = slog.LevelInfo
	case "debug":
		lvl = slog.LevelDebug
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		return nil, usagef("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("log format %q: want text or json", format)
}

// store opens the database once per run.
func (a *app) store(ctx context.Context) (store.Store, error) {
	if a.st != nil {
		return a.st, nil
	}
	st, err := open.Open(ctx, a.cfg.DB)
	if err != nil {
		return nil, err
	}
	a.st = st
	// Keep business context current when ctem.yaml changed since it was
	// last applied to this database.
	need, err := scope.NeedsMaterialize(ctx, st, a.cfg.Scope)
	if err != nil {
		return nil, err
	}
	if need {
		if err := a.materialize(ctx, st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(a.env.Stdout, "ctem %s\n", Version)
			return nil
		},
	}
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
