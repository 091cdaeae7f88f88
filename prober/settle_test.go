package prober

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober/schedule"
	"github.com/prometheus/client_golang/prometheus"
)

// laggingRedirector serves /spring to its old location for the next stale
// requests, then to its new one: a redirector replica the change has not
// reached yet.
type laggingRedirector struct {
	mu       sync.Mutex
	old, new string
	stale    int
	hits     int
}

func (l *laggingRedirector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hits++
	loc := l.new
	if l.stale > 0 {
		l.stale--
		loc = l.old
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusFound)
}

func (l *laggingRedirector) set(stale int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stale, l.hits = stale, 0
}

func (l *laggingRedirector) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hits
}

// TestRunnerSettlesChanges: the check of an edit this prober just heard of,
// answered by a redirector still serving the old destination, is retried
// until the redirector has the change, and only the passing last attempt is
// reported; a check of a link not changed lately is reported at once, and a
// change that never arrives is reported once the settle window ends.
func TestRunnerSettlesChanges(t *testing.T) {
	d := newDestinationServer(t)
	red := &laggingRedirector{old: d.URL + "/ok?v=1", new: d.URL + "/ok?v=2"}
	srv, _ := startServer(t, red)
	public, _ := url.Parse(srv.URL)
	link := &linkwatch.Link{ID: 7, Slug: "spring", Destination: red.old, RedirectCode: 302, CheckInterval: 24 * time.Hour,
		UpdatedAt: time.Now().Add(-time.Hour)}
	got := make(chan linkwatch.Result, 10)
	reg := prometheus.NewRegistry()
	sched := schedule.New(schedule.Config{Concurrency: 4, PerHost: 4, Timeout: 30 * time.Second}, reg)
	r := NewRunner(RunnerConfig{Refresh: time.Hour, QREvery: 24 * time.Hour, Settle: 30 * time.Second}, "eu-west",
		testChecker(t, func(cfg *Config) { cfg.PublicURL = public }), sched,
		linkSource{links: []LinkAssignment{Assign(link, public)}}, sinkFunc(func(res linkwatch.Result) { got <- res }),
		slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	next := func(what string) linkwatch.Result {
		t.Helper()
		select {
		case res := <-got:
			return res
		case <-time.After(30 * time.Second): // a bound for failing, not a measurement
			t.Fatalf("%s: no result within 30s", what)
			return linkwatch.Result{}
		}
	}
	// The first list is loaded (its link waits for its slot, within a day).
	waitState(t, func() bool { return jobs(t, reg) == 1 })

	// Edited: the redirector serves the old destination to two requests.
	edited := *link
	edited.Destination, edited.UpdatedAt = red.new, time.Now()
	red.set(2)
	r.apply(Change{Links: []LinkAssignment{Assign(&edited, public)}})
	if res := next("the edit's check"); !res.OK() || res.Hops[1].URL != red.new {
		t.Errorf("edit's check: %s %s, hops %v: want the new destination, passing", res.Class, res.Error, res.Hops)
	}
	if n := red.count(); n != 3 {
		t.Errorf("the redirector was asked %d times, want 3 (two early answers, then the change)", n)
	}

	// Not changed lately: a stale answer is reported at once. (A new Runner
	// state: forget having heard the edit.)
	r.mu.Lock()
	clear(r.heard)
	r.mu.Unlock()
	red.set(5)
	sched.RunNow(linkKey(7))
	if res := next("a check of an unchanged link"); res.Class != linkwatch.ClassRedirectMismatch || res.Step != linkwatch.StepShortLink {
		t.Errorf("unchanged link, stale redirector: %s at %s, want redirect_mismatch at the short link", res.Class, res.Step)
	}
	if n := red.count(); n != 1 {
		t.Errorf("the redirector was asked %d times, want 1", n)
	}

	// A change that never reaches the redirector: reported once the window
	// (here 300 ms) ends, after at most the attempts that fit in it.
	r.cfg.Settle = 300 * time.Millisecond
	red.set(1000)
	r.apply(Change{Links: []LinkAssignment{Assign(&edited, public)}})
	if res := next("a change that never arrives"); res.Class != linkwatch.ClassRedirectMismatch {
		t.Errorf("never-arriving change: %s, want redirect_mismatch", res.Class)
	}
	if n := red.count(); n < 1 || n > 3 {
		t.Errorf("the redirector was asked %d times within a 300ms window, want 1 to 3 (retries at 100ms, 200ms)", n)
	}
}

// waitState waits for cond, failing after 30s.
func waitState(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
