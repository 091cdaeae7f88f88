package alerting

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
)

// engineStore is the engine's view of storage in memory: latest states set
// by the test, alerts and outbox kept as SaveAlerts writes them.
type engineStore struct {
	*memStore
	silences []Silence
	windows  []Maintenance
	links    []*linkwatch.Link
	latest   []linkwatch.Latest
	alerts   map[string]StoredAlert
	fence    int64
	holder   string
	rules    []StoredRule
	monitors []*linkwatch.Monitor
	probers  []linkwatch.ProberInfo
	scans    []linkwatch.Scan
	switches []LinkFailover // every failover change saved
}

var _ EngineStore = (*engineStore)(nil)

func (s *engineStore) LatestAll(context.Context) ([]linkwatch.Latest, error) { return s.latest, nil }
func (s *engineStore) ListSilences(context.Context) ([]Silence, error) {
	return slices.Clone(s.silences), nil
}
func (s *engineStore) ListMaintenances(context.Context) ([]Maintenance, error) { return s.windows, nil }

// ExpireSilence ends the silence at at if it would end later, as the
// stores do.
func (s *engineStore) ExpireSilence(_ context.Context, id string, at time.Time) error {
	for i := range s.silences {
		if s.silences[i].ID == id {
			if at.Before(s.silences[i].End) {
				s.silences[i].End = at
			}
			return nil
		}
	}
	return linkwatch.Errorf(linkwatch.ENOTFOUND, "silence %q not found", id)
}
func (s *engineStore) ListLinks(context.Context, linkwatch.LinkFilter) ([]*linkwatch.Link, error) {
	return s.links, nil
}
func (s *engineStore) ListMonitors(context.Context) ([]*linkwatch.Monitor, error) {
	return s.monitors, nil
}
func (s *engineStore) AlertRules(context.Context) ([]StoredRule, error)        { return s.rules, nil }
func (s *engineStore) Probers(context.Context) ([]linkwatch.ProberInfo, error) { return s.probers, nil }

// ScanCounts sums the scans of ids per minute in [from, to), as the stores do.
func (s *engineStore) ScanCounts(_ context.Context, ids []int64, from, to time.Time) ([]linkwatch.ScanBucket, error) {
	sums := map[time.Time]int64{}
	for _, sc := range s.scans {
		if slices.Contains(ids, sc.LinkID) && !sc.At.Before(from) && sc.At.Before(to) {
			sums[sc.At.Truncate(time.Minute)] += sc.Weight()
		}
	}
	var out []linkwatch.ScanBucket
	for t, n := range sums {
		out = append(out, linkwatch.ScanBucket{T: t, Count: n})
	}
	slices.SortFunc(out, func(a, b linkwatch.ScanBucket) int { return a.T.Compare(b.T) })
	return out, nil
}

func (s *engineStore) Alerts(context.Context) ([]StoredAlert, error) {
	var out []StoredAlert
	for _, a := range s.alerts {
		out = append(out, a)
	}
	return out, nil
}
func (s *engineStore) Lease(_ context.Context, _, holder string, _ time.Duration, _ time.Time) (int64, bool, error) {
	if s.holder != "" && s.holder != holder {
		return s.fence, false, nil
	}
	s.holder = holder
	return s.fence, true, nil
}

// SaveAlerts stores alerts and notifications and applies failover changes
// to the links, all or nothing, as the stores do.
func (s *engineStore) SaveAlerts(_ context.Context, fence int64, alerts []StoredAlert, out []Outgoing, failovers []LinkFailover) error {
	if fence != s.fence {
		return linkwatch.Errorf(linkwatch.ECONFLICT, "stale fence")
	}
	for _, f := range failovers {
		i := slices.IndexFunc(s.links, func(l *linkwatch.Link) bool { return l.ID == f.LinkID })
		if i < 0 || s.links[i].Failover != f.Mode || s.links[i].FailedOver != f.Was {
			return linkwatch.Errorf(linkwatch.ECONFLICT, "link %d changed", f.LinkID)
		}
	}
	for _, f := range failovers {
		i := slices.IndexFunc(s.links, func(l *linkwatch.Link) bool { return l.ID == f.LinkID })
		l := *s.links[i] // links are replaced, not changed, as a store returns new ones
		l.FailedOver = f.FailedOver
		if !f.Since.IsZero() {
			l.FailoverSince, l.FailoverReason = f.Since, f.Reason
		}
		s.links[i] = &l
		s.switches = append(s.switches, f)
	}
	for _, a := range alerts {
		s.alerts[a.Key] = a
	}
	for _, o := range out {
		s.enqueue(o.Receiver, o.Notification, o.NotBefore)
	}
	return nil
}

