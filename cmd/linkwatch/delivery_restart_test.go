package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/alerting/webhook"
)

// e2eHook is a webhook receiver on httptest that counts, per notification
// ID (the Linkwatch-Webhook-Id header), the requests it accepted.
type e2eHook struct {
	*httptest.Server
	mu       sync.Mutex
	seq      int
	answer   func(seq int) (status int, retryAfter string)
	accepted map[string]int
	kinds    map[string]string
}

func newE2EHook(t *testing.T) *e2eHook {
	t.Helper()
	h := &e2eHook{accepted: map[string]int{}, kinds: map[string]string{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p struct{ ID, Kind string }
		json.Unmarshal(body, &p)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.seq++
		if h.answer != nil {
			if status, after := h.answer(h.seq); status != 0 {
				if after != "" {
					w.Header().Set("Retry-After", after)
				}
				w.WriteHeader(status)
				return
			}
		}
		id := r.Header.Get(webhook.HeaderID)
		if id != p.ID {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.accepted[id]++
		h.kinds[id] = p.Kind
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *e2eHook) notifier(t *testing.T) *webhook.Notifier {
	t.Helper()
	n, err := webhook.New(webhook.Config{Name: "e2e", URL: linkwatch.Secret(h.URL + "/hooks/linkwatch"),
		Secret: "e2e-signing-secret-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// e2eFastClock runs a thousand times faster than the wall clock, so that
// backoffs and Retry-After pass in milliseconds.
func e2eFastClock(from time.Time) func() time.Time {
	start := time.Now()
	return func() time.Time { return from.Add(1000 * time.Since(start)) }
}

// TestRestartMidDeliveryLosesAndDuplicatesNothing: a SQLite file holds
// firings and resolutions for Slack and a webhook; both receivers fail at
// first (a 5xx burst, then a 429 with Retry-After) and Slack is slow. The
// deliverer's context is cancelled mid-way — as a SIGTERM'd process's is —
// at one of two moments: while Slack is handling a request, or just after
// Slack answered it, before it could be marked sent. The store is closed,
// the file reopened and a new deliverer started. In the end Slack shows
// every firing and resolution exactly once, and the webhook received every
// notification ID exactly once.
func TestRestartMidDeliveryLosesAndDuplicatesNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answered bool
	}{
		{"cancelled while Slack handles a request", false},
		{"cancelled just after Slack answered", true},
	} {
		t.Run(tc.name, func(t *testing.T) { testRestartMidDelivery(t, tc.answered) })
	}
}

func testRestartMidDelivery(t *testing.T, answered bool) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "linkwatch.db")
	st, err := openStore(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			st.Close()
		}
	}()

	// Ten links go down; five recover: 15 notifications per receiver.
	clock := &e2eClock{now: e2eT0}
	var slugs []string
	for i := range 10 {
		slugs = append(slugs, fmt.Sprintf("e2e-r%d", i))
	}
	links := e2eLinks(t, st, slugs...)
	engine := alerting.NewEngine(alerting.EngineConfig{Holder: "solo", Receivers: []string{"slack", "webhook"}, Now: clock.Now},
		st, e2eLog(), prometheus.NewRegistry())
	for r := range 3 {
		now := e2eT0.Add(time.Duration(r) * 20 * time.Second)
		clock.Set(now)
		for i, l := range links {
			e2eCheck(t, st, l, r, now, func(string) bool { return r < 2 || i >= 5 })
		}
		if err := engine.Evaluate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	queued, err := st.Due(ctx, e2eT0.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != 30 {
		t.Fatalf("%d notifications queued, want 30 (10 firings and 5 resolutions, for 2 receivers)", len(queued))
	}

	api := newE2ESlack(t)
	api.latency = 2 * time.Millisecond
	api.answer = func(seq int) (int, string) {
		switch {
		case seq <= 3:
			return http.StatusServiceUnavailable, ""
		case seq == 4:
			return http.StatusTooManyRequests, "1"
		}
		return 0, ""
	}
	hook := newE2EHook(t)
	hook.answer = func(seq int) (int, string) {
		switch {
		case seq <= 2:
			return http.StatusInternalServerError, ""
		case seq == 3:
			return http.StatusTooManyRequests, "1"
		}
		return 0, ""
	}

	// The crash comes at Slack's sixth new firing message.
	crash := make(chan struct{})
	var (
		mu      sync.Mutex
		firings int
	)
	api.accepted = func(m e2eSlackMsg, r *http.Request, respond func()) {
		mu.Lock()
		if m.Method == "chat.postMessage" && m.ThreadTS == "" {
			firings++
		}
		sixth := firings == 6 && m.Method == "chat.postMessage" && m.ThreadTS == ""
		mu.Unlock()
		if !sixth {
			respond()
			return
		}
		if answered {
			respond()
			close(crash)
			return
		}
		close(crash)
		select { // Slack has posted it; the answer is on its way
		case <-r.Context().Done():
		case <-time.After(300 * time.Millisecond):
		}
		respond()
	}

	// Each process delivers under its own name, as startAlerting names it:
	// the second waits for the first one's delivery lease to run out.
	fast := e2eFastClock(clock.Now())
	process := 0
	deliver := func(st store) (stop func()) {
		dctx, cancel := context.WithCancel(context.Background())
		process++
		d := alerting.NewDeliverer(alerting.DeliveryConfig{Holder: fmt.Sprintf("host/%d", process), Interval: time.Millisecond, Now: fast}, st,
			map[string]alerting.Notifier{"slack": api.notifier(t), "webhook": hook.notifier(t)}, e2eLog(), prometheus.NewRegistry())
		done := make(chan struct{})
		go func() { defer close(done); d.Run(dctx) }()
		return func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the deliverer did not stop within 10s of its context's end")
			}
		}
	}

	stop := deliver(st)
	select {
	case <-crash:
	case <-time.After(15 * time.Second):
		stop()
		t.Fatal("Slack never got its sixth firing")
	}
	stop() // SIGTERM
	st.Close()
	closed = true
	before := api.view()
	t.Logf("before the restart Slack showed %v", before.Seqs)

	st, err = openStore(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	closed = false
	pending, err := st.Due(ctx, e2eT0.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) == 0 {
		t.Fatal("nothing was left to deliver after the restart: the crash came too late to test anything")
	}
	stop = deliver(st)
	e2eOutboxEmpty(t, st, 15*time.Second)
	stop()

	want := map[string]string{}
	for i, s := range slugs {
		want["link_down/"+s] = "FR"
		if i >= 5 {
			want["link_down/"+s] = "F"
		}
	}
	v := api.view()
	v.check(t, want)
	hook.mu.Lock()
	defer hook.mu.Unlock()
	kinds := map[string]int{}
	for id, n := range hook.accepted {
		kinds[hook.kinds[id]]++
		if n != 1 {
			t.Errorf("the webhook received notification %s (%s) %d times", id, hook.kinds[id], n)
		}
	}
	if len(hook.accepted) != 15 || kinds[alerting.KindFiring] != 10 || kinds[alerting.KindResolved] != 5 {
		t.Errorf("the webhook received %d distinct notifications (%v), want 15: 10 firings and 5 resolutions", len(hook.accepted), kinds)
	}
	if t.Failed() {
		for _, m := range api.messages() {
			t.Logf("Slack request %d: %s ts=%s thread=%s %q", m.Seq, m.Method, m.TS, m.ThreadTS, m.Text)
		}
	}
}
