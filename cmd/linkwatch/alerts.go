package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"

	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/alerting/datadog"
	"github.com/linkwatch/linkwatch/alerting/slack"
	"github.com/linkwatch/linkwatch/alerting/webhook"
	"github.com/linkwatch/linkwatch/config"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
)

// notifiers builds the receivers the configuration names.
func notifiers(cfg *config.Config) (map[string]alerting.Notifier, func(), error) {
	out := map[string]alerting.Notifier{}
	closers := []func(){}
	if cfg.SlackWebhookURL != "" || cfg.SlackToken != "" {
		n, err := slack.New(slack.Config{WebhookURL: cfg.SlackWebhookURL, Token: cfg.SlackToken, Channel: cfg.SlackChannel, APIURL: cfg.SlackAPIURL})
		if err != nil {
			return nil, nil, fmt.Errorf("slack: %w", err)
		}
		out["slack"] = n
	}
	if cfg.WebhookURL != "" {
		n, err := webhook.New(webhook.Config{Name: "default", URL: cfg.WebhookURL, Secret: cfg.WebhookSecret})
		if err != nil {
			return nil, nil, fmt.Errorf("webhook: %w", err)
		}
		out["webhook"] = n
	}
	if cfg.DogStatsDAddr != "" {
		dd, err := datadog.New(datadog.Config{Addr: cfg.DogStatsDAddr, Tags: []string{"service:linkwatch"}})
		if err != nil {
			return nil, nil, fmt.Errorf("dogstatsd: %w", err)
		}
		out["datadog"] = dd
		closers = append(closers, func() { dd.Close() })
	}
	return out, func() {
		for _, c := range closers {
			c()
		}
	}, nil
}

// startAlerting runs the alert engine and the outbox's delivery in g. Every
// control replica runs both; the evaluator lease lets one evaluate at a time.
func startAlerting(ctx context.Context, g *errgroup.Group, cfg *config.Config, st store, log *slog.Logger, reg prometheus.Registerer) (func(), error) {
	ns, closeAll, err := notifiers(cfg)
	if err != nil {
		return nil, err
	}
	receivers := make([]string, 0, len(ns))
	for name := range ns {
		receivers = append(receivers, name)
	}
	sort.Strings(receivers)
	host, _ := os.Hostname()
	engine := alerting.NewEngine(alerting.EngineConfig{
		Holder: fmt.Sprintf("%s/%d", host, os.Getpid()), Receivers: receivers, PublicURL: cfg.PublicURL,
		PoolUtilization: func() float64 {
			ps := st.PoolStats()
			if ps.Max == 0 {
				return 0
			}
			return 100 * float64(ps.Acquired) / float64(ps.Max)
		},
	}, st, log.With("part", "alerting"), reg)
	deliverer := alerting.NewDeliverer(alerting.DeliveryConfig{}, st, ns, log.With("part", "delivery"), reg)
	g.Go(func() error { return engine.Run(ctx) })
	g.Go(func() error { return deliverer.Run(ctx) })
	log.Info("alerting started", "receivers", receivers)
	return closeAll, nil
}
