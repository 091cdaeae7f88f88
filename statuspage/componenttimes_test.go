package statuspage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/statuspage"
	"github.com/linkwatch/linkwatch/storage/sqlite"
)

// TestConfigComponentTimes: components declared in the configuration file
// have real created_at and updated_at in the v2 JSON — when each was first
// seen and when its declaration or status last changed — kept across a
// restart, and alike on replicas building at once.
func TestConfigComponentTimes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	open := func() *sqlite.Store {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if err := st.CreateLink(ctx, &linkwatch.Link{Slug: "checkout", Destination: "https://shop.example.com/", RedirectCode: 302,
		CheckInterval: time.Minute, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	comps := []statuspage.Component{
		{ID: "shop", Name: "Shop", Group: true, Position: 1},
		{ID: "checkout", Name: "Checkout", GroupID: "shop", Link: "checkout", Position: 2},
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	builder := func(st *sqlite.Store, comps []statuspage.Component, clock *time.Time) (*statuspage.Builder, *lastSnapshot) {
		pub := &lastSnapshot{}
		return statuspage.NewBuilder(statuspage.BuilderConfig{Holder: "a", Components: comps, Now: func() time.Time { return *clock }},
			st, st, st, pub, quiet), pub
	}
	type times struct{ created, updated time.Time }
	read := func(pub *lastSnapshot) map[string]times {
		t.Helper()
		docs, err := statuspage.EncodeV2(pub.s)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Components []struct {
				ID        string     `json:"id"`
				CreatedAt *time.Time `json:"created_at"`
				UpdatedAt *time.Time `json:"updated_at"`
			} `json:"components"`
		}
		dec := json.NewDecoder(bytes.NewReader(docs["components.json"]))
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		out := map[string]times{}
		for _, c := range doc.Components {
			if c.CreatedAt == nil || c.UpdatedAt == nil {
				t.Fatalf("component %s: created_at %v, updated_at %v: null", c.ID, c.CreatedAt, c.UpdatedAt)
			}
			out[c.ID] = times{c.CreatedAt.UTC(), c.UpdatedAt.UTC()}
		}
		return out
	}
	check := func(what string, got map[string]times, want map[string]times) {
		t.Helper()
		for id, w := range want {
			if g := got[id]; !g.created.Equal(w.created) || !g.updated.Equal(w.updated) {
				t.Errorf("%s: %s created %v updated %v, want %v and %v", what, id, g.created, g.updated, w.created, w.updated)
			}
		}
	}

	clock := t0
	b1, pub1 := builder(st, comps, &clock)
	if err := b1.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	check("first seen", read(pub1), map[string]times{"shop": {t0, t0}, "checkout": {t0, t0}})

	// Nothing changes: nothing moves.
	clock = t0.Add(time.Minute)
	if err := b1.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	check("a quiet minute", read(pub1), map[string]times{"shop": {t0, t0}, "checkout": {t0, t0}})

	// An incident puts checkout in partial outage: it and its group change.
	t1 := t0.Add(5 * time.Minute)
	in := &statuspage.Incident{ID: "i1", Name: "Payments fail", Impact: statuspage.ImpactMajor, StartedAt: t1, CreatedAt: t1}
	in.AddUpdate(statuspage.Update{Status: statuspage.Investigating, Body: "Looking",
		Components: []statuspage.Affected{{ComponentID: "checkout", Status: statuspage.PartialOutage}}}, t1)
	in.Components = []statuspage.Affected{{ComponentID: "checkout", Status: statuspage.PartialOutage}}
	if err := st.CreateIncident(ctx, in); err != nil {
		t.Fatal(err)
	}
	clock = t1
	if err := b1.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	check("status changed", read(pub1), map[string]times{"shop": {t0, t1}, "checkout": {t0, t1}})

	// A restart: a new builder on a new handle keeps them.
	clock = t1.Add(time.Minute)
	b2, pub2 := builder(open(), comps, &clock)
	if err := b2.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	check("after a restart", read(pub2), map[string]times{"shop": {t0, t1}, "checkout": {t0, t1}})

	// Two replicas rebuild at once after the incident is resolved and the
	// file renamed checkout: one change, seen alike by both.
	t2 := t1.Add(10 * time.Minute)
	if _, err := st.UpdateIncident(ctx, "i1", func(in *statuspage.Incident) error {
		in.AddUpdate(statuspage.Update{Status: statuspage.Resolved, Body: "Fixed"}, t2)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	renamed := append([]statuspage.Component(nil), comps...)
	renamed[1].Name = "Checkout and payments"
	clock2, clock3 := t2, t2.Add(2*time.Second)
	b3, pub3 := builder(open(), renamed, &clock2)
	b4, pub4 := builder(open(), renamed, &clock3)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = b3.Rebuild(ctx) })
	wg.Go(func() { errs[1] = b4.Rebuild(ctx) })
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	a, b := read(pub3), read(pub4)
	for _, id := range []string{"shop", "checkout"} {
		if !a[id].created.Equal(t0) || !b[id].created.Equal(t0) {
			t.Errorf("%s: created %v and %v on the two replicas, want %v", id, a[id].created, b[id].created, t0)
		}
		// Whichever replica wrote first set updated_at; the other, seeing
		// the same, changed nothing and read it.
		if !a[id].updated.Equal(b[id].updated) {
			t.Errorf("%s: updated %v and %v on the two replicas", id, a[id].updated, b[id].updated)
		}
		if a[id].updated.Before(t2) {
			t.Errorf("%s: updated %v, want the change at %v or after", id, a[id].updated, t2)
		}
	}
}
