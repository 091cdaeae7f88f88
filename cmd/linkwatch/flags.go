package main

import (
	"flag"
	"io"
	"log/slog"

	"github.com/linkwatch/linkwatch/config"
)

// loadConfig parses the flags of the command named name — the settings it
// uses, see commandSettings — and loads the configuration. -h prints the
// command's usage to out and returns flag.ErrHelp.
func loadConfig(name string, args []string, getenv func(string) string, out io.Writer) (*config.Config, error) {
	fs := newFlagSet(name, out)
	return loadFlags(fs, args, getenv)
}

// loadFlags parses args into fs, which holds the settings' flags and maybe
// the command's own, and loads the configuration.
func loadFlags(fs *flag.FlagSet, args []string, getenv func(string) string) (*config.Config, error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	return config.Load(fs, getenv)
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
