package drills

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestDrill1RollingRestart: two redirector replicas behind HAProxy
// (health-checking /readyz every second, retrying a request that could not
// connect on the other replica), steady load through it; each replica in
// turn is rolled as Kubernetes rolls a pod — SIGTERM, /readyz 503 for
// drain_delay while HAProxy takes it out, the listener closes, in-flight
// requests finish, exit — and started again on the same address. Not one
// request may fail.
func TestDrill1RollingRestart(t *testing.T) {
	r := newReport(t, "1. rolling restart")
	haproxyBinary(t) // skip before starting anything when it is missing
	db := newDatabase(t)
	token := newToken()
	ctl := startProc(t, "control", map[string]string{"LINKWATCH_DB": db.dsn, "LINKWATCH_ADMIN_TOKEN": token}, "control")
	const dest = "https://shop.example.com/spring"
	newAPI(ctl.URL(), token).createLink(t, map[string]any{"slug": "spring", "destination": dest})

	// drain_delay covers HAProxy's detection: a check every second, out on
	// the first 503, with room for a late check on a busy machine.
	drain := scaled(5*time.Second, 2*time.Second)
	env := map[string]string{"LINKWATCH_DB": db.dsn, "LINKWATCH_DRAIN_DELAY": drain.String(), "LINKWATCH_SHUTDOWN_TIMEOUT": "20s"}
	replicas := []*proc{
		startProc(t, "redirector-1", env, "redirector"),
		startProc(t, "redirector-2", env, "redirector"),
	}
	lb := startHAProxy(t, []string{replicas[0].addr, replicas[1].addr})
	waitFor(t, 30*time.Second, "HAProxy to route to the replicas", func() bool {
		resp, err := http.DefaultTransport.RoundTrip(mustGet(lb.URL() + "/spring"))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusFound
	})

	rate := scaled(1000, 200)
	steady := scaled(20*time.Second, time.Second)
	ld := startLoad(rate, []string{lb.URL() + "/spring"}, func(resp *http.Response) bool {
		return resp.StatusCode == http.StatusFound && resp.Header.Get("Location") == dest
	}).Run()
	if err := sleepCtx(t.Context(), steady); err != nil {
		t.Fatal(err)
	}
	var stops []time.Duration
	for _, rep := range replicas {
		before := ld.Snapshot().Sent
		stops = append(stops, rep.restart(drain+30*time.Second))
		// Rolled: the new process is ready; HAProxy sends it traffic again
		// once a check sees it (its own counter starts at zero).
		waitFor(t, 60*time.Second, rep.name+" to serve through HAProxy again", func() bool {
			b, err := scrape(rep.URL())
			if err != nil {
				return false
			}
			v, err := metric(b, "linkwatch_redirects_total")
			return err == nil && v > 0
		})
		t.Logf("%s rolled during requests %d–%d", rep.name, before, ld.Snapshot().Sent)
		if err := sleepCtx(t.Context(), steady); err != nil {
			t.Fatal(err)
		}
	}
	res := ld.Stop()
	r.row(fmt.Sprintf("failed requests at %d/s through HAProxy while both replicas rolled in turn", rate),
		res.String(), res.Failed == 0 && res.Sent > 0)
	r.info("SIGTERM to exit, per replica (drain_delay "+drain.String()+" included)", fmt.Sprintf("%s, %s", ms(stops[0]), ms(stops[1])))
}

func mustGet(url string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set("User-Agent", "linkwatch-drill-setup")
	return req
}
