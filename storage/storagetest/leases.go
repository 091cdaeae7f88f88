package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/storage"
)

// testLeaseTerms: a lease is taken when free, renewed by its holder, taken
// over only once its term has ended, and its fence grows exactly when the
// holder changes.
func testLeaseTerms(t *testing.T, s Store) {
	const ttl = time.Minute
	at := func(d time.Duration) time.Time { return noon().Add(d) }
	steps := []struct {
		holder string
		now    time.Time
		fence  int64
		ok     bool
	}{
		{"a", at(0), 1, true},                                  // first acquisition
		{"a", at(30 * time.Second), 1, true},                   // renewed until 90s
		{"b", at(90*time.Second - time.Millisecond), 1, false}, // a's term runs
		{"b", at(90 * time.Second), 2, true},                   // a's term ended at now: taken over
		{"a", at(100 * time.Second), 2, false},                 // the former holder is refused
		{"b", at(100 * time.Second), 2, true},                  // renewed until 160s
		{"a", at(160 * time.Second), 3, true},                  // taken back
		{"a", at(time.Hour), 3, true},                          // a holder's own ended term is renewed
		{"b", at(time.Hour + time.Second), 3, false},
	}
	for i, st := range steps {
		fence, ok, err := s.Lease(t.Context(), "evaluator", st.holder, ttl, st.now)
		if err != nil || fence != st.fence || ok != st.ok {
			t.Errorf("step %d: Lease(%q, at %v) = %d, %v, %v; want %d, %v", i, st.holder, st.now.Sub(noon()),
				fence, ok, err, st.fence, st.ok)
		}
	}
	// Leases are independent.
	if fence, ok, err := s.Lease(t.Context(), "pruner", "b", ttl, at(time.Hour)); err != nil || fence != 1 || !ok {
		t.Errorf("Lease of another name = %d, %v, %v; want 1, true", fence, ok, err)
	}
	for _, bad := range []struct {
		name, holder string
		ttl          time.Duration
	}{{"", "a", ttl}, {"evaluator", "", ttl}, {"evaluator", "a", 0}, {"evaluator", "a", -time.Second}} {
		_, ok, err := s.Lease(t.Context(), bad.name, bad.holder, bad.ttl, at(2*time.Hour))
		wantCode(t, fmt.Sprintf("Lease(%q, %q, %v)", bad.name, bad.holder, bad.ttl), err, linkwatch.EINVALID)
		if ok {
			t.Errorf("Lease(%q, %q, %v) granted", bad.name, bad.holder, bad.ttl)
		}
	}
}

// testLeaseRace: two holders race for one lease from 8 goroutines each,
// through two handles (two replicas), at the same now, so that all their
// terms would overlap: every round exactly one holder wins, and its fence
// grows exactly when the winner changes.
func testLeaseRace(t *testing.T, s Store, reopen func() Store) {
	const ttl, goroutines, rounds = time.Minute, 8, 6
	stores := []Store{s, reopen()}
	holders := []string{"control-a", "control-b"}
	var lastHolder string
	var lastFence int64
	for r := range rounds {
		now := noon().Add(time.Duration(r) * 2 * ttl) // the previous round's term has ended
		var (
			mu    sync.Mutex
			wg    sync.WaitGroup
			wins  = map[string]int{}
			fence = map[int64]bool{}
		)
		for g := range goroutines {
			for h, holder := range holders {
				wg.Go(func() {
					f, ok, err := stores[(g+h)%2].Lease(t.Context(), storage.EvaluatorLease, holder, ttl, now)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						t.Errorf("Lease(%q): %v", holder, err)
					}
					if ok {
						wins[holder]++
						fence[f] = true
					}
				})
			}
		}
		wg.Wait()
		if len(wins) != 1 || len(fence) != 1 {
			t.Fatalf("round %d: wins by holder %v with fences %v; want one holder with one fence", r, wins, fence)
		}
		for holder, n := range wins {
			if n != goroutines {
				t.Errorf("round %d: %s won %d of its %d calls, want all: it holds the lease", r, holder, n, goroutines)
			}
			want := lastFence + 1
			if holder == lastHolder {
				want = lastFence
			}
			if !fence[want] {
				t.Errorf("round %d: %s won with fence %v after %q held %d; want %d", r, holder, fence, lastHolder, lastFence, want)
			}
			lastHolder, lastFence = holder, want
		}
	}
}

// testLeaseStaleLeader: a leader that paused past its term and was taken
// over cannot write with its old fence, nor renew its lease.
func testLeaseStaleLeader(t *testing.T, s Store, reopen func() Store) {
	const ttl = 15 * time.Second
	ctx := t.Context()
	a, b := s, reopen()
	fenceA, ok, err := a.Lease(ctx, storage.EvaluatorLease, "control-a", ttl, noon())
	if err != nil || !ok {
		t.Fatalf("Lease(control-a) = %v, %v", ok, err)
	}
	fired := firing("spring")
	if err := a.SaveAlerts(ctx, fenceA, []alerting.StoredAlert{fired}, []alerting.Outgoing{outgoing("slack", "spring", 1)}, nil); err != nil {
		t.Fatalf("SaveAlerts by the leader: %v", err)
	}

	// a pauses (a long GC, a frozen VM) past its term; b takes over.
	fenceB, ok, err := b.Lease(ctx, storage.EvaluatorLease, "control-b", ttl, noon().Add(ttl))
	if err != nil || !ok || fenceB != fenceA+1 {
		t.Fatalf("takeover Lease(control-b) = %d, %v, %v; want %d, true", fenceB, ok, err, fenceA+1)
	}
	// a wakes up and saves the resolution it computed before the pause.
	resolved := fired
	resolved.State.Phase = alerting.PhaseResolved
	late := outgoing("slack", "spring", 2)
	late.Notification.Kind = alerting.KindResolved
	err = a.SaveAlerts(ctx, fenceA, []alerting.StoredAlert{resolved}, []alerting.Outgoing{late}, nil)
	wantCode(t, "SaveAlerts by the former leader", err, linkwatch.ECONFLICT)
	equalAlerts(t, "Alerts after the former leader's save", alerts(t, b), fired)
	if got := dueIDs(t, b, end); len(got) != 1 {
		t.Errorf("due after the former leader's save: %v, want only the firing", got)
	}
	if fence, ok, err := a.Lease(ctx, storage.EvaluatorLease, "control-a", ttl, noon().Add(ttl+time.Second)); err != nil || ok || fence != fenceB {
		t.Errorf("renewal by the former leader = %d, %v, %v; want %d, false", fence, ok, err, fenceB)
	}
	if err := b.SaveAlerts(ctx, fenceB, []alerting.StoredAlert{resolved}, []alerting.Outgoing{late}, nil); err != nil {
		t.Errorf("SaveAlerts by the new leader: %v", err)
	}
	equalAlerts(t, "Alerts after the new leader's save", alerts(t, a), resolved)
}
