package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/linkwatch/linkwatch/config"
	"github.com/linkwatch/linkwatch/statuspage"
)

// status is the status page of a control replica: the builder rebuilding
// its snapshot, the handler serving it, and the store the API edits it in.
type status struct {
	statuspage.Store
	*statuspage.Builder
	handler *statuspage.Handler
}

func statusPage(cfg *config.Config, st store, log *slog.Logger) (*status, error) {
	h, err := statuspage.NewHandler(statuspage.HandlerOptions{Logger: log.With("part", "statuspage")})
	if err != nil {
		return nil, fmt.Errorf("status page: %w", err)
	}
	host, _ := os.Hostname()
	b := statuspage.NewBuilder(statuspage.BuilderConfig{
		Page:       statuspage.Page{Name: cfg.StatusTitle, URL: cfg.PublicURL.String() + "/status", TimeZone: cfg.StatusTimeZone},
		Components: cfg.StatusComponents,
		Holder:     fmt.Sprintf("%s/%d", host, os.Getpid()),
	}, st, st, st, h, log.With("part", "statuspage"))
	return &status{Store: st, Builder: b, handler: h}, nil
}
