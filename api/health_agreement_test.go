package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/statuspage"
	"github.com/prometheus/client_golang/prometheus"
)

type lastSnapshot struct{ s *statuspage.Snapshot }

func (l *lastSnapshot) Publish(s *statuspage.Snapshot) error { l.s = s; return nil }

// TestHealthAgreement feeds the same latest results, through a real store,
// to the health API, the alert engine and the status page builder, all on
// one injected clock, and checks that they agree: the API says down exactly
// when link_down fires and the status page shows a major outage; degraded
// is a degraded component and no page.
func TestHealthAgreement(t *testing.T) {
	const interval = time.Minute
	type check struct {
		region string
		ago    time.Duration
		fail   bool
		slow   bool
	}
	// checks of one region, oldest first.
	passing := func(region string) []check {
		return []check{{region, 2 * interval, false, false}, {region, interval, false, false}}
	}
	failingTwice := func(region string) []check {
		return []check{{region, 2 * interval, true, false}, {region, interval, true, false}}
	}
	failingOnce := func(region string) []check {
		return []check{{region, 2 * interval, false, false}, {region, interval, true, false}}
	}
	join := func(cs ...[]check) []check {
		var out []check
		for _, c := range cs {
			out = append(out, c...)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		checks []check
		state  string // the API's
		status string // the status page's
	}{
		{"all up", join(passing("eu"), passing("us"), passing("ap")), "up", statuspage.Operational},
		{"1 of 1 failing once", failingOnce("eu"), "degraded", statuspage.DegradedPerformance},
		{"1 of 1 failing twice", failingTwice("eu"), "down", statuspage.MajorOutage},
		{"1 of 3 failing", join(failingTwice("eu"), passing("us"), passing("ap")), "degraded", statuspage.DegradedPerformance},
		{"2 of 3 failing twice", join(failingTwice("eu"), failingTwice("us"), passing("ap")), "down", statuspage.MajorOutage},
		{"2 of 3 failing, one only once", join(failingTwice("eu"), failingOnce("us"), passing("ap")), "degraded", statuspage.DegradedPerformance},
		{"a stale failing region", join([]check{{"eu", time.Hour, true, false}, {"eu", 59 * time.Minute, true, false}}, passing("us")),
			"up", statuspage.Operational},
		{"only stale regions", []check{{"eu", time.Hour, true, false}, {"eu", 59 * time.Minute, true, false}}, "unknown", statuspage.Operational},
		{"a future-dated failing result", join([]check{{"eu", -73 * 365 * 24 * time.Hour, true, false}, {"eu", -74 * 365 * 24 * time.Hour, true, false}},
			passing("us")), "up", statuspage.Operational},
		{"a slow region", join(passing("eu"), []check{{"us", interval, false, true}}, passing("ap")), "degraded", statuspage.DegradedPerformance},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			var l LinkDoc
			e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"agree","destination":"https://a.com/","check_interval":"60s"}`, 201, &l)
			target := linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}
			var results []linkwatch.Result
			for i, c := range tc.checks {
				r := linkwatch.Result{ID: fmt.Sprintf("r%d", i), Target: target, Region: c.region, Prober: c.region + "/p",
					At: testNow.Add(-c.ago), Step: linkwatch.StepDestination, Status: 200, Degraded: c.slow}
				if c.fail {
					r.Class, r.Status, r.Error = linkwatch.ClassHTTPStatus, 503, "status 503"
				}
				results = append(results, r)
			}
			// One result per push, in order, as probers send them.
			for _, r := range results {
				if err := e.store.InsertResults(ctx, []linkwatch.Result{r}); err != nil {
					t.Fatal(err)
				}
			}
			now := func() time.Time { return testNow }
			log := slog.New(slog.NewTextHandler(io.Discard, nil))

			// (a) the health API.
			var h HealthDoc
			e.mustDo("GET", "/api/v1/links/agree/health", e.read, "", 200, &h)

			// (b) the alert engine.
			engine := alerting.NewEngine(alerting.EngineConfig{Now: now, Holder: "agreement"}, e.store, log, prometheus.NewRegistry())
			if err := engine.Evaluate(ctx); err != nil {
				t.Fatal(err)
			}
			alerts, err := e.store.Alerts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			fired := false
			for _, a := range alerts {
				if a.Key == "link_down|link/"+strconv.FormatInt(l.ID, 10) && a.State.Phase == alerting.PhaseFiring {
					fired = true
				}
			}

			// (c) the status page builder.
			pub := &lastSnapshot{}
			b := statuspage.NewBuilder(statuspage.BuilderConfig{Holder: "agreement", Now: now,
				Components: []statuspage.Component{{ID: "agree", Name: "Agree", Link: "agree"}}},
				e.store, e.store, nil, pub, log)
			if err := b.Rebuild(ctx); err != nil {
				t.Fatal(err)
			}
			status := pub.s.Component("agree").Status

			if h.State != tc.state || status != tc.status || fired != (tc.state == "down") {
				t.Errorf("API %s (%s), link_down fired %v, status page %s; want %s, fired %v, %s",
					h.State, h.Reason, fired, status, tc.state, tc.state == "down", tc.status)
			}
			if (h.State == "down") != fired || fired != (status == statuspage.MajorOutage) {
				t.Errorf("they disagree: API %s, link_down fired %v, status page %s", h.State, fired, status)
			}
		})
	}
}
