package statuspage

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
)

// pageNow is the fixture's instant: a Saturday afternoon, before Berlin's
// summer time (CET, +01:00).
var pageNow = time.Date(2025, 3, 15, 14, 30, 0, 0, time.UTC)

// pageFixtureOptions shape the fixture snapshot.
type pageFixtureOptions struct {
	groups, components int // components: non-group ones
	resolved           int // resolved incidents, one every 2 days back
	text               func(field string, i int) string
}

// pageFixture builds a realistic snapshot: groups one level deep, 90 days
// of uptime per component with some no-data and outage days, a week of
// hourly latency with gaps, an unresolved incident with two updates, a
// maintenance in progress and one upcoming, and resolved incidents.
func pageFixture(o pageFixtureOptions) *Snapshot {
	if o.text == nil {
		o.text = func(field string, i int) string { return fmt.Sprintf("%s %d", field, i) }
	}
	today := pageNow.Truncate(24 * time.Hour)
	s := &Snapshot{
		Page:      Page{ID: "linkwatch", Name: o.text("Page", 0), URL: "https://status.example.com/status", TimeZone: "Europe/Berlin"},
		Built:     pageNow,
		UpdatedAt: pageNow.Add(-3 * time.Minute),
		Status:    Overall{Indicator: IndicatorMinor, Description: "Partially Degraded Service"},
	}
	var groups []int
	for g := 0; g < o.groups; g++ {
		groups = append(groups, len(s.Components))
		s.Components = append(s.Components, ComponentView{
			Component: Component{ID: "group-" + strconv.Itoa(g), Name: o.text("Group", g), Description: o.text("Group description", g), Group: true, Position: len(s.Components)},
			Status:    Operational,
		})
		per := o.components / (o.groups + 1)
		for c := 0; c < per; c++ {
			s.Components = append(s.Components, pageFixtureComponent(o, len(s.Components), "group-"+strconv.Itoa(g), today))
		}
	}
	for len(s.Components)-o.groups < o.components {
		s.Components = append(s.Components, pageFixtureComponent(o, len(s.Components), "", today))
	}
	// statuses: one degraded (the incident), one under maintenance, one hidden
	s.Components[1].Status = DegradedPerformance
	s.Components[2].Status = UnderMaintenance
	s.Components[3].OnlyShowIfDegraded, s.Components[3].Hidden = true, true
	for _, g := range groups {
		for i := range s.Components {
			if s.Components[i].GroupID == s.Components[g].ID {
				s.Components[g].Children = append(s.Components[g].Children, s.Components[i].ID)
				s.Components[g].Status = worse(s.Components[g].Status, s.Components[i].Status)
			}
		}
	}

	open := Incident{
		ID: "inc-open", Name: o.text("Incident", 0), Status: Identified, Impact: ImpactMinor,
		Components: []Affected{{ComponentID: s.Components[1].ID, Status: DegradedPerformance}},
		CreatedAt:  pageNow.Add(-50 * time.Minute), StartedAt: pageNow.Add(-50 * time.Minute), UpdatedAt: pageNow.Add(-10 * time.Minute),
		Updates: []Update{
			{ID: "u2", IncidentID: "inc-open", Status: Identified, Body: o.text("Latest update", 0) + "\nSecond line.", CreatedAt: pageNow.Add(-10 * time.Minute), DisplayAt: pageNow.Add(-10 * time.Minute)},
			{ID: "u1", IncidentID: "inc-open", Status: Investigating, Body: o.text("First update", 0), CreatedAt: pageNow.Add(-50 * time.Minute), DisplayAt: pageNow.Add(-50 * time.Minute)},
		},
	}
	s.Incidents = append(s.Incidents, open)
	for i := 1; i <= o.resolved; i++ {
		start := pageNow.Add(-time.Duration(i) * 47 * time.Hour)
		s.Incidents = append(s.Incidents, Incident{
			ID: "inc-" + strconv.Itoa(i), Name: o.text("Incident", i), Status: Resolved, Impact: []string{ImpactMinor, ImpactMajor, ImpactCritical, ImpactNone}[i%4],
			Components: []Affected{{ComponentID: s.Components[4].ID, Status: MajorOutage}},
			CreatedAt:  start, StartedAt: start, UpdatedAt: start.Add(time.Hour), ResolvedAt: start.Add(time.Hour),
			Updates: []Update{
				{ID: "r" + strconv.Itoa(i) + "b", Status: Resolved, Body: o.text("Resolved update", i), CreatedAt: start.Add(time.Hour), DisplayAt: start.Add(time.Hour)},
				{ID: "r" + strconv.Itoa(i) + "a", Status: Investigating, Body: o.text("Investigating update", i), CreatedAt: start, DisplayAt: start},
			},
		})
	}
	s.Incidents = append(s.Incidents, Incident{ID: "inc-draft", Name: "Draft incident never shown", Status: Investigating, Impact: ImpactMajor,
		Draft: true, CreatedAt: pageNow.Add(-5 * time.Minute), StartedAt: pageNow.Add(-5 * time.Minute), UpdatedAt: pageNow.Add(-5 * time.Minute),
		Updates: []Update{{ID: "d1", Status: Investigating, Body: "draft body", CreatedAt: pageNow.Add(-5 * time.Minute)}}})
	s.Maintenances = []Incident{
		{ID: "maint-now", Name: o.text("Maintenance in progress", 0), Status: InProgress, Impact: ImpactMinor, Maintenance: true,
			Components:   []Affected{{ComponentID: s.Components[2].ID, Status: UnderMaintenance}},
			ScheduledFor: pageNow.Add(-time.Hour), ScheduledUntil: pageNow.Add(time.Hour),
			CreatedAt: pageNow.Add(-72 * time.Hour), StartedAt: pageNow.Add(-time.Hour), UpdatedAt: pageNow.Add(-time.Hour),
			Updates: []Update{{ID: "m1", Status: InProgress, Body: o.text("Maintenance update", 0), CreatedAt: pageNow.Add(-time.Hour), DisplayAt: pageNow.Add(-time.Hour)}}},
		{ID: "maint-next", Name: o.text("Upcoming maintenance", 0), Status: Scheduled, Impact: ImpactNone, Maintenance: true,
			ScheduledFor: pageNow.Add(48 * time.Hour), ScheduledUntil: pageNow.Add(50 * time.Hour),
			CreatedAt: pageNow.Add(-24 * time.Hour), UpdatedAt: pageNow.Add(-24 * time.Hour),
			Updates: []Update{{ID: "m2", Status: Scheduled, Body: o.text("Maintenance plan", 1), CreatedAt: pageNow.Add(-24 * time.Hour), DisplayAt: pageNow.Add(-24 * time.Hour)}}},
	}
	return s
}

