package dashboard

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/qrcode"
)

// newLinksEnv is a frameEnv whose dashboard reads links from its store.
func newLinksEnv(t *testing.T) *frameEnv {
	return newFrameEnv(t, func(e *frameEnv, cfg *Config, deps *Deps) { deps.Links = e.store })
}

// addLink stores a link as the API would.
func (e *frameEnv) addLink(slug, dest string, tags ...string) *linkwatch.Link {
	e.t.Helper()
	l := &linkwatch.Link{Slug: slug, Destination: dest, Tags: tags, CreatedAt: e.clock.now().Add(-time.Hour),
		UpdatedAt: e.clock.now().Add(-time.Hour)}
	l.ApplyDefaults()
	if err := l.Validate(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.CreateLink(context.Background(), l); err != nil {
		e.t.Fatal(err)
	}
	return l
}

// check stores one check of link l from region, ago before now.
func (e *frameEnv) check(l *linkwatch.Link, region string, ago time.Duration, class string, status int) linkwatch.Result {
	e.t.Helper()
	at := e.clock.now().Add(-ago)
	r := linkwatch.Result{ID: fmt.Sprintf("%d-%s-%d", l.ID, region, at.UnixNano()), Region: region, Prober: "p-" + region,
		Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}, At: at, Step: linkwatch.StepDestination,
		Class: class, Status: status, Phases: linkwatch.Phases{Total: 120 * time.Millisecond}, FinalURL: l.Destination,
		Hops: []linkwatch.Hop{{URL: "http://lw.example.com/" + l.Slug, Status: 302, Duration: 20 * time.Millisecond},
			{URL: l.Destination, Status: status, Duration: 100 * time.Millisecond}}}
	if class != "" {
		r.Error = "status " + fmt.Sprint(status)
	}
	if err := e.store.InsertResults(context.Background(), []linkwatch.Result{r}); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// rowOf is the table row of slug on a links page, or "".
func rowOf(page, slug string) string {
	for _, row := range strings.Split(page, "<tr>") {
		if strings.Contains(row, `class="slug">`+slug+`</a>`) {
			return row
		}
	}
	return ""
}

var slugCell = regexp.MustCompile(`class="slug">([^<]+)</a>`)

func slugsOn(page string) []string {
	var out []string
	for _, m := range slugCell.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestLinksTable(t *testing.T) {
	e := newLinksEnv(t)
	up := e.addLink("spring", "https://shop.example.com/Spring-Sale", "spring24", "print")
	down := e.addLink("summer", "https://shop.example.com/summer", "summer24")
	e.addLink("never", "https://other.example.org/")
	slow := e.addLink("autumn", "https://slow.example.net/", "print")
	for _, region := range []string{"eu", "us"} {
		e.check(up, region, 2*time.Hour, "", 200)
		e.check(up, region, time.Minute, "", 200)
		e.check(down, region, 2*time.Minute, linkwatch.ClassHTTPStatus, 503)
		e.check(down, region, time.Minute, linkwatch.ClassHTTPStatus, 503)
	}
	e.check(slow, "eu", time.Minute, "", 200)
	e.check(slow, "us", time.Minute, linkwatch.ClassTimeout, 0)
	now := e.clock.now()
	if err := e.store.InsertScans(context.Background(), []linkwatch.Scan{
		{LinkID: up.ID, At: now.Add(-time.Hour), Source: linkwatch.SourceQR, Count: 3},
		{LinkID: up.ID, At: now.Add(-2 * time.Hour), Source: linkwatch.SourceLink},
		{LinkID: up.ID, At: now.Add(-30 * time.Minute), Source: linkwatch.SourceLink, Bot: true, Count: 9},
		{LinkID: up.ID, At: now.Add(-48 * time.Hour), Source: linkwatch.SourceQR, Count: 7},
	}); err != nil {
		t.Fatal(err)
	}

	b := e.browser()
	b.mustSignIn(e.read)
	code, _, page := b.get("/dashboard")
	if code != http.StatusOK {
		t.Fatalf("GET /dashboard: %d\n%s", code, page)
	}
	if got, want := slugsOn(page), []string{"autumn", "never", "summer", "spring"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("links on the page = %v, want %v (newest first)", got, want)
	}
	for _, tt := range []struct {
		slug  string
		wants []string
	}{
		{"spring", []string{"state-up", "Up", "eu", "us", "100%", "≤ 250ms", `<td class="num">4</td>`, "Scans per day over the last 7 days, oldest first: 0, 0, 0, 0, 7, 0, 4"}},
		{"summer", []string{"state-down", "Down", "http_status 503", "No fallback"}},
		{"never", []string{"state-unknown", "Unknown", "Not checked yet", "—"}},
		{"autumn", []string{"state-degraded", "Degraded", "timeout"}},
	} {
		row := rowOf(page, tt.slug)
		if row == "" {
			t.Errorf("no row for %s", tt.slug)
			continue
		}
		for _, w := range tt.wants {
			if !strings.Contains(row, w) {
				t.Errorf("row of %s lacks %q:\n%s", tt.slug, w, row)
			}
		}
	}
	if strings.Contains(page, `action="/dashboard/links/`) {
		t.Error("a read session's links page has a form that changes a link")
	}

	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"?q=SPRING", []string{"spring"}},
		{"?q=shop.example", []string{"summer", "spring"}},
		{"?tag=print", []string{"autumn", "spring"}},
		{"?tag=print&q=slow", []string{"autumn"}},
		{"?q=%25", nil},
		{"?q=nothing-like-it", nil},
	} {
		code, _, page := b.get("/dashboard" + tt.query)
		if code != http.StatusOK {
			t.Errorf("GET /dashboard%s: %d", tt.query, code)
			continue
		}
		if got := slugsOn(page); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("GET /dashboard%s shows %v, want %v", tt.query, got, tt.want)
		}
		if tt.want == nil && !strings.Contains(page, "No link matches") {
			t.Errorf("GET /dashboard%s: no \"No link matches\" message", tt.query)
		}
	}
}

