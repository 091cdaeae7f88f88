package storagetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// allOps are matchers with every operator, values that JSON must escape.
func allOps() []alerting.Matcher {
	return []alerting.Matcher{
		{Name: "campaign", Op: alerting.MatchEqual, Value: `spring "24" \ é`},
		{Name: "link", Op: alerting.MatchNotEqual, Value: ""},
		{Name: "severity", Op: alerting.MatchRegexp, Value: "critical|warning"},
		{Name: "region", Op: alerting.MatchNotRegexp, Value: `eu-.*\d<>&`},
	}
}

func newSilence(id string, start time.Time) alerting.Silence {
	return alerting.Silence{
		ID:        id,
		Matchers:  []alerting.Matcher{{Name: "campaign", Op: alerting.MatchEqual, Value: id}},
		Start:     start,
		End:       start.Add(time.Hour),
		Author:    "ana",
		Comment:   "deploy of " + id,
		CreatedAt: start.Add(-time.Minute),
	}
}

func storedSilence(s alerting.Silence) alerting.Silence {
	s.Start, s.End, s.CreatedAt = ms(s.Start), ms(s.End), ms(s.CreatedAt)
	return s
}

func listSilences(t *testing.T, s Store) []alerting.Silence {
	t.Helper()
	got, err := s.ListSilences(t.Context())
	if err != nil {
		t.Fatalf("ListSilences: %v", err)
	}
	if got == nil {
		t.Errorf("ListSilences returned nil, want an empty slice")
	}
	return got
}

