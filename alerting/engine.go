package alerting

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
	"github.com/prometheus/client_golang/prometheus"
)

// EvaluatorLease is the lease whose holder evaluates alerts; one evaluator
// at a time, whichever replica holds it.
const EvaluatorLease = "alert-evaluator"

// EngineStore is what the engine needs from storage.
type EngineStore interface {
	Store
	LatestAll(ctx context.Context) ([]linkwatch.Latest, error)
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	ListMonitors(ctx context.Context) ([]*linkwatch.Monitor, error)
	AlertRules(ctx context.Context) ([]StoredRule, error)
	ScanCounts(ctx context.Context, linkIDs []int64, from, to time.Time) ([]linkwatch.ScanBucket, error)
	Probers(ctx context.Context) ([]linkwatch.ProberInfo, error)
	ListSilences(ctx context.Context) ([]Silence, error)
	ListMaintenances(ctx context.Context) ([]Maintenance, error)
	ExpireSilence(ctx context.Context, id string, at time.Time) error
}

// EngineConfig tunes the engine.
type EngineConfig struct {
	Interval time.Duration // between evaluations (default 2s)
	LeaseTTL time.Duration // default 15s; a dead leader is replaced within it
	Holder   string        // this replica's name for the lease
	// Router picks each notification's channels from its labels; without
	// one, every notification goes to each of Receivers.
	Router    *Router
	Receivers []string
	// Rules are the rules declared in the configuration; rules declared
	// through the API are read from the store every cycle.
	Rules     []*Rule
	PublicURL *url.URL
	Now       func() time.Time
	// Renotify repeats a still-firing alert this often (default 4h; in its
	// thread on Slack).
	Renotify time.Duration
	// PoolUtilization, when set, is sampled every evaluation (percent of the
	// database pool in use) for the db_pool_saturation rule.
	PoolUtilization func() float64
	// ScanDrops, when set, is the number of scans this process's redirector
	// has dropped so far (a counter), for the scan_queue_drops rule.
	ScanDrops func() float64
	// Probers says when a prober is silent (prober_silent warns; default
	// 1m: six missed heartbeats) and when it is retired (its alert resolves;
	// default 1h). The API must be given the same.
	Probers linkwatch.ProberLifecycle
	// GroupInterval is the least time between two notifications of a
	// campaign's group as links join it (default 1m); the first link
	// notifies at once.
	GroupInterval time.Duration
}

// Engine evaluates the default link rules every Interval while it holds the
// evaluator lease, and writes state changes with their notifications to the
// outbox in one transaction. Alerts a silence or maintenance window matches
// are evaluated and recorded but not sent; one still firing when the muting
// ends is sent then. A resolution is sent when its firing was (good news
// keeps the channel consistent), even during a silence. The rules:
//
//   - link_down (critical): a quorum of fresh regions (default a majority)
//     each failing for 2 consecutive checks;
//   - link_failover (warning): link_down fires for a link with a fallback in
//     failover mode auto, because of its destination, and the fallback is
//     up — visitors go to the fallback until link_down resolves (see
//     decideFailover);
//   - regional_degradation (warning): some fresh regions failing, fewer than
//     the quorum — a lone failing region never pages and never disappears;
//   - redirect_mismatch (critical): a fresh region finds the short link
//     redirecting somewhere else than the link's current target on two
//     checks in a row (a first mismatch may be a redirector that has not
//     heard of a change yet, as probers hear of it by push);
//   - link_degraded (warning): a fresh region's checks pass but are slower
//     than the link's max_response_time;
//   - certificate_expiring (warning): the destination's certificate, as a
//     fresh region saw it, expires within 14 days.
type Engine struct {
	cfg   EngineConfig
	store EngineStore
	log   *slog.Logger

	evaluations prometheus.Histogram
	states      *prometheus.GaugeVec

	platform *platform
	history  *history
	compiled map[string]compiledRule // API rules by name, compiled once per version
	campaign map[string]*Rule        // campaign_scans_drop by tag
	// scanEvaluated is the minute each scan rule last read.
	scanEvaluated map[string]time.Time
}

// NewEngine returns an engine; Run drives it.
func NewEngine(cfg EngineConfig, store EngineStore, log *slog.Logger, reg prometheus.Registerer) *Engine {
	if cfg.Interval == 0 {
		cfg.Interval = 2 * time.Second
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Renotify == 0 {
		cfg.Renotify = 4 * time.Hour
	}
	if cfg.GroupInterval == 0 {
		cfg.GroupInterval = time.Minute
	}
	e := &Engine{cfg: cfg, store: store, log: log, platform: newPlatform(cfg.PoolUtilization, cfg.ScanDrops),
		history: newHistory(), compiled: map[string]compiledRule{}, scanEvaluated: map[string]time.Time{}, campaign: map[string]*Rule{},
		evaluations: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "linkwatch_alert_evaluation_seconds", Help: "Duration of one alert evaluation cycle.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		states: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "linkwatch_alerts", Help: "Alerts by rule and state after the last evaluation.",
		}, []string{"rule", "state"}),
	}
	reg.MustRegister(e.evaluations, e.states)
	return e
}

