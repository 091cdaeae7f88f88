package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"

	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/alerting/datadog"
	"github.com/linkwatch/linkwatch/alerting/slack"
	"github.com/linkwatch/linkwatch/alerting/webhook"
	"github.com/linkwatch/linkwatch/config"
	"github.com/linkwatch/linkwatch/statuspage"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
)

// buildChannels builds the notification channels: those the LINKWATCH_SLACK_*,
// LINKWATCH_WEBHOOK_* and LINKWATCH_DOGSTATSD_ADDR settings imply (named
// slack, webhook and datadog) and the configuration file's.
func buildChannels(cfg *config.Config) (*alerting.Channels, func(), error) {
	var infos []alerting.ChannelInfo
	ns := map[string]alerting.Notifier{}
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	var dd *datadog.Client
	add := func(spec alerting.ChannelSpec, source string) error {
		info := alerting.ChannelInfo{Name: spec.Name, Type: spec.Type, Source: source}
		switch spec.Type {
		case alerting.ChannelSlack:
			n, err := slack.New(slack.Config{WebhookURL: spec.WebhookURL, Token: spec.Token, Channel: spec.Channel, APIURL: spec.APIURL})
			if err != nil {
				return fmt.Errorf("channel %s: %w", spec.Name, err)
			}
			ns[spec.Name], info.Target = n, spec.Channel
			if spec.WebhookURL != "" {
				info.Target = "an incoming webhook"
			}
		case alerting.ChannelWebhook:
			n, err := webhook.New(webhook.Config{Name: spec.Name, URL: spec.URL, Secret: spec.Secret})
			if err != nil {
				return fmt.Errorf("channel %s: %w", spec.Name, err)
			}
			ns[spec.Name], info.Target = n, "a signed webhook"
			if u, err := url.Parse(spec.URL.Reveal()); err == nil {
				info.Target = "a signed webhook at " + u.Host
			}
		case alerting.ChannelDatadog:
			if dd == nil {
				c, err := datadog.New(datadog.Config{Addr: cfg.DogStatsDAddr, APIKey: cfg.DatadogAPIKey, APIURL: cfg.DatadogAPIURL,
					Tags: []string{"service:linkwatch"}})
				if err != nil {
					return fmt.Errorf("dogstatsd: %w", err)
				}
				dd = c
				closers = append(closers, func() { c.Close() })
			}
			ns[spec.Name], info.Target = dd, "DogStatsD at "+cfg.DogStatsDAddr
			if cfg.DatadogAPIKey != "" {
				info.Target = "the DataDog events API"
			}
		}
		infos = append(infos, info)
		return nil
	}
	var implicit []alerting.ChannelSpec
	if cfg.SlackWebhookURL != "" || cfg.SlackToken != "" {
		implicit = append(implicit, alerting.ChannelSpec{Name: "slack", Type: alerting.ChannelSlack, WebhookURL: cfg.SlackWebhookURL,
			Token: cfg.SlackToken, Channel: cfg.SlackChannel, APIURL: cfg.SlackAPIURL})
	}
	if cfg.WebhookURL != "" {
		implicit = append(implicit, alerting.ChannelSpec{Name: "webhook", Type: alerting.ChannelWebhook, URL: cfg.WebhookURL, Secret: cfg.WebhookSecret})
	}
	if cfg.DogStatsDAddr != "" || cfg.DatadogAPIKey != "" {
		implicit = append(implicit, alerting.ChannelSpec{Name: "datadog", Type: alerting.ChannelDatadog})
	}
	for _, spec := range implicit {
		if err := add(spec, "env"); err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	for _, spec := range cfg.Channels {
		if err := add(spec, "config"); err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	return alerting.NewChannels(infos, ns), closeAll, nil
}

// startAlerting runs the alert engine and the outbox's delivery in g. Every
// control replica runs both; the evaluator lease lets one evaluate at a time.
// scanDrops is this process's redirector's dropped-scan counter, or nil.
// subscribers delivers the status page's subscriber notifications, which
// share the outbox.
func startAlerting(ctx context.Context, g *errgroup.Group, cfg *config.Config, st store, chans *alerting.Channels,
	subscribers alerting.Notifier, scanDrops func() float64, log *slog.Logger, reg prometheus.Registerer) error {
	router, err := alerting.NewRouter(chans.Names(), cfg.Routes)
	if err != nil {
		return fmt.Errorf("routes: %w", err)
	}
	rules := make([]*alerting.Rule, 0, len(cfg.AlertRules))
	for _, spec := range cfg.AlertRules {
		r, err := spec.Compile()
		if err != nil { // config.Load compiled them already
			return fmt.Errorf("alert rule %s: %w", spec.Name, err)
		}
		rules = append(rules, r)
	}
	host, _ := os.Hostname()
	holder := fmt.Sprintf("%s/%d", host, os.Getpid())
	engine := alerting.NewEngine(alerting.EngineConfig{
		Holder: holder, Router: router, Rules: rules, PublicURL: cfg.PublicURL, Interval: cfg.AlertEvaluationInterval,
		PoolUtilization: func() float64 {
			ps := st.PoolStats()
			if ps.Max == 0 {
				return 0
			}
			return 100 * float64(ps.Acquired) / float64(ps.Max)
		},
		ScanDrops: scanDrops, Probers: cfg.ProberLifecycle(),
	}, st, log.With("part", "alerting"), reg)
	notifiers := maps.Clone(chans.Notifiers())
	notifiers[statuspage.SubscriberReceiver] = subscribers
	deliverer := alerting.NewDeliverer(alerting.DeliveryConfig{Interval: cfg.AlertDeliveryInterval, Holder: holder}, st, notifiers, log.With("part", "delivery"), reg)
	g.Go(func() error { return engine.Run(ctx) })
	g.Go(func() error { return deliverer.Run(ctx) })
	log.Info("alerting started", "channels", chans.Names(), "routes", len(cfg.Routes), "rules", len(rules))
	return nil
}
