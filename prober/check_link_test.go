package prober

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// fakeRedirector answers GET /spring with a fixed status and Location, as a
// working or broken redirector would, and 404 for anything else.
type fakeRedirector struct {
	code     int
	location string
	mu       sync.Mutex
	agents   []string
}

func (f *fakeRedirector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.agents = append(f.agents, r.UserAgent())
	f.mu.Unlock()
	if r.URL.Path != "/spring" || r.URL.RawQuery != "" {
		http.NotFound(w, r)
		return
	}
	if f.location != "" {
		w.Header().Set("Location", f.location)
	}
	w.WriteHeader(f.code)
}

func TestCheckLink(t *testing.T) {
	d := newDestinationServer(t)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	dest, fallback, down := d.URL+"/ok", d.URL+"/chain/1", d.URL+"/status/503"
	expired := now.Add(-time.Hour)
	tests := []struct {
		name       string
		link       linkwatch.Link
		code       int    // the redirector's answer
		location   string // the redirector's Location
		class      string
		step       string
		status     int
		failedOver bool
		hops       int
		errHas     []string
	}{
		{name: "ok", link: linkwatch.Link{Destination: dest, RedirectCode: 302},
			code: 302, location: dest, step: linkwatch.StepDestination, status: 200, hops: 2},
		{name: "default redirect code", link: linkwatch.Link{Destination: dest},
			code: 302, location: dest, step: linkwatch.StepDestination, status: 200, hops: 2},
		{name: "permanent", link: linkwatch.Link{Destination: dest, RedirectCode: 308},
			code: 308, location: dest, step: linkwatch.StepDestination, status: 200, hops: 2},
		{name: "wrong location", link: linkwatch.Link{Destination: dest, RedirectCode: 302},
			code: 302, location: d.URL + "/elsewhere", class: linkwatch.ClassRedirectMismatch, step: linkwatch.StepShortLink,
			status: 302, hops: 1, errHas: []string{`answered 302 to "` + d.URL + `/elsewhere"`, `want 302 to "` + dest + `"`}},
		{name: "wrong code", link: linkwatch.Link{Destination: dest, RedirectCode: 302},
			code: 301, location: dest, class: linkwatch.ClassRedirectMismatch, step: linkwatch.StepShortLink,
			status: 301, hops: 1, errHas: []string{"answered 301", "want 302"}},
		{name: "unknown to the redirector", link: linkwatch.Link{Destination: dest, RedirectCode: 302},
			code: 404, class: linkwatch.ClassRedirectMismatch, step: linkwatch.StepShortLink, status: 404, hops: 1},
		// While failed over, the short link must serve the fallback and the
		// destination step still checks the primary, so its return is seen.
		{name: "failed over", link: linkwatch.Link{Destination: dest, FallbackURL: fallback, FailedOver: true, RedirectCode: 302},
			code: 302, location: fallback, step: linkwatch.StepDestination, status: 200, failedOver: true, hops: 2},
		{name: "failed over, primary still down", link: linkwatch.Link{Destination: down, FallbackURL: fallback, FailedOver: true, RedirectCode: 302},
			code: 302, location: fallback, class: linkwatch.ClassHTTPStatus, step: linkwatch.StepDestination, status: 503, failedOver: true, hops: 2},
		{name: "failed over answers 302 whatever the link's code", link: linkwatch.Link{Destination: dest, FallbackURL: fallback, FailedOver: true, RedirectCode: 301},
			code: 301, location: fallback, class: linkwatch.ClassRedirectMismatch, step: linkwatch.StepShortLink,
			status: 301, failedOver: true, hops: 1, errHas: []string{"want 302"}},
		{name: "pinned to the fallback", link: linkwatch.Link{Destination: down, FallbackURL: fallback, Failover: linkwatch.FailoverFallback, RedirectCode: 301},
			code: 302, location: fallback, class: linkwatch.ClassHTTPStatus, step: linkwatch.StepDestination, status: 503, failedOver: true, hops: 2},
		{name: "failed over with failover off", link: linkwatch.Link{Destination: dest, FallbackURL: fallback, FailedOver: true, Failover: linkwatch.FailoverOff, RedirectCode: 302},
			code: 302, location: dest, step: linkwatch.StepDestination, status: 200, hops: 2},
		{name: "failed over but primary served", link: linkwatch.Link{Destination: dest, FallbackURL: fallback, FailedOver: true, RedirectCode: 302},
			code: 302, location: dest, class: linkwatch.ClassRedirectMismatch, step: linkwatch.StepShortLink,
			status: 302, failedOver: true, hops: 1, errHas: []string{fallback}},
		{name: "expired", link: linkwatch.Link{Destination: dest, ExpiresAt: expired, RedirectCode: 302},
			code: 410, step: linkwatch.StepDestination, status: 410, hops: 1},
		{name: "expired but still served", link: linkwatch.Link{Destination: dest, ExpiresAt: expired, RedirectCode: 302},
			code: 302, location: dest, class: linkwatch.ClassRedirectMismatch, step: linkwatch.StepShortLink,
			status: 302, hops: 1, errHas: []string{"want 410"}},
		{name: "expired with fallback", link: linkwatch.Link{Destination: dest, FallbackURL: fallback, ExpiresAt: expired, RedirectCode: 302},
			code: 302, location: fallback, step: linkwatch.StepDestination, status: 200, failedOver: true, hops: 3},
		{name: "destination down", link: linkwatch.Link{Destination: down, RedirectCode: 302},
			code: 302, location: down, class: linkwatch.ClassHTTPStatus, step: linkwatch.StepDestination, status: 503, hops: 2},
		{name: "destination keyword", link: linkwatch.Link{Destination: dest, RedirectCode: 302, Expect: linkwatch.Expectation{Keyword: "winter"}},
			code: 302, location: dest, class: linkwatch.ClassKeyword, step: linkwatch.StepDestination, status: 200, hops: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			red := &fakeRedirector{code: tt.code, location: tt.location}
			srv, _ := startServer(t, red)
			c := testChecker(t, func(cfg *Config) {
				cfg.PublicURL = mustURL(t, srv.URL)
				cfg.Now = func() time.Time { return now }
			})
			l := tt.link
			l.ID, l.Slug = 42, "spring"
			res := c.CheckLink(context.Background(), Assign(&l, c.cfg.PublicURL))
			checkBasics(t, res, linkwatch.Target{Kind: linkwatch.KindLink, ID: 42})
			if res.Class != tt.class || res.Step != tt.step || res.Status != tt.status {
				t.Fatalf("class %q step %q status %d (%s), want %q %q %d",
					res.Class, res.Step, res.Status, res.Error, tt.class, tt.step, tt.status)
			}
			if !res.At.Equal(now) || res.FailedOver != tt.failedOver || len(res.Hops) != tt.hops {
				t.Errorf("at %v failed over %v hops %v, want %v %v %d hops", res.At, res.FailedOver, res.Hops, now, tt.failedOver, tt.hops)
			}
			if h := res.Hops[0]; h.URL != srv.URL+"/spring" || h.Status != tt.code {
				t.Errorf("first hop %+v, want the short link answering %d", h, tt.code)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(res.Error, s) {
					t.Errorf("Error %q does not contain %q", res.Error, s)
				}
			}
			red.mu.Lock()
			defer red.mu.Unlock()
			if len(red.agents) != 1 || !strings.Contains(red.agents[0], "Linkwatch-Prober/1 (region=eu-west)") {
				t.Errorf("redirector saw User-Agents %q", red.agents)
			}
		})
	}
}

