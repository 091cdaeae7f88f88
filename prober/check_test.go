package prober

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

func TestCheckMonitor(t *testing.T) {
	d := newDestinationServer(t)
	chain := func(n int) []string {
		var hops []string
		for i := n; i >= 1; i-- {
			hops = append(hops, "/chain/"+strconv.Itoa(i))
		}
		return append(hops, "/ok")
	}
	tests := []struct {
		name    string
		path    string
		expect  linkwatch.Expectation
		timeout time.Duration
		class   string
		status  int
		hops    []string // paths; nil: not checked
		errHas  string
	}{
		{name: "ok", path: "/ok", status: 200, hops: []string{"/ok"}},
		{name: "redirect chain", path: "/chain/3", status: 200, hops: chain(3)},
		{name: "ten redirects", path: "/chain/10", status: 200, hops: chain(10)},
		{name: "twenty redirects, as browsers follow", path: "/chain/20", status: 200, hops: chain(20)},
		{name: "twenty-one redirects", path: "/chain/21", class: linkwatch.ClassTooManyRedirects, status: 302,
			hops: chain(21)[:21], errHas: "more than 20 redirects"},
		{name: "loop", path: "/loop/a", class: linkwatch.ClassTooManyRedirects, status: 302,
			hops: []string{"/loop/a", "/loop/b"}, errHas: "redirect loop"},
		{name: "server error", path: "/status/500", class: linkwatch.ClassHTTPStatus, status: 500, errHas: "answered 500, want 2xx"},
		{name: "404 not expected", path: "/status/404", class: linkwatch.ClassHTTPStatus, status: 404},
		{name: "404 expected", path: "/status/404", expect: linkwatch.Expectation{Statuses: []int{200, 404}}, status: 404},
		{name: "200 not among expected", path: "/ok", expect: linkwatch.Expectation{Statuses: []int{404}},
			class: linkwatch.ClassHTTPStatus, status: 200, errHas: "want 404"},
		{name: "expected redirect ends the chain", path: "/moved", expect: linkwatch.Expectation{Statuses: []int{301}},
			status: 301, hops: []string{"/moved"}},
		{name: "redirect followed by default", path: "/moved", status: 200, hops: []string{"/moved", "/ok"}},
		{name: "redirect without location", path: "/noloc", class: linkwatch.ClassHTTPStatus, status: 302, errHas: "no Location"},
		{name: "redirect to mailto", path: "/mailto", class: linkwatch.ClassHTTPStatus, status: 302, errHas: "not an http or https URL"},
		{name: "keyword present", path: "/ok", expect: linkwatch.Expectation{Keyword: "spring"}, status: 200},
		{name: "keyword absent", path: "/ok", expect: linkwatch.Expectation{Keyword: "autumn"},
			class: linkwatch.ClassKeyword, status: 200, errHas: `keyword "autumn" not found`},
		{name: "keyword after redirects", path: "/chain/2", expect: linkwatch.Expectation{Keyword: "campaign"}, status: 200},
		{name: "slow headers", path: "/slow-headers", timeout: 200 * time.Millisecond,
			class: linkwatch.ClassTimeout, errHas: "did not finish within 200ms"},
		{name: "slow body", path: "/slow-body", timeout: 200 * time.Millisecond, class: linkwatch.ClassTimeout, status: 200},
		{name: "slow body without keyword", path: "/slow-body", expect: linkwatch.Expectation{Keyword: "x"},
			timeout: 200 * time.Millisecond, class: linkwatch.ClassTimeout, status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testChecker(t, func(cfg *Config) {
				if tt.timeout != 0 {
					cfg.Timeout = tt.timeout
				}
			})
			res := c.CheckMonitor(context.Background(), monitor(d.URL+tt.path, tt.expect))
			checkBasics(t, res, linkwatch.Target{Kind: linkwatch.KindMonitor, ID: 7})
			if res.Class != tt.class || res.Status != tt.status {
				t.Fatalf("class %q status %d (%s), want class %q status %d", res.Class, res.Status, res.Error, tt.class, tt.status)
			}
			if res.Step != linkwatch.StepDestination {
				t.Errorf("Step = %q, want %q", res.Step, linkwatch.StepDestination)
			}
			if tt.class == "" && res.Error != "" || tt.class != "" && !strings.Contains(res.Error, tt.errHas) {
				t.Errorf("Error = %q, want it to contain %q", res.Error, tt.errHas)
			}
			if tt.hops != nil {
				checkHops(t, res.Hops, d.URL, tt.hops)
			}
			if tt.class == "" {
				want := sha256.Sum256([]byte(welcome))
				if tt.status == 200 && res.Fingerprint != hex.EncodeToString(want[:]) {
					t.Errorf("Fingerprint = %q, want the SHA-256 of the body", res.Fingerprint)
				}
				if tt.hops != nil && res.FinalURL != d.URL+tt.hops[len(tt.hops)-1] {
					t.Errorf("FinalURL = %q", res.FinalURL)
				}
			}
		})
	}
}

