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
