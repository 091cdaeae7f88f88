package prober

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober/schedule"
	"github.com/prometheus/client_golang/prometheus"
)

// TestApplyChanges: pushed changes add, replace and remove single jobs; a
// full list read before a change already pushed does not undo it.
func TestApplyChanges(t *testing.T) {
	reg := prometheus.NewRegistry()
	sched := schedule.New(schedule.Config{}, reg)
	r := NewRunner(RunnerConfig{Refresh: time.Hour, QREvery: time.Hour}, "test", nil, sched, nil, sinkFunc(func(linkwatch.Result) {}),
		slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	link := func(id int64, dest string, updated time.Time) LinkAssignment {
		return LinkAssignment{Link: &linkwatch.Link{ID: id, Slug: "s", Destination: dest, CheckInterval: time.Hour, UpdatedAt: updated}}
	}
	r.apply(Change{Full: true, Links: []LinkAssignment{link(1, "https://a.example/", t0), link(2, "https://b.example/", t0)},
		Monitors: []*linkwatch.Monitor{{ID: 7, URL: "https://m.example/", Interval: time.Hour}}})
	if n := jobs(t, reg); n != 3 {
		t.Fatalf("after the first list: %d jobs, want 3", n)
	}
	r.apply(Change{Links: []LinkAssignment{link(3, "https://c.example/", t0)}, RemovedLinks: []int64{2}, RemovedMonitors: []int64{7}})
	if n := jobs(t, reg); n != 2 {
		t.Fatalf("after adding one link and removing a link and a monitor: %d jobs, want 2", n)
	}
	r.apply(Change{Links: []LinkAssignment{link(1, "https://a.example/v2", t0.Add(time.Minute))}})
	// A list read before the edit arrives after it: the edit stands.
	r.apply(Change{Full: true, Links: []LinkAssignment{link(1, "https://a.example/", t0), link(3, "https://c.example/", t0)}})
	if got := r.known[1].Link.Destination; got != "https://a.example/v2" {
		t.Errorf("a stale list undid a pushed edit: destination %q", got)
	}
	if n := jobs(t, reg); n != 2 {
		t.Errorf("after the full list: %d jobs, want 2", n)
	}
}