// checkBasics checks what every result carries.
func checkBasics(t *testing.T, res linkwatch.Result, target linkwatch.Target) {
	t.Helper()
	if len(res.ID) != 32 {
		t.Errorf("ID = %q, want 32 hex digits", res.ID)
	}
	if res.Target != target || res.Region != "eu-west" || res.Prober != "prober-1" || res.At.IsZero() {
		t.Errorf("target %v region %q prober %q at %v", res.Target, res.Region, res.Prober, res.At)
	}
	if res.Phases.Total <= 0 {
		t.Errorf("Phases.Total = %v", res.Phases.Total)
	}
	if res.OK() && res.Degraded && res.Class != "" {
		t.Errorf("failed check marked degraded")
	}
	if len(res.Hops) > linkwatch.MaxResultHops {
		t.Errorf("%d hops, the control plane accepts at most %d", len(res.Hops), linkwatch.MaxResultHops)
	}
}

// checkHops compares hops with the paths on base they should have visited.
func checkHops(t *testing.T, hops []linkwatch.Hop, base string, paths []string) {
	t.Helper()
	if len(hops) != len(paths) {
		t.Fatalf("%d hops %v, want %d: %v", len(hops), hops, len(paths), paths)
	}
	for i, h := range hops {
		if h.URL != base+paths[i] || h.Duration <= 0 {
			t.Errorf("hop %d = %+v, want URL %s", i, h, base+paths[i])
		}
		wantRedirect := i < len(hops)-1
		if wantRedirect && (h.Status < 300 || h.Status > 399) {
			t.Errorf("hop %d status %d, want a redirect", i, h.Status)
		}
	}
}

func TestCheckMonitorUnreachable(t *testing.T) {
	d := newDestinationServer(t)
	tests := []struct {
		name  string
		url   string
		class string
	}{
		{"connection refused", "http://" + closedAddr(t) + "/", linkwatch.ClassConnect},
		{"redirect to a refused port with credentials", d.URL + "/cred", linkwatch.ClassConnect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := testChecker(t, nil).CheckMonitor(context.Background(), monitor(tt.url, linkwatch.Expectation{}))
			if res.Class != tt.class || res.Status != 0 {
				t.Fatalf("class %q status %d (%s), want %q", res.Class, res.Status, res.Error, tt.class)
			}
			if res.Step != linkwatch.StepDestination || res.Error == "" || len(res.Hops) == 0 {
				t.Errorf("step %q error %q hops %v", res.Step, res.Error, res.Hops)
			}
			all := fmt.Sprint(res.Error, res.Hops, res.FinalURL)
			if strings.Contains(all, "hunter2") {
				t.Errorf("result leaks a password: %s", all)
			}
		})
	}
}

func TestUserAgent(t *testing.T) {
	d := newDestinationServer(t)
	res := testChecker(t, nil).CheckMonitor(context.Background(), monitor(d.URL+"/chain/1", linkwatch.Expectation{}))
	if !res.OK() {
		t.Fatal(res.Error)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.agents) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(d.agents))
	}
	for _, ua := range d.agents {
		if !strings.Contains(ua, "Linkwatch-Prober/1 (region=eu-west)") || !strings.Contains(ua, "iPhone") {
			t.Errorf("User-Agent %q does not name the prober and its region, or look like a phone", ua)
		}
	}
}

