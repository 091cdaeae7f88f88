package prober

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober/schedule"
	"github.com/prometheus/client_golang/prometheus"
)

// TestCheckFallback: a fallback's result is its own target (kind fallback,
// the link's ID), checked against the link's expectation.
func TestCheckFallback(t *testing.T) {
	d := newDestinationServer(t)
	c := testChecker(t, nil)
	for _, tt := range []struct {
		fallback string
		class    string
		status   int
	}{
		{d.URL + "/chain/1", "", 200},
		{d.URL + "/status/503", linkwatch.ClassHTTPStatus, 503},
	} {
		l := &linkwatch.Link{ID: 42, Slug: "spring", Destination: d.URL + "/status/500", FallbackURL: tt.fallback}
		res := c.CheckFallback(context.Background(), l)
		checkBasics(t, res, linkwatch.Target{Kind: linkwatch.KindFallback, ID: 42})
		if res.Class != tt.class || res.Status != tt.status || res.Step != linkwatch.StepDestination || res.Hops[0].URL != tt.fallback {
			t.Errorf("%s: class %q status %d step %q hops %v (%s)", tt.fallback, res.Class, res.Status, res.Step, res.Hops, res.Error)
		}
	}
}

// linkSource hands out one list of links.
type linkSource struct{ links []LinkAssignment }

func (s linkSource) Assignments(context.Context) ([]LinkAssignment, []*linkwatch.Monitor, error) {
	return s.links, nil, nil
}

// TestRunnerChecksFallbacks: a link with a fallback gets two results per
// round — the link (short link to its current target, then the primary)
// and its fallback on its own — and a pushed edit that drops the fallback
// drops its job.
func TestRunnerChecksFallbacks(t *testing.T) {
	d := newDestinationServer(t)
	fallback := d.URL + "/chain/1"
	red := &fakeRedirector{code: 302, location: fallback}
	srv, _ := startServer(t, red)
	public, _ := url.Parse(srv.URL)
	reg := prometheus.NewRegistry()
	checker := testChecker(t, func(cfg *Config) { cfg.PublicURL = public })
	link := &linkwatch.Link{ID: 7, Slug: "spring", Destination: d.URL + "/status/503", FallbackURL: fallback,
		FailedOver: true, RedirectCode: 302, CheckInterval: time.Second}
	got := make(chan linkwatch.Result, 100)
	sched := schedule.New(schedule.Config{Concurrency: 4, PerHost: 2, Timeout: 5 * time.Second}, reg)
	r := NewRunner(RunnerConfig{Refresh: time.Hour, QREvery: 24 * time.Hour}, "eu-west", checker, sched,
		linkSource{links: []LinkAssignment{Assign(link, public)}}, sinkFunc(func(res linkwatch.Result) {
			select {
			case got <- res:
			default: // the test has seen enough
			}
		}),
		slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	seen := map[string]linkwatch.Result{}
	for len(seen) < 2 {
		select {
		case res := <-got:
			seen[res.Target.Kind] = res
		case <-time.After(30 * time.Second): // a deadline for failing, not a measurement
			t.Fatalf("results within 30s: %v, want the link's and its fallback's", seen)
		}
	}
	if l := seen[linkwatch.KindLink]; l.Target.ID != 7 || !l.FailedOver || l.Class != linkwatch.ClassHTTPStatus || l.Status != 503 {
		t.Errorf("link result %+v: want the short link serving the fallback and the primary checked (503)", l)
	}
	if f := seen[linkwatch.KindFallback]; f.Target.ID != 7 || !f.OK() || f.Hops[0].URL != fallback {
		t.Errorf("fallback result %+v: want the fallback URL checked on its own, passing", f)
	}

	if !sched.RunNow(fallbackKey(7)) {
		t.Fatal("no fallback job")
	}
	edited := *link
	edited.FallbackURL, edited.FailedOver = "", false
	r.apply(Change{Links: []LinkAssignment{Assign(&edited, public)}})
	if sched.RunNow(fallbackKey(7)) {
		t.Error("the fallback job outlived the link's fallback")
	}
	if !sched.RunNow(linkKey(7)) {
		t.Error("the link's own job went with its fallback")
	}
}