func TestLinksTablePaging(t *testing.T) {
	e := newLinksEnv(t)
	for i := range linksPerPage + 5 {
		e.addLink(fmt.Sprintf("p%03d", i), "https://example.com/", "bulk")
	}
	b := e.browser()
	b.mustSignIn(e.read)
	_, _, first := b.get("/dashboard?tag=bulk")
	if n := len(slugsOn(first)); n != linksPerPage {
		t.Errorf("page 1 shows %d links, want %d", n, linksPerPage)
	}
	if !strings.Contains(first, `href="/dashboard?page=2&amp;tag=bulk" rel="next"`) || !strings.Contains(first, "Page 1 of 2") {
		t.Errorf("page 1 has no link to page 2 keeping the filter:\n%s", first)
	}
	_, _, second := b.get("/dashboard?tag=bulk&page=2")
	if got := slugsOn(second); fmt.Sprint(got) != "[p004 p003 p002 p001 p000]" {
		t.Errorf("page 2 shows %v, want the 5 oldest", got)
	}
	if !strings.Contains(second, `rel="prev"`) || strings.Contains(second, `rel="next"`) {
		t.Error("page 2 of 2 should link back and not on")
	}
	if code, _, far := b.get("/dashboard?page=99"); code != http.StatusOK || len(slugsOn(far)) != 0 || !strings.Contains(far, `rel="prev"`) {
		t.Errorf("a page past the end: %d, %v", code, slugsOn(far))
	}
}