func TestDegraded(t *testing.T) {
	d := newDestinationServer(t)
	tests := []struct {
		name       string
		path       string
		maxLatency time.Duration
		degraded   bool
	}{
		{"slower than max", "/slow", 5 * time.Millisecond, true},
		{"within max", "/ok", time.Minute, false},
		{"no max", "/slow", 0, false},
		{"failed checks are not degraded", "/status/500", time.Nanosecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := testChecker(t, nil).CheckMonitor(context.Background(), monitor(d.URL+tt.path, linkwatch.Expectation{MaxLatency: tt.maxLatency}))
			if res.Degraded != tt.degraded {
				t.Errorf("Degraded = %v after %v, want %v", res.Degraded, res.Phases.Total, tt.degraded)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	d := newDestinationServer(t)
	const limit = 64 << 10
	prefix := sha256.Sum256(bigBody[:limit])
	tests := []struct {
		keyword string
		class   string
	}{
		{"", ""},
		{"EARLY", ""},
		{"LATE", linkwatch.ClassKeyword}, // at 1 MiB: beyond the limit, so never read
	}
	for _, tt := range tests {
		t.Run("keyword "+tt.keyword, func(t *testing.T) {
			c := testChecker(t, func(cfg *Config) { cfg.BodyLimit = limit })
			res := c.CheckMonitor(context.Background(), monitor(d.URL+"/big", linkwatch.Expectation{Keyword: tt.keyword}))
			if res.Class != tt.class {
				t.Fatalf("class %q (%s), want %q", res.Class, res.Error, tt.class)
			}
			if res.Fingerprint != hex.EncodeToString(prefix[:]) {
				t.Errorf("Fingerprint is not the SHA-256 of the first %d bytes", limit)
			}
		})
	}
}

func TestPhases(t *testing.T) {
	d := newDestinationServer(t)
	dns := newFakeDNS(t, map[string]string{"landing.test": "127.0.0.1"})
	c := testChecker(t, func(cfg *Config) { cfg.Resolver = dns.resolver() })
	u := mustURL(t, d.URL)
	m := monitor("http://landing.test:"+u.Port()+"/chain/1", linkwatch.Expectation{})
	res := c.CheckMonitor(context.Background(), m)
	if !res.OK() {
		t.Fatal(res.Error)
	}
	// The redirect's connection is reused for the final request, which
	// therefore has no DNS or connect phase; the first check of a fresh
	// Checker to a plain URL has both.
	p := res.Phases
	if p.DNS != 0 || p.Connect != 0 || p.FirstByte <= 0 || p.Total < p.FirstByte {
		t.Errorf("phases after a reused connection %+v", p)
	}
	m.URL = "http://landing.test:" + u.Port() + "/ok"
	res = testChecker(t, func(cfg *Config) { cfg.Resolver = dns.resolver() }).CheckMonitor(context.Background(), m)
	p = res.Phases
	if !res.OK() || p.DNS <= 0 || p.Connect <= 0 || p.TLS != 0 || p.FirstByte <= 0 || p.Total < p.FirstByte {
		t.Errorf("phases of a fresh connection %+v (%s)", p, res.Error)
	}
}

func TestCheckCanceled(t *testing.T) {
	d := newDestinationServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := testChecker(t, nil).CheckMonitor(ctx, monitor(d.URL+"/ok", linkwatch.Expectation{}))
	if res.Class != linkwatch.ClassTimeout {
		t.Errorf("class %q (%s), want timeout", res.Class, res.Error)
	}
}

func TestResultIDsUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := linkwatch.NewID()
		if seen[id] {
			t.Fatalf("ID %s twice", id)
		}
		seen[id] = true
	}
}

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdefghij", 6, "abc…"},
		{"aé€x", 6, "aé…"},
		{"aé€x", 5, "a…"}, // never splits é (2 bytes)
	} {
		if got := clip(tt.in, tt.n); got != tt.want || len(got) > tt.n {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
