package alerting_test

// The alert engine's evaluation cycle at scale, through the exported API
// only (NewEngine, EngineConfig, EngineStore, Evaluate), so the engine's
// internals can change freely underneath:
//
//	go test -run '^$' -bench Evaluate -benchmem ./alerting
//
// A simulated fleet of links is checked from three regions on a fake
// clock. Each benchmark iteration advances the clock by one evaluation
// interval (2 s), refreshes the results of every check that came due since
// (outside the timer), then times one Evaluate. The fleet is about 98%
// healthy; windows of failing links slide through it so that, in steady
// state, links keep starting and stopping to fail and the cycle has real
// transitions and notifications to write, not only a scan of quiet links.

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/prometheus/client_golang/prometheus"
)

func BenchmarkEvaluate10kLinks(b *testing.B) { benchmarkEvaluate(b, 10_000) }

// BenchmarkEvaluate1kLinks is the same fleet at a tenth of the size, to
// show how a cycle scales with the number of links.
func BenchmarkEvaluate1kLinks(b *testing.B) { benchmarkEvaluate(b, 1_000) }

// The simulated fleet.
var benchRegions = []string{"us-east", "eu-west", "ap-south"}

const (
	benchStep      = 2 * time.Second // the engine's default interval
	benchCampaigns = 50
	// benchDwell is how long a link stays in a sliding failure window: a few
	// checks at the common 60 s interval, long enough to page.
	benchDwell = 4 * time.Minute
	// benchHistory is the simulated time before the first evaluation, so
	// the failure windows and consecutive-failure counts are in steady state.
	benchHistory = 10 * time.Minute
)

