package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var durationCountRE = regexp.MustCompile(`(?m)^linkwatch_http_request_duration_seconds_count\{code="(\d+)",route="([^"]*)"\} (\d+)$`)

// requestCounts scrapes /metrics: request counts by route and code.
func (s *server) requestCounts(t *testing.T) map[string]int {
	t.Helper()
	resp, body := s.get("/metrics")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	counts := map[string]int{}
	for _, m := range durationCountRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[3])
		counts[m[2]+" "+m[1]] = n
	}
	return counts
}

// TestMetricsEdgeRoutes: linkwatch_http_request_duration_seconds labels each
// route once by its pattern (the API's without its prefix doubled), measures
// the status page, the v2 API, the dashboard and the operational endpoints
// too, counts a redirect once, and labels any path that matches no route
// "unmatched", however many there are.
func TestMetricsEdgeRoutes(t *testing.T) {
	s := startServer(t, map[string]string{"LINKWATCH_ADMIN_TOKEN": testAdminToken},
		"serve", "--db", filepath.Join(t.TempDir(), "linkwatch.db"))
	if code := s.api(t, "POST", "/api/v1/links", `{"slug":"measured","destination":"https://example.com/"}`); code != 201 {
		t.Fatalf("create link: %d", code)
	}
	waitUntil(t, 30*time.Second, func() bool { return s.status("/measured") == 302 })
	for _, p := range []string{"/status", "/api/v2/summary.json", "/dashboard/sign-in", "/healthz", "/readyz", "/metrics"} {
		if code := s.status(p); code != 200 {
			t.Fatalf("GET %s: %d", p, code)
		}
	}
	s.api(t, "GET", "/api/v1/links", "")
	s.api(t, "GET", "/api/v1/links/measured", "")
	for i := range 20 {
		s.status(fmt.Sprintf("/api/v1/nothing-%d", i))
		s.status(fmt.Sprintf("/a/b/%d", i))
	}
	redirectsBefore := s.requestCounts(t)["/{slug} 302"]
	if code := s.status("/measured"); code != 302 {
		t.Fatalf("redirect: %d", code)
	}
	counts := s.requestCounts(t)
	for _, want := range []string{"/api/v1/links 201", "/api/v1/links 200", "/api/v1/links/{slug} 200", "/status 200",
		"/api/v2/summary.json 200", "/dashboard/sign-in 200", "/healthz 200", "/readyz 200", "/metrics 200"} {
		if counts[want] == 0 {
			t.Errorf("no observation for %q; have %v", want, counts)
		}
	}
	if n := counts["unmatched 404"]; n < 40 {
		t.Errorf("unmatched 404: %d observations, want >= 40; have %v", n, counts)
	}
	if n := counts["/{slug} 302"] - redirectsBefore; n != 1 {
		t.Errorf("one redirect observed %d times", n)
	}
	for k := range counts {
		route := strings.Fields(k)[0]
		if strings.Contains(route, "/api/v1/api/v1") || strings.Contains(route, "nothing") || strings.HasPrefix(route, "/a/") ||
			strings.Contains(route, "/dashboard/dashboard") || strings.Contains(route, "measured") {
			t.Errorf("route label %q: not a bounded pattern", route)
		}
	}
}
