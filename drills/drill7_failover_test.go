package drills

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDrill7FailoverUnderLoad: a link's destination dies under load spread
// over two redirectors. A remote prober checks it every interval; the alert
// engine fails the link over to its fallback, and every redirector hears of
// it. No request may fail (each is a 302 to the destination or the
// fallback), every redirector must serve the fallback within two check
// intervals + 1 s of the death, and the destination again after it
// recovers.
func TestDrill7FailoverUnderLoad(t *testing.T) {
	r := newReport(t, "7. failover under load")
	db := newDatabase(t)
	token := newToken()
	interval := scaled(5*time.Second, 3*time.Second)
	target := 2*interval + time.Second

	var dead atomic.Bool
	var destHits, fallbackProbes atomic.Int64
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		destHits.Add(1)
		if dead.Load() {
			http.Error(w, "down for the drill", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "the spring sale")
	}))
	t.Cleanup(dest.Close)
	fallback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.UserAgent(), "Linkwatch-Prober/") {
			fallbackProbes.Add(1)
		}
		fmt.Fprintln(w, "the sale continues here")
	}))
	t.Cleanup(fallback.Close)
	destURL, fallbackURL := dest.URL+"/spring", fallback.URL+"/"

	// The redirectors' addresses are fixed first: the control plane hands
	// the prober short URLs on the first one.
	addrs := []string{freeAddr(t), freeAddr(t)}
	ctl := startProc(t, "control", map[string]string{
		"LINKWATCH_DB": db.dsn, "LINKWATCH_ADMIN_TOKEN": token, "LINKWATCH_PUBLIC_URL": "http://" + addrs[0],
		"LINKWATCH_ALERT_EVALUATION_INTERVAL": "200ms", "LINKWATCH_ALERT_DELIVERY_INTERVAL": "200ms",
	}, "control")
	api := newAPI(ctl.URL(), token)
	var reps []*proc
	for i, a := range addrs {
		reps = append(reps, startProc(t, fmt.Sprintf("redirector-%d", i+1), map[string]string{"LINKWATCH_DB": db.dsn, "LINKWATCH_ADDR": a}, "redirector"))
	}
	var tok struct {
		Token string `json:"token"`
	}
	if st := api.do(t, http.MethodPost, "/tokens", map[string]any{"name": "drill prober", "scopes": []string{"prober"}, "regions": []string{"drill"}}, &tok); st != http.StatusCreated {
		t.Fatalf("create prober token: %d", st)
	}
	startProc(t, "prober", map[string]string{
		"LINKWATCH_PROBE_ALLOW_PRIVATE": "true",
		// A failing check is confirmed after 1 s rather than 10 s: the
		// second failure in a row comes from the confirmation, not the next
		// interval.
		"LINKWATCH_PROBE_CONFIRM": "1s",
	}, "prober", "--region", "drill", "--control", ctl.URL(), "--token", tok.Token, "--spool", t.TempDir())

	api.createLink(t, map[string]any{"slug": "spring", "destination": destURL, "fallback_url": fallbackURL,
		"check_interval": interval.String(), "redirect_code": 302})
	health := func() (h struct {
		State    string `json:"state"`
		Failover struct {
			Active bool       `json:"active"`
			Since  *time.Time `json:"since"`
		} `json:"failover"`
	}) {
		api.do(t, http.MethodGet, "/links/spring/health", nil, &h)
		return h
	}
	waitFor(t, 60*time.Second, "the link to be up and its fallback checked", func() bool {
		return health().State == "up" && fallbackProbes.Load() > 0
	})

	// Every response is a 302 to one of the two; the observer notes when
	// each redirector first served the fallback, and the destination again.
	var mu sync.Mutex
	var phase int // 0 before the death, 1 after it, 2 after the recovery
	firstFallback, firstBack := map[string]time.Time{}, map[string]time.Time{}
	rate := scaled(1000, 200)
	var urls []string
	for _, p := range reps {
		urls = append(urls, p.URL()+"/spring")
	}
	ld := startLoad(rate, urls, func(resp *http.Response) bool {
		loc := resp.Header.Get("Location")
		return resp.StatusCode == http.StatusFound && (loc == destURL || loc == fallbackURL)
	}).withObserver(func(at time.Time, target string, resp *http.Response) {
		loc := resp.Header.Get("Location")
		mu.Lock()
		defer mu.Unlock()
		switch {
		case phase == 1 && loc == fallbackURL && firstFallback[target].IsZero():
			firstFallback[target] = at
		case phase == 2 && loc == destURL && firstBack[target].IsZero():
			firstBack[target] = at
		}
	}).Run()
	seenAll := func(m map[string]time.Time) (time.Time, bool) {
		mu.Lock()
		defer mu.Unlock()
		var last time.Time
		for _, u := range urls {
			if m[u].IsZero() {
				return time.Time{}, false
			}
			if m[u].After(last) {
				last = m[u]
			}
		}
		return last, true
	}
	if err := sleepCtx(t.Context(), scaled(interval, time.Second)); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	phase = 1
	mu.Unlock()
	died := time.Now()
	dead.Store(true)
	var switched time.Time
	waitFor(t, 60*time.Second+target, "every redirector to serve the fallback", func() bool {
		var ok bool
		switched, ok = seenAll(firstFallback)
		return ok
	})
	h := health()
	if !h.Failover.Active || h.Failover.Since == nil {
		t.Fatalf("redirectors serve the fallback but the link's health says failover %+v", h.Failover)
	}
	decided := *h.Failover.Since
	took := switched.Sub(died)
	r.row(fmt.Sprintf("destination dies (503) → both redirectors serve the fallback, check interval %s", interval),
		fmt.Sprintf("%s (target ≤ 2 intervals + 1 s = %s)", ms(took), target), took <= target)
	r.info("failover decision (link's failover.since) → both redirectors serve it",
		ms(max(switched.Sub(decided), 0)))
	if err := sleepCtx(t.Context(), scaled(interval, time.Second)); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	phase = 2
	mu.Unlock()
	recovered := time.Now()
	dead.Store(false)
	var back time.Time
	waitFor(t, 60*time.Second+target, "every redirector to serve the destination again", func() bool {
		var ok bool
		back, ok = seenAll(firstBack)
		return ok
	})
	res := ld.Stop()
	took = back.Sub(recovered)
	r.row("destination recovers → both redirectors serve it again", fmt.Sprintf("%s (bound 60 s)", ms(took)), true)
	r.row(fmt.Sprintf("failed requests at %d/s over two redirectors, across the failover and back", rate),
		res.String(), res.Failed == 0 && res.Sent > 0)
}
