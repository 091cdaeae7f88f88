package statuspage_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/statuspage"
	"github.com/linkwatch/linkwatch/storage/sqlite"
)

type lastSnapshot struct{ s *statuspage.Snapshot }

func (l *lastSnapshot) Publish(s *statuspage.Snapshot) error { l.s = s; return nil }

// TestMaintenanceMovesWithTheClock: through a real store, a scheduled
// maintenance goes in progress at its start — its component shows
// under_maintenance — and completes at its end, with an update each time.
func TestMaintenanceMovesWithTheClock(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if err := st.CreateLink(ctx, &linkwatch.Link{Slug: "checkout", Destination: "https://shop.example.com/", RedirectCode: 302,
		CheckInterval: time.Minute, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	m := &statuspage.Incident{ID: "m1", Name: "DB upgrade", Maintenance: true, Impact: statuspage.ImpactMaintenance,
		ScheduledFor: now.Add(time.Minute), ScheduledUntil: now.Add(time.Hour), StartedAt: now.Add(time.Minute), CreatedAt: now,
		Components: []statuspage.Affected{{ComponentID: "checkout", Status: statuspage.UnderMaintenance}}}
	m.AddUpdate(statuspage.Update{Status: statuspage.Scheduled, Body: "Planned"}, now)
	if err := st.CreateIncident(ctx, m); err != nil {
		t.Fatal(err)
	}
	pub := &lastSnapshot{}
	clock := now
	b := statuspage.NewBuilder(statuspage.BuilderConfig{Holder: "a", Now: func() time.Time { return clock },
		Components: []statuspage.Component{{ID: "checkout", Name: "Checkout", Link: "checkout"}}},
		st, st, st, pub, slog.New(slog.NewTextHandler(io.Discard, nil)))
	step := func(at time.Time) (*statuspage.Incident, string) {
		t.Helper()
		clock = at
		if err := b.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		in, err := st.IncidentByID(ctx, "m1")
		if err != nil {
			t.Fatal(err)
		}
		return in, pub.s.Component("checkout").Status
	}
	if in, status := step(now); in.Status != statuspage.Scheduled || status != statuspage.Operational {
		t.Fatalf("before its start: %s, component %s", in.Status, status)
	}
	if in, status := step(now.Add(2 * time.Minute)); in.Status != statuspage.InProgress || status != statuspage.UnderMaintenance || len(in.Updates) != 2 {
		t.Fatalf("during: %s, component %s, %d updates", in.Status, status, len(in.Updates))
	}
	if in, status := step(now.Add(61 * time.Minute)); in.Status != statuspage.Completed || status != statuspage.Operational || in.ResolvedAt.IsZero() {
		t.Fatalf("after: %s, component %s", in.Status, status)
	}
	if pub.s.Status.Indicator != statuspage.IndicatorNone {
		t.Fatalf("overall %+v", pub.s.Status)
	}
}

// TestUpdatesAnnouncedOnce: every published update that asks to notify is
// handed to subscribers once, across rebuilds; a draft's are held until it
// is published.
func TestUpdatesAnnouncedOnce(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, in := range []*statuspage.Incident{
		{ID: "pub", Name: "Public", Impact: statuspage.ImpactMinor, StartedAt: now, CreatedAt: now},
		{ID: "draft", Name: "Draft", Impact: statuspage.ImpactMinor, Draft: true, StartedAt: now, CreatedAt: now},
	} {
		in.AddUpdate(statuspage.Update{Status: statuspage.Investigating, Body: "Looking", Notify: true}, now)
		in.AddUpdate(statuspage.Update{Status: statuspage.Identified, Body: "Quiet fix", Notify: false}, now)
		if err := st.CreateIncident(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	var announced []string
	b := statuspage.NewBuilder(statuspage.BuilderConfig{Holder: "a", Now: func() time.Time { return now },
		Announce: func(_ context.Context, in *statuspage.Incident, u statuspage.Update) error {
			announced = append(announced, in.ID+" "+u.Status)
			return nil
		}}, st, st, st, &lastSnapshot{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for range 3 {
		if err := b.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(announced) != 1 || announced[0] != "pub investigating" {
		t.Fatalf("announced %v", announced)
	}
	if _, err := st.UpdateIncident(ctx, "draft", func(in *statuspage.Incident) error { in.Draft = false; in.UpdatedAt = now; return nil }); err != nil {
		t.Fatal(err)
	}
	b.Rebuild(ctx)
	b.Rebuild(ctx)
	if len(announced) != 2 || announced[1] != "draft investigating" {
		t.Fatalf("after publishing the draft: %v", announced)
	}
}
