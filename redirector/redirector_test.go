package redirector

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
)

// fakeLinks is an in-memory LinkStore whose WatchLinks sends one Reset.
type fakeLinks struct {
	mu    sync.Mutex
	links map[key]*linkwatch.Link
	feed  chan linkwatch.LinkChange
	err   error // returned by every read while set
	fails int   // reads that returned err
}

var _ LinkStore = (*fakeLinks)(nil)

func newFakeLinks(links ...*linkwatch.Link) *fakeLinks {
	f := &fakeLinks{links: map[key]*linkwatch.Link{}, feed: make(chan linkwatch.LinkChange, 16)}
	for i, l := range links {
		l.ID = int64(i + 1)
		f.links[key{l.Domain, l.Slug}] = l
	}
	return f
}

func (f *fakeLinks) LinkBySlug(_ context.Context, domain, slug string) (*linkwatch.Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		f.fails++
		return nil, f.err
	}
	l, ok := f.links[key{domain, slug}]
	if !ok {
		return nil, linkwatch.Errorf(linkwatch.ENOTFOUND, "no link")
	}
	c := *l
	return &c, nil
}

func (f *fakeLinks) ListLinks(_ context.Context, lf linkwatch.LinkFilter) ([]*linkwatch.Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		f.fails++
		return nil, f.err
	}
	out := []*linkwatch.Link{}
	for _, l := range f.links {
		if l.ID > lf.AfterID {
			c := *l
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *linkwatch.Link) int { return cmp.Compare(a.ID, b.ID) })
	if lf.Limit > 0 && len(out) > lf.Limit {
		out = out[:lf.Limit]
	}
	return out, nil
}

func (f *fakeLinks) WatchLinks(ctx context.Context, fn func(linkwatch.LinkChange)) error {
	fn(linkwatch.LinkChange{Reset: true})
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ch := <-f.feed:
			fn(ch)
		}
	}
}

func (f *fakeLinks) set(l *linkwatch.Link) {
	f.mu.Lock()
	f.links[key{l.Domain, l.Slug}] = l
	f.mu.Unlock()
	f.feed <- linkwatch.LinkChange{Domain: l.Domain, Slug: l.Slug}
}

// scanSink is a ScanRecorder keeping what it is given.
type scanSink struct {
	mu    sync.Mutex
	scans []linkwatch.Scan
}

func (s *scanSink) Record(sc linkwatch.Scan) {
	s.mu.Lock()
	s.scans = append(s.scans, sc)
	s.mu.Unlock()
}

