package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/linkwatch/linkwatch/config"
	"github.com/linkwatch/linkwatch/prober"
	"github.com/linkwatch/linkwatch/statuspage"
)

// status is the status page of a control replica: the builder rebuilding
// its snapshot, the handler serving it, subscriptions, and the store the
// API edits it in.
type status struct {
	statuspage.Store
	*statuspage.Builder
	handler *statuspage.Handler
	subs    *statuspage.Subscriptions
}

func statusPage(cfg *config.Config, st store, log *slog.Logger) (*status, error) {
	log = log.With("part", "statuspage")
	h, err := statuspage.NewHandler(statuspage.HandlerOptions{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("status page: %w", err)
	}
	pageURL := cfg.PublicURL.String() + "/status"
	subs, err := statuspage.NewSubscriptions(statuspage.SubscriptionsConfig{
		Store: st, Outbox: st, HTTP: prober.GuardedClient(cfg.SubscribeAllowPrivate, 10*time.Second),
		PageURL: pageURL, PageName: cfg.StatusTitle, Logger: log,
		SMTP: statuspage.SMTPConfig{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUsername,
			Password: cfg.SMTPPassword, TLS: cfg.SMTPTLS},
	})
	if err != nil {
		return nil, fmt.Errorf("status page subscriptions: %w", err)
	}
	if cfg.SMTPAddr != "" {
		log.Info("email subscriptions on", "smtp_addr", cfg.SMTPAddr, "smtp_tls", cfg.SMTPTLS)
	}
	host, _ := os.Hostname()
	b := statuspage.NewBuilder(statuspage.BuilderConfig{
		Page:       statuspage.Page{Name: cfg.StatusTitle, URL: pageURL, TimeZone: cfg.StatusTimeZone, EmailSubscriptions: cfg.SMTPAddr != ""},
		Components: cfg.StatusComponents,
		Interval:   cfg.StatusRebuildInterval,
		Holder:     fmt.Sprintf("%s/%d", host, os.Getpid()),
		Announce:   subs.Announce,
	}, st, st, st, h, log)
	return &status{Store: st, Builder: b, handler: h, subs: subs}, nil
}
