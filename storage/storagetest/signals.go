package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// signalWatcher is a running WatchSignals call whose signals arrive on c.
type signalWatcher struct {
	c      chan linkwatch.ProbeSignal
	cancel context.CancelFunc
	done   chan error
}

func watchSignals(t *testing.T, s Store) *signalWatcher {
	ctx, cancel := context.WithCancel(t.Context())
	w := &signalWatcher{c: make(chan linkwatch.ProbeSignal, 100), cancel: cancel, done: make(chan error, 1)}
	go func() {
		w.done <- s.WatchSignals(ctx, func(sig linkwatch.ProbeSignal, err error) {
			if err != nil {
				t.Errorf("WatchSignals passed an error for a signal a store sent: %v", err)
				return
			}
			w.c <- sig
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-w.done
	})
	return w
}

func (w *signalWatcher) expect(t *testing.T, what string, want linkwatch.ProbeSignal) {
	t.Helper()
	select {
	case got := <-w.c:
		if got != want {
			t.Fatalf("%s: got signal %+v, want %+v", what, got, want)
		}
	case err := <-w.done:
		w.done <- err
		t.Fatalf("%s: WatchSignals returned early: %v", what, err)
	case <-time.After(waitLimit):
		t.Fatalf("%s: no signal within %v", what, waitLimit)
	}
}

func signal(t *testing.T, s Store, sig linkwatch.ProbeSignal) {
	t.Helper()
	if err := s.Signal(t.Context(), sig); err != nil {
		t.Fatalf("Signal(%v): %v", sig, err)
	}
}

// testSignals: every watcher hears every signal, in order, after a
// SignalReset; an invalid signal is refused and reaches nobody.
func testSignals(t *testing.T, s Store) {
	a, b := watchSignals(t, s), watchSignals(t, s)
	reset := linkwatch.ProbeSignal{Kind: linkwatch.SignalReset}
	a.expect(t, "first watcher subscribing", reset)
	b.expect(t, "second watcher subscribing", reset)

	sent := []linkwatch.ProbeSignal{
		linkwatch.MonitorSignal(7),
		linkwatch.MonitorDeletedSignal(8),
		linkwatch.CheckSignal(linkwatch.Target{Kind: linkwatch.KindLink, ID: 9}, ""),
		linkwatch.CheckSignal(linkwatch.Target{Kind: linkwatch.KindMonitor, ID: 10}, "eu-west"),
	}
	for _, sig := range sent {
		signal(t, s, sig)
	}
	for _, bad := range []linkwatch.ProbeSignal{
		{Kind: "bogus", ID: 1},
		{Kind: linkwatch.SignalReset, ID: 1}, // only a store delivers a reset
		linkwatch.MonitorSignal(0),
		linkwatch.CheckSignal(linkwatch.Target{Kind: linkwatch.KindFallback, ID: 1}, ""),
		linkwatch.CheckSignal(linkwatch.Target{Kind: linkwatch.KindLink, ID: 1}, "not a region"),
	} {
		wantCode(t, "Signal("+bad.String()+")", s.Signal(t.Context(), bad), linkwatch.EINVALID)
	}
	for _, sig := range sent {
		a.expect(t, "first watcher", sig)
		b.expect(t, "second watcher", sig)
	}
	// The invalid signals were not sent: the next one is the next heard.
	a.cancel()
	last := linkwatch.MonitorSignal(11)
	signal(t, s, last)
	b.expect(t, "remaining watcher, after the refused signals", last)
}

func testSignalsCancel(t *testing.T, s Store) {
	w := watchSignals(t, s)
	w.expect(t, "subscribing", linkwatch.ProbeSignal{Kind: linkwatch.SignalReset})
	w.cancel()
	select {
	case err := <-w.done:
		w.done <- err
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WatchSignals returned %v after its context was cancelled, want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("WatchSignals still running %v after its context was cancelled", waitLimit)
	}
}
