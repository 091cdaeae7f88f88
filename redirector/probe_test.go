package redirector

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
)

// startRedirector serves links through a real HTTP server and returns its
// URL, the scans it records and its metrics registry.
func startRedirector(t *testing.T, links ...*linkwatch.Link) (string, *scanSink, *prometheus.Registry) {
	t.Helper()
	cache := NewCache(newFakeLinks(links...), slog.New(slog.NewTextHandler(io.Discard, nil)))
	cache.apply(linkwatch.LinkChange{Reset: true})
	sink := &scanSink{}
	reg := prometheus.NewRegistry()
	durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "d"}, []string{"route", "code"})
	rd := New(Config{Now: func() time.Time { return now }}, cache, sink, reg, durations)
	srv := httptest.NewServer(rd.Handler(http.NotFoundHandler()))
	t.Cleanup(srv.Close)
	return srv.URL, sink, reg
}

// counterValue returns the value of an unlabelled counter in reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// get sends one GET with a User-Agent, not following redirects.
func get(t *testing.T, url, ua string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("User-Agent", ua)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestProbeRequestsAreNotScans(t *testing.T) {
	base, sink, reg := startRedirector(t,
		&linkwatch.Link{Slug: "spring", Destination: "https://shop.example.com/spring", RedirectCode: 302},
		&linkwatch.Link{Slug: "old", Destination: "https://example.com/old", RedirectCode: 302, ExpiresAt: now.Add(-time.Hour)},
	)
	// The prober's User-Agent: a phone's, with the marker (prober/check.go).
	prober := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
		"Version/17.0 Mobile/15E148 Safari/604.1 " + linkwatch.ProberUserAgentMarker + "1 (region=eu-west)"
	iphone := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"

	for i, tt := range []struct {
		path, ua string
		code     int
		location string
	}{
		{"/spring", prober, 302, "https://shop.example.com/spring"},
		{"/spring?lw=qr", prober, 302, "https://shop.example.com/spring"},
		{"/old", prober, 410, ""},
		{"/spring", iphone, 302, "https://shop.example.com/spring"},
		{"/spring", "Googlebot/2.1 (+http://www.google.com/bot.html)", 302, "https://shop.example.com/spring"},
	} {
		resp := get(t, base+tt.path, tt.ua)
		if resp.StatusCode != tt.code || resp.Header.Get("Location") != tt.location {
			t.Errorf("%d: %s answered %d %q, want %d %q", i, tt.path, resp.StatusCode, resp.Header.Get("Location"), tt.code, tt.location)
		}
	}

	if got := counterValue(t, reg, "linkwatch_probe_requests_total"); got != 3 {
		t.Errorf("linkwatch_probe_requests_total = %v, want 3", got)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	want := []linkwatch.Scan{
		{LinkID: 1, At: now, Source: "link", Device: "mobile"},
		{LinkID: 1, At: now, Source: "link", Device: "bot", Bot: true}, // other bots are still scans, flagged
	}
	if len(sink.scans) != len(want) {
		t.Fatalf("scans %+v, want %+v", sink.scans, want)
	}
	for i := range want {
		if sink.scans[i] != want[i] {
			t.Errorf("scan %d = %+v, want %+v", i, sink.scans[i], want[i])
		}
	}
}

func TestClassifyProber(t *testing.T) {
	for _, tt := range []struct {
		ua     string
		prober bool
		bot    bool
	}{
		{"Mozilla/5.0 (iPhone) Safari/604.1 Linkwatch-Prober/1 (region=eu)", true, true},
		{"linkwatch-prober/2", true, true},
		{"Linkwatch-Webhook/1", false, false},
		{"curl/8.0", false, true},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", false, false},
	} {
		c := newUACache()
		for range 2 { // a miss, then the cached class
			if got := c.classify(tt.ua); got.prober != tt.prober || got.bot != tt.bot {
				t.Errorf("classify(%q) = %+v, want prober %v bot %v", tt.ua, got, tt.prober, tt.bot)
			}
		}
	}
}
