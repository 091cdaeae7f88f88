package postgres

import (
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

func TestWithSearchPath(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"postgres://u@db:5432/app?sslmode=disable", "postgres://u@db:5432/app?search_path=s1&sslmode=disable"},
		{"postgresql://u@db/app", "postgresql://u@db/app?search_path=s1"},
		{"postgres://u@db/app?search_path=public", "postgres://u@db/app?search_path=s1"},
		{"host=db user=u dbname=app", "host=db user=u dbname=app search_path=s1"},
	}
	for _, tt := range tests {
		if got := withSearchPath(tt.dsn, "s1"); got != tt.want {
			t.Errorf("withSearchPath(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

// TestWatchHeartbeat checks that the connection stays usable through the
// liveness checks WatchLinks makes while no change comes.
func TestWatchHeartbeat(t *testing.T) {
	s, err := Open(t.Context(), TestDSN(t))
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
		time.Sleep(20 * time.Millisecond) // several heartbeats pass
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