func pageFixtureComponent(o pageFixtureOptions, i int, group string, today time.Time) ComponentView {
	c := ComponentView{
		Component: Component{ID: "comp-" + strconv.Itoa(i), Name: o.text("Component", i), Description: o.text("Description", i),
			GroupID: group, Position: i, Link: "secret-slug-" + strconv.Itoa(i)},
		Status:    Operational,
		Uptime24h: Figure{Value: 1, OK: true},
		Uptime7d:  Figure{Value: 0.99953, OK: true},
		Uptime30d: Figure{Value: 0.9987, OK: true},
		Uptime90d: Figure{Value: 0.9971, OK: true},
	}
	if i%5 == 0 {
		c.Uptime24h = Figure{}
	}
	c.Days = make([]Day, 90)
	for d := range c.Days {
		day := Day{Date: today.AddDate(0, 0, d-89), Observed: 24 * time.Hour}
		switch {
		case d < 5 && i%3 == 0, d == 40+i%7: // not monitored yet; a gap
			day.Observed = 0
		case d == 60+i%11: // an outage
			day.Major = 2 * time.Hour
			day.Incidents = []string{o.text("Incident", 2)}
		case d == 70+i%5:
			day.Partial = 3 * time.Hour
		case d == 80:
			day.Major = 10 * time.Minute
		case d == 85:
			day.Maintenance = time.Hour
		}
		if d == 89 {
			day.Observed = 14*time.Hour + 30*time.Minute
		}
		c.Days[d] = day
	}
	end := pageNow.Truncate(time.Hour)
	for h := 167; h >= 0; h-- {
		if h%37 == 5 || h == 100 || h == 101 {
			continue // gaps: no data those hours
		}
		avg := time.Duration(80+(h*7+i*13)%120) * time.Millisecond
		c.Latency = append(c.Latency, LatencyPoint{Hour: end.Add(-time.Duration(h) * time.Hour), Avg: avg, P95: 2 * avg})
	}
	return c
}

// newPageServer publishes s (unless nil) on a new handler behind a real
// server, and returns a client that does not ask for gzip on its own.
func newPageServer(t testing.TB, s *Snapshot) (*Handler, *httptest.Server, *http.Client) {
	t.Helper()
	h, err := NewHandler(HandlerOptions{Now: func() time.Time { return pageNow }})
	if err != nil {
		t.Fatal(err)
	}
	if s != nil {
		if err := h.Publish(s); err != nil {
			t.Fatal(err)
		}
	}
	r := chi.NewRouter()
	h.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return h, srv, &http.Client{Transport: &http.Transport{DisableCompression: true}}
}