func benchmarkEvaluate(b *testing.B, n int) {
	w := newBenchFleet(n)
	pub, _ := url.Parse("https://lnk.example")
	e := alerting.NewEngine(alerting.EngineConfig{
		Holder: "bench", Receivers: []string{"slack", "webhook"}, PublicURL: pub,
		Now:             func() time.Time { return w.now },
		PoolUtilization: func() float64 { return 12 },
	}, w.store, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	ctx := context.Background()

	// Warm-up: the first cycles create every alert of the failures already
	// under way (pending, then firing); after them the engine runs in its
	// steady state.
	for range 5 {
		w.advance(benchStep)
		if err := e.Evaluate(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if w.store.firing() == 0 {
		b.Fatalf("no alert is firing after the warm-up (%d stored): the fleet is not in the intended state", len(w.store.alerts))
	}

	saved, notified := w.store.saved, w.store.notified
	iters := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		w.advance(benchStep)
		b.StartTimer()
		if err := e.Evaluate(ctx); err != nil {
			b.Fatal(err)
		}
		iters++
	}
	b.StopTimer()
	b.ReportMetric(float64(w.store.saved-saved)/float64(iters), "alerts-written/op")
	b.ReportMetric(float64(w.store.notified-notified)/float64(iters), "notifications/op")
	b.ReportMetric(float64(w.store.firing()), "firing")
}

// benchFleet is n links, their latest results per region, and the fake
// clock.
type benchFleet struct {
	n     int
	start time.Time
	now   time.Time
	store *benchStore
	links []*linkwatch.Link
	hops  [][2][]linkwatch.Hop // per link: passing and failing chains
}

func newBenchFleet(n int) *benchFleet {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f := &benchFleet{n: n, start: start, now: start.Add(-benchHistory),
		store: &benchStore{alerts: map[string]alerting.StoredAlert{}, outbox: map[int64]alerting.Outgoing{}, fence: 1}}
	for i := range n {
		interval := time.Minute // most links: the default
		switch i % 10 {
		case 3, 7:
			interval = 5 * time.Minute
		case 5:
			interval = 30 * time.Second
		}
		tags := []string{fmt.Sprintf("campaign-%02d", i%benchCampaigns)}
		if i%4 == 0 {
			tags = append(tags, "qr")
		}
		slug := fmt.Sprintf("l%05d", i)
		dest := fmt.Sprintf("https://shop-%d.example.com/landing/%d?utm_source=qr&utm_campaign=%s", i%200, i, tags[0])
		l := &linkwatch.Link{ID: int64(i + 1), Slug: slug, Destination: dest, Tags: tags, RedirectCode: 302,
			CheckInterval: interval, CreatedAt: start.Add(-30 * 24 * time.Hour)}
		f.links = append(f.links, l)
		short := "https://lnk.example/" + slug
		f.hops = append(f.hops, [2][]linkwatch.Hop{
			{{URL: short, Status: 302, Duration: 4 * time.Millisecond}, {URL: dest, Status: 200, Duration: 180 * time.Millisecond}},
			{{URL: short, Status: 302, Duration: 4 * time.Millisecond}, {URL: dest, Status: 503, Duration: 90 * time.Millisecond}},
		})
		// Each region checks the link once per interval, the regions and
		// the links spread over it.
		for r, region := range benchRegions {
			phase := time.Duration((uint64(i)*2654435761+uint64(r)*40503)%uint64(interval/time.Millisecond)) * time.Millisecond
			at := f.now.Add(-interval + phase)
			lt := linkwatch.Latest{Result: linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID},
				Region: region, Prober: region + "-1", At: at.Add(-interval)}}
			f.store.latest = append(f.store.latest, lt)
		}
	}
	f.store.links = f.links
	for j := range f.store.latest {
		f.check(j, f.store.latest[j].At.Add(f.links[j/len(benchRegions)].CheckInterval))
	}

	// A few silences and maintenance windows, as a team running 50
	// campaigns has: campaigns being reworked, a nightly window.
	f.store.silences = []alerting.Silence{
		{ID: "s1", Matchers: []alerting.Matcher{{Name: "campaign", Op: alerting.MatchEqual, Value: "campaign-03"}},
			Start: start.Add(-time.Hour), End: start.Add(24 * time.Hour), Author: "ops", Comment: "landing page rework"},
		{ID: "s2", Matchers: []alerting.Matcher{{Name: "campaign", Op: alerting.MatchRegexp, Value: "campaign-17(,.*)?"},
			{Name: "severity", Op: alerting.MatchEqual, Value: alerting.SeverityWarning}},
			Start: start.Add(-time.Hour), End: start.Add(24 * time.Hour), Author: "ops", Comment: "known slow shop"},
		{ID: "s3", Matchers: []alerting.Matcher{{Name: "link", Op: alerting.MatchEqual, Value: "l00042"}},
			Start: start.Add(-48 * time.Hour), End: start.Add(-24 * time.Hour), Author: "ops", Comment: "expired"},
	}
	f.store.windows = []alerting.Maintenance{
		{ID: "m1", Name: "shop-5 nightly deploy", Matchers: []alerting.Matcher{{Name: "campaign", Op: alerting.MatchEqual, Value: "campaign-05"}},
			Cron: "0 3 * * *", Duration: 30 * time.Minute},
		{ID: "m2", Name: "campaign-09 migration", Matchers: []alerting.Matcher{{Name: "campaign", Op: alerting.MatchRegexp, Value: "campaign-09.*"}},
			Start: start.Add(-time.Hour), End: start.Add(time.Hour)},
	}
	for _, s := range f.store.silences {
		if err := s.Validate(); err != nil {
			panic(err)
		}
	}
	for _, m := range f.store.windows {
		if err := m.Validate(); err != nil {
			panic(err)
		}
	}
	f.advance(benchHistory - benchStep) // steady state just before start
	return f
}

