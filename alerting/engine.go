package alerting

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
)

// repeat asks notify for a reminder of a still-firing alert.
const repeat Transition = "repeat"

// EvaluatorLease is the lease whose holder evaluates alerts; one evaluator
// at a time, whichever replica holds it.
const EvaluatorLease = "alert-evaluator"

// EngineStore is what the engine needs from storage.
type EngineStore interface {
	Store
	LatestAll(ctx context.Context) ([]linkwatch.Latest, error)
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	ListSilences(ctx context.Context) ([]Silence, error)
	ListMaintenances(ctx context.Context) ([]Maintenance, error)
}

// EngineConfig tunes the engine.
type EngineConfig struct {
	Interval  time.Duration // between evaluations (default 2s)
	LeaseTTL  time.Duration // default 15s; a dead leader is replaced within it
	Holder    string        // this replica's name for the lease
	Receivers []string      // every notification goes to each of these
	PublicURL *url.URL
	Now       func() time.Time
	// Renotify repeats a still-firing alert this often (default 4h; in its
	// thread on Slack).
	Renotify time.Duration
	// PoolUtilization, when set, is sampled every evaluation (percent of the
	// database pool in use) for the db_pool_saturation rule.
	PoolUtilization func() float64
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
//   - regional_degradation (warning): some fresh regions failing, fewer than
//     the quorum — a lone failing region never pages and never disappears;
//   - redirect_mismatch (critical): a fresh region finds the short link
//     redirecting somewhere else than the link's current target;
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

	poolRule Condition
	pool     []Sample // utilisation, sampled by Evaluate (one goroutine)
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
	e := &Engine{cfg: cfg, store: store, log: log, poolRule: compilePoolRule(),
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
	outcome        func(q QuorumOutcome, regions []linkwatch.Latest, fresh func(linkwatch.Latest) bool) Outcome
}

// certificateWarning is how close to expiry a certificate warns.
const certificateWarning = 14 * 24 * time.Hour

// anyFresh breaches when pred holds for a fresh region's latest result, and
// is no data while no region is fresh.
func anyFresh(q QuorumOutcome, regions []linkwatch.Latest, fresh func(linkwatch.Latest) bool, pred func(linkwatch.Latest) (bool, string)) Outcome {
	if q.State == QuorumNoData {
		return Outcome{State: NoData}
	}
	for _, r := range regions {
		if !fresh(r) {
			continue
		}
		if ok, why := pred(r); ok {
			return Outcome{State: Breach, Reason: r.Region + ": " + why}
		}
	}
	return Outcome{State: Clear}
}

var linkRules = []rule{
	{"link_down", SeverityCritical, Timing{RecoverChecks: 1},
		func(q QuorumOutcome, _ []linkwatch.Latest, _ func(linkwatch.Latest) bool) Outcome { return q.Down() }},
	{"regional_degradation", SeverityWarning, Timing{RecoverChecks: 1},
		func(q QuorumOutcome, _ []linkwatch.Latest, _ func(linkwatch.Latest) bool) Outcome {
			return q.Degradation()
		}},
	{"redirect_mismatch", SeverityCritical, Timing{RecoverChecks: 1},
		func(q QuorumOutcome, regions []linkwatch.Latest, fresh func(linkwatch.Latest) bool) Outcome {
			return anyFresh(q, regions, fresh, func(r linkwatch.Latest) (bool, string) {
				return r.Class == linkwatch.ClassRedirectMismatch, r.Error
			})
		}},
	{"link_degraded", SeverityWarning, Timing{ForChecks: 2, RecoverChecks: 2},
		func(q QuorumOutcome, regions []linkwatch.Latest, fresh func(linkwatch.Latest) bool) Outcome {
			return anyFresh(q, regions, fresh, func(r linkwatch.Latest) (bool, string) {
				return r.OK() && r.Degraded, fmt.Sprintf("responded in %s", r.Phases.Total.Round(time.Millisecond))
			})
		}},
	{"certificate_expiring", SeverityWarning, Timing{RecoverChecks: 1},
		func(q QuorumOutcome, regions []linkwatch.Latest, fresh func(linkwatch.Latest) bool) Outcome {
			return anyFresh(q, regions, fresh, func(r linkwatch.Latest) (bool, string) {
				left := r.CertExpiry.Sub(r.At)
				return !r.CertExpiry.IsZero() && left < certificateWarning,
					fmt.Sprintf("certificate expires %s (in %d days)", r.CertExpiry.Format(time.DateOnly), int(left.Hours()/24))
			})
		}},
}

// Evaluate runs one cycle if this replica holds the lease.
func (e *Engine) Evaluate(ctx context.Context) error {
	start := time.Now()
	now := e.cfg.Now()
	e.samplePool(now) // every replica samples, so a new leader has history
	fence, leader, err := e.store.Lease(ctx, EvaluatorLease, e.cfg.Holder, e.cfg.LeaseTTL, now)
	if err != nil || !leader {
		return err
	}
	latest, err := e.store.LatestAll(ctx)
	if err != nil {
		return err
	}
	links, err := e.store.ListLinks(ctx, linkwatch.LinkFilter{})
	if err != nil {
		return err
	}
	stored, err := e.store.Alerts(ctx)
	if err != nil {
		return err
	}
	silences, err := e.store.ListSilences(ctx)
	if err != nil {
		return err
	}
	windows, err := e.store.ListMaintenances(ctx)
	if err != nil {
		return err
	}
	prev := make(map[string]StoredAlert, len(stored))
	for _, a := range stored {
		prev[a.Key] = a
	}
	byLink := map[int64][]linkwatch.Latest{}
	for _, l := range latest {
		if l.Target.Kind == linkwatch.KindLink {
			byLink[l.Target.ID] = append(byLink[l.Target.ID], l)
		}
	}

	var changed []StoredAlert
	var out []Outgoing
	counts := map[[2]string]int{}
	for _, l := range links {
		if _, _, gone := l.Target(now); gone {
			continue
		}
		regions := byLink[l.ID]
		fresh := func(r linkwatch.Latest) bool { return now.Sub(r.At) <= 3*l.CheckInterval+30*time.Second }
		statuses := make([]RegionStatus, 0, len(regions))
		for _, r := range regions {
			statuses = append(statuses, RegionStatus{Region: r.Region, Fresh: fresh(r), Failing: !r.OK(), ConsecutiveFailures: r.Failures})
		}
		q := QuorumRule{Consecutive: 2}.Evaluate(statuses)
		for _, rl := range linkRules {
			key := rl.name + "|link/" + strconv.FormatInt(l.ID, 10)
			old := prev[key]
			o := rl.outcome(q, regions, fresh)
			next, tr := Step(old.State, o, rl.timing, now)
			counts[[2]string{rl.name, string(next.Phase)}]++
			if quiet(old.State, next) {
				continue
			}
			labels := linkLabels(l, rl)
			muted, _ := Muted(labels, now, silences, windows)
			send := e.toSend(old.State, &next, tr, muted, now)
			a := StoredAlert{Key: key, Rule: rl.name, Severity: rl.severity, Scope: "link/" + l.Slug,
				Labels: labels, Summary: summary(rl.name, l, q, o), State: next, UpdatedAt: now}
			changed = append(changed, a)
			if send != NoTransition {
				out = append(out, e.notify(a, send, l, q, regions, now)...)
			}
		}
	}
	if a, o := e.evaluatePool(prev, now, silences, windows); a != nil {
		changed = append(changed, *a)
		out = append(out, o...)
		counts[[2]string{a.Rule, string(a.State.Phase)}]++
	}
	e.states.Reset()
	for k, n := range counts {
		e.states.WithLabelValues(k[0], k[1]).Set(float64(n))
	}
	if len(changed) > 0 {
		if err := e.store.SaveAlerts(ctx, fence, changed, out); err != nil {
			return err
		}
	}
	e.evaluations.Observe(time.Since(start).Seconds())
	return nil
}

// toSend decides what a step notifies, given muting: a muted firing is
// recorded but held; a resolution whose firing was never sent is not sent
// either; a held firing is sent once the muting ends while it still fires;
// a long firing is repeated every Renotify. It updates next's bookkeeping.
func (e *Engine) toSend(old AlertState, next *AlertState, tr Transition, muted bool, now time.Time) Transition {
	send := NoTransition
	switch {
	case tr == Fire && muted:
		next.Held = true
	case tr == Resolve && old.Held:
		next.Held = false
	case tr != NoTransition:
		send = tr
	case next.Phase == PhaseFiring && next.Held && !muted:
		next.Held, send = false, Fire
	case next.Phase == PhaseFiring && !next.Held && !muted && now.Sub(next.NotifiedAt) >= e.cfg.Renotify:
		send = repeat
	}
	if send == Fire || send == repeat {
		next.NotifiedAt = now
	}
	return send
}

// quiet reports that an alert stayed ok: nothing worth a write. Every
// other step is stored — pending and firing alerts count breaches and clears.
func quiet(old, next AlertState) bool {
	return (old.Phase == "" || old.Phase == PhaseOK) && next.Phase == PhaseOK
}

func linkLabels(l *linkwatch.Link, rl rule) map[string]string {
	labels := map[string]string{"rule": rl.name, "severity": rl.severity, "link": l.Slug}
	if l.Domain != "" {
		labels["domain"] = l.Domain
	}
	if len(l.Tags) > 0 {
		labels["campaign"] = strings.Join(l.Tags, ",")
	}
	return labels
}

func summary(rule string, l *linkwatch.Link, q QuorumOutcome, o Outcome) string {
	switch rule {
	case "link_down":
		return fmt.Sprintf("%s is down: failing in %d of %d regions", l.Slug, len(q.Failing), q.Fresh)
	case "regional_degradation":
		return fmt.Sprintf("%s fails in %s (%d of %d regions)", l.Slug, strings.Join(q.Failing, ", "), len(q.Failing), q.Fresh)
	case "link_degraded":
		return fmt.Sprintf("%s is slow: %s", l.Slug, o.Reason)
	case "certificate_expiring":
		return fmt.Sprintf("%s: %s", l.Slug, o.Reason)
	}
	return fmt.Sprintf("%s does not redirect where it should: %s", l.Slug, o.Reason)
}

// notify builds the notification of a transition, one per receiver.
func (e *Engine) notify(a StoredAlert, tr Transition, l *linkwatch.Link, q QuorumOutcome, regions []linkwatch.Latest, now time.Time) []Outgoing {
	alert := Alert{Link: l.Slug, Destination: l.Destination, Tags: l.Tags, Regions: q.Failing}
	if e.cfg.PublicURL != nil {
		alert.ShortURL = l.ShortURL(e.cfg.PublicURL)
	}
	for _, r := range regions {
		if !r.OK() {
			alert.ErrorClass, alert.Error = r.Class, r.Error
			for _, h := range r.Hops {
				alert.Hops = append(alert.Hops, Hop{URL: h.URL, Status: h.Status})
			}
			break
		}
	}
	return e.outgoing(a, tr, []Alert{alert}, now)
}

// kindOf is the notification kind a transition sends.
func kindOf(tr Transition) string {
	switch tr {
	case Resolve:
		return KindResolved
	case repeat:
		return KindRepeat
	}
	return KindFiring
}

// outgoing builds a's notification, one per receiver, each with its own ID.
func (e *Engine) outgoing(a StoredAlert, tr Transition, alerts []Alert, now time.Time) []Outgoing {
	n := Notification{DedupeKey: a.Key, Kind: kindOf(tr), Rule: a.Rule, Severity: a.Severity, Summary: a.Summary,
		Labels: a.Labels, Since: a.State.FiredAt, At: now, Alerts: alerts}
	out := make([]Outgoing, 0, len(e.cfg.Receivers))
	for _, r := range e.cfg.Receivers {
		n.ID = newID()
		out = append(out, Outgoing{Receiver: r, Notification: n, NotBefore: now, CreatedAt: now})
	}
	return out
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