func TestCheckLinkRedirectorDown(t *testing.T) {
	c := testChecker(t, func(cfg *Config) { cfg.PublicURL = mustURL(t, "http://"+closedAddr(t)) })
	res := c.CheckLink(context.Background(), Assign(&linkwatch.Link{ID: 1, Slug: "spring", Destination: "https://example.com/", RedirectCode: 302}, c.cfg.PublicURL))
	if res.Class != linkwatch.ClassConnect || res.Step != linkwatch.StepShortLink || len(res.Hops) != 1 || res.Status != 0 {
		t.Errorf("class %q step %q status %d hops %v (%s)", res.Class, res.Step, res.Status, res.Hops, res.Error)
	}
}

// TestCheckLinkHopBudget checks that a link's destination gets
// linkwatch.MaxHops redirects of its own, as in a browser (the short link's
// redirect is not one of them), and that every result still fits in
// linkwatch.MaxResultHops hops.
func TestCheckLinkHopBudget(t *testing.T) {
	d := newDestinationServer(t)
	for _, tt := range []struct {
		redirects int
		class     string
		hops      int // the short link's, the destination's redirects, the final response
	}{
		{10, "", 12},
		{20, "", 22},
		{21, linkwatch.ClassTooManyRedirects, 22},
	} {
		dest := d.URL + "/chain/" + strconv.Itoa(tt.redirects)
		red := &fakeRedirector{code: 302, location: dest}
		srv, _ := startServer(t, red)
		c := testChecker(t, func(cfg *Config) { cfg.PublicURL = mustURL(t, srv.URL) })
		res := c.CheckLink(context.Background(), Assign(&linkwatch.Link{ID: 1, Slug: "spring", Destination: dest, RedirectCode: 302}, c.cfg.PublicURL))
		if res.Class != tt.class || len(res.Hops) != tt.hops {
			t.Errorf("%d redirects: class %q (%s) with %d hops, want %q with %d", tt.redirects, res.Class, res.Error, len(res.Hops), tt.class, tt.hops)
		}
		if len(res.Hops) > linkwatch.MaxResultHops {
			t.Errorf("%d redirects: %d hops, more than MaxResultHops (%d)", tt.redirects, len(res.Hops), linkwatch.MaxResultHops)
		}
		if tt.class != "" && !strings.Contains(res.Error, "more than 20 redirects") {
			t.Errorf("%d redirects: error %q", tt.redirects, res.Error)
		}
	}
}