func (s *scanSink) last() linkwatch.Scan {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scans[len(s.scans)-1]
}

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newTestRedirector(t *testing.T, store *fakeLinks) (http.Handler, *scanSink, *Cache) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cache := NewCache(store, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { cache.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, cache.Loaded)
	sink := &scanSink{}
	durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "d"}, []string{"route", "code"})
	rd := New(Config{CountryHeader: "CF-IPCountry", Now: func() time.Time { return now }}, cache, sink, prometheus.NewRegistry(), durations)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "next", http.StatusTeapot) })
	return rd.Handler(next), sink, cache
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRedirect(t *testing.T) {
	store := newFakeLinks(
		&linkwatch.Link{Slug: "spring", Destination: "https://shop.example.com/spring?utm_source=qr&a=1", RedirectCode: 302},
		&linkwatch.Link{Slug: "perm", Destination: "https://example.com/", RedirectCode: 301},
		&linkwatch.Link{Slug: "p308", Destination: "https://example.com/", RedirectCode: 308},
		&linkwatch.Link{Slug: "t307", Destination: "https://example.com/", RedirectCode: 307},
		&linkwatch.Link{Slug: "old", Destination: "https://example.com/old", RedirectCode: 302, ExpiresAt: now.Add(-time.Hour)},
		&linkwatch.Link{Slug: "oldfb", Destination: "https://example.com/old", FallbackURL: "https://example.com/fb", RedirectCode: 302, ExpiresAt: now.Add(-time.Hour)},
		&linkwatch.Link{Slug: "future", Destination: "https://example.com/f", RedirectCode: 302, ExpiresAt: now.Add(time.Hour)},
		&linkwatch.Link{Slug: "down", Destination: "https://example.com/primary", FallbackURL: "https://backup.example.com/", RedirectCode: 302, FailedOver: true},
		&linkwatch.Link{Slug: "spring", Domain: "go.brand.com", Destination: "https://brand.com/spring", RedirectCode: 307},
	)
	h, sink, _ := newTestRedirector(t, store)

	tests := []struct {
		name, method, host, target string
		code                       int
		location, cache            string
	}{
		{"temporary", "GET", "localhost:8080", "/spring", 302, "https://shop.example.com/spring?utm_source=qr&a=1", cacheTemporary},
		{"head", "HEAD", "localhost", "/spring", 302, "https://shop.example.com/spring?utm_source=qr&a=1", cacheTemporary},
		{"query merged, request wins", "GET", "localhost", "/spring?utm_source=billboard&b=2", 302, "https://shop.example.com/spring?a=1&b=2&utm_source=billboard", cacheTemporary},
		{"qr marker stripped", "GET", "localhost", "/spring?lw=qr", 302, "https://shop.example.com/spring?utm_source=qr&a=1", cacheTemporary},
		{"qr marker stripped, rest merged", "GET", "localhost", "/spring?lw=qr&x=1", 302, "https://shop.example.com/spring?a=1&utm_source=qr&x=1", cacheTemporary},
		{"301 cached publicly", "GET", "localhost", "/perm", 301, "https://example.com/", cachePermanent},
		{"308 cached publicly", "GET", "localhost", "/p308", 308, "https://example.com/", cachePermanent},
		{"307 private", "GET", "localhost", "/t307", 307, "https://example.com/", cacheTemporary},
		{"unknown", "GET", "localhost", "/nope", 404, "", "no-store"},
		{"expired", "GET", "localhost", "/old", 410, "", "no-store"},
		{"expired with fallback", "GET", "localhost", "/oldfb", 302, "https://example.com/fb", cacheTemporary},
		{"not yet expired", "GET", "localhost", "/future", 302, "https://example.com/f", cacheTemporary},
		{"failed over", "GET", "localhost", "/down", 302, "https://backup.example.com/", cacheNone},
		{"custom domain by host", "GET", "GO.BRAND.COM:443", "/spring", 307, "https://brand.com/spring", cacheTemporary},
		{"custom domain hides default links", "GET", "go.brand.com", "/perm", 404, "", "no-store"},
		{"reserved path goes to next", "GET", "localhost", "/healthz", 418, "", ""},
		{"nested path goes to next", "GET", "localhost", "/api/v1/links", 418, "", ""},
		{"POST goes to next", "POST", "localhost", "/spring", 418, "", ""},
		{"non-slug goes to next", "GET", "localhost", "/a.b", 418, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, nil)
			req.Host = tt.host
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.code {
				t.Fatalf("code = %d, want %d", rec.Code, tt.code)
			}
			if got := rec.Header().Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			if tt.cache != "" && rec.Header().Get("Cache-Control") != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", rec.Header().Get("Cache-Control"), tt.cache)
			}
			if tt.method == "HEAD" && rec.Body.Len() != 0 {
				t.Errorf("HEAD has a body")
			}
		})
	}
	if n := len(sink.scans); n != 12 {
		t.Errorf("recorded %d scans, want one per redirect, HEAD included (12)", n)
	}
}

