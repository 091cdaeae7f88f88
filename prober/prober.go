package prober

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober/schedule"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
)

// Sink receives results; it must not block for long.
type Sink interface {
	Submit(linkwatch.Result)
}

// ResultObserver also sees every result, with the link's slug (or the
// monitor's name) and campaign tags: DataDog's DogStatsD client is one.
type ResultObserver interface {
	RecordResult(r linkwatch.Result, name string, tags []string)
}

// RunnerConfig tunes a Runner.
type RunnerConfig struct {
	// Observers see every result besides the sink.
	Observers []ResultObserver
	// Refresh is how often assignments are reloaded: an edited, created or
	// deleted link reaches the schedule within it.
	Refresh time.Duration
	// QREvery re-checks a link's QR code this often even when it did not change.
	QREvery time.Duration
	// Settle is how long after this prober hears of a link's change the
	// redirectors may still serve the link as it was (zero: DefaultSettle).
	// A check in that window whose short link answers with the old target,
	// or not at all (a new link), is retried with backoff until the window
	// ends, and only its last attempt is reported: the change reaches the
	// probers as it reaches the redirectors, so the first check of an edit
	// may simply be early, and reporting it would be a false
	// redirect_mismatch and an edit checked against its old destination.
	Settle time.Duration
}

// DefaultSettle is RunnerConfig.Settle's default: the time a change takes to
// reach every redirector replica, with a wide margin (it takes well under a
// second on PostgreSQL LISTEN/NOTIFY and in-process).
const DefaultSettle = 5 * time.Second

// Runner keeps the schedule in step with the assignments and feeds results
// to the sink.
type Runner struct {
	cfg     RunnerConfig
	checker *Checker
	sched   *schedule.Scheduler
	src     Source
	sink    Sink
	log     *slog.Logger
	region  string

	mu     sync.Mutex
	qrSeen map[int64]qrState        // link ID → when its QR code was last checked, and for what
	known  map[int64]LinkAssignment // link ID → the link as last applied; nil before the first list
	heard  map[int64]time.Time      // link ID → when a change of it was last heard, within Settle

	durations *prometheus.HistogramVec
	results   *prometheus.CounterVec
}

type qrState struct {
	qrURL string
	at    time.Time
}

// NewRunner wires a checker and a scheduler to a source and a sink.
func NewRunner(cfg RunnerConfig, region string, checker *Checker, sched *schedule.Scheduler, src Source, sink Sink, log *slog.Logger, reg prometheus.Registerer) *Runner {
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	r := &Runner{
		cfg: cfg, checker: checker, sched: sched, src: src, sink: sink, log: log, region: region,
		qrSeen: map[int64]qrState{}, heard: map[int64]time.Time{},
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "linkwatch_probe_duration_seconds", Help: "Check timings by region and phase (dns, connect, tls, first_byte, total).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"region", "phase"}),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "linkwatch_probe_results_total", Help: "Check results by region and error class (ok for passing checks).",
		}, []string{"region", "error_class"}),
	}
	reg.MustRegister(r.durations, r.results)
	return r
}

// Run refreshes assignments and runs the schedule until ctx ends. While the
// source fails, the last assignments keep running. A source that is also a
// Watcher pushes its changes as they happen (a new or edited check runs at
// once); the periodic refresh stays as the safety net.
func (r *Runner) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return r.sched.Run(ctx) })
	g.Go(func() error {
		tick := time.NewTicker(r.cfg.Refresh)
		defer tick.Stop()
		for {
			r.refresh(ctx)
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
	})
	if w, ok := r.src.(Watcher); ok {
		g.Go(func() error { r.watch(ctx, w); return nil })
	}
	return g.Wait()
}