type pageResponse struct {
	code   int
	header http.Header
	body   string
}

func fetch(t testing.TB, c *http.Client, method, url string, hdr ...string) pageResponse {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return pageResponse{resp.StatusCode, resp.Header, string(b)}
}

func defaultFixture() *Snapshot {
	return pageFixture(pageFixtureOptions{groups: 3, components: 20, resolved: 25})
}

func TestHandlerUnavailableBeforePublish(t *testing.T) {
	h, srv, c := newPageServer(t, nil)
	for _, p := range []string{"/status", "/status/", "/status/history", "/status/embed", "/status/history.atom",
		"/status/history.rss", "/status/incidents/x", "/status/badge/comp-1.svg", "/api/v2/summary.json"} {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			r := fetch(t, c, m, srv.URL+p)
			if r.code != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "5" {
				t.Errorf("%s %s before Publish: %d, Retry-After %q; want 503, 5", m, p, r.code, r.header.Get("Retry-After"))
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s %s before Publish: Cache-Control %q", m, p, cc)
			}
		}
	}
	// assets need no snapshot
	if r := fetch(t, c, http.MethodGet, srv.URL+"/status/assets/style.css"); r.code != http.StatusOK {
		t.Errorf("asset before Publish: %d", r.code)
	}
	if err := h.Publish(defaultFixture()); err != nil {
		t.Fatal(err)
	}
	if r := fetch(t, c, http.MethodGet, srv.URL+"/status"); r.code != http.StatusOK {
		t.Errorf("after Publish: %d", r.code)
	}
}

func TestStatusPage(t *testing.T) {
	s := defaultFixture()
	_, srv, c := newPageServer(t, s)
	r := fetch(t, c, http.MethodGet, srv.URL+"/status")
	if r.code != http.StatusOK {
		t.Fatalf("GET /status: %d", r.code)
	}
	body := r.body
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	must := func(what, sub string) {
		t.Helper()
		if !strings.Contains(body, sub) {
			t.Errorf("%s: %q not in the page", what, sub)
		}
	}
	must("lang", `<html lang="en">`)
	must("title", "<title>Page 0</title>")
	must("skip link", `<a class="skip" href="#main">`)
	must("landmarks", `<main id="main"`)
	must("landmarks", "<header")
	must("landmarks", "<footer")
	must("nav", `<nav aria-label="Status page">`)
	must("banner", `class="banner i-minor" role="status"`)
	must("banner text", "<span>Partially Degraded Service</span>")
	must("banner icon", `<use href="#i-warn"/>`)
	must("stylesheet", `<link rel="stylesheet" href="/status/assets/style.`)
	must("script", `<script defer src="/status/assets/refresh.`)
	if n := strings.Count(body, "<script"); n != 1 {
		t.Errorf("%d <script> elements, want the one deferred asset", n)
	}
	if strings.Contains(body, "style=") || strings.Contains(body, "<style") {
		t.Error("inline style in the page (the CSP forbids it)")
	}

	// the degraded component's row: name, status words, 90 days, figures
	row := componentRowHTML(t, body, "Component 1")
	for _, sub := range []string{"Degraded performance", "Description 1", "<dt>24 h</dt>", "<dt>90 d</dt>", "99.71%", "99.95%", "99.87%"} {
		if !strings.Contains(row, sub) {
			t.Errorf("component row lacks %q:\n%s", sub, row)
		}
	}
	if n := strings.Count(row, "<rect "); n != 90 {
		t.Errorf("component row has %d day rects, want 90", n)
	}
	if !strings.Contains(row, `class="u0"><title>Mar 6, 2025: No data</title>`) && !strings.Contains(row, ": No data") {
		t.Errorf("no no-data day in the row")
	}
	if !regexp.MustCompile(`class="u4"><title>[^<]*: 91\.66% uptime, major outage 2 h\. Incidents: Incident 2</title>`).MatchString(row) {
		t.Errorf("no red outage day with its incident in the row")
	}
	if !strings.Contains(row, "Mar 15, 2025 (today): 100% uptime") {
		t.Errorf("today's rect lacks its text")
	}
	for _, class := range []string{"u0", "u1", "u3", "u4"} {
		if !strings.Contains(row, `class="`+class+`"`) {
			t.Errorf("no %s day in the row", class)
		}
	}
	if !strings.Contains(row, `<svg class="chart"`) || !strings.Contains(row, "<polyline") || !strings.Contains(row, "<desc id=") {
		t.Errorf("no response-time chart in the row")
	}
	if r := componentRowHTML(t, body, "Component 5"); !strings.Contains(r, "<dt>24 h</dt><dd>—</dd>") {
		t.Errorf("no-data figure not shown as —")
	}
	maint := componentRowHTML(t, body, "Component 2")
	if !strings.Contains(maint, "Under maintenance") || !strings.Contains(maint, `<use href="#i-maint"/>`) {
		t.Errorf("maintained component: %s", maint)
	}
	// hidden component and draft incident are not shown; neither are link slugs
	for _, sub := range []string{">Component 3<", "Draft incident", "secret-slug"} {
		if strings.Contains(body, sub) {
			t.Errorf("%q on the page", sub)
		}
	}
	// groups: a group row, its children indented under it, opened when not operational
	must("group", `<details data-k="group-0" open>`)
	must("children", `<ul class="children">`)

	// the active incident with its latest update only
	active := sectionHTML(t, body, "active-h")
	for _, sub := range []string{"Incident 0", `href="/status/incidents/inc-open"`, "Latest update 0\nSecond line.", "Identified", "Affected: Component 1", `datetime="2025-03-15T15:20:00&#43;01:00"`} {
		if !strings.Contains(active, sub) {
			t.Errorf("active incidents lack %q:\n%s", sub, active)
		}
	}
	if strings.Contains(active, "First update 0") {
		t.Error("active incident shows more than its latest update")
	}
	must("pre-line body", `<p class="body">`)
	if !strings.Contains(sectionHTML(t, body, "maint-now-h"), "Maintenance in progress 0") {
		t.Error("no maintenance in progress")
	}
	next := sectionHTML(t, body, "maint-next-h")
	if !strings.Contains(next, "Upcoming maintenance 0") || !strings.Contains(next, "Mar 17, 2025 15:30 – 17:30 CET") {
		t.Errorf("upcoming maintenance: %s", next)
	}
	past := sectionHTML(t, body, "past-h")
	if n := strings.Count(past, "<h3>"); n != 14 {
		t.Errorf("past incidents: %d days, want 14", n)
	}
	for _, sub := range []string{"Incident 1", "Incident 6", "No incidents reported.", `href="/status/history"`} {
		if !strings.Contains(past, sub) {
			t.Errorf("past incidents lack %q", sub)
		}
	}
	if strings.Contains(past, ">Incident 8<") {
		t.Error("past incidents go back more than 14 days")
	}
	must("time zone", "Times are shown in Europe/Berlin")

	// /status/ is the same page
	if r2 := fetch(t, c, http.MethodGet, srv.URL+"/status/"); r2.code != http.StatusOK || r2.body != body {
		t.Errorf("/status/: %d, same body %v", r2.code, r2.body == body)
	}
}

