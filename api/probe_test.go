package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober"
)

func TestMonitorLifecycle(t *testing.T) {
	e := newEnv(t)
	var m monitorJSON
	e.mustDo("POST", "/api/v1/monitors", adminSecret,
		`{"name":"checkout API","url":"https://shop.example.com/api/health","check_interval":"30s","expect_status":[200,204],"expect_keyword":"ok","max_response_time":"1.5s"}`, 201, &m)
	if m.ID == 0 || m.CheckInterval != "30s" || m.MaxResponseTime != "1.5s" || len(m.ExpectStatus) != 2 || m.ExpectKeyword != "ok" {
		t.Fatalf("created %+v", m)
	}
	var body errorBody
	for _, tt := range []struct{ body, field string }{
		{`{"name":"x","url":"javascript:1"}`, "url"},
		{`{"url":"https://a.com/"}`, "name"},
		{`{"name":"x","url":"https://a.com/","cron":"61 * * * *"}`, "cron"},
		{`{"name":"x","url":"https://a.com/","expect_status":[999]}`, "expect_status"},
		{`{"name":"x","url":"https://a.com/","check_interval":"100ms"}`, "check_interval"},
	} {
		e.mustDo("POST", "/api/v1/monitors", adminSecret, tt.body, 422, &body)
		if body.Error.Field != tt.field {
			t.Errorf("%s: field %q, want %q", tt.body, body.Error.Field, tt.field)
		}
	}
	path := fmt.Sprintf("/api/v1/monitors/%d", m.ID)
	e.mustDo("PATCH", path, adminSecret, `{"cron":"*/5 * * * *","expect_status":null}`, 200, &m)
	if m.Cron != "*/5 * * * *" || len(m.ExpectStatus) != 0 || m.Name != "checkout API" {
		t.Fatalf("patched %+v", m)
	}
	var list struct{ Monitors []monitorJSON }
	e.mustDo("GET", "/api/v1/monitors", e.read, "", 200, &list)
	if len(list.Monitors) != 1 {
		t.Fatalf("list %+v", list)
	}
	e.mustDo("GET", "/api/v1/monitors/abc", e.read, "", 404, &body)
	e.mustDo("DELETE", path, adminSecret, "", 204, nil)
	e.mustDo("GET", path, e.read, "", 404, &body)
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	var l LinkDoc
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"h","destination":"https://a.com/","check_interval":"60s"}`, 201, &l)
	target := linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}

	var h HealthDoc
	e.mustDo("GET", "/api/v1/links/h/health", e.read, "", 200, &h)
	if h.State != "unknown" || len(h.Regions) != 0 || h.Uptime["24h"] != nil {
		t.Fatalf("no data must read as unknown, not up: %+v", h)
	}

	res := func(id, region string, ago time.Duration, class string, degraded bool) linkwatch.Result {
		return linkwatch.Result{ID: id, Target: target, Region: region, Prober: "p", At: testNow.Add(-ago),
			Step: linkwatch.StepDestination, Class: class, Degraded: degraded, Status: 200,
			Phases: linkwatch.Phases{Total: 120 * time.Millisecond}, Hops: []linkwatch.Hop{{URL: "https://a.com/", Status: 200}}}
	}
	err := e.store.InsertResults(context.Background(), []linkwatch.Result{
		res("r-eu-1", "eu-west", 2*time.Minute, "", false),
		res("r-eu-2", "eu-west", time.Minute, linkwatch.ClassHTTPStatus, false),
		res("r-us-1", "us-east", time.Minute, "", true),
		res("r-ap-1", "ap-south", time.Minute, "", false),
		res("r-sa-1", "sa-east", time.Hour, linkwatch.ClassDNS, false), // stale: unknown
	})
	if err != nil {
		t.Fatal(err)
	}
	e.mustDo("GET", "/api/v1/links/h/health", e.read, "", 200, &h)
	states := map[string]string{}
	for _, r := range h.Regions {
		states[r.Region] = r.State
	}
	want := map[string]string{"eu-west": "down", "us-east": "degraded", "ap-south": "up", "sa-east": "unknown"}
	if fmt.Sprint(states) != fmt.Sprint(want) {
		t.Fatalf("regions %v, want %v", states, want)
	}
	// One of three fresh regions down: degraded, not down.
	if h.State != "degraded" {
		t.Fatalf("state %q, want degraded", h.State)
	}
	if h.Reason != "1 of 3 regions failing: http_status 200 (not yet twice in a row); no recent results from sa-east" {
		t.Errorf("reason %q", h.Reason)
	}
	for _, r := range h.Regions {
		if want := map[string]int{"eu-west": 1, "sa-east": 1}[r.Region]; r.ConsecutiveFailures != want {
			t.Errorf("%s: consecutive_failures %d, want %d", r.Region, r.ConsecutiveFailures, want)
		}
	}
	// Hour 11:00 holds every check: eu-west fails half, sa-east all, the
	// others none. Sorted [0 0 .5 1], the majority rank (3rd largest) is
	// 0, so the hour is all partial outage: 1 − 0.3 (health.Uptime, as the
	// status page computes it).
	if u := h.Uptime["24h"]; u == nil || math.Abs(*u-0.7) > 1e-9 {
		t.Fatalf("uptime 24h = %v, want 0.7", u)
	}
	if u := h.Uptime["30d"]; u == nil || math.Abs(*u-0.7) > 1e-9 {
		t.Fatalf("uptime 30d = %v, want 0.7", u)
	}
	if len(h.Regions[0].Hops) != 1 {
		t.Fatalf("hops missing: %+v", h.Regions[0])
	}

	// A second failure in a row in eu-west and a first in ap-south: two of
	// three fresh regions fail, one of them only once — not down yet.
	if err := e.store.InsertResults(context.Background(), []linkwatch.Result{
		res("r-eu-3", "eu-west", 30*time.Second, linkwatch.ClassHTTPStatus, false),
		res("r-ap-2", "ap-south", 30*time.Second, linkwatch.ClassHTTPStatus, false),
	}); err != nil {
		t.Fatal(err)
	}
	e.mustDo("GET", "/api/v1/links/h/health", e.read, "", 200, &h)
	if h.State != "degraded" {
		t.Fatalf("state %q (%s), want degraded: ap-south failed only once", h.State, h.Reason)
	}
	if err := e.store.InsertResults(context.Background(), []linkwatch.Result{
		res("r-ap-3", "ap-south", 10*time.Second, linkwatch.ClassHTTPStatus, false),
	}); err != nil {
		t.Fatal(err)
	}
	e.mustDo("GET", "/api/v1/links/h/health", e.read, "", 200, &h)
	if h.State != "down" || h.Reason != "2 of 3 regions failing: http_status 200; no recent results from sa-east" {
		t.Fatalf("state %q (%s), want down: two of three regions failing twice", h.State, h.Reason)
	}
}

// TestClearHealth: an admin clears one region's latest state of a link or a
// monitor; its results stay.
func TestClearHealth(t *testing.T) {
	e := newEnv(t)
	var l LinkDoc
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"c","destination":"https://a.com/"}`, 201, &l)
	var m monitorJSON
	e.mustDo("POST", "/api/v1/monitors", adminSecret, `{"name":"api","url":"https://a.com/"}`, 201, &m)
	link := linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}
	mon := linkwatch.Target{Kind: linkwatch.KindMonitor, ID: m.ID}
	forged := linkwatch.Result{ID: "forged", Target: link, Region: "mars", Prober: "x", At: testNow.AddDate(73, 0, 0),
		Step: linkwatch.StepDestination, Class: linkwatch.ClassHTTPStatus, Status: 503}
	real := linkwatch.Result{ID: "real", Target: link, Region: "eu-west", Prober: "p", At: testNow.Add(-time.Minute),
		Step: linkwatch.StepDestination, Status: 200}
	mr := real
	mr.ID, mr.Target = "mon", mon
	if err := e.store.InsertResults(context.Background(), []linkwatch.Result{forged, real, mr}); err != nil {
		t.Fatal(err)
	}
	var h HealthDoc
	e.mustDo("GET", "/api/v1/links/c/health", e.read, "", 200, &h)
	if h.State != "up" || len(h.Regions) != 2 {
		t.Fatalf("a result from the future is not fresh: %+v", h)
	}
	var body errorBody
	e.mustDo("DELETE", "/api/v1/links/c/health", adminSecret, "", 422, &body)
	if body.Error.Field != "region" {
		t.Errorf("without a region: %+v", body)
	}
	e.mustDo("DELETE", "/api/v1/links/c/health?region="+strings.Repeat("r", 300), adminSecret, "", 422, &body)
	e.mustDo("DELETE", "/api/v1/links/c/health?region=mars", e.read, "", 403, nil)
	e.mustDo("DELETE", "/api/v1/links/nope/health?region=mars", adminSecret, "", 404, nil)
	e.mustDo("DELETE", "/api/v1/links/c/health?region=mars", adminSecret, "", 204, nil)
	e.mustDo("DELETE", "/api/v1/links/c/health?region=mars", adminSecret, "", 404, &body)
	e.mustDo("GET", "/api/v1/links/c/health", e.read, "", 200, &h)
	if len(h.Regions) != 1 || h.Regions[0].Region != "eu-west" {
		t.Fatalf("after clearing mars: %+v", h.Regions)
	}
	path := fmt.Sprintf("/api/v1/monitors/%d/health", m.ID)
	e.mustDo("DELETE", path+"?region=eu-west", adminSecret, "", 204, nil)
	e.mustDo("GET", path, e.read, "", 200, &h)
	if len(h.Regions) != 0 || h.State != "unknown" {
		t.Fatalf("monitor after clearing: %+v", h)
	}
	if rs, err := e.store.Results(context.Background(), mon, time.Time{}, testNow.Add(time.Hour), 0); err != nil || len(rs) != 1 {
		t.Errorf("results after clearing: %d, %v; want the one kept", len(rs), err)
	}
}

