package dashboard

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/api"
	"github.com/linkwatch/linkwatch/storage/sqlite"
)

// BenchmarkLinksPage renders the links page (its first 50 links, and a
// search) on SQLite holding 10,000 links, each with the latest results of
// three regions, the page's links with a week of hourly rollups and scans:
// the server's side, from request to rendered HTML. The bound is
// 50 ms.
func BenchmarkLinksPage(b *testing.B) {
	const links, regions = 10_000, 3
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)
	regionNames := []string{"eu", "us", "ap"}[:regions]
	var batch []linkwatch.Result
	flush := func() {
		if err := st.InsertResults(ctx, batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	result := func(id int64, region string, at time.Time, fail bool) linkwatch.Result {
		r := linkwatch.Result{ID: fmt.Sprintf("%d-%s-%d", id, region, at.Unix()), Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: id},
			Region: region, Prober: "p-" + region, At: at, Step: linkwatch.StepDestination, Status: 200,
			Phases: linkwatch.Phases{Total: time.Duration(40+id%200) * time.Millisecond}}
		if fail {
			r.Class, r.Status = linkwatch.ClassHTTPStatus, 503
		}
		return r
	}
	var scans []linkwatch.Scan
	for i := range links {
		l := &linkwatch.Link{Slug: fmt.Sprintf("campaign-%05d", i), Destination: fmt.Sprintf("https://shop%d.example.com/offer/%d", i%50, i),
			Tags: []string{fmt.Sprintf("tag%d", i%20)}, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
		if i%10 == 0 {
			l.FallbackURL = "https://fallback.example.com/"
		}
		l.ApplyDefaults()
		if err := st.CreateLink(ctx, l); err != nil {
			b.Fatal(err)
		}
		for _, region := range regionNames {
			batch = append(batch, result(l.ID, region, now.Add(-30*time.Second), i%7 == 0))
		}
		if i >= links-2*linksPerPage { // the newest pages: a week of history
			for h := 1; h < 7*24; h++ {
				for _, region := range regionNames {
					batch = append(batch, result(l.ID, region, now.Add(-time.Duration(h)*time.Hour), h%50 == 0))
				}
			}
			for d := range 7 {
				scans = append(scans, linkwatch.Scan{LinkID: l.ID, At: now.Add(-time.Duration(d) * 24 * time.Hour),
					Source: linkwatch.SourceQR, Count: int64(d + 1)})
			}
		}
		if len(batch) >= 2000 {
			flush()
		}
	}
	flush()
	if err := st.InsertScans(ctx, scans); err != nil {
		b.Fatal(err)
	}

	tok, _ := linkwatch.NewToken("bench", []linkwatch.Scope{linkwatch.ScopeRead}, now)
	if err := st.CreateToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	id := newSessionID()
	if err := st.CreateSession(ctx, &linkwatch.Session{IDHash: hashID(id), TokenID: tok.ID, TokenHash: tok.Hash,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	public, _ := url.Parse("https://lw.example.com")
	clock := func() time.Time { return now }
	a := api.New(api.Config{PublicURL: public, Now: clock}, slog.New(slog.NewTextHandler(io.Discard, nil)),
		api.Stores{Links: st, Scans: st, Tokens: st, Monitors: st, Health: st, Probes: st, Alerts: st, Silences: st, Rules: st})
	d := New(Config{PublicURL: public, Now: clock}, Deps{API: a.Handler(), Tokens: a, Sessions: st, Links: st})
	h := d.Handler()

	// first and search are pages shown before (the settled hours of their
	// links' uptime cached); first-cold is the first page with nothing
	// cached, as after a restart.
	for _, page := range []struct {
		name, path, want string
		cold             bool
	}{
		{"first", "/dashboard", "campaign-09999", false},
		{"first-cold", "/dashboard", "campaign-09999", true},
		{"search", "/dashboard?q=SHOP7.example&tag=tag7", "campaign-09907", false},
	} {
		b.Run(page.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, page.path, nil)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: id})
			for b.Loop() {
				if page.cold {
					d.uptimes = newUptimeCache(uptimeCacheLinks)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), page.want) {
					b.Fatalf("GET %s: %d, without %s", page.path, w.Code, page.want)
				}
			}
		})
	}
}