// Run evaluates until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	tick := time.NewTicker(e.cfg.Interval)
	defer tick.Stop()
	for {
		if err := e.Evaluate(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("alert evaluation failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// rule is one of the default link rules.
type rule struct {
	name, severity string
	timing         Timing
	outcome        func(q health.QuorumOutcome, regions []linkwatch.Latest, fresh func(linkwatch.Latest) bool) Outcome
}

// certificateWarning is how close to expiry a certificate warns.
const certificateWarning = 14 * 24 * time.Hour

// anyFresh breaches when pred holds for a fresh region's latest result, and
// is no data while no region is fresh.
// why explains a breach; it runs only for one.
func anyFresh(q health.QuorumOutcome, regions []linkwatch.Latest, fresh func(linkwatch.Latest) bool,
	pred func(linkwatch.Latest) bool, why func(linkwatch.Latest) string) Outcome {
	if q.State == health.QuorumNoData {
		return Outcome{State: NoData}
	}
	for _, r := range regions {
		if fresh(r) && pred(r) {
			return Outcome{State: Breach, Reason: r.Region + ": " + why(r)}
		}
	}
	return Outcome{State: Clear}
}

var linkRules = []rule{
	{"link_down", SeverityCritical, Timing{RecoverChecks: 1},
		func(q health.QuorumOutcome, _ []linkwatch.Latest, _ func(linkwatch.Latest) bool) Outcome {
			return downOutcome(q)
		}},
	{"regional_degradation", SeverityWarning, Timing{RecoverChecks: 1},
		func(q health.QuorumOutcome, _ []linkwatch.Latest, _ func(linkwatch.Latest) bool) Outcome {
			return degradationOutcome(q)
		}},
	{"redirect_mismatch", SeverityCritical, Timing{RecoverChecks: 1},
		func(q health.QuorumOutcome, regions []linkwatch.Latest, fresh func(linkwatch.Latest) bool) Outcome {
			return anyFresh(q, regions, fresh, func(r linkwatch.Latest) bool {
				return r.Class == linkwatch.ClassRedirectMismatch && r.Failures >= health.LinkDown.Consecutive
			},
				func(r linkwatch.Latest) string { return r.Error })
		}},
	{"link_degraded", SeverityWarning, Timing{ForChecks: 2, RecoverChecks: 2},
		func(q health.QuorumOutcome, regions []linkwatch.Latest, fresh func(linkwatch.Latest) bool) Outcome {
			return anyFresh(q, regions, fresh, func(r linkwatch.Latest) bool { return r.OK() && r.Degraded },
				func(r linkwatch.Latest) string {
					return fmt.Sprintf("responded in %s", r.Phases.Total.Round(time.Millisecond))
				})
		}},
	{"certificate_expiring", SeverityWarning, Timing{RecoverChecks: 1},
		func(q health.QuorumOutcome, regions []linkwatch.Latest, fresh func(linkwatch.Latest) bool) Outcome {
			return anyFresh(q, regions, fresh,
				func(r linkwatch.Latest) bool {
					return !r.CertExpiry.IsZero() && r.CertExpiry.Sub(r.At) < certificateWarning
				},
				func(r linkwatch.Latest) string {
					return fmt.Sprintf("certificate expires %s (in %d days)", r.CertExpiry.Format(time.DateOnly), int(r.CertExpiry.Sub(r.At).Hours()/24))
				})
		}},
}

// Evaluate runs one cycle if this replica holds the lease.
func (e *Engine) Evaluate(ctx context.Context) error {
	start := time.Now()
	now := e.cfg.Now()
	e.platform.sample(now) // every replica samples, so a new leader has history
	fence, leader, err := e.store.Lease(ctx, EvaluatorLease, e.cfg.Holder, e.cfg.LeaseTTL, now)
	if err != nil || !leader {
		return err
	}
	c, err := e.load(ctx, now)
	if err != nil {
		return err
	}
	for _, l := range c.links {
		if _, _, gone := l.Target(now); gone {
			continue
		}
		c.linkRules(l)
	}
	if err := c.customRules(ctx); err != nil {
		return err
	}
	if err := c.platformRules(ctx); err != nil {
		return err
	}
	c.finishGroups()
	e.states.Reset()
	for k, n := range c.counts {
		e.states.WithLabelValues(k[0], k[1]).Set(float64(n))
	}
	if len(c.changed) > 0 || len(c.failovers) > 0 {
		if err := e.store.SaveAlerts(ctx, fence, c.changed, c.out, c.failovers); err != nil {
			return err
		}
		e.logTransitions(ctx, c.transitions) // stored: logged once, by the evaluator that stored them
		e.logFailovers(ctx, c.failovers)
	}
	if err := c.endResolvedSilences(ctx); err != nil {
		return err
	}
	e.evaluations.Observe(time.Since(start).Seconds())
	return nil
}

// cycle is one evaluation: what it read, and what it will write.
type cycle struct {
	e        *Engine
	now      time.Time
	prev     map[string]StoredAlert
	silences []Silence
	windows  []Maintenance
	links    []*linkwatch.Link
	byLink   map[int64][]linkwatch.Latest
	// byFallback are the latest results of links' fallback URLs.
	byFallback map[int64][]linkwatch.Latest
	latest     []linkwatch.Latest
	rules      []*Rule

	changed     []StoredAlert
	out         []Outgoing
	failovers   []LinkFailover
	transitions []stepLog
	counts      map[[2]string]int
	groups      map[string]*group
	left        map[string]*group // by group key: the members that resolved
}

// load reads what a cycle evaluates.
func (e *Engine) load(ctx context.Context, now time.Time) (*cycle, error) {
	c := &cycle{e: e, now: now, counts: map[[2]string]int{}, groups: map[string]*group{}}
	var err error
	if c.latest, err = e.store.LatestAll(ctx); err != nil {
		return nil, err
	}
	if c.links, err = e.store.ListLinks(ctx, linkwatch.LinkFilter{}); err != nil {
		return nil, err
	}
	stored, err := e.store.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	if c.silences, err = e.store.ListSilences(ctx); err != nil {
		return nil, err
	}
	if c.windows, err = e.store.ListMaintenances(ctx); err != nil {
		return nil, err
	}
	if c.rules, err = e.loadRules(ctx); err != nil {
		return nil, err
	}
	c.byLink = make(map[int64][]linkwatch.Latest, len(c.links))
	c.byFallback = map[int64][]linkwatch.Latest{}
	c.prev = make(map[string]StoredAlert, len(stored))
	for _, a := range stored {
		c.prev[a.Key] = a
	}
	for _, l := range c.latest {
		switch l.Target.Kind {
		case linkwatch.KindLink:
			c.byLink[l.Target.ID] = append(c.byLink[l.Target.ID], l)
		case linkwatch.KindFallback:
			c.byFallback[l.Target.ID] = append(c.byFallback[l.Target.ID], l)
		}
	}
	e.history.observe(c.latest, now)
	return c, nil
}

// linkRules steps the default rules of one link, then its failover.
func (c *cycle) linkRules(l *linkwatch.Link) {
	regions := c.byLink[l.ID]
	fresh := health.Freshness(l.CheckInterval, c.now)
	q := health.LinkDown.Evaluate(health.RegionStatuses(regions, l.CheckInterval, c.now))
	var fb *health.Assessment // the fallback's health, for links with one
	if l.FallbackURL != "" {
		a := health.Assess(c.byFallback[l.ID], l.CheckInterval, c.now)
		fb = &a
	}
	id := strconv.FormatInt(l.ID, 10)
	for _, rl := range linkRules {
		o := rl.outcome(q, regions, fresh)
		c.apply(item{key: rl.name + "|link/" + id, rule: rl.name, severity: rl.severity, scope: "link/" + l.Slug,
			timing: rl.timing, outcome: o, describe: func(it *item) {
				it.labels = linkLabels(l, rl.name, rl.severity, nil)
				it.group = linkGroup(l, it.labels["campaign"], c.now)
				it.summary = firingText(rl.name, l, q, o, regions)
				if rl.name == "link_down" {
					it.summary += fallbackDownText(l, fb)
				}
				it.recovered = recoveredText(rl.name, l, q)
				it.alert = c.e.linkAlert(l, q.Failing, regions, o)
			}})
	}
	c.failover(l, q, regions, fb)
}

// endResolvedSilences expires, at now, each silence held until an alert
// resolves whose alert is, as this cycle stored it, no longer pending or
// firing (resolved, ok, or gone). It runs after the cycle's alerts are
// stored, so the resolution was decided — and sent, unless its firing was
// held — under the silence, and the alert's next firing is not muted by it.
func (c *cycle) endResolvedSilences(ctx context.Context) error {
	var phase map[string]Phase
	for _, s := range c.silences {
		if s.UntilResolved == "" || !c.now.Before(s.End) {
			continue
		}
		if phase == nil {
			phase = make(map[string]Phase, len(c.prev))
			for k, a := range c.prev {
				phase[k] = a.State.Phase
			}
			for _, a := range c.changed {
				phase[a.Key] = a.State.Phase
			}
		}
		if p := phase[s.UntilResolved]; p == PhasePending || p == PhaseFiring {
			continue
		}
		if err := c.e.store.ExpireSilence(ctx, s.ID, c.now); err != nil {
			return fmt.Errorf("ending silence %s: %w", s.ID, err)
		}
		c.e.log.Info("silence ended: its alert resolved", "id", s.ID, "alert", s.UntilResolved)
	}
	return nil
}
