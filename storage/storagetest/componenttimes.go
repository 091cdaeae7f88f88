package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/statuspage"
)

// testStatusComponentTimes: when the configuration's components were first
// seen and last changed is kept across handles (a restart, or another
// replica): a new component's times are when it was first stamped; the
// same hash changes nothing; another hash moves updated_at, never back;
// replicas stamping a new component at once keep one created_at.
func testStatusComponentTimes(t *testing.T, s Store, reopen func() Store) {
	ctx := t.Context()
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 123456789, zone())
	stamp := func(st Store, at time.Time, seen ...statuspage.ComponentTimes) map[string]statuspage.ComponentTimes {
		t.Helper()
		got, err := st.StampComponents(ctx, seen, at)
		if err != nil {
			t.Fatalf("StampComponents at %v: %v", at, err)
		}
		if len(got) != len(seen) {
			t.Fatalf("StampComponents returned %d components for %d", len(got), len(seen))
		}
		return got
	}
	want := func(what string, got statuspage.ComponentTimes, hash string, created, updated time.Time) {
		t.Helper()
		if got.Hash != hash || !got.CreatedAt.Equal(ms(created)) || !got.UpdatedAt.Equal(ms(updated)) ||
			got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
			t.Errorf("%s: %+v, want hash %q created %v updated %v (UTC ms)", what, got, hash, ms(created), ms(updated))
		}
	}
	a, b := statuspage.ComponentTimes{ID: "api", Hash: "h1"}, statuspage.ComponentTimes{ID: "web", Hash: "h1"}
	got := stamp(s, t0, a, b)
	want("first seen", got["api"], "h1", t0, t0)
	want("first seen", got["web"], "h1", t0, t0)

	got = stamp(s, t0.Add(time.Minute), a, b)
	want("same hash", got["api"], "h1", t0, t0)

	b.Hash = "h2"
	got = stamp(s, t0.Add(2*time.Minute), a, b)
	want("unchanged", got["api"], "h1", t0, t0)
	want("changed", got["web"], "h2", t0, t0.Add(2*time.Minute))

	// Another handle — a restart, or a replica — reads the same times, and
	// one whose clock is behind does not move them back.
	r := reopen()
	got = stamp(r, t0.Add(3*time.Minute), a, b)
	want("after a restart", got["web"], "h2", t0, t0.Add(2*time.Minute))
	got = stamp(r, t0.Add(time.Minute), statuspage.ComponentTimes{ID: "web", Hash: "h3"})
	want("a replica behind", got["web"], "h2", t0, t0.Add(2*time.Minute))

	// Replicas stamping a new component at once: one row, the first
	// created_at, every caller reading it.
	const workers = 8
	var wg sync.WaitGroup
	results := make([]map[string]statuspage.ComponentTimes, workers)
	errs := make([]error, workers)
	for w := range workers {
		st := s
		if w%2 == 1 {
			st = r
		}
		wg.Go(func() {
			results[w], errs[w] = st.StampComponents(ctx, []statuspage.ComponentTimes{{ID: "new", Hash: "n"}, a}, t0.Add(time.Hour+time.Duration(w)*time.Second))
		})
	}
	wg.Wait()
	first := results[0]["new"]
	for w := range workers {
		if errs[w] != nil {
			t.Fatalf("replica %d: %v", w, errs[w])
		}
		if got := results[w]["new"]; !got.CreatedAt.Equal(got.UpdatedAt) || got.Hash != "n" {
			t.Errorf("replica %d: %+v, want created = updated", w, got)
		}
	}
	final := stamp(s, t0.Add(2*time.Hour), statuspage.ComponentTimes{ID: "new", Hash: "n"})["new"]
	if final.CreatedAt.Before(ms(t0.Add(time.Hour))) || final.CreatedAt.After(ms(t0.Add(time.Hour+(workers-1)*time.Second))) || !final.UpdatedAt.Equal(final.CreatedAt) {
		t.Errorf("after the race: %+v (first replica read %+v)", final, first)
	}

	if _, err := s.StampComponents(ctx, []statuspage.ComponentTimes{{ID: "", Hash: "x"}}, t0); linkwatch.ErrorCode(err) != linkwatch.EINVALID {
		t.Errorf("empty ID: %v, want EINVALID", err)
	}
	if got, err := s.StampComponents(ctx, nil, t0); err != nil || len(got) != 0 {
		t.Errorf("nothing to stamp: %v, %v", got, err)
	}
}