func TestScanFields(t *testing.T) {
	store := newFakeLinks(
		&linkwatch.Link{Slug: "s", Destination: "https://example.com/", RedirectCode: 302},
		&linkwatch.Link{Slug: "fb", Destination: "https://example.com/", FallbackURL: "https://fb.example.com/", FailedOver: true, RedirectCode: 302},
	)
	h, sink, _ := newTestRedirector(t, store)
	iphone := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
	tests := []struct {
		target, ua, referer, country string
		want                         linkwatch.Scan
	}{
		{"/s?lw=qr", iphone, "", "de", linkwatch.Scan{LinkID: 1, At: now, Source: "qr", Device: "mobile", Country: "DE"}},
		{"/s", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120", "https://News.Example.org/a/b?c", "", linkwatch.Scan{LinkID: 1, At: now, Source: "link", Device: "desktop", ReferrerHost: "news.example.org"}},
		{"/s", "Googlebot/2.1 (+http://www.google.com/bot.html)", "", "XXX", linkwatch.Scan{LinkID: 1, At: now, Source: "link", Device: "bot", Bot: true}},
		{"/s", "", "not a url", "1A", linkwatch.Scan{LinkID: 1, At: now, Source: "link", Device: "bot", Bot: true}},
		{"/fb?lw=qr", "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)", "", "", linkwatch.Scan{LinkID: 2, At: now, Source: "qr", Device: "tablet", Fallback: true}},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", tt.target, nil)
		req.Header.Set("User-Agent", tt.ua)
		if tt.referer != "" {
			req.Header.Set("Referer", tt.referer)
		}
		if tt.country != "" {
			req.Header.Set("CF-IPCountry", tt.country)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		if got := sink.last(); got != tt.want {
			t.Errorf("%s %q: scan = %+v, want %+v", tt.target, tt.ua, got, tt.want)
		}
	}
}

func TestCacheFollowsChanges(t *testing.T) {
	store := newFakeLinks(&linkwatch.Link{Slug: "s", Destination: "https://one.example.com/", RedirectCode: 302})
	h, _, cache := newTestRedirector(t, store)
	location := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/s", nil))
		return rec.Header().Get("Location")
	}
	store.set(&linkwatch.Link{ID: 1, Slug: "s", Destination: "https://two.example.com/", RedirectCode: 302})
	waitFor(t, func() bool { return location() == "https://two.example.com/" })

	// With the database unreachable, a change cannot be fetched: the cached
	// link keeps redirecting, and the change lands once the database is back.
	store.mu.Lock()
	store.err = linkwatch.Errorf(linkwatch.EUNAVAILABLE, "database down")
	store.mu.Unlock()
	store.feed <- linkwatch.LinkChange{Slug: "s"}
	waitFor(t, func() bool { // the cache tried to fetch the change and failed
		store.mu.Lock()
		defer store.mu.Unlock()
		return store.fails > 0
	})
	if got := location(); got != "https://two.example.com/" {
		t.Fatalf("during outage Location = %q", got)
	}
	store.mu.Lock()
	store.err = nil
	store.links[key{"", "s"}] = &linkwatch.Link{ID: 1, Slug: "s", Destination: "https://three.example.com/", RedirectCode: 302}
	store.mu.Unlock()
	waitFor(t, func() bool { return location() == "https://three.example.com/" })

	store.mu.Lock()
	delete(store.links, key{"", "s"})
	store.mu.Unlock()
	store.feed <- linkwatch.LinkChange{Slug: "s"}
	waitFor(t, func() bool { return cache.Len() == 0 })
}

func TestNotLoadedIs503(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cache := NewCache(newFakeLinks(), log) // never run: not loaded
	durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "d"}, []string{"route", "code"})
	rd := New(Config{}, cache, &scanSink{}, prometheus.NewRegistry(), durations)
	rec := httptest.NewRecorder()
	rd.Handler(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 503 {
		t.Fatalf("code = %d, want 503", rec.Code)
	}
}

func TestMergeQuery(t *testing.T) {
	const dest = "https://e.com/p?a=1&b=2#frag"
	tests := []struct{ raw, want, source string }{
		{"", dest, "link"},
		{"lw=qr", dest, "qr"},
		{"lw=qr&lw=qr", dest, "qr"},
		{"lw=other", "https://e.com/p?a=1&b=2&lw=other#frag", "link"},
		{"b=9&c=3", "https://e.com/p?a=1&b=9&c=3#frag", "link"},
		{"%zz=1&c=3", "https://e.com/p?a=1&b=2&c=3#frag", "link"},
		{"a=x&a=y", "https://e.com/p?a=x&a=y&b=2#frag", "link"},
	}
	for _, tt := range tests {
		got, src := mergeQuery(dest, tt.raw)
		if got != tt.want || src != tt.source {
			t.Errorf("mergeQuery(%q) = %q, %q; want %q, %q", tt.raw, got, src, tt.want, tt.source)
		}
	}
}