// watch applies pushed changes until ctx ends, watching again after a lost
// connection (backing off up to 30 s while it keeps failing).
func (r *Runner) watch(ctx context.Context, w Watcher) {
	const maxBackoff = 30 * time.Second
	backoff := time.Second
	for {
		start := time.Now()
		err := w.Watch(ctx, r.apply)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > maxBackoff {
			backoff = time.Second // it was up for a while: a fresh loss
		}
		r.log.Warn("change stream lost; watching again", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func (r *Runner) refresh(ctx context.Context) {
	links, monitors, err := r.src.Assignments(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("cannot load assignments; keeping the last ones", "err", err)
		}
		return
	}
	r.apply(Change{Full: true, Links: links, Monitors: monitors})
}

// apply brings the schedule in step with a change. Links and monitors that
// a change adds or edits run at once; so do links a full list shows as new
// or edited since the last list (not on the first: a starting prober
// spreads its checks over their slots).
func (r *Runner) apply(c Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var now []string
	heardAt := time.Now()
	if c.Full {
		jobs := make([]schedule.Job, 0, len(c.Links)+len(c.Monitors))
		seen := make(map[int64]LinkAssignment, len(c.Links))
		for _, a := range c.Links {
			was, ok := r.known[a.Link.ID]
			switch {
			case ok && was.Link.UpdatedAt.After(a.Link.UpdatedAt):
				a = was // a list read before a change already pushed
			case r.known != nil && (!ok || !was.Link.UpdatedAt.Equal(a.Link.UpdatedAt)):
				now = append(now, linkKey(a.Link.ID), fallbackKey(a.Link.ID))
				r.heard[a.Link.ID] = heardAt
			}
			jobs = append(jobs, r.linkJob(a))
			if a.Link.FallbackURL != "" {
				jobs = append(jobs, r.fallbackJob(a.Link))
			}
			seen[a.Link.ID] = a
		}
		for _, m := range c.Monitors {
			jobs = append(jobs, r.monitorJob(m))
		}
		r.sched.Set(jobs)
		r.known = seen
		for id := range r.qrSeen {
			if _, ok := seen[id]; !ok {
				delete(r.qrSeen, id)
			}
		}
		for id, at := range r.heard {
			if _, ok := seen[id]; !ok || heardAt.Sub(at) > r.cfg.Settle {
				delete(r.heard, id)
			}
		}
	} else {
		if r.known == nil {
			r.known = map[int64]LinkAssignment{}
		}
		for _, a := range c.Links {
			r.sched.Put(r.linkJob(a))
			if a.Link.FallbackURL != "" {
				r.sched.Put(r.fallbackJob(a.Link))
			} else {
				r.sched.Remove(fallbackKey(a.Link.ID))
			}
			r.known[a.Link.ID] = a
			r.heard[a.Link.ID] = heardAt
			now = append(now, linkKey(a.Link.ID), fallbackKey(a.Link.ID))
		}
		for _, id := range c.RemovedLinks {
			r.sched.Remove(linkKey(id))
			r.sched.Remove(fallbackKey(id))
			delete(r.known, id)
			delete(r.qrSeen, id)
			delete(r.heard, id)
		}
		for _, m := range c.Monitors {
			r.sched.Put(r.monitorJob(m))
			now = append(now, monitorKey(m.ID))
		}
		for _, id := range c.RemovedMonitors {
			r.sched.Remove(monitorKey(id))
		}
		for _, t := range c.Check {
			switch t.Kind {
			case linkwatch.KindLink:
				now = append(now, linkKey(t.ID))
			case linkwatch.KindMonitor:
				now = append(now, monitorKey(t.ID))
			}
		}
	}
	for _, key := range now {
		r.sched.RunNow(key)
	}
}

func linkKey(id int64) string    { return "link/" + strconv.FormatInt(id, 10) }
func monitorKey(id int64) string { return "monitor/" + strconv.FormatInt(id, 10) }

// fallbackKey is the job of a link's fallback check: a job of its own, so
// the fallback's host gets the scheduler's per-host limit.
func fallbackKey(id int64) string { return "fallback/" + strconv.FormatInt(id, 10) }

func (r *Runner) linkJob(a LinkAssignment) schedule.Job {
	l := a.Link
	return schedule.Job{
		Key: linkKey(l.ID), Interval: l.CheckInterval, Host: hostOf(l.Destination),
		Run: func(ctx context.Context) bool { return r.checkLink(ctx, a) },
	}
}

// fallbackJob checks link l's fallback URL on the link's interval, so the
// alert engine knows whether failing over would help (and when a fallback
// in use fails).
func (r *Runner) fallbackJob(l *linkwatch.Link) schedule.Job {
	return schedule.Job{
		Key: fallbackKey(l.ID), Interval: l.CheckInterval, Host: hostOf(l.FallbackURL),
		Run: func(ctx context.Context) bool { return r.record(ctx, r.checker.CheckFallback(ctx, l), l.Slug, l.Tags) },
	}
}

func (r *Runner) monitorJob(m *linkwatch.Monitor) schedule.Job {
	return schedule.Job{
		Key: monitorKey(m.ID), Interval: m.Interval, Cron: m.Cron, Host: hostOf(m.URL),
		Run: func(ctx context.Context) bool { return r.record(ctx, r.checker.CheckMonitor(ctx, m), m.Name, nil) },
	}
}

// checkLink runs the short-link and destination steps, and the QR step when
// the link's QR code is new, changed, or not checked for QREvery. One result
// per run: a QR failure is reported only when the other steps pass.
func (r *Runner) checkLink(ctx context.Context, a LinkAssignment) bool {
	l := a.Link
	res := r.settled(ctx, a)
	if res.OK() && r.qrDue(a) {
		if qr := r.checker.CheckQR(a); !qr.OK() {
			res.Step, res.Class, res.Error = qr.Step, qr.Class, qr.Error
		} else {
			r.mu.Lock()
			r.qrSeen[l.ID] = qrState{qrURL: a.QRText, at: time.Now()}
			r.mu.Unlock()
		}
	}
	return r.record(ctx, res, l.Slug, l.Tags)
}

// settled checks a link, retrying (see RunnerConfig.Settle) while a change
// of it heard moments ago may not have reached the redirector yet.
func (r *Runner) settled(ctx context.Context, a LinkAssignment) linkwatch.Result {
	res := r.checker.CheckLink(ctx, a)
	wait := 100 * time.Millisecond
	for res.Step == linkwatch.StepShortLink && res.Class == linkwatch.ClassRedirectMismatch {
		r.mu.Lock()
		heard, ok := r.heard[a.Link.ID]
		r.mu.Unlock()
		if !ok || time.Since(heard)+wait > r.cfg.Settle {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return res
		case <-t.C:
		}
		wait *= 2
		res = r.checker.CheckLink(ctx, a)
	}
	return res
}

func (r *Runner) qrDue(a LinkAssignment) bool {
	l := a.Link
	now := time.Now()
	qrURL := a.QRText
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.qrSeen[l.ID]
	switch {
	case !ok && now.Sub(l.UpdatedAt) >= r.cfg.QREvery:
		// A link unchanged for a day that this prober has not seen yet (it
		// just started): its daily QR check lands at a stable point of the
		// coming day, instead of every code being rendered in the first
		// minute.
		h := fnv.New64a()
		h.Write([]byte(strconv.FormatInt(l.ID, 10)))
		r.qrSeen[l.ID] = qrState{qrURL: qrURL, at: now.Add(-time.Duration(h.Sum64() % uint64(r.cfg.QREvery)))}
		return false
	case !ok || st.qrURL != qrURL:
		return true // new or changed
	}
	return now.Sub(st.at) >= r.cfg.QREvery
}

// record counts and submits a result. A check cut short by shutdown says
// nothing about the target and is not recorded.
func (r *Runner) record(ctx context.Context, res linkwatch.Result, name string, tags []string) bool {
	if errors.Is(ctx.Err(), context.Canceled) {
		return true
	}
	class := res.Class
	if class == "" {
		class = "ok"
	}
	r.results.WithLabelValues(r.region, class).Inc()
	for phase, d := range map[string]time.Duration{
		"dns": res.Phases.DNS, "connect": res.Phases.Connect, "tls": res.Phases.TLS,
		"first_byte": res.Phases.FirstByte, "total": res.Phases.Total,
	} {
		if d > 0 {
			r.durations.WithLabelValues(r.region, phase).Observe(d.Seconds())
		}
	}
	for _, o := range r.cfg.Observers {
		o.RecordResult(res, name, tags)
	}
	r.sink.Submit(res)
	return res.OK()
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Hostname()
}