// componentRowHTML cuts the page from a component's name to the next one's.
func componentRowHTML(t *testing.T, body, name string) string {
	t.Helper()
	start := strings.Index(body, `<span class="comp-name">`+name+`</span>`)
	if start < 0 {
		t.Fatalf("no row for %q", name)
	}
	rest := body[start+10:]
	if end := strings.Index(rest, `<span class="comp-name">`); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

func sectionHTML(t *testing.T, body, id string) string {
	t.Helper()
	start := strings.Index(body, `aria-labelledby="`+id+`"`)
	if start < 0 {
		t.Fatalf("no section %s", id)
	}
	rest := body[start:]
	return rest[:strings.Index(rest, "</section>")]
}

func TestStatusPageSecurityHeaders(t *testing.T) {
	_, srv, c := newPageServer(t, defaultFixture())
	for _, p := range []string{"/status", "/status/history", "/status/incidents/inc-open"} {
		r := fetch(t, c, http.MethodGet, srv.URL+p)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'self'") ||
			strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if r.header.Get("X-Frame-Options") != "SAMEORIGIN" || r.header.Get("X-Content-Type-Options") != "nosniff" ||
			r.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", p, r.header)
		}
		if r.header.Get("Cache-Control") != "public, max-age=10" || r.header.Get("Etag") == "" || r.header.Get("Last-Modified") != "Sat, 15 Mar 2025 14:27:00 GMT" {
			t.Errorf("%s: caching headers %v", p, r.header)
		}
	}
}