func TestLinkPage(t *testing.T) {
	e := newLinksEnv(t)
	l := e.addLink("spring", "https://shop.example.com/spring", "spring24")
	e.check(l, "eu", time.Minute, "", 200)
	e.check(l, "us", time.Minute, linkwatch.ClassHTTPStatus, 502)
	if err := e.store.InsertScans(context.Background(), []linkwatch.Scan{
		{LinkID: l.ID, At: e.clock.now().Add(-time.Hour), Source: linkwatch.SourceQR, Count: 2, ReferrerHost: "news.example", Device: linkwatch.DeviceMobile},
		{LinkID: l.ID, At: e.clock.now().Add(-time.Hour), Source: linkwatch.SourceLink, Device: linkwatch.DeviceDesktop},
	}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.mustSignIn(e.read)
	for _, by := range []string{"", "?by=day"} {
		code, _, page := b.get("/dashboard/links/spring" + by)
		if code != http.StatusOK {
			t.Fatalf("GET link page%s: %d\n%s", by, code, page)
		}
		for _, w := range []string{
			`<span class="badge">302</span> <span class="mono">http://lw.example.com/spring</span>`, // the chain, hop by hop
			`<span class="badge">502</span> <span class="mono">https://shop.example.com/spring</span>`,
			"http_status 502", `class="chart chart-latency"`, `class="chart chart-scans"`, `class="bar-qr"`, `class="bar-link"`,
			"QR scans (lower, solid): 2", "link clicks (upper, lighter): 1", "news.example", "mobile",
			`action="/dashboard/links/spring/qr.png"`, `formaction="/dashboard/links/spring/qr.svg"`,
		} {
			if !strings.Contains(page, w) {
				t.Errorf("link page%s lacks %q", by, w)
			}
		}
		if strings.Contains(page, "/edit") || strings.Contains(page, "Check now</button>") || strings.Contains(page, `name="mode"`) {
			t.Errorf("a read session's link page%s shows controls", by)
		}
	}
	if code, _, _ := b.get("/dashboard/links/nope"); code != http.StatusNotFound {
		t.Errorf("an unknown link's page: %d, want 404", code)
	}
}

func TestLinkQRDownload(t *testing.T) {
	e := newLinksEnv(t)
	l := e.addLink("spring", "https://shop.example.com/spring")
	b := e.browser()
	b.mustSignIn(e.read)
	public, _ := url.Parse("http://lw.example.com")
	for _, tt := range []struct {
		path, ctype, file string
	}{
		{"/dashboard/links/spring/qr.png", "image/png", "spring-qr-256px-M.png"},
		{"/dashboard/links/spring/qr.png?size=512&ecc=H", "image/png", "spring-qr-512px-H.png"},
		{"/dashboard/links/spring/qr.svg?size=1024&ecc=l", "image/svg+xml", "spring-qr-1024px-L.svg"},
	} {
		resp, err := b.c.Get(e.srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tt.ctype {
			t.Errorf("%s: %d %q, want 200 %q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), tt.ctype)
			continue
		}
		if got, want := resp.Header.Get("Content-Disposition"), `attachment; filename=`+tt.file; got != want {
			t.Errorf("%s: Content-Disposition %q, want %q", tt.path, got, want)
		}
		if tt.ctype == "image/png" {
			text, err := qrcode.Decode(body)
			if err != nil || text != l.QRURL(public) {
				t.Errorf("%s decodes to %q, %v; want %q", tt.path, text, err, l.QRURL(public))
			}
		} else if !strings.HasPrefix(strings.TrimSpace(string(body)), "<") || !strings.Contains(string(body), "<svg") {
			t.Errorf("%s is not an SVG: %.80s", tt.path, body)
		}
	}
	for _, bad := range []string{"?size=10", "?size=big", "?ecc=Z"} {
		if code, _, _ := b.get("/dashboard/links/spring/qr.png" + bad); code != http.StatusBadRequest {
			t.Errorf("qr.png%s: %d, want 400", bad, code)
		}
	}
	// Without a session there is no QR code, only the way to sign in.
	resp, err := e.browser().c.Get(e.srv.URL + "/dashboard/links/spring/qr.png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("qr.png without a session: %d, want 303 to sign in", resp.StatusCode)
	}
}

func TestLinkEdit(t *testing.T) {
	e := newLinksEnv(t)
	e.addLink("spring", "https://shop.example.com/spring", "spring24")
	e.check(e.mustLink("spring"), "eu", time.Minute, "", 200)
	b := e.browser()
	csrf := b.mustSignIn(e.admin)
	edit := func(csrf string, f url.Values) (*http.Response, string) {
		f.Set("csrf", csrf)
		return b.post("/dashboard/links/spring/edit", f)
	}
	form := func(dest, interval string) url.Values {
		return url.Values{"destination": {dest}, "fallback_url": {"https://shop.example.com/"}, "tags": {"spring24, print"},
			"expires_at": {"2030-01-02T03:04"}, "check_interval": {interval}}
	}

	resp, body := edit(csrf, form("https://shop.example.com/spring-v2", "5m"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard/links/spring?saved=1" {
		t.Fatalf("a good edit: %d to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	l := e.mustLink("spring")
	if l.Destination != "https://shop.example.com/spring-v2" || l.FallbackURL != "https://shop.example.com/" ||
		fmt.Sprint(l.Tags) != "[spring24 print]" || l.CheckInterval != 5*time.Minute ||
		!l.ExpiresAt.Equal(time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)) {
		t.Errorf("after the edit the link is %+v", l)
	}
	_, _, page := b.get("/dashboard/links/spring?saved=1")
	if !strings.Contains(page, "Saved.") || !strings.Contains(page, "eu: <span aria-hidden=\"true\">…</span> not yet checked since the change") {
		t.Errorf("the page after the edit does not say which regions serve it:\n%s", page)
	}
	e.clock.add(time.Minute)
	e.check(l, "eu", 0, "", 200)
	_, _, page = b.get("/dashboard/links/spring?saved=1")
	if !strings.Contains(page, "already checked the link as it is now") {
		t.Error("a region that checked after the edit is not shown as serving it")
	}

	// The API's validation, shown next to the field it names.
	resp, body = edit(csrf, form("ftp://nope", "5m"))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a bad destination: %d, want 422", resp.StatusCode)
	}
	if !regexp.MustCompile(`<p class="field-error" id="f-destination-error">[^<]*http`).MatchString(body) ||
		!strings.Contains(body, `id="f-destination" name="destination" type="url" value="ftp://nope"`) {
		t.Errorf("the destination's error is not shown by the field, with the value kept:\n%s", body)
	}
	resp, body = edit(csrf, form("https://shop.example.com/x", "2ms"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-check_interval-error"`) {
		t.Errorf("a bad interval: %d, error not by the field", resp.StatusCode)
	}
	if got := e.mustLink("spring").Destination; got != "https://shop.example.com/spring-v2" {
		t.Errorf("a refused edit changed the destination to %q", got)
	}

	// No CSRF value, or another one: refused, nothing changed.
	for _, bad := range []string{"", "forged"} {
		if resp, _ := edit(bad, form("https://evil.example/", "5m")); resp.StatusCode != http.StatusForbidden {
			t.Errorf("edit with csrf %q: %d, want 403", bad, resp.StatusCode)
		}
	}
	if got := e.mustLink("spring").Destination; got != "https://shop.example.com/spring-v2" {
		t.Errorf("a forged edit changed the destination to %q", got)
	}

	// A read session has no form, and its POST is refused.
	r := e.browser()
	rcsrf := r.mustSignIn(e.read)
	_, _, page = r.get("/dashboard/links/spring")
	if strings.Contains(page, `/edit"`) || strings.Contains(page, `name="destination"`) {
		t.Error("a read session's link page has the edit form")
	}
	for _, path := range []string{"/edit", "/failover", "/check"} {
		resp, _ := r.post("/dashboard/links/spring"+path, url.Values{"csrf": {rcsrf}, "destination": {"https://evil.example/"}, "mode": {"fallback"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("a read session's POST %s: %d, want 403", path, resp.StatusCode)
		}
	}
	if l := e.mustLink("spring"); l.Destination != "https://shop.example.com/spring-v2" || l.Failover != linkwatch.FailoverAuto {
		t.Errorf("a read session changed the link: %+v", l)
	}
}

func TestLinkFailover(t *testing.T) {
	e := newLinksEnv(t)
	e.addLink("bare", "https://shop.example.com/bare")
	withFallback := e.addLink("spring", "https://shop.example.com/spring")
	if _, err := e.store.UpdateLink(context.Background(), "", "spring", func(l *linkwatch.Link) error {
		l.FallbackURL = "https://shop.example.com/"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_ = withFallback
	b := e.browser()
	csrf := b.mustSignIn(e.admin)
	for _, tt := range []struct {
		mode string
		want linkwatch.FailoverMode
	}{
		{"fallback", linkwatch.FailoverFallback},
		{"primary", linkwatch.FailoverPrimary},
		{"off", linkwatch.FailoverOff},
		{"auto", linkwatch.FailoverAuto},
	} {
		resp, body := b.post("/dashboard/links/spring/failover", url.Values{"csrf": {csrf}, "mode": {tt.mode}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("failover %s: %d\n%s", tt.mode, resp.StatusCode, body)
		}
		if got := e.mustLink("spring"); got.Failover != tt.want {
			t.Errorf("failover %s: the link's mode is %q, want %q", tt.mode, got.Failover, tt.want)
		}
		if tt.mode == "fallback" {
			if !e.mustLink("spring").FailoverActive(e.clock.now()) {
				t.Error("pinned to the fallback, the link does not serve it")
			}
			_, _, page := b.get("/dashboard/links/spring")
			if !strings.Contains(page, "Serving fallback") || !strings.Contains(page, "pinned to the fallback by hand") {
				t.Error("the page of a link pinned to its fallback does not say so")
			}
		}
	}
	resp, body := b.post("/dashboard/links/bare/failover", url.Values{"csrf": {csrf}, "mode": {"fallback"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "no fallback_url to pin to") {
		t.Errorf("pinning a link without a fallback: %d, the API's reason not shown", resp.StatusCode)
	}
}

func TestLinkCheckNow(t *testing.T) {
	e := newLinksEnv(t)
	l := e.addLink("spring", "https://shop.example.com/spring")
	b := e.browser()
	csrf := b.mustSignIn(e.admin)
	// No live prober: the API's reason.
	resp, body := b.post("/dashboard/links/spring/check", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "no live prober") {
		t.Errorf("check now without probers: %d, the API's reason not shown", resp.StatusCode)
	}
	// A live prober in eu whose answer (at the clock's now, so after the
	// request began) is already stored: the API finds it on its first look.
	ctx := context.Background()
	if err := e.store.Heartbeat(ctx, linkwatch.ProberInfo{ID: "p-eu", Region: "eu", Version: "test", LastSeen: e.clock.now()}); err != nil {
		t.Fatal(err)
	}
	e.check(l, "eu", 0, linkwatch.ClassHTTPStatus, 503)
	resp, body = b.post("/dashboard/links/spring/check", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("check now: %d\n%s", resp.StatusCode, body)
	}
	if !regexp.MustCompile(`(?s)<h3>Check now</h3>.*eu: <span class="state state-down">.*http_status 503`).MatchString(body) {
		t.Errorf("check now does not show eu's answer:\n%s", body)
	}
}

// mustLink reads a link on the default domain.
func (e *frameEnv) mustLink(slug string) *linkwatch.Link {
	e.t.Helper()
	l, err := e.store.LinkBySlug(context.Background(), "", slug)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}