func equalSilences(t *testing.T, what string, got, want []alerting.Silence) {
	t.Helper()
	for i := range want {
		want[i] = storedSilence(want[i])
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testSilenceRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	equalSilences(t, "ListSilences on an empty store", listSilences(t, s), nil)
	start := created()
	in := alerting.Silence{
		ID: "sil-1", Matchers: allOps(),
		Start: start, End: start.Add(90 * time.Minute), Author: "Zoë", Comment: "",
		CreatedAt: start.Add(-time.Second), UntilResolved: "link_down|link/42",
	}
	if err := in.Validate(); err != nil {
		t.Fatalf("test silence is invalid: %v", err)
	}
	arg := in
	arg.Matchers = allOps()
	if err := s.CreateSilence(ctx, &arg); err != nil {
		t.Fatalf("CreateSilence: %v", err)
	}
	if want := storedSilence(in); !reflect.DeepEqual(arg, want) {
		t.Errorf("after CreateSilence the caller holds\n %+v\nwant %+v", arg, want)
	}
	equalSilences(t, "ListSilences", listSilences(t, s), []alerting.Silence{in})
}

func testSilenceOrdering(t *testing.T, s Store) {
	ctx := t.Context()
	base := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	// Created out of order; b and c start at the same instant, in different
	// zones (ties by ID), and a a millisecond after them.
	ins := []alerting.Silence{
		newSilence("c", base),
		newSilence("a", base.Add(time.Millisecond)),
		newSilence("b", base.In(zone())),
		newSilence("0", base.Add(-time.Hour)),
	}
	for i := range ins {
		sl := ins[i]
		if err := s.CreateSilence(ctx, &sl); err != nil {
			t.Fatalf("CreateSilence(%q): %v", sl.ID, err)
		}
	}
	want := []alerting.Silence{ins[3], ins[2], ins[0], ins[1]}
	equalSilences(t, "ListSilences", listSilences(t, s), want)
}

func testSilenceExpire(t *testing.T, s Store) {
	ctx := t.Context()
	start := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	running, ended := newSilence("running", start), newSilence("ended", start.Add(-3*time.Hour))
	for _, sl := range []alerting.Silence{running, ended} {
		if err := s.CreateSilence(ctx, &sl); err != nil {
			t.Fatalf("CreateSilence(%q): %v", sl.ID, err)
		}
	}
	now := start.Add(10*time.Minute + 1234567*time.Nanosecond).In(zone())
	if err := s.ExpireSilence(ctx, "running", now); err != nil {
		t.Fatalf("ExpireSilence(running): %v", err)
	}
	// An ended silence keeps its end: it is not extended.
	if err := s.ExpireSilence(ctx, "ended", now); err != nil {
		t.Fatalf("ExpireSilence(ended): %v", err)
	}
	running.End = now
	want := []alerting.Silence{ended, running}
	equalSilences(t, "ListSilences after expiry", listSilences(t, s), want)
	got := listSilences(t, s)
	if len(got) == 2 && got[1].Active(now) {
		t.Errorf("expired silence %+v is still active at %s", got[1], now)
	}
	// Expiring again later changes nothing.
	if err := s.ExpireSilence(ctx, "running", now.Add(time.Minute)); err != nil {
		t.Fatalf("ExpireSilence(running) again: %v", err)
	}
	equalSilences(t, "ListSilences after expiring again", listSilences(t, s), want)
}

func testSilenceErrors(t *testing.T, s Store) {
	ctx := t.Context()
	sl := newSilence("dup", created())
	if err := s.CreateSilence(ctx, &sl); err != nil {
		t.Fatalf("CreateSilence: %v", err)
	}
	other := newSilence("dup", created().Add(time.Hour))
	other.Author = "someone else"
	wantCode(t, "CreateSilence with a taken ID", s.CreateSilence(ctx, &other), linkwatch.ECONFLICT)
	wantCode(t, "ExpireSilence(absent)", s.ExpireSilence(ctx, "absent", created()), linkwatch.ENOTFOUND)
	equalSilences(t, "ListSilences after the errors", listSilences(t, s), []alerting.Silence{newSilence("dup", created())})
}

func listMaintenances(t *testing.T, s Store) []alerting.Maintenance {
	t.Helper()
	got, err := s.ListMaintenances(t.Context())
	if err != nil {
		t.Fatalf("ListMaintenances: %v", err)
	}
	if got == nil {
		t.Errorf("ListMaintenances returned nil, want an empty slice")
	}
	return got
}

func testMaintenanceRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	if got := listMaintenances(t, s); len(got) != 0 {
		t.Errorf("ListMaintenances on an empty store = %+v, want none", got)
	}
	weekly := alerting.Maintenance{
		ID: "weekly", Name: "Sunday backups", Matchers: allOps(),
		Cron: "CRON_TZ=Europe/Berlin 0 2 * * 0", Duration: 90*time.Minute + 1500*time.Millisecond,
	}
	once := alerting.Maintenance{
		ID: "once", Name: "DB upgrade",
		Matchers: []alerting.Matcher{{Name: "link", Op: alerting.MatchRegexp, Value: "db-.+"}},
		Start:    created(), End: created().Add(2*time.Hour + time.Nanosecond),
	}
	for _, m := range []alerting.Maintenance{weekly, once} {
		if err := m.Validate(); err != nil {
			t.Fatalf("test window %q is invalid: %v", m.ID, err)
		}
		arg := m
		if err := s.CreateMaintenance(ctx, &arg); err != nil {
			t.Fatalf("CreateMaintenance(%q): %v", m.ID, err)
		}
		if m.Start, m.End = ms(m.Start), ms(m.End); !reflect.DeepEqual(arg, m) {
			t.Errorf("after CreateMaintenance the caller holds\n %+v\nwant %+v", arg, m)
		}
	}
	once.Start, once.End = ms(once.Start), ms(once.End)
	want := []alerting.Maintenance{once, weekly} // by ID
	if got := listMaintenances(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("ListMaintenances:\n got %+v\nwant %+v", got, want)
	}

	if err := s.DeleteMaintenance(ctx, "once"); err != nil {
		t.Fatalf("DeleteMaintenance(once): %v", err)
	}
	if got := listMaintenances(t, s); !reflect.DeepEqual(got, want[1:]) {
		t.Errorf("ListMaintenances after delete:\n got %+v\nwant %+v", got, want[1:])
	}
}

func testMaintenanceErrors(t *testing.T, s Store) {
	ctx := t.Context()
	m := alerting.Maintenance{
		ID: "w", Name: "first",
		Matchers: []alerting.Matcher{{Name: "link", Op: alerting.MatchEqual, Value: "a"}},
		Cron:     "@daily", Duration: time.Hour,
	}
	if err := s.CreateMaintenance(ctx, &m); err != nil {
		t.Fatalf("CreateMaintenance: %v", err)
	}
	dup := m
	dup.Name = "second"
	wantCode(t, "CreateMaintenance with a taken ID", s.CreateMaintenance(ctx, &dup), linkwatch.ECONFLICT)
	wantCode(t, "DeleteMaintenance(absent)", s.DeleteMaintenance(ctx, "absent"), linkwatch.ENOTFOUND)
	if err := s.DeleteMaintenance(ctx, "w"); err != nil {
		t.Fatalf("DeleteMaintenance: %v", err)
	}
	wantCode(t, "DeleteMaintenance twice", s.DeleteMaintenance(ctx, "w"), linkwatch.ENOTFOUND)
	if got := listMaintenances(t, s); len(got) != 0 {
		t.Errorf("ListMaintenances after delete = %+v, want none", got)
	}
}
