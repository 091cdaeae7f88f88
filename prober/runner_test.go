package prober

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober/schedule"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeSource hands out whatever the test sets; it fails while broken.
type fakeSource struct {
	mu       sync.Mutex
	monitors []*linkwatch.Monitor
	broken   bool
}

func (f *fakeSource) Assignments(context.Context) ([]LinkAssignment, []*linkwatch.Monitor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken {
		return nil, nil, linkwatch.Errorf(linkwatch.EUNAVAILABLE, "control plane down")
	}
	return nil, append([]*linkwatch.Monitor(nil), f.monitors...), nil
}

func (f *fakeSource) set(broken bool, ms ...*linkwatch.Monitor) {
	f.mu.Lock()
	f.broken, f.monitors = broken, ms
	f.mu.Unlock()
}

type sinkFunc func(linkwatch.Result)

func (f sinkFunc) Submit(r linkwatch.Result) { f(r) }

// TestRunnerFollowsAssignments: a monitor added to the assignments is checked
// without a restart, keeps being checked while the source is down, and stops
// being checked once removed, while a monitor that stays keeps being checked.
func TestRunnerFollowsAssignments(t *testing.T) {
	var hits, stays atomic.Int64
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer dest.Close()
	kept := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stays.Add(1) }))
	defer kept.Close()
	public, _ := url.Parse("http://127.0.0.1:1")
	reg := prometheus.NewRegistry()
	checker := NewChecker(Config{Region: "test", ProberID: "p1", PublicURL: public, AllowPrivate: true, Timeout: time.Second})
	defer checker.Close()
	src := &fakeSource{}
	var results atomic.Int64
	sink := sinkFunc(func(r linkwatch.Result) {
		if r.OK() && r.Region == "test" && r.Target.Kind == linkwatch.KindMonitor {
			results.Add(1)
		}
	})
	sched := schedule.New(schedule.Config{Concurrency: 10, PerHost: 2, Timeout: 2 * time.Second}, reg)
	r := NewRunner(RunnerConfig{Refresh: 50 * time.Millisecond, QREvery: time.Hour}, "test", checker, sched, src, sink,
		slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	removed := &linkwatch.Monitor{ID: 1, Name: "m", URL: dest.URL, Interval: time.Second}
	stay := &linkwatch.Monitor{ID: 2, Name: "stays", URL: kept.URL, Interval: time.Second}
	src.set(false, removed, stay)
	wait("two passing checks", func() bool { return results.Load() >= 2 })

	src.set(true) // the source fails: the last assignments keep running
	n := hits.Load()
	wait("checks while the source is down", func() bool { return hits.Load() >= n+2 })

	src.set(false, stay) // m removed
	wait("the scheduler drops the removed monitor", func() bool { return jobs(t, reg) == 1 })
	// A check of m started before the removal may still land; after that,
	// none. Three checks of the monitor that stays, at the same 1s interval,
	// would have come with two or more of m's had it not been removed.
	n, s := hits.Load(), stays.Load()
	wait("three checks of the monitor that stays", func() bool { return stays.Load() >= s+3 })
	if more := hits.Load() - n; more > 1 {
		t.Fatalf("a removed monitor was checked %d more times while the one that stays was checked %d times", more, stays.Load()-s)
	}
	if got := testutil.ToFloat64(r.results.WithLabelValues("test", "ok")); got < 2 {
		t.Fatalf("linkwatch_probe_results_total{error_class=ok} = %v", got)
	}
}

// jobs reads the scheduler's linkwatch_probe_jobs gauge.
func jobs(t *testing.T, reg *prometheus.Registry) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "linkwatch_probe_jobs" {
			return int(mf.GetMetric()[0].GetGauge().GetValue())
		}
	}
	t.Fatal("no linkwatch_probe_jobs metric")
	return 0
}

func TestQRDue(t *testing.T) {
	public, _ := url.Parse("https://lw.example.com")
	r := &Runner{cfg: RunnerConfig{QREvery: 24 * time.Hour}, checker: NewChecker(Config{PublicURL: public}), qrSeen: map[int64]qrState{}}
	defer r.checker.Close()
	fresh := &linkwatch.Link{ID: 1, Slug: "new", UpdatedAt: time.Now().Add(-time.Minute)}
	old := &linkwatch.Link{ID: 2, Slug: "old", UpdatedAt: time.Now().Add(-30 * 24 * time.Hour)}
	if !r.qrDue(Assign(fresh, public)) {
		t.Error("a new link's QR code is not checked at once")
	}
	if r.qrDue(Assign(old, public)) {
		t.Error("an old link's first QR check is not spread over the day")
	}
	r.qrSeen[1] = qrState{qrURL: fresh.QRURL(public), at: time.Now()}
	if r.qrDue(Assign(fresh, public)) {
		t.Error("a just-checked QR code is due again")
	}
	fresh.Slug = "renamed" // a changed short URL means a changed code
	if !r.qrDue(Assign(fresh, public)) {
		t.Error("a changed link's QR code is not checked at once")
	}
	r.qrSeen[2] = qrState{qrURL: old.QRURL(public), at: time.Now().Add(-25 * time.Hour)}
	if !r.qrDue(Assign(old, public)) {
		t.Error("a day-old QR check is not due")
	}
}