func TestEmbed(t *testing.T) {
	_, srv, c := newPageServer(t, defaultFixture())
	r := fetch(t, c, http.MethodGet, srv.URL+"/status/embed")
	if r.code != http.StatusOK {
		t.Fatalf("GET /status/embed: %d", r.code)
	}
	if xfo := r.header.Get("X-Frame-Options"); xfo != "" {
		t.Errorf("embed has X-Frame-Options %q", xfo)
	}
	csp := r.header.Get("Content-Security-Policy")
	if strings.Contains(csp, "frame-ancestors") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("embed CSP %q", csp)
	}
	if strings.Contains(r.body, `rel="stylesheet"`) {
		t.Error("embed is not self-contained")
	}
	// It refreshes by script only: a meta refresh reloads under a reader
	// (WCAG 2.2.1). The script is a file of the server's the CSP allows,
	// and it may fetch the widget again.
	if strings.Contains(strings.ToLower(r.body), "http-equiv") {
		t.Error("embed refreshes with <meta http-equiv>")
	}
	m := regexp.MustCompile(`<script defer src="(/status/assets/refresh\.[0-9a-f]+\.js)" data-swap="a\.w"></script>`).FindStringSubmatch(r.body)
	if m == nil || strings.Count(r.body, "<script") != 1 {
		t.Fatalf("embed has no refresh script file (or more scripts):\n%s", r.body)
	}
	if js := fetch(t, c, http.MethodGet, srv.URL+m[1]); js.code != http.StatusOK || !strings.Contains(js.body, "setTimeout") ||
		!strings.HasPrefix(js.header.Get("Content-Type"), "text/javascript") {
		t.Errorf("%s: %d %q", m[1], js.code, js.header.Get("Content-Type"))
	}
	for _, want := range []string{"script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want+";") {
			t.Errorf("embed CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("embed CSP %q allows inline script or style", csp)
	}
	for _, sub := range []string{"Partially Degraded Service", `href="/status"`, `target="_blank"`, "1 active incident", "Page 0"} {
		if !strings.Contains(r.body, sub) {
			t.Errorf("embed lacks %q", sub)
		}
	}
	// the inline stylesheet is exactly the one the CSP hashes
	css := r.body[strings.Index(r.body, "<style>")+7 : strings.Index(r.body, "</style>")]
	sum := sha256Base64(css)
	if !strings.Contains(csp, "'sha256-"+sum+"'") {
		t.Errorf("embed CSP %q does not allow its stylesheet (sha256-%s)", csp, sum)
	}
}

func TestConditionalRequests(t *testing.T) {
	_, srv, c := newPageServer(t, defaultFixture())
	for _, p := range []string{"/status", "/status/embed", "/status/history", "/status/history?page=2", "/status/incidents/inc-1",
		"/status/history.atom", "/status/history.rss", "/api/v2/summary.json", "/api/v2/incidents/unresolved.json",
		"/status/badge/comp-1.svg", "/status/badge/comp-1/uptime.svg?window=7d"} {
		r := fetch(t, c, http.MethodGet, srv.URL+p)
		if r.code != http.StatusOK {
			t.Errorf("GET %s: %d", p, r.code)
			continue
		}
		etag, lm := r.header.Get("Etag"), r.header.Get("Last-Modified")
		if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(etag) || lm == "" {
			t.Errorf("%s: ETag %q, Last-Modified %q", p, etag, lm)
			continue
		}
		for _, hdr := range [][]string{
			{"If-None-Match", etag},
			{"If-None-Match", "W/" + etag},
			{"If-None-Match", `"nope", ` + etag},
			{"If-None-Match", "*"},
			{"If-Modified-Since", lm},
			{"If-Modified-Since", "Sun, 16 Mar 2025 00:00:00 GMT"},
		} {
			r2 := fetch(t, c, http.MethodGet, srv.URL+p, hdr...)
			if r2.code != http.StatusNotModified || r2.body != "" || r2.header.Get("Etag") != etag {
				t.Errorf("%s with %s: %d %q", p, hdr, r2.code, r2.header.Get("Etag"))
			}
		}
		for _, hdr := range [][]string{
			{"If-None-Match", `"other"`},
			{"If-Modified-Since", "Sat, 15 Mar 2025 14:26:59 GMT"},
		} {
			if r2 := fetch(t, c, http.MethodGet, srv.URL+p, hdr...); r2.code != http.StatusOK || r2.body != r.body {
				t.Errorf("%s with %s: %d", p, hdr, r2.code)
			}
		}
		// If-None-Match wins over If-Modified-Since
		req, _ := http.NewRequest(http.MethodGet, srv.URL+p, nil)
		req.Header.Set("If-None-Match", `"other"`)
		req.Header.Set("If-Modified-Since", lm)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: a failed If-None-Match with a matching If-Modified-Since gave %d", p, resp.StatusCode)
		}
	}
}

