package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/ctemhq/ctem/internal/scope"
)

// Config is the run-time configuration. Precedence: flags, then CTEM_*
// environment variables, then ctem.yaml, then defaults.
type Config struct {
	DB        string
	Listen    string
	LogFormat string
	LogLevel  string
	// File is the configuration file that was read, if any.
	File string
	// Scope is ctem.yaml's business context: scopes, rules, zones,
	// controls, teams (empty when there is no file).
	Scope *scope.Config
}

// LoadConfig resolves the configuration. ctem.yaml is validated whole: a
// file with errors stops every command, with each error's line and field.
func LoadConfig(f globalFlags, changed func(string) bool, getenv func(string) string) (Config, error) {
	cfg := Config{DB: "ctem.db", Listen: ":8080", LogFormat: "text", LogLevel: "info"}
	path, explicit := f.config, f.config != ""
	if !explicit {
		if v := getenv("CTEM_CONFIG"); v != "" {
			path, explicit = v, true
		} else {
			path = "ctem.yaml"
		}
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		sc, err := scope.Parse(path, b, time.Now())
		if err != nil {
			return cfg, err
		}
		cfg.File, cfg.Scope = path, sc
		set(&cfg.DB, sc.Database)
		set(&cfg.Listen, sc.Listen)
		set(&cfg.LogFormat, sc.LogFormat)
		set(&cfg.LogLevel, sc.LogLevel)
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		sc, err := scope.Parse("", nil, time.Now())
		if err != nil {
			return cfg, err
		}
		cfg.Scope = sc
	default:
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	set(&cfg.DB, getenv("CTEM_DB"))
	set(&cfg.Listen, getenv("CTEM_LISTEN"))
	set(&cfg.LogFormat, getenv("CTEM_LOG_FORMAT"))
	set(&cfg.LogLevel, getenv("CTEM_LOG_LEVEL"))
	if changed("db") {
		cfg.DB = f.db
	}
	if changed("log-format") {
		cfg.LogFormat = f.logFormat
	}
	if changed("log-level") {
		cfg.LogLevel = f.logLevel
	}
	return cfg, nil
}

func set(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}
