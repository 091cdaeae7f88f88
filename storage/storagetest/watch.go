package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// waitLimit bounds every wait for a change. It is a deadline for declaring
// failure, never a performance assertion: healthy stores deliver in
// milliseconds.
const waitLimit = 10 * time.Second

// watcher is a running WatchLinks call whose changes arrive on c.
type watcher struct {
	c      chan linkwatch.LinkChange
	cancel context.CancelFunc
	done   chan error
}

func watch(t *testing.T, s Store) *watcher {
	ctx, cancel := context.WithCancel(t.Context())
	w := &watcher{c: make(chan linkwatch.LinkChange, 100), cancel: cancel, done: make(chan error, 1)}
	go func() {
		w.done <- s.WatchLinks(ctx, func(c linkwatch.LinkChange) { w.c <- c })
	}()
	t.Cleanup(func() {
		cancel()
		<-w.done
	})
	return w
}

// next returns the next change, failing the test if none comes or the
// watch ends.
func (w *watcher) next(t *testing.T) linkwatch.LinkChange {
	t.Helper()
	select {
	case c := <-w.c:
		return c
	case err := <-w.done:
		w.done <- err // for the cleanup
		t.Fatalf("WatchLinks returned early: %v", err)
	case <-time.After(waitLimit):
		t.Fatalf("no change within %v", waitLimit)
	}
	return linkwatch.LinkChange{}
}

func (w *watcher) expect(t *testing.T, what string, want linkwatch.LinkChange) {
	t.Helper()
	if got := w.next(t); got != want {
		t.Fatalf("%s: got change %+v, want %+v", what, got, want)
	}
}

func testWatchChanges(t *testing.T, s Store) {
	w := watch(t, s)
	// A watcher first hears Reset: it then loads everything and misses no
	// change made afterwards.
	w.expect(t, "subscribing", linkwatch.LinkChange{Reset: true})

	create(t, s, newLink("", "w1"))
	w.expect(t, "CreateLink", linkwatch.LinkChange{Slug: "w1"})

	// Failed writes change nothing, so they notify nobody.
	if err := s.CreateLink(t.Context(), newLink("", "w1")); err == nil {
		t.Fatal("duplicate CreateLink succeeded")
	}
	_, err := s.UpdateLink(t.Context(), "", "w1", func(l *linkwatch.Link) error { return errors.New("refused") })
	if err == nil {
		t.Fatal("UpdateLink ignored fn's error")
	}
	if err := s.DeleteLink(t.Context(), "", "missing"); err == nil {
		t.Fatal("DeleteLink of a missing link succeeded")
	}

	_, err = s.UpdateLink(t.Context(), "", "w1", func(l *linkwatch.Link) error {
		l.Destination = "https://example.com/changed"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.expect(t, "UpdateLink (failed writes must not notify)", linkwatch.LinkChange{Slug: "w1"})

	create(t, s, newLink("go.example.com", "w2"))
	w.expect(t, "CreateLink on a custom domain", linkwatch.LinkChange{Domain: "go.example.com", Slug: "w2"})

	if err := s.DeleteLink(t.Context(), "go.example.com", "w2"); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "DeleteLink", linkwatch.LinkChange{Domain: "go.example.com", Slug: "w2"})
}

func testWatchSubscribers(t *testing.T, s Store) {
	a, b := watch(t, s), watch(t, s)
	a.expect(t, "first watcher subscribing", linkwatch.LinkChange{Reset: true})
	b.expect(t, "second watcher subscribing", linkwatch.LinkChange{Reset: true})
	create(t, s, newLink("", "both"))
	a.expect(t, "first watcher", linkwatch.LinkChange{Slug: "both"})
	b.expect(t, "second watcher", linkwatch.LinkChange{Slug: "both"})

	// A watcher that stopped does not hold up the others.
	a.cancel()
	create(t, s, newLink("", "after"))
	b.expect(t, "remaining watcher", linkwatch.LinkChange{Slug: "after"})
}

func testWatchCancel(t *testing.T, s Store) {
	w := watch(t, s)
	w.expect(t, "subscribing", linkwatch.LinkChange{Reset: true})
	w.cancel()
	select {
	case err := <-w.done:
		w.done <- err
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WatchLinks returned %v after its context was cancelled, want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("WatchLinks still running %v after its context was cancelled", waitLimit)
	}
}