func TestHead(t *testing.T) {
	_, srv, c := newPageServer(t, defaultFixture())
	for _, p := range []string{"/status", "/status/embed", "/status/history", "/status/incidents/inc-open", "/status/history.atom",
		"/status/history.rss", "/api/v2/summary.json", "/status/badge/comp-1.svg", "/status/assets/style.css"} {
		get := fetch(t, c, http.MethodGet, srv.URL+p)
		head := fetch(t, c, http.MethodHead, srv.URL+p)
		if head.code != http.StatusOK || head.body != "" {
			t.Errorf("HEAD %s: %d, %d bytes", p, head.code, len(head.body))
		}
		if head.header.Get("Content-Length") != strconv.Itoa(len(get.body)) || head.header.Get("Etag") != get.header.Get("Etag") ||
			head.header.Get("Content-Type") != get.header.Get("Content-Type") {
			t.Errorf("HEAD %s: headers %v, GET's %v (%d bytes)", p, head.header, get.header, len(get.body))
		}
	}
}

func TestJSON(t *testing.T) {
	s := defaultFixture()
	_, srv, c := newPageServer(t, s)
	want, err := EncodeV2(s)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range want {
		r := fetch(t, c, http.MethodGet, srv.URL+"/api/v2/"+name)
		if r.code != http.StatusOK || r.body != string(body) {
			t.Errorf("/api/v2/%s: %d, body equal %v", name, r.code, r.body == string(body))
		}
		if r.header.Get("Content-Type") != "application/json" || r.header.Get("Access-Control-Allow-Origin") != "*" ||
			r.header.Get("Cache-Control") != "public, max-age=10" {
			t.Errorf("/api/v2/%s: headers %v", name, r.header)
		}
	}
	for _, name := range v2Names {
		if _, ok := want[name]; !ok {
			t.Errorf("EncodeV2 has no %s", name)
		}
	}
	if r := fetch(t, c, http.MethodGet, srv.URL+"/api/v2/nope.json"); r.code != http.StatusNotFound {
		t.Errorf("/api/v2/nope.json: %d", r.code)
	}
}

func TestGzip(t *testing.T) {
	_, srv, c := newPageServer(t, defaultFixture())
	for _, p := range []string{"/status", "/api/v2/summary.json", "/status/history.atom"} {
		plainR := fetch(t, c, http.MethodGet, srv.URL+p)
		gz := fetch(t, c, http.MethodGet, srv.URL+p, "Accept-Encoding", "br, gzip;q=0.8")
		if gz.header.Get("Content-Encoding") != "gzip" || gz.header.Get("Vary") != "Accept-Encoding" || plainR.header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("%s: Content-Encoding %q, Vary %q", p, gz.header.Get("Content-Encoding"), gz.header.Get("Vary"))
		}
		if gz.header.Get("Etag") == plainR.header.Get("Etag") {
			t.Errorf("%s: the gzipped variant shares the ETag", p)
		}
		zr, err := gzip.NewReader(strings.NewReader(gz.body))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil || string(b) != plainR.body {
			t.Errorf("%s: gunzipped body differs (%v)", p, err)
		}
		if len(gz.body) >= len(plainR.body) {
			t.Errorf("%s: gzip %d ≥ %d bytes", p, len(gz.body), len(plainR.body))
		}
		if r := fetch(t, c, http.MethodGet, srv.URL+p, "Accept-Encoding", "gzip;q=0"); r.header.Get("Content-Encoding") != "" {
			t.Errorf("%s: gzip;q=0 got gzip", p)
		}
		if r := fetch(t, c, http.MethodGet, srv.URL+p, "Accept-Encoding", "gzip", "If-None-Match", gz.header.Get("Etag")); r.code != http.StatusNotModified {
			t.Errorf("%s: gzip revalidation: %d", p, r.code)
		}
	}
}

func TestAssets(t *testing.T) {
	_, srv, c := newPageServer(t, defaultFixture())
	page := fetch(t, c, http.MethodGet, srv.URL+"/status").body
	for _, re := range []string{`href="(/status/assets/style\.[0-9a-f]{10}\.css)"`, `src="(/status/assets/refresh\.[0-9a-f]{10}\.js)"`, `href="(/status/assets/favicon\.[0-9a-f]{10}\.svg)"`} {
		m := regexp.MustCompile(re).FindStringSubmatch(page)
		if m == nil {
			t.Errorf("no %s in the page", re)
			continue
		}
		r := fetch(t, c, http.MethodGet, srv.URL+m[1])
		if r.code != http.StatusOK || r.header.Get("Cache-Control") != "public, max-age=31536000, immutable" || r.header.Get("Etag") == "" {
			t.Errorf("%s: %d %v", m[1], r.code, r.header)
		}
	}
	if r := fetch(t, c, http.MethodGet, srv.URL+"/status/assets/style.css"); r.header.Get("Content-Type") != "text/css; charset=utf-8" ||
		r.header.Get("Cache-Control") != "public, max-age=10" {
		t.Errorf("style.css: %v", r.header)
	}
	for _, p := range []string{"/status/assets/nope.css", "/status/assets/embed.css"} {
		if r := fetch(t, c, http.MethodGet, srv.URL+p); r.code != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.code)
		}
	}
}

