package alerting

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
)

var failoverRegions = []string{"ap-south", "eu-west", "us-east"}

// check is one region's latest result in a failover test: "" passes,
// otherwise a class failing at step (the destination unless given).
type check struct {
	class, step string
	failures    int
}

var (
	pass      = check{}
	down503   = check{class: linkwatch.ClassHTTPStatus, failures: 2}
	mismatch  = check{class: linkwatch.ClassRedirectMismatch, step: linkwatch.StepShortLink, failures: 2}
	blocked   = check{class: linkwatch.ClassBlocked, failures: 2}
	unreached = check{class: linkwatch.ClassConnect, step: linkwatch.StepShortLink, failures: 2}
)

// failoverWorld is one link with a fallback, three regions and an engine
// with an injected clock.
type failoverWorld struct {
	t   *testing.T
	st  *engineStore
	e   *Engine
	now time.Time
}

func newFailoverWorld(t *testing.T, mode linkwatch.FailoverMode) *failoverWorld {
	link := &linkwatch.Link{ID: 7, Slug: "spring", Destination: "https://shop.example.com/", FallbackURL: "https://backup.example.com/",
		Failover: mode, RedirectCode: 301, CheckInterval: time.Minute}
	w := &failoverWorld{t: t, now: time.Date(2026, 11, 23, 12, 3, 0, 0, time.UTC),
		st: &engineStore{memStore: newMemStore(), links: []*linkwatch.Link{link}, alerts: map[string]StoredAlert{}, fence: 1}}
	w.e = NewEngine(EngineConfig{Holder: "a", Receivers: []string{"slack"}, Now: func() time.Time { return w.now }},
		w.st, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	return w
}

// set makes the latest results: the link's (primary) and its fallback's,
// one check per region in failoverRegions order; nil fallback: never
// checked.
func (w *failoverWorld) set(primary, fallback []check) {
	w.st.latest = nil
	add := func(kind string, cs []check) {
		for i, c := range cs {
			r := linkwatch.Latest{Result: linkwatch.Result{Target: linkwatch.Target{Kind: kind, ID: 7}, Region: failoverRegions[i],
				At: w.now.Add(-5 * time.Second), Step: linkwatch.StepDestination}, Failures: c.failures}
			if c.class != "" {
				r.Class, r.Error = c.class, "it failed"
				if c.class == linkwatch.ClassHTTPStatus {
					r.Status, r.Error = 503, ""
				}
				if c.step != "" {
					r.Step = c.step
				}
			}
			w.st.latest = append(w.st.latest, r)
		}
	}
	add(linkwatch.KindLink, primary)
	add(linkwatch.KindFallback, fallback)
}

// eval evaluates at now, the latest results taken 5 s before (fresh), and
// moves the clock on.
func (w *failoverWorld) eval(minutes int) {
	w.t.Helper()
	for i := range w.st.latest {
		w.st.latest[i].At = w.now.Add(-5 * time.Second)
	}
	if err := w.e.Evaluate(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.now = w.now.Add(time.Duration(minutes) * time.Minute)
}

func (w *failoverWorld) link() *linkwatch.Link { return w.st.links[0] }

// sent returns "kind: summary" of every notification of rule, in order.
func (w *failoverWorld) sent(rule string) []string {
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	var ids []int64
	for id, r := range w.st.rows {
		if r.Notification.Rule == rule {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []string
	for _, id := range ids {
		n := w.st.rows[id].Notification
		out = append(out, n.Kind+": "+n.Summary)
	}
	return out
}

func all(c check) []check { return []check{c, c, c} }

// TestFailoverAndReturn: link_down fires for a failing destination while
// the fallback is up: visitors go to the fallback, in the same cycle, with
// a notification saying where and since when; when link_down resolves they
// come back, with a notification saying after how long and why.
func TestFailoverAndReturn(t *testing.T) {
	w := newFailoverWorld(t, linkwatch.FailoverAuto)
	w.set(all(pass), all(pass))
	w.eval(1)
	if w.link().FailedOver || len(w.st.switches) != 0 {
		t.Fatalf("a healthy link failed over: %+v", w.link())
	}

	w.set(all(down503), all(pass))
	w.eval(7)
	l := w.link()
	if !l.FailedOver || !l.ServesFallback() || !l.FailoverSince.Equal(time.Date(2026, 11, 23, 12, 4, 0, 0, time.UTC)) ||
		l.FailoverReason != "the primary is down: 3 of 3 regions failing: http_status 503" {
		t.Fatalf("after link_down: %+v, want failed over since 12:04 with the primary's reason", l)
	}
	want := []string{"firing: spring now sends visitors to https://backup.example.com/ since 12:04 UTC: 3 of 3 regions failing: http_status 503"}
	if got := w.sent(RuleFailover); !slices.Equal(got, want) {
		t.Fatalf("failover notifications %q, want %q", got, want)
	}
	if got := w.sent("link_down"); len(got) != 1 || strings.Contains(got[0], "fallback") {
		t.Fatalf("link_down notifications %q, want one page that does not call the fallback down", got)
	}
	if a := w.st.alerts[RuleFailover+"|link/7"]; a.Severity != SeverityWarning || a.Labels["link"] != "spring" || a.Labels["rule"] != RuleFailover {
		t.Errorf("stored alert %+v", a)
	}

	w.eval(1) // still down: nothing new is written to the link
	if len(w.st.switches) != 1 {
		t.Fatalf("switches %+v, want the one failover", w.st.switches)
	}

	w.set(all(pass), all(pass))
	w.eval(1)
	l = w.link()
	if l.FailedOver || l.ServesFallback() || l.FailoverReason != "back to the primary: up in 3 of 3 regions" {
		t.Fatalf("after link_down resolved: %+v, want the primary again", l)
	}
	want = append(want, "resolved: spring sends visitors to https://shop.example.com/ again after 8 min: up in 3 of 3 regions")
	if got := w.sent(RuleFailover); !slices.Equal(got, want) {
		t.Fatalf("failover notifications %q, want %q", got, want)
	}
	if got := w.sent("link_down"); len(got) != 2 || !strings.HasPrefix(got[1], "resolved:") {
		t.Fatalf("link_down notifications %q, want its page and resolution", got)
	}
}

// TestFailoverNeverWorse: with the fallback failing too, visitors stay on
// the primary and the page says both are down; a fallback failing while in
// use sends them back to the primary.
func TestFailoverNeverWorse(t *testing.T) {
	w := newFailoverWorld(t, linkwatch.FailoverAuto)
	w.set(all(down503), []check{down503, down503, pass})
	w.eval(1)
	if w.link().FailedOver || len(w.sent(RuleFailover)) != 0 {
		t.Fatalf("failed over to a failing fallback: %+v %q", w.link(), w.sent(RuleFailover))
	}
	if got := w.sent("link_down"); len(got) != 1 || !strings.HasSuffix(got[0], "; the fallback https://backup.example.com/ is down too") {
		t.Fatalf("link_down %q, want it to say the fallback is down too", got)
	}

	// The fallback recovers: failover; then it fails again: back.
	w.set(all(down503), all(pass))
	w.eval(1)
	if !w.link().FailedOver {
		t.Fatal("no failover once the fallback works")
	}
	w.set(all(down503), []check{down503, pass, down503})
	w.eval(1)
	if w.link().FailedOver {
		t.Fatal("still on a failing fallback")
	}
	got := w.sent(RuleFailover)
	if len(got) != 2 || !strings.HasPrefix(got[1], "resolved: spring sends visitors to https://shop.example.com/ again after 1 min: the fallback https://backup.example.com/ is down too") {
		t.Fatalf("failover notifications %q", got)
	}
	if a := w.st.alerts["link_down|link/7"]; a.State.Phase != PhaseFiring || !strings.HasSuffix(a.Summary, "is down too") {
		t.Errorf("link_down %s %q, want firing and saying both are down", a.State.Phase, a.Summary)
	}
}

// TestFailoverOnlyWhenItHelps: failures failing over cannot fix
// (redirect_mismatch, blocked, an unreachable redirector), a lone failing
// region and a fallback never checked do not fail over.
func TestFailoverOnlyWhenItHelps(t *testing.T) {
	for _, tt := range []struct {
		name              string
		primary, fallback []check
		page              bool // link_down fires
	}{
		{"redirect_mismatch", all(mismatch), all(pass), true},
		{"blocked", all(blocked), all(pass), true},
		{"the redirector unreachable", all(unreached), all(pass), true},
		{"mismatch in two regions, the destination in one", []check{mismatch, mismatch, down503}, all(pass), true},
		{"a lone failing region", []check{down503, pass, pass}, all(pass), false},
		{"a single failed check", all(check{class: linkwatch.ClassHTTPStatus, failures: 1}), all(pass), false},
		{"a fallback never checked", all(down503), nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newFailoverWorld(t, linkwatch.FailoverAuto)
			w.set(tt.primary, tt.fallback)
			w.eval(1)
			w.eval(1)
			if w.link().FailedOver || len(w.st.switches) != 0 || len(w.sent(RuleFailover)) != 0 {
				t.Fatalf("failed over: %+v %q", w.link(), w.sent(RuleFailover))
			}
			if page := len(w.sent("link_down")) > 0; page != tt.page {
				t.Fatalf("link_down sent %v, want %v", page, tt.page)
			}
		})
	}
}

// TestFailoverModes: off and pinned links are never failed over by the
// engine; pinning a failed-over link ends the automatic failover (its
// FailedOver cleared, the pin's since and reason kept), and unpinning lets
// the engine decide again.
func TestFailoverModes(t *testing.T) {
	for _, mode := range []linkwatch.FailoverMode{linkwatch.FailoverOff, linkwatch.FailoverPrimary, linkwatch.FailoverFallback} {
		w := newFailoverWorld(t, mode)
		w.set(all(down503), all(pass))
		w.eval(1)
		if w.link().FailedOver || len(w.sent(RuleFailover)) != 0 {
			t.Errorf("mode %s: failed over: %+v", mode, w.link())
		}
	}

	for _, tt := range []struct {
		pin  linkwatch.FailoverMode
		want string
	}{
		{linkwatch.FailoverPrimary, "resolved: spring sends visitors to https://shop.example.com/ again after 2 min: pinned to the primary by hand"},
		{linkwatch.FailoverFallback, "resolved: spring's automatic failover ended after 2 min: pinned to the fallback by hand"},
		{linkwatch.FailoverOff, "resolved: spring sends visitors to https://shop.example.com/ again after 2 min: failover was turned off"},
	} {
		w := newFailoverWorld(t, linkwatch.FailoverAuto)
		w.set(all(down503), all(pass))
		w.eval(2)
		if !w.link().FailedOver {
			t.Fatalf("pin %s: no failover to start from", tt.pin)
		}
		pinnedAt := w.now
		pinned := *w.link()
		pinned.Failover, pinned.FailoverSince, pinned.FailoverReason = tt.pin, pinnedAt, "by hand"
		w.st.links[0] = &pinned
		w.eval(1)
		l := w.link()
		if l.FailedOver || !l.FailoverSince.Equal(pinnedAt) || l.FailoverReason != "by hand" {
			t.Errorf("pin %s: %+v, want FailedOver cleared and the pin's since and reason kept", tt.pin, l)
		}
		if got := w.sent(RuleFailover); len(got) != 2 || got[1] != tt.want {
			t.Errorf("pin %s: notifications %q, want the resolution %q", tt.pin, got, tt.want)
		}
		if tt.pin != linkwatch.FailoverFallback {
			continue
		}
		// Unpinned while the primary is still down: the engine fails over again.
		unpinned := *w.link()
		unpinned.Failover = linkwatch.FailoverAuto
		w.st.links[0] = &unpinned
		w.eval(1)
		w.eval(1)
		if !w.link().FailedOver || len(w.sent(RuleFailover)) != 3 {
			t.Errorf("unpinned: %+v %q, want failed over again", w.link(), w.sent(RuleFailover))
		}
	}
}

// TestFailoverKeptWithoutData: a failed-over link stays failed over while
// its regions go silent (no data is not a recovery), and while its
// fallback's results go stale.
func TestFailoverKeptWithoutData(t *testing.T) {
	w := newFailoverWorld(t, linkwatch.FailoverAuto)
	w.set(all(down503), all(pass))
	w.eval(1)
	w.st.latest = nil // every region silent
	w.eval(1)
	w.set(all(down503), nil) // the fallback's results gone stale
	w.eval(1)
	if !w.link().FailedOver || len(w.sent(RuleFailover)) != 1 {
		t.Fatalf("%+v %q, want still failed over, notified once", w.link(), w.sent(RuleFailover))
	}
}

// TestFailoverRefusedWrite: a refused save (a deposed evaluator, or a link
// pinned between the read and the write) switches nothing and notifies
// nothing; the next cycle decides again.
func TestFailoverRefusedWrite(t *testing.T) {
	w := newFailoverWorld(t, linkwatch.FailoverAuto)
	w.set(all(down503), all(pass))
	w.e.store = &takeover{engineStore: w.st}
	if err := w.e.Evaluate(context.Background()); linkwatch.ErrorCode(err) != linkwatch.ECONFLICT {
		t.Fatalf("Evaluate after a takeover: %v, want a conflict", err)
	}
	if w.link().FailedOver || len(w.sent(RuleFailover)) != 0 || len(w.sent("link_down")) != 0 {
		t.Fatalf("a refused save switched or notified: %+v %q", w.link(), w.sent(RuleFailover))
	}
	w.e.store = w.st
	w.eval(1)
	if !w.link().FailedOver || len(w.sent(RuleFailover)) != 1 {
		t.Fatalf("the next cycle: %+v %q, want the failover", w.link(), w.sent(RuleFailover))
	}
}

// takeover stands for another evaluator taking the lease between an
// evaluation's Lease and its save: the fence the engine holds is stale by
// then.
type takeover struct{ *engineStore }

func (s *takeover) SaveAlerts(ctx context.Context, fence int64, alerts []StoredAlert, out []Outgoing, fs []LinkFailover) error {
	s.fence++
	defer func() { s.fence-- }()
	return s.engineStore.SaveAlerts(ctx, fence, alerts, out, fs)
}