// advance moves the clock by d and runs every check that came due.
func (f *benchFleet) advance(d time.Duration) {
	f.now = f.now.Add(d)
	f.store.probers = f.store.probers[:0]
	for _, region := range benchRegions {
		f.store.probers = append(f.store.probers, linkwatch.ProberInfo{ID: region + "-1", Region: region, Version: "bench", LastSeen: f.now.Add(-3 * time.Second)})
	}
	for j := range f.store.latest {
		interval := f.links[j/len(benchRegions)].CheckInterval
		for next := f.store.latest[j].At.Add(interval); !next.After(f.now); next = next.Add(interval) {
			f.check(j, next)
		}
	}
}

// inWindow reports whether link i is in a window of size links sliding
// through the fleet so that each link stays in it for benchDwell. Windows
// with different salts sit at different places.
func (f *benchFleet) inWindow(i int, at time.Time, size, salt int) bool {
	if size == 0 {
		return false
	}
	// The window advances size links per benchDwell.
	off := int(at.Sub(f.start.Add(-24*time.Hour)) * time.Duration(size) / benchDwell)
	return ((i-off-salt)%f.n+f.n)%f.n < size
}

// check stores the result of result j's check at at: the link's fixed
// traits (slow, certificate, misconfigured redirect) and the sliding
// windows of regional failures (1% of the links, in one region) and
// outages (0.3%, in two or all three regions).
func (f *benchFleet) check(j int, at time.Time) {
	i, r := j/len(benchRegions), j%len(benchRegions)
	prev := &f.store.latest[j]
	res := linkwatch.Latest{Result: linkwatch.Result{Target: prev.Target, Region: prev.Region, Prober: prev.Prober,
		At: at, Step: linkwatch.StepDestination, Status: 200,
		Phases:     linkwatch.Phases{DNS: 2 * time.Millisecond, Connect: 20 * time.Millisecond, TLS: 40 * time.Millisecond, FirstByte: 150 * time.Millisecond, Total: 184 * time.Millisecond},
		Hops:       f.hops[i][0],
		FinalURL:   f.links[i].Destination,
		CertExpiry: at.Add(60 * 24 * time.Hour), Fingerprint: "5f2b"}}
	switch {
	case i%200 == 13: // certificate close to expiry
		res.CertExpiry = at.Add(5 * 24 * time.Hour)
	case i%200 == 7: // slow destination
		res.Degraded, res.Phases.Total = true, 3200*time.Millisecond
	}
	down := f.inWindow(i, at, f.n*3/1000, f.n/2) && (r < 2 || i%2 == 0)
	regional := f.inWindow(i, at, f.n/100, 0) && r == i%len(benchRegions)
	mismatch := i%1000 == 17 && r == 0
	switch {
	case down || regional:
		res.Class, res.Error, res.Status = linkwatch.ClassHTTPStatus, "final status 503 Service Unavailable", 503
		res.Hops = f.hops[i][1]
	case mismatch:
		res.Class, res.Error = linkwatch.ClassRedirectMismatch, "redirects to https://old.example.com/, want "+f.links[i].Destination
	}
	if !res.OK() {
		res.Failures = prev.Failures + 1
	}
	*prev = res
}

// benchStore is an EngineStore in memory: the lease is always granted,
// SaveAlerts keeps alerts and outbox rows in maps. There are no monitors and
// no rules besides the defaults; the three regions' probers are alive.
type benchStore struct {
	// EngineStore is nil: it only keeps this file compiling while the
	// interface grows. A method it is asked for that is not written below
	// panics, and must then be added here.
	alerting.EngineStore

	links    []*linkwatch.Link
	probers  []linkwatch.ProberInfo
	latest   []linkwatch.Latest
	silences []alerting.Silence
	windows  []alerting.Maintenance

	alerts   map[string]alerting.StoredAlert
	outbox   map[int64]alerting.Outgoing
	refs     map[string]string
	nextID   int64
	fence    int64
	saved    int // alert rows written
	notified int // outbox rows written
}

var _ alerting.EngineStore = (*benchStore)(nil)

