package storagetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

func testProbers(t *testing.T, s Store) {
	if ps, err := s.Probers(t.Context()); err != nil || ps == nil || len(ps) != 0 {
		t.Errorf("Probers without heartbeats = %#v, %v; want an empty, non-nil list", ps, err)
	}
	seen := created() // in zone(), with nanoseconds
	beats := []linkwatch.ProberInfo{
		{ID: "us-2", Region: "us-east", Version: "1.4.0", LastSeen: seen},
		{ID: "eu-b", Region: "eu-west", Version: "1.4.0", LastSeen: seen},
		{ID: "us-1", Region: "us-east", Version: "1.3.9", LastSeen: seen},
		{ID: "eu-a", Region: "eu-west", Version: "1.4.0", LastSeen: seen},
		// A prober that moves region and upgrades replaces its heartbeat.
		{ID: "us-1", Region: "ap-south", Version: "1.4.1", LastSeen: seen.Add(time.Minute)},
	}
	for _, p := range beats {
		if err := s.Heartbeat(t.Context(), p); err != nil {
			t.Fatalf("Heartbeat(%+v): %v", p, err)
		}
	}
	got, err := s.Probers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	stored := func(p linkwatch.ProberInfo) linkwatch.ProberInfo {
		p.LastSeen = ms(p.LastSeen)
		return p
	}
	want := []linkwatch.ProberInfo{stored(beats[4]), stored(beats[3]), stored(beats[1]), stored(beats[0])}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Probers:\n got %+v\nwant %+v", got, want)
	}
}

func testProberLifecycle(t *testing.T, s Store) {
	ctx := t.Context()
	seen := created()
	if err := s.StopProber(ctx, "nobody", "eu-west", seen); linkwatch.ErrorCode(err) != linkwatch.ENOTFOUND {
		t.Errorf("StopProber of an unknown prober = %v, want not found", err)
	}
	if err := s.RetireProber(ctx, "nobody", seen); linkwatch.ErrorCode(err) != linkwatch.ENOTFOUND {
		t.Errorf("RetireProber of an unknown prober = %v, want not found", err)
	}
	beat := linkwatch.ProberInfo{ID: "eu-west/host-a", Region: "eu-west", Version: "1.5.0", LastSeen: seen}
	if err := s.Heartbeat(ctx, beat); err != nil {
		t.Fatal(err)
	}
	one := func() linkwatch.ProberInfo {
		t.Helper()
		ps, err := s.Probers(ctx)
		if err != nil || len(ps) != 1 {
			t.Fatalf("Probers = %+v, %v; want one", ps, err)
		}
		return ps[0]
	}
	if p := one(); !p.StoppedAt.IsZero() || !p.RetiredAt.IsZero() {
		t.Errorf("a new prober = %+v, want neither stopped nor retired", p)
	}
	// Deregistering is bound to the prober's region.
	if err := s.StopProber(ctx, beat.ID, "us-east", seen); linkwatch.ErrorCode(err) != linkwatch.ENOTFOUND {
		t.Errorf("StopProber in another region = %v, want not found", err)
	}
	stop := seen.Add(time.Second)
	if err := s.StopProber(ctx, beat.ID, "eu-west", stop); err != nil {
		t.Fatal(err)
	}
	if p := one(); !p.StoppedAt.Equal(ms(stop)) || p.StoppedAt.Location() != time.UTC || !p.RetiredAt.IsZero() || !p.LastSeen.Equal(ms(seen)) {
		t.Errorf("after StopProber: %+v, want stopped at %v (UTC), last seen %v", p, ms(stop), ms(seen))
	}
	retire := seen.Add(time.Hour)
	if err := s.RetireProber(ctx, beat.ID, retire); err != nil {
		t.Fatal(err)
	}
	if p := one(); !p.RetiredAt.Equal(ms(retire)) || p.RetiredAt.Location() != time.UTC || !p.StoppedAt.Equal(ms(stop)) {
		t.Errorf("after RetireProber: %+v, want retired at %v and still stopped at %v", p, ms(retire), ms(stop))
	}
	// A heartbeat brings it back to life.
	beat.LastSeen = seen.Add(2 * time.Hour)
	if err := s.Heartbeat(ctx, beat); err != nil {
		t.Fatal(err)
	}
	if p := one(); !p.StoppedAt.IsZero() || !p.RetiredAt.IsZero() || !p.LastSeen.Equal(ms(beat.LastSeen)) {
		t.Errorf("after a new heartbeat: %+v, want live again", p)
	}
}