func TestHistory(t *testing.T) {
	_, srv, c := newPageServer(t, defaultFixture()) // 26 public incidents: 2 pages
	r := fetch(t, c, http.MethodGet, srv.URL+"/status/history")
	if r.code != http.StatusOK {
		t.Fatal(r.code)
	}
	if n := strings.Count(r.body, `<article class="card`); n != 20 {
		t.Errorf("page 1: %d incidents, want 20", n)
	}
	for _, sub := range []string{`<nav class="pager" aria-label="Incident history pages">`, `rel="next" href="/status/history?page=2"`,
		"Page 1 of 2", "<title>Incident history · Page 0</title>", `aria-current="page">Incident history`} {
		if !strings.Contains(r.body, sub) {
			t.Errorf("page 1 lacks %q", sub)
		}
	}
	if strings.Contains(r.body, `rel="prev"`) || strings.Contains(r.body, "Draft") {
		t.Error("page 1 has a newer link or a draft")
	}
	r = fetch(t, c, http.MethodGet, srv.URL+"/status/history?page=2")
	if n := strings.Count(r.body, `<article class="card`); r.code != http.StatusOK || n != 6 {
		t.Errorf("page 2: %d, %d incidents, want 6", r.code, n)
	}
	if !strings.Contains(r.body, `rel="prev" href="/status/history"`) || strings.Contains(r.body, `rel="next"`) {
		t.Error("page 2 links")
	}
	if r := fetch(t, c, http.MethodGet, srv.URL+"/status/history?page=3"); r.code != http.StatusNotFound || !strings.Contains(r.body, "Not found") {
		t.Errorf("page 3: %d", r.code)
	}
	if r := fetch(t, c, http.MethodGet, srv.URL+"/status/history?page=x"); r.code != http.StatusBadRequest {
		t.Errorf("page x: %d", r.code)
	}
}

func TestIncidentPage(t *testing.T) {
	_, srv, c := newPageServer(t, defaultFixture())
	r := fetch(t, c, http.MethodGet, srv.URL+"/status/incidents/inc-open")
	if r.code != http.StatusOK {
		t.Fatal(r.code)
	}
	latest, first := strings.Index(r.body, "Latest update 0\nSecond line."), strings.Index(r.body, "First update 0")
	if latest < 0 || first < 0 || latest > first {
		t.Errorf("timeline: latest at %d, first at %d", latest, first)
	}
	for _, sub := range []string{"<h1>Incident 0</h1>", "<title>Incident 0 · Page 0</title>", `<ol class="timeline" reversed>`,
		`<time datetime="2025-03-15T15:20:00&#43;01:00">Mar 15, 2025 15:20 CET</time>`, `<time datetime="2025-03-15T14:40:00&#43;01:00">`,
		"Investigating", "Identified", "Component 1"} {
		if !strings.Contains(r.body, sub) {
			t.Errorf("incident page lacks %q", sub)
		}
	}
	m := fetch(t, c, http.MethodGet, srv.URL+"/status/incidents/maint-next")
	if m.code != http.StatusOK || !strings.Contains(m.body, "Scheduled maintenance") || !strings.Contains(m.body, "Maintenance plan 1") {
		t.Errorf("maintenance page: %d", m.code)
	}
	for _, id := range []string{"nope", "inc-draft"} {
		if r := fetch(t, c, http.MethodGet, srv.URL+"/status/incidents/"+id); r.code != http.StatusNotFound {
			t.Errorf("incident %s: %d", id, r.code)
		}
	}
	// cached: the same bytes again
	if r2 := fetch(t, c, http.MethodGet, srv.URL+"/status/incidents/inc-open"); r2.body != r.body || r2.header.Get("Etag") != r.header.Get("Etag") {
		t.Error("incident page differs on a second request")
	}
}

func TestTimeZoneFallback(t *testing.T) {
	s := defaultFixture()
	s.Page.TimeZone = "Mars/Olympus_Mons"
	_, srv, c := newPageServer(t, s)
	r := fetch(t, c, http.MethodGet, srv.URL+"/status/incidents/inc-open")
	if r.code != http.StatusOK || !strings.Contains(r.body, `<time datetime="2025-03-15T14:20:00Z">Mar 15, 2025 14:20 UTC</time>`) ||
		!strings.Contains(r.body, "Times are shown in UTC") {
		t.Errorf("unknown time zone: %d, want UTC times", r.code)
	}
	if r := fetch(t, c, http.MethodGet, srv.URL+"/api/v2/summary.json"); r.code != http.StatusOK {
		t.Errorf("summary.json with an unknown time zone: %d", r.code)
	}
}

