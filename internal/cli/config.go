package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"go.yaml.in/yaml/v4"
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
}

// fileConfig is the part of ctem.yaml this layer reads; the scope stage
// reads and validates the rest.
type fileConfig struct {
	Database string `yaml:"database"`
	Server   struct {
		Listen string `yaml:"listen"`
	} `yaml:"server"`
	Log struct {
		Format string `yaml:"format"`
		Level  string `yaml:"level"`
	} `yaml:"log"`
}

// LoadConfig resolves the configuration.
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
		var fc fileConfig
		if err := yaml.Unmarshal(b, &fc); err != nil {
			return cfg, fmt.Errorf("%s: %w", path, err)
		}
		cfg.File = path
		set(&cfg.DB, fc.Database)
		set(&cfg.Listen, fc.Server.Listen)
		set(&cfg.LogFormat, fc.Log.Format)
		set(&cfg.LogLevel, fc.Log.Level)
	case errors.Is(err, fs.ErrNotExist) && !explicit:
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