func (s *engineStore) notifications() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.rows {
		out = append(out, r.Notification.Kind+" "+r.Notification.Rule)
	}
	sort.Strings(out)
	return out
}

// TestEngineQuorum: with three regions, one failing raises only the
// regional_degradation warning; two failing page link_down; recovery
// resolves it. A replica without the lease evaluates nothing.
func TestEngineQuorum(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	link := &linkwatch.Link{ID: 7, Slug: "spring", Destination: "https://shop.example.com/", Tags: []string{"spring"},
		RedirectCode: 302, CheckInterval: time.Minute}
	st := &engineStore{memStore: newMemStore(), links: []*linkwatch.Link{link}, alerts: map[string]StoredAlert{}, fence: 3}
	set := func(failing map[string]int) {
		st.latest = nil
		for _, region := range []string{"ap-south", "eu-west", "us-east"} {
			l := linkwatch.Latest{Result: linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: 7}, Region: region,
				At: now.Add(-10 * time.Second), Step: linkwatch.StepDestination}}
			if n := failing[region]; n > 0 {
				l.Class, l.Error, l.Failures = linkwatch.ClassHTTPStatus, "final status 502", n
			}
			st.latest = append(st.latest, l)
		}
	}
	e := NewEngine(EngineConfig{Holder: "a", Receivers: []string{"slack"}, Now: func() time.Time { return now }},
		st, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	eval := func() {
		t.Helper()
		if err := e.Evaluate(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Second)
	}

	set(map[string]int{"eu-west": 3})
	eval()
	eval()
	if got := st.notifications(); len(got) != 1 || got[0] != "firing regional_degradation" {
		t.Fatalf("one failing region: %v, want only the regional_degradation warning", got)
	}

	set(map[string]int{"eu-west": 4, "us-east": 1}) // the second region's first failure does not count yet
	eval()
	if got := st.notifications(); len(got) != 1 {
		t.Fatalf("a single failed check paged: %v", got)
	}
	set(map[string]int{"eu-west": 5, "us-east": 2})
	eval()
	eval()
	if got := st.notifications(); len(got) != 2 || got[0] != "firing link_down" {
		t.Fatalf("two of three regions failing twice: %v, want link_down firing once", got)
	}
	if a := st.alerts["link_down|link/7"]; a.Severity != SeverityCritical || a.Labels["campaign"] != "spring" {
		t.Fatalf("stored alert %+v", a)
	}

	set(nil)
	eval()
	got := st.notifications()
	want := []string{"firing link_down", "firing regional_degradation", "resolved link_down", "resolved regional_degradation"}
	if len(got) != len(want) {
		t.Fatalf("after recovery: %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("after recovery: %v, want %v", got, want)
		}
	}

	// Another replica without the lease changes nothing.
	other := NewEngine(EngineConfig{Holder: "b", Receivers: []string{"slack"}, Now: func() time.Time { return now }},
		st, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	set(map[string]int{"eu-west": 9, "us-east": 9, "ap-south": 9})
	if err := other.Evaluate(context.Background()); err != nil || len(st.notifications()) != 4 {
		t.Fatalf("a replica without the lease evaluated: %v %v", err, st.notifications())
	}
}

func TestEngineCertificateAndLatency(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	link := &linkwatch.Link{ID: 1, Slug: "s", Destination: "https://a.example/", RedirectCode: 302, CheckInterval: time.Minute}
	st := &engineStore{memStore: newMemStore(), links: []*linkwatch.Link{link}, alerts: map[string]StoredAlert{}, fence: 1}
	st.latest = []linkwatch.Latest{{Result: linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: 1}, Region: "local",
		At: now, Step: linkwatch.StepDestination, Degraded: true, CertExpiry: now.Add(5 * 24 * time.Hour),
		Phases: linkwatch.Phases{Total: 3 * time.Second}}}}
	e := NewEngine(EngineConfig{Holder: "a", Receivers: []string{"slack"}, Now: func() time.Time { return now }},
		st, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	for range 2 { // link_degraded waits for 2 evaluations in a row
		if err := e.Evaluate(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Second)
	}
	got := st.notifications()
	if len(got) != 2 || got[0] != "firing certificate_expiring" || got[1] != "firing link_degraded" {
		t.Fatalf("notifications %v", got)
	}
}

