package redirector

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// TestFailoverResponses: a link serving its fallback because of failover
// answers 302 with no-store whatever its own code, and its scans say the
// fallback was served; an expired link's fallback keeps the link's code.
func TestFailoverResponses(t *testing.T) {
	const primary, backup = "https://shop.example.com/", "https://backup.example.com/"
	store := newFakeLinks(
		&linkwatch.Link{Slug: "perm", Destination: primary, FallbackURL: backup, RedirectCode: 301, Failover: linkwatch.FailoverAuto, FailedOver: true},
		&linkwatch.Link{Slug: "p308", Destination: primary, FallbackURL: backup, RedirectCode: 308, Failover: linkwatch.FailoverFallback},
		&linkwatch.Link{Slug: "pinprimary", Destination: primary, FallbackURL: backup, RedirectCode: 301, Failover: linkwatch.FailoverPrimary, FailedOver: true},
		&linkwatch.Link{Slug: "off", Destination: primary, FallbackURL: backup, RedirectCode: 307, Failover: linkwatch.FailoverOff, FailedOver: true},
		&linkwatch.Link{Slug: "auto", Destination: primary, FallbackURL: backup, RedirectCode: 301, Failover: linkwatch.FailoverAuto},
		&linkwatch.Link{Slug: "expired", Destination: primary, FallbackURL: backup, RedirectCode: 301, FailedOver: true, ExpiresAt: now.Add(-time.Hour)},
		&linkwatch.Link{Slug: "nofb", Destination: primary, RedirectCode: 301, Failover: linkwatch.FailoverFallback},
	)
	h, sink, _ := newTestRedirector(t, store)
	for _, tt := range []struct {
		slug, query     string
		code            int
		location, cache string
		fallback        bool
	}{
		{"perm", "", 302, backup, cacheNone, true},
		{"perm", "?lw=qr&utm_source=poster", 302, backup + "?utm_source=poster", cacheNone, true},
		{"p308", "", 302, backup, cacheNone, true},
		{"pinprimary", "", 301, primary, cachePermanent, false},
		{"off", "", 307, primary, cacheTemporary, false},
		{"auto", "", 301, primary, cachePermanent, false},
		{"expired", "", 301, backup, cachePermanent, true},
		{"nofb", "", 301, primary, cachePermanent, false},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/"+tt.slug+tt.query, nil))
		if rec.Code != tt.code || rec.Header().Get("Location") != tt.location || rec.Header().Get("Cache-Control") != tt.cache {
			t.Errorf("%s%s: %d %q %q, want %d %q %q", tt.slug, tt.query, rec.Code, rec.Header().Get("Location"),
				rec.Header().Get("Cache-Control"), tt.code, tt.location, tt.cache)
		}
		if sc := sink.last(); sc.Fallback != tt.fallback {
			t.Errorf("%s: scan fallback = %v, want %v", tt.slug, sc.Fallback, tt.fallback)
		}
	}
}

// TestFailoverFollowsChangesAndOutlivesTheDatabase: a switch reaches the
// redirector through the change feed; while the database is unreachable the
// redirector keeps the failover state it last knew, through failed refreshes
// and a failed full reload; when it returns, the return to the primary lands.
func TestFailoverFollowsChangesAndOutlivesTheDatabase(t *testing.T) {
	link := linkwatch.Link{Slug: "s", Destination: "https://shop.example.com/", FallbackURL: "https://backup.example.com/",
		RedirectCode: 301, Failover: linkwatch.FailoverAuto}
	l := link
	store := newFakeLinks(&l)
	h, _, _ := newTestRedirector(t, store)
	get := func() (int, string, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/s", nil))
		return rec.Code, rec.Header().Get("Location"), rec.Header().Get("Cache-Control")
	}
	failed := link
	failed.ID, failed.FailedOver = 1, true
	store.set(&failed)
	waitFor(t, func() bool { _, loc, _ := get(); return loc == "https://backup.example.com/" })

	store.mu.Lock()
	store.err = linkwatch.Errorf(linkwatch.EUNAVAILABLE, "database down")
	store.mu.Unlock()
	store.feed <- linkwatch.LinkChange{Slug: "s"}
	store.feed <- linkwatch.LinkChange{Reset: true}
	waitFor(t, func() bool { // both the refresh and the full reload were tried and failed
		store.mu.Lock()
		defer store.mu.Unlock()
		return store.fails >= 2
	})
	if code, loc, cache := get(); code != 302 || loc != "https://backup.example.com/" || cache != cacheNone {
		t.Fatalf("during the outage: %d %q %q, want the fallback, 302, no-store", code, loc, cache)
	}

	back := link
	back.ID = 1
	store.mu.Lock()
	store.err = nil
	store.links[key{"", "s"}] = &back
	store.mu.Unlock()
	waitFor(t, func() bool { code, loc, _ := get(); return code == 301 && loc == "https://shop.example.com/" })
}