// A snapshot published while requests run: every request sees a whole one.
func TestPublishConcurrent(t *testing.T) {
	h, srv, c := newPageServer(t, defaultFixture())
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, p := range []string{"/status", "/status/incidents/inc-1", "/status/history?page=2", "/status/badge/comp-1.svg", "/api/v2/summary.json"} {
					if r := fetch(t, c, http.MethodGet, srv.URL+p); r.code != http.StatusOK {
						t.Errorf("%s: %d", p, r.code)
					}
				}
			}
		}()
	}
	for i := 0; i < 5; i++ {
		s := defaultFixture()
		s.Status.Description = fmt.Sprintf("Round %d", i)
		if err := h.Publish(s); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if r := fetch(t, c, http.MethodGet, srv.URL+"/status"); !strings.Contains(r.body, "Round 4") {
		t.Error("the last snapshot is not served")
	}
}

func TestETagMatching(t *testing.T) {
	for _, tc := range []struct {
		list string
		want bool
	}{
		{`"abc"`, true}, {`W/"abc"`, true}, {` "x" , "abc"`, true}, {`*`, true},
		{`"abcd"`, false}, {`abc`, false}, {`"x", W/"y"`, false}, {``, false}, {`"abc`, false},
	} {
		if got := etagListMatch(tc.list, `"abc"`); got != tc.want {
			t.Errorf("etagListMatch(%q) = %v", tc.list, got)
		}
	}
	for _, tc := range []struct {
		ae   string
		want bool
	}{
		{"gzip", true}, {"gzip, deflate, br", true}, {"br;q=1.0, GZIP;q=0.5", true}, {"x-gzip", true},
		{"gzip;q=0", false}, {"identity", false}, {"", false}, {"gzip ; q=0.0", false},
	} {
		if got := acceptsGzip([]string{tc.ae}); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v", tc.ae, got)
		}
	}
}

// BenchmarkStatusPage measures the hot path: a published snapshot of 200
// components with 90 days each, served from memory.
func BenchmarkStatusPage(b *testing.B) {
	h, err := NewHandler(HandlerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := h.Publish(pageFixture(pageFixtureOptions{groups: 10, components: 200, resolved: 40})); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, path, ae string }{
		{"status", "/status", ""},
		{"status-gzip", "/status", "gzip, deflate, br"},
		{"summary.json", "/api/v2/summary.json", ""},
		{"summary.json-gzip", "/api/v2/summary.json", "gzip"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.ae != "" {
				req.Header.Set("Accept-Encoding", tc.ae)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
			b.SetBytes(int64(rec.Body.Len()))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rec := httptest.NewRecorder()
				rec.Body = nil // count the handler, not the recorder's copy
				h.ServeHTTP(rec, req)
			}
		})
	}
	b.Run("status-304", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/status", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		req.Header.Set("If-None-Match", rec.Header().Get("Etag"))
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotModified {
				b.Fatal(rec.Code)
			}
		}
	})
}

// BenchmarkPublish measures rendering everything for one snapshot.
func BenchmarkPublish(b *testing.B) {
	h, err := NewHandler(HandlerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	s := pageFixture(pageFixtureOptions{groups: 10, components: 200, resolved: 40})
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Publish(s); err != nil {
			b.Fatal(err)
		}
	}
	p := h.cur.Load()
	b.ReportMetric(float64(len(p.status.body)), "html-bytes")
	if p.status.gz != nil {
		b.ReportMetric(float64(len(p.status.gz.body)), "html-gz-bytes")
	}
}

func sha256Base64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Snapshots a few seconds apart that show the same thing keep the ETag:
// a revalidation across them is a 304.
func TestETagStableAcrossSnapshots(t *testing.T) {
	h, srv, c := newPageServer(t, defaultFixture())
	first := fetch(t, c, http.MethodGet, srv.URL+"/status")
	s := defaultFixture()
	s.Built = s.Built.Add(25 * time.Second)
	if err := h.Publish(s); err != nil {
		t.Fatal(err)
	}
	if r := fetch(t, c, http.MethodGet, srv.URL+"/status", "If-None-Match", first.header.Get("Etag")); r.code != http.StatusNotModified {
		t.Errorf("same content 25 s later: %d, want 304", r.code)
	}
	s = defaultFixture()
	s.Status.Description = "Something else"
	if err := h.Publish(s); err != nil {
		t.Fatal(err)
	}
	if r := fetch(t, c, http.MethodGet, srv.URL+"/status", "If-None-Match", first.header.Get("Etag")); r.code != http.StatusOK {
		t.Errorf("changed content: %d, want 200", r.code)
	}
}
