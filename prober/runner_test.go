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

func (f *fakeSource) Assignments(context.Context) ([]*linkwatch.Link, []*linkwatch.Monitor, error) {
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
// being checked once removed.
func TestRunnerFollowsAssignments(t *testing.T) {
	var hits atomic.Int64
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer dest.Close()
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

	wait := func(cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatal("condition not met within 10s")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	src.set(false, &linkwatch.Monitor{ID: 1, Name: "m", URL: dest.URL, Interval: time.Second})
	wait(func() bool { return results.Load() >= 2 })

	src.set(true) // the source fails: the last assignments keep running
	n := hits.Load()
	wait(func() bool { return hits.Load() >= n+2 })

	src.set(false) // removed
	time.Sleep(200 * time.Millisecond)
	n = hits.Load()
	time.Sleep(2500 * time.Millisecond)
	if hits.Load() != n {
		t.Fatalf("a removed monitor was checked %d more times", hits.Load()-n)
	}
	if got := testutil.ToFloat64(r.results.WithLabelValues("test", "ok")); got < 2 {
		t.Fatalf("linkwatch_probe_results_total{error_class=ok} = %v", got)
	}
}

func TestQRDue(t *testing.T) {
	public, _ := url.Parse("https://lw.example.com")
	r := &Runner{cfg: RunnerConfig{QREvery: 24 * time.Hour}, checker: NewChecker(Config{PublicURL: public}), qrSeen: map[int64]qrState{}}
	defer r.checker.Close()
	fresh := &linkwatch.Link{ID: 1, Slug: "new", UpdatedAt: time.Now().Add(-time.Minute)}
	old := &linkwatch.Link{ID: 2, Slug: "old", UpdatedAt: time.Now().Add(-30 * 24 * time.Hour)}
	if !r.qrDue(fresh) {
		t.Error("a new link's QR code is not checked at once")
	}
	if r.qrDue(old) {
		t.Error("an old link's first QR check is not spread over the day")
	}
	r.qrSeen[1] = qrState{qrURL: fresh.QRURL(public), at: time.Now()}
	if r.qrDue(fresh) {
		t.Error("a just-checked QR code is due again")
	}
	fresh.Slug = "renamed" // a changed short URL means a changed code
	if !r.qrDue(fresh) {
		t.Error("a changed link's QR code is not checked at once")
	}
	r.qrSeen[2] = qrState{qrURL: old.QRURL(public), at: time.Now().Add(-25 * time.Hour)}
	if !r.qrDue(old) {
		t.Error("a day-old QR check is not due")
	}
}