func (s *benchStore) LatestAll(context.Context) ([]linkwatch.Latest, error) { return s.latest, nil }
func (s *benchStore) ListLinks(context.Context, linkwatch.LinkFilter) ([]*linkwatch.Link, error) {
	return s.links, nil
}
func (s *benchStore) ListMonitors(context.Context) ([]*linkwatch.Monitor, error) { return nil, nil }
func (s *benchStore) AlertRules(context.Context) ([]alerting.StoredRule, error)  { return nil, nil }
func (s *benchStore) ScanCounts(context.Context, []int64, time.Time, time.Time) ([]linkwatch.ScanBucket, error) {
	return nil, nil
}
func (s *benchStore) Probers(context.Context) ([]linkwatch.ProberInfo, error) { return s.probers, nil }
func (s *benchStore) ListSilences(context.Context) ([]alerting.Silence, error) {
	return s.silences, nil
}
func (s *benchStore) ListMaintenances(context.Context) ([]alerting.Maintenance, error) {
	return s.windows, nil
}
func (s *benchStore) ExpireSilence(context.Context, string, time.Time) error { return nil }

func (s *benchStore) Alerts(context.Context) ([]alerting.StoredAlert, error) {
	out := make([]alerting.StoredAlert, 0, len(s.alerts))
	for _, a := range s.alerts {
		out = append(out, a)
	}
	return out, nil
}

func (s *benchStore) SaveAlerts(_ context.Context, fence int64, alerts []alerting.StoredAlert, out []alerting.Outgoing, _ []alerting.LinkFailover) error {
	if fence != s.fence {
		return linkwatch.Errorf(linkwatch.ECONFLICT, "stale fence")
	}
	for _, a := range alerts {
		s.alerts[a.Key] = a
	}
	for _, o := range out {
		s.nextID++
		o.ID = s.nextID
		s.outbox[o.ID] = o
	}
	s.saved += len(alerts)
	s.notified += len(out)
	return nil
}

func (s *benchStore) Due(_ context.Context, now time.Time, limit int) ([]alerting.Outgoing, error) {
	var due []alerting.Outgoing
	for id := int64(1); id <= s.nextID && len(due) < limit; id++ {
		if o, ok := s.outbox[id]; ok && !o.NotBefore.After(now) {
			due = append(due, o)
		}
	}
	return due, nil
}

func (s *benchStore) Sent(_ context.Context, id int64, ref string, _ time.Time) error {
	if o, ok := s.outbox[id]; ok {
		if s.refs == nil {
			s.refs = map[string]string{}
		}
		s.refs[o.Notification.DedupeKey+"|"+o.Receiver] = ref
		delete(s.outbox, id)
	}
	return nil
}

func (s *benchStore) Retry(_ context.Context, id int64, notBefore time.Time, lastErr string) error {
	if o, ok := s.outbox[id]; ok {
		o.Attempts++
		o.NotBefore, o.LastError = notBefore, lastErr
		s.outbox[id] = o
	}
	return nil
}

func (s *benchStore) Abandon(_ context.Context, id int64, _ string) error {
	delete(s.outbox, id)
	return nil
}

func (s *benchStore) DelayReceiver(_ context.Context, receiver string, until time.Time) error {
	for id, o := range s.outbox {
		if o.Receiver == receiver && o.NotBefore.Before(until) {
			o.NotBefore = until
			s.outbox[id] = o
		}
	}
	return nil
}

func (s *benchStore) Ref(_ context.Context, dedupeKey, receiver string) (string, error) {
	return s.refs[dedupeKey+"|"+receiver], nil
}

func (s *benchStore) Lease(context.Context, string, string, time.Duration, time.Time) (int64, bool, error) {
	return s.fence, true, nil
}

// firing counts the stored alerts that are firing.
func (s *benchStore) firing() int {
	n := 0
	for _, a := range s.alerts {
		if a.State.Phase == alerting.PhaseFiring {
			n++
		}
	}
	return n
}