func TestProbeProtocol(t *testing.T) {
	e := newEnv(t)
	for i := range 30 {
		e.mustDo("POST", "/api/v1/monitors", adminSecret, fmt.Sprintf(`{"name":"m%d","url":"https://a.com/%d"}`, i, i), 201, nil)
	}
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"l1","destination":"https://a.com/"}`, 201, nil)
	beat := func(id string) {
		e.mustDo("POST", "/api/v1/probe/heartbeat", e.probe, fmt.Sprintf(`{"prober":%q,"region":"eu-west","version":"t"}`, id), 204, nil)
	}
	assign := func(id string) prober.Assignments {
		var a prober.Assignments
		e.mustDo("GET", "/api/v1/probe/assignments?region=eu-west&prober="+id, e.probe, "", 200, &a)
		return a
	}
	beat("a")
	if a := assign("a"); len(a.Monitors) != 30 || len(a.Links) != 1 {
		t.Fatalf("a lone prober gets everything: %d monitors, %d links", len(a.Monitors), len(a.Links))
	}
	beat("b")
	beat("c")
	seen := map[int64]string{}
	for _, id := range []string{"a", "b", "c"} {
		a := assign(id)
		if len(a.Probers) != 3 || len(a.Monitors) == 0 {
			t.Fatalf("%s: probers %v, %d monitors", id, a.Probers, len(a.Monitors))
		}
		for _, m := range a.Monitors {
			if other, dup := seen[m.ID]; dup {
				t.Fatalf("monitor %d assigned to %s and %s", m.ID, other, id)
			}
			seen[m.ID] = id
		}
	}
	if len(seen) != 30 {
		t.Fatalf("%d of 30 monitors assigned", len(seen))
	}
	var regions struct{ Regions []regionJSON }
	e.mustDo("GET", "/api/v1/probers", e.read, "", 200, &regions)
	if len(regions.Regions) != 1 || regions.Regions[0].Live != 3 {
		t.Fatalf("probers %+v", regions)
	}

	// b and c fall silent: once their heartbeats are older than the silence, a
	// takes over their share at its next assignment pull.
	for _, id := range []string{"b", "c"} {
		if err := e.store.Heartbeat(context.Background(), linkwatch.ProberInfo{ID: id, Region: "eu-west", LastSeen: testNow.Add(-linkwatch.DefaultProberSilence - time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if a := assign("a"); len(a.Monitors) != 30 || len(a.Probers) != 1 {
		t.Fatalf("after b and c died, a has %d monitors with probers %v", len(a.Monitors), a.Probers)
	}
	e.mustDo("GET", "/api/v1/probers", e.read, "", 200, &regions)
	if regions.Regions[0].Live != 1 {
		t.Fatalf("live probers %+v", regions)
	}

	// Results: validated, stored once per ID.
	r := prober.ResultToWire(&linkwatch.Result{ID: "0123456789abcdef", Target: linkwatch.Target{Kind: "monitor", ID: 1},
		Region: "eu-west", Prober: "a", At: testNow, Step: linkwatch.StepDestination, Status: 200})
	batch, _ := json.Marshal(prober.ResultBatch{Results: []prober.WireResult{r, r}})
	e.mustDo("POST", "/api/v1/probe/results", e.probe, string(batch), 202, nil)
	e.mustDo("POST", "/api/v1/probe/results", e.probe, string(batch), 202, nil) // a replay
	stored, err := e.store.Results(context.Background(), linkwatch.Target{Kind: "monitor", ID: 1}, testNow.Add(-time.Hour), testNow.Add(time.Hour), 0)
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored %d results (%v), want exactly 1", len(stored), err)
	}
	// Each result is checked on its own: see TestPushResultsRejections.
	var body errorBody
	e.mustDo("GET", "/api/v1/probe/assignments?region=eu-west", e.probe, "", 400, &body)
}

// TestLargeResultPush: a full batch of results with redirect chains fits the
// push limit (the 64 KiB limit of other bodies once dropped nearly all).
func TestLargeResultPush(t *testing.T) {
	e := newEnv(t)
	var l LinkDoc
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"big","destination":"https://a.com/"}`, 201, &l)
	var batch prober.ResultBatch
	for i := range 500 {
		res := linkwatch.Result{ID: fmt.Sprintf("result-%08d", i), Target: linkwatch.Target{Kind: "link", ID: l.ID},
			Region: "eu-west", Prober: "p", At: testNow, Step: linkwatch.StepDestination, Status: 200}
		for h := range 3 {
			res.Hops = append(res.Hops, linkwatch.Hop{URL: fmt.Sprintf("https://shop.example.com/campaign/spring/%d/%d?utm_source=qr", i, h), Status: 302})
		}
		batch.Results = append(batch.Results, prober.ResultToWire(&res))
	}
	body, _ := json.Marshal(batch)
	if len(body) < 200<<10 {
		t.Fatalf("batch is only %d bytes", len(body))
	}
	e.mustDo("POST", "/api/v1/probe/results", e.probe, string(body), 202, nil)
}