// TestEngineSilence: a silenced alert is recorded but not sent; when the
// silence ends while it still fires, it is sent then — once.
func TestEngineSilence(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	link := &linkwatch.Link{ID: 1, Slug: "promo", Destination: "https://a.example/", Tags: []string{"spring"}, RedirectCode: 302, CheckInterval: time.Minute}
	st := &engineStore{memStore: newMemStore(), links: []*linkwatch.Link{link}, alerts: map[string]StoredAlert{}, fence: 1}
	st.silences = []Silence{{ID: "s1", Matchers: []Matcher{{Name: "campaign", Op: MatchEqual, Value: "spring"}},
		Start: now.Add(-time.Minute), End: now.Add(10 * time.Second), Author: "ops", Comment: "billboard swap"}}
	failing := func() {
		st.latest = []linkwatch.Latest{{Result: linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: 1}, Region: "local",
			At: now, Step: linkwatch.StepDestination, Class: linkwatch.ClassHTTPStatus}, Failures: 5}}
	}
	e := NewEngine(EngineConfig{Holder: "a", Receivers: []string{"slack"}, Now: func() time.Time { return now }},
		st, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	eval := func() {
		t.Helper()
		failing()
		if err := e.Evaluate(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(4 * time.Second)
	}
	eval()
	eval()
	// The link belongs to a campaign: its group notifies, and a silenced
	// member does not join it.
	if a := st.alerts["link_down|link/1"]; a.State.Phase != PhaseFiring || len(st.notifications()) != 0 {
		t.Fatalf("during the silence: %+v, notifications %v", a.State, st.notifications())
	}
	eval() // the silence has ended; the alert still fires
	eval()
	if got := st.notifications(); len(got) != 1 || got[0] != "firing link_down" {
		t.Fatalf("after the silence: %v, want link_down sent once", got)
	}
}

// TestEngineRenotifies: a long-firing alert is repeated every Renotify, not
// every evaluation.
func TestEngineRenotifies(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	link := &linkwatch.Link{ID: 1, Slug: "x", Destination: "https://a.example/", RedirectCode: 302, CheckInterval: time.Minute}
	st := &engineStore{memStore: newMemStore(), links: []*linkwatch.Link{link}, alerts: map[string]StoredAlert{}, fence: 1}
	e := NewEngine(EngineConfig{Holder: "a", Receivers: []string{"slack"}, Now: func() time.Time { return now }, Renotify: time.Hour},
		st, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	for range 100 { // 100 minutes of a link down
		st.latest = []linkwatch.Latest{{Result: linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: 1}, Region: "local",
			At: now, Step: linkwatch.StepDestination, Class: linkwatch.ClassConnect}, Failures: 9}}
		if err := e.Evaluate(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
	}
	got := st.notifications()
	if len(got) != 2 || got[0] != "firing link_down" || got[1] != "repeat link_down" {
		t.Fatalf("notifications %v, want the firing and one repeat after an hour", got)
	}
}

// TestEnginePoolSaturation replays the seed incident through the engine: the
// platform's db_pool_saturation alert is sent before the pool is exhausted.
func TestEnginePoolSaturation(t *testing.T) {
	series := seedPool()
	var i int
	now := series[0].T
	st := &engineStore{memStore: newMemStore(), alerts: map[string]StoredAlert{}, fence: 1}
	e := NewEngine(EngineConfig{Holder: "a", Receivers: []string{"slack"}, Now: func() time.Time { return now },
		PoolUtilization: func() float64 { return series[i].V }}, st, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	var firedAt time.Time
	for i = range series {
		now = series[i].T
		if err := e.Evaluate(context.Background()); err != nil {
			t.Fatal(err)
		}
		if firedAt.IsZero() && len(st.notifications()) > 0 {
			firedAt = now
		}
	}
	if got := st.notifications(); len(got) != 1 || got[0] != "firing db_pool_saturation" {
		t.Fatalf("notifications %v", got)
	}
	if exhausted := at(3 * time.Minute); !firedAt.Before(exhausted) {
		t.Fatalf("fired at t0+%v, after the pool was exhausted at t0+3m", firedAt.Sub(t0))
	}
	t.Logf("db_pool_saturation sent at t0+%v, before the pool was exhausted at t0+3m", firedAt.Sub(t0))
}

// TestEngineSilenceUntilResolved: a silence tied to an alert mutes it while
// it fires; the cycle that stores the alert resolved expires the silence
// at that instant, so the alert's next firing is sent. A silence tied to
// an alert that still fires, and a plain silence, keep their ends.
func TestEngineSilenceUntilResolved(t *testing.T) {
	const key = "link_down|link/1"
	tests := []struct {
		name string
		// firedFirst: the firing was sent before the silence was created;
		// otherwise the silence came while the alert was pending and its
		// firing was held, so its resolution is not sent either.
		firedFirst bool
		want       []string // notifications by the end, sorted
	}{
		// Each link's host group fired; a silenced member leaves its group,
		// which resolves (as with any silence); promo's next firing is sent.
		{"silenced after the firing was sent", true,
			[]string{"firing link_down", "firing link_down", "firing link_down", "resolved link_down", "resolved link_down"}},
		{"silenced before it fired", false,
			[]string{"firing link_down"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			link := &linkwatch.Link{ID: 1, Slug: "promo", Destination: "https://a.example/", RedirectCode: 302, CheckInterval: time.Minute}
			other := &linkwatch.Link{ID: 2, Slug: "other", Destination: "https://b.example/", RedirectCode: 302, CheckInterval: time.Minute}
			st := &engineStore{memStore: newMemStore(), links: []*linkwatch.Link{link, other}, alerts: map[string]StoredAlert{}, fence: 1}
			down := map[int64]bool{1: true, 2: true}
			e := NewEngine(EngineConfig{Holder: "a", Receivers: []string{"slack"}, Now: func() time.Time { return now }},
				st, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
			evaluated := now
			eval := func() {
				t.Helper()
				st.latest = nil
				for _, id := range []int64{1, 2} {
					l := linkwatch.Latest{Result: linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: id}, Region: "local",
						At: now, Step: linkwatch.StepDestination}}
					if down[id] {
						l.Class, l.Failures = linkwatch.ClassHTTPStatus, 5
					}
					st.latest = append(st.latest, l)
				}
				if err := e.Evaluate(context.Background()); err != nil {
					t.Fatal(err)
				}
				evaluated, now = now, now.Add(4*time.Second)
			}
			silence := func(id, alert string, labels map[string]string) Silence {
				var ms []Matcher
				for k, v := range labels {
					ms = append(ms, Matcher{Name: k, Op: MatchEqual, Value: v})
				}
				return Silence{ID: id, Matchers: ms, Start: now, End: now.Add(UntilResolvedBound), Author: "ops", UntilResolved: alert}
			}
			mine := func() Silence {
				t.Helper()
				i := slices.IndexFunc(st.silences, func(s Silence) bool { return s.ID == "mine" })
				return st.silences[i]
			}
			onlyOther := func(l *linkwatch.Link) map[string]string { return map[string]string{"link": l.Slug} }
			plain := Silence{ID: "plain", Matchers: []Matcher{{Name: "link", Op: MatchEqual, Value: "nothing"}},
				Start: now, End: now.Add(time.Hour), Author: "ops"}
			st.silences = []Silence{plain}

			if tt.firedFirst {
				eval()
				if got := st.notifications(); len(got) == 0 {
					t.Fatalf("link down: nothing sent")
				}
			}
			// Both links are silenced until their own alert resolves.
			st.silences = append(st.silences, silence("mine", key, onlyOther(link)),
				silence("theirs", "link_down|link/2", onlyOther(other)))
			for range 3 {
				eval()
			}
			if a := st.alerts[key]; a.State.Phase != PhaseFiring {
				t.Fatalf("link down: %s is %s, want firing", key, a.State.Phase)
			}
			if !mine().Active(now) {
				t.Fatalf("the silence ended while its alert fires: %+v", mine())
			}
			if got := st.notifications(); !tt.firedFirst && len(got) != 0 {
				t.Fatalf("a muted firing was sent: %v", got)
			}

			down[1] = false // the link recovers: its alert resolves
			eval()
			if a := st.alerts[key]; a.State.Phase != PhaseResolved {
				t.Fatalf("link up: %s is %s, want resolved", key, a.State.Phase)
			}
			if got := mine().End; !got.Equal(evaluated) {
				t.Fatalf("silence ends at %s, want the resolving evaluation's %s", got, evaluated)
			}
			for _, s := range st.silences {
				if s.ID != "mine" && !s.Active(now) {
					t.Errorf("silence %s ended too, at %s", s.ID, s.End)
				}
			}
			eval() // settles to ok

			down[1] = true // fails again: the silence no longer mutes it
			eval()
			eval()
			if got := st.notifications(); !slices.Equal(got, tt.want) {
				t.Fatalf("notifications %v, want %v", got, tt.want)
			}
		})
	}
}
