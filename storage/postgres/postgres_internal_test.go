package postgres

import (
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage/postgres/pgtest"
)

// TestWatchHeartbeat checks that the connection stays usable through the
// liveness checks WatchLinks makes while no change comes.
func TestWatchHeartbeat(t *testing.T) {
	s, err := Open(t.Context(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.heartbeat = time.Millisecond
	changes := make(chan linkwatch.LinkChange, 10)
	done := make(chan error, 1)
	go func() { done <- s.WatchLinks(t.Context(), func(c linkwatch.LinkChange) { changes <- c }) }()
	t.Cleanup(func() { s.Close(); <-done })
	if c := <-changes; !c.Reset {
		t.Fatalf("first change %+v, want Reset", c)
	}
	for i := range 3 {
		deadline := time.After(10 * time.Second)
		for beats := s.heartbeats.Load(); s.heartbeats.Load() < beats+3; {
			select { // three more heartbeats pass
			case err := <-done:
				t.Fatalf("WatchLinks ended between heartbeats: %v", err)
			case <-deadline:
				t.Fatal("no three heartbeats within 10s")
			case <-time.After(time.Millisecond):
			}
		}
		l := &linkwatch.Link{Slug: "beat" + string(rune('a'+i)), Destination: "https://example.com/", RedirectCode: 302, CheckInterval: time.Minute}
		if err := s.CreateLink(t.Context(), l); err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-changes:
			if c.Slug != l.Slug {
				t.Fatalf("got %+v, want the change of %s", c, l.Slug)
			}
		case err := <-done:
			t.Fatalf("WatchLinks ended after heartbeats: %v", err)
		}
	}
}
