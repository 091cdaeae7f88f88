package statuspage

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The status page items of issue #12: what stakeholders and real clients
// saw.

// TestBannerPartialAndMajorOutageDiffer: every component down reads "Major
// System Outage" on the page, and the page's partial and major outage
// banners — and a component's partial and major outage — differ in colour
// and in icon, never in colour alone.
func TestBannerPartialAndMajorOutageDiffer(t *testing.T) {
	s := defaultFixture()
	for i := range s.Components {
		if !s.Components[i].Group {
			s.Components[i].Status = MajorOutage
			s.Components[i].Hidden = false
		}
	}
	s.Status = OverallStatus(s.Components, nil, nil)
	_, srv, c := newPageServer(t, s)
	r := fetch(t, c, http.MethodGet, srv.URL+"/status")
	if !strings.Contains(r.body, `<div class="banner i-critical" role="status"><svg class="icon" aria-hidden="true" focusable="false"><use href="#i-down"/></svg><span>Major System Outage</span></div>`) {
		t.Errorf("every component down: banner %q", regexp.MustCompile(`<div class="banner[^\n]*`).FindString(r.body))
	}

	partial := newPageView(&Snapshot{Status: Overall{Indicator: IndicatorMajor}}, time.UTC, pageNow).overall()
	major := newPageView(&Snapshot{Status: Overall{Indicator: IndicatorCritical}}, time.UTC, pageNow).overall()
	if partial.Icon == major.Icon || iconByID(partial.Icon).D == iconByID(major.Icon).D {
		t.Errorf("partial and major outage banners share the icon %q", partial.Icon)
	}
	_, _, pIcon := componentStatus(PartialOutage)
	_, _, mIcon := componentStatus(MajorOutage)
	_, _, dIcon := componentStatus(DegradedPerformance)
	if pIcon == mIcon || pIcon == dIcon {
		t.Errorf("component icons: partial %q, major %q, degraded %q: want three", pIcon, mIcon, dIcon)
	}

	css := assetText(t, "assets/style.css")
	for _, pair := range [][2]string{{".i-major", ".i-critical"}, {".s-partial_outage", ".s-major_outage"}} {
		a, b := cssDeclarations(t, css, pair[0]), cssDeclarations(t, css, pair[1])
		if a == b {
			t.Errorf("%s and %s are styled alike (%q)", pair[0], pair[1], a)
		}
	}
	embed := assetText(t, "assets/embed.css")
	if a, b := cssDeclarations(t, embed, ".i-major .icon"), cssDeclarations(t, embed, ".i-critical .icon"); a == b {
		t.Errorf("embed: partial and major outage icons coloured alike (%q)", a)
	}
}

// TestEmbedIconColouredByState: the embed's icon takes its state's colour.
// The bug was specificity: `.i-none{color}` lost to `a.w{color:inherit}`
// on the same element, so the icon (fill: currentColor) never changed. The
// state colour is now set on the icon itself, by a rule more specific
// than .icon's.
func TestEmbedIconColouredByState(t *testing.T) {
	css := assetText(t, "assets/embed.css")
	for _, ind := range []string{IndicatorNone, IndicatorMinor, IndicatorMajor, IndicatorCritical, IndicatorMaintenance} {
		decl := cssDeclarations(t, css, ".i-"+ind+" .icon")
		if !strings.Contains(decl, "color:var(--") {
			t.Errorf(".i-%s .icon: %q, want a colour", ind, decl)
		}
	}
	// Nothing colours the state classes on the link itself any more, where
	// a.w's colour wins.
	if regexp.MustCompile(`(^|[},\s])\.i-(none|minor|major|critical|maintenance)\s*[{,]`).MatchString(css) {
		t.Error("embed.css still colours .i-<state> on the link, where a.w's color:inherit wins")
	}
}

// TestDayBarsInThePageTimeZone: the bars' dates are the page's days, and
// the page says which zone they are in; narrow screens get the last 30
// days as cells that open their day's text.
func TestDayBarsInThePageTimeZone(t *testing.T) {
	tokyo := time.FixedZone("Asia/Tokyo", 9*3600)
	s := defaultFixture()
	s.Page.TimeZone = "Asia/Tokyo"
	// The builder's days: Tokyo midnights. pageNow is 23:30 on Mar 15 in
	// Tokyo, so today there is Mar 15 and the first of 90 is Dec 16.
	for i := range s.Components {
		c := &s.Components[i]
		if len(c.Days) == 0 {
			continue
		}
		for d := range c.Days {
			c.Days[d].Date = time.Date(2025, 3, 15, 0, 0, 0, 0, tokyo).AddDate(0, 0, d-89)
		}
	}
	_, srv, c := newPageServer(t, s)
	r := fetch(t, c, http.MethodGet, srv.URL+"/status")
	row := componentRowHTML(t, r.body, "Component 4")
	for _, sub := range []string{"<title>Dec 16, 2024: ", "<title>Mar 15, 2025 (today): ", "(days in Asia/Tokyo)"} {
		if !strings.Contains(row+r.body[:strings.Index(r.body, `<ul class="components">`)], sub) {
			t.Errorf("Component 4's bar lacks %q", sub)
		}
	}
	// 30 cells, newest last, each a <details> whose summary holds the
	// day's full text.
	grid := regexp.MustCompile(`(?s)<ol class="recent narrow" aria-label="Component 4: daily uptime over the last 30 days">(.*?)</ol>`).FindStringSubmatch(row)
	if grid == nil {
		t.Fatalf("no 30-day grid in Component 4's row:\n%s", row)
	}
	cells := regexp.MustCompile(`<li><details class="u[0-4]"><summary><span aria-hidden="true">(\d+)</span><span class="tip">([^<]+)</span></summary></details></li>`).FindAllStringSubmatch(grid[1], -1)
	if len(cells) != 30 || cells[0][1] != "14" || !strings.HasPrefix(cells[0][2], "Feb 14, 2025: ") || cells[29][1] != "15" ||
		!strings.HasPrefix(cells[29][2], "Mar 15, 2025 (today): ") {
		t.Errorf("30-day grid: %d cells, %q", len(cells), cells)
	}
	css := assetText(t, "assets/style.css")
	for _, want := range []string{"grid-template-columns: repeat(10, minmax(24px, 1fr))", "min-width: 24px; min-height: 28px"} {
		if !strings.Contains(css, want) {
			t.Errorf("style.css lacks %q: day cells are at least 24 px", want)
		}
	}
}

// TestSubscribeInTheHeader: every page's header has a "Subscribe to
// updates" control that works without script (a <details>), offering the
// webhook, email once a mail server is configured, and the feeds.
func TestSubscribeInTheHeader(t *testing.T) {
	for _, email := range []bool{false, true} {
		s := defaultFixture()
		s.Page.EmailSubscriptions = email
		_, srv, c := newPageServer(t, s)
		for _, p := range []string{"/status", "/status/history", "/status/incidents/inc-open"} {
			r := fetch(t, c, http.MethodGet, srv.URL+p)
			header := r.body[strings.Index(r.body, `<header class="site">`):strings.Index(r.body, "</header>")]
			for _, sub := range []string{`<details class="subscribe-menu">`, `<summary>Subscribe to updates</summary>`,
				`<form method="post" action="/status/subscribe" class="subscribe">`, `name="url" type="url"`,
				`href="/status/history.atom"`, `href="/status/history.rss"`} {
				if !strings.Contains(header, sub) {
					t.Errorf("%s (email %v): header lacks %q", p, email, sub)
				}
			}
			if got := strings.Contains(header, `name="email" type="email"`); got != email {
				t.Errorf("%s: email field %v with email subscriptions %v", p, got, email)
			}
			if strings.Count(r.body, `id="subscribe-url"`) != 1 {
				t.Errorf("%s: %d subscribe forms, want the header's only", p, strings.Count(r.body, `id="subscribe-url"`))
			}
		}
	}
}

// TestIncidentDurationAndChanges: an incident page says how long it lasted
// (or has lasted so far), and each update lists the components whose status
// it changed.
func TestIncidentDurationAndChanges(t *testing.T) {
	s := defaultFixture()
	start := pageNow.Add(-26*time.Hour - 5*time.Minute)
	in := Incident{ID: "inc-x", Name: "Checkout down", Status: Resolved, Impact: ImpactMajor,
		Components: []Affected{{ComponentID: "comp-4", Status: Operational}, {ComponentID: "comp-5", Status: Operational}},
		CreatedAt:  start, StartedAt: start, UpdatedAt: pageNow.Add(-time.Hour), ResolvedAt: pageNow.Add(-time.Hour),
		Updates: []Update{
			{ID: "x4", Status: Resolved, Body: "Fixed", CreatedAt: pageNow.Add(-time.Hour)},
			{ID: "x3", Status: Monitoring, Body: "Watching", CreatedAt: pageNow.Add(-2 * time.Hour)},
			{ID: "x2", Status: Identified, Body: "Catalog too", CreatedAt: pageNow.Add(-3 * time.Hour),
				Components: []Affected{{ComponentID: "comp-4", Status: PartialOutage}, {ComponentID: "comp-5", Status: DegradedPerformance}}},
			{ID: "x1", Status: Investigating, Body: "Looking", CreatedAt: start,
				Components: []Affected{{ComponentID: "comp-4", Status: MajorOutage}}},
		}}
	s.Incidents = append(s.Incidents, in)
	_, srv, c := newPageServer(t, s)
	r := fetch(t, c, http.MethodGet, srv.URL+"/status/incidents/inc-x")
	if !strings.Contains(r.body, "<div><dt>Duration</dt><dd>1 d 1 h</dd></div>") {
		t.Errorf("resolved incident: no duration of 1 d 1 h:\n%s", r.body)
	}
	updates := strings.Split(r.body[strings.Index(r.body, `<ol class="timeline"`):], "<li><div class=\"update\">")[1:]
	if len(updates) != 4 {
		t.Fatalf("%d updates", len(updates))
	}
	want := [][]string{
		{"Component 4: Partial outage → Operational", "Component 5: Degraded performance → Operational"},
		nil,
		{"Component 4: Major outage → Partial outage", "Component 5: Operational → Degraded performance"},
		{"Component 4: Operational → Major outage"},
	}
	for i, u := range updates {
		got := regexp.MustCompile(`<li>([^<]*)</li>`).FindAllStringSubmatch(u[:strings.Index(u, "</div>")], -1)
		var names []string
		for _, g := range got {
			names = append(names, g[1])
		}
		if strings.Join(names, "|") != strings.Join(want[i], "|") {
			t.Errorf("update %d changed %q, want %q", i, names, want[i])
		}
	}
	open := fetch(t, c, http.MethodGet, srv.URL+"/status/incidents/inc-open")
	if !strings.Contains(open.body, "<div><dt>Duration</dt><dd>50 min so far</dd></div>") {
		t.Error("unresolved incident: no running duration")
	}
	next := fetch(t, c, http.MethodGet, srv.URL+"/status/incidents/maint-next")
	if strings.Contains(next.body, "<dt>Duration</dt>") {
		t.Error("a maintenance not started yet has a duration")
	}
}

// TestFeedsNeverDateInTheFuture: a scheduled maintenance is dated by its
// latest update, not by its future start, in both feeds; every entry is
// dated by its latest update.
func TestFeedsNeverDateInTheFuture(t *testing.T) {
	s := defaultFixture()
	// maint-next starts in 48 hours; its start was copied into StartedAt as
	// the store has it, and an update's display time is ahead too.
	for i := range s.Maintenances {
		if s.Maintenances[i].ID == "maint-next" {
			s.Maintenances[i].StartedAt = s.Maintenances[i].ScheduledFor
			s.Maintenances[i].Updates[0].DisplayAt = pageNow.Add(24 * time.Hour)
		}
	}
	_, srv, c := newPageServer(t, s)
	atom := decodeAtom(t, fetch(t, c, http.MethodGet, srv.URL+"/status/history.atom").body)
	rss := decodeRSS(t, fetch(t, c, http.MethodGet, srv.URL+"/status/history.rss").body)
	announced := pageNow.Add(-24 * time.Hour).UTC()
	found := 0
	for _, e := range atom.Entries {
		u, err := time.Parse(time.RFC3339, e.Updated)
		if err != nil || u.After(pageNow) {
			t.Errorf("atom entry %q updated %q: in the future", e.Title, e.Updated)
		}
		if p, err := time.Parse(time.RFC3339, e.Published); e.Published != "" && (err != nil || p.After(u)) {
			t.Errorf("atom entry %q published %q after its update %q", e.Title, e.Published, e.Updated)
		}
		if strings.HasSuffix(e.ID, "/maint-next") {
			found++
			if !u.Equal(announced) {
				t.Errorf("maint-next dated %v, want its latest update %v", u, announced)
			}
		}
	}
	for _, it := range rss.Channel.Items {
		d, err := time.Parse(time.RFC1123Z, it.PubDate)
		if err != nil || d.After(pageNow) {
			t.Errorf("rss item %q pubDate %q: in the future", it.Title, it.PubDate)
		}
		if strings.HasSuffix(it.Link, "/maint-next") {
			found++
			if !d.Equal(announced) {
				t.Errorf("rss maint-next dated %v, want %v", d, announced)
			}
		}
		if strings.HasSuffix(it.Link, "/inc-open") && !d.Equal(pageNow.Add(-10*time.Minute)) {
			t.Errorf("inc-open dated %v, want its latest update %v", d, pageNow.Add(-10*time.Minute))
		}
	}
	if found != 2 {
		t.Errorf("maint-next in %d feeds, want 2", found)
	}
}

// TestV2UnderThePageURL: a Statuspage client given page.url (…/status)
// finds the v2 API under it, the same bytes as at the origin, and each
// body decodes strictly into Statuspage's own shapes.
func TestV2UnderThePageURL(t *testing.T) {
	_, srv, c := newPageServer(t, defaultFixture())
	var sum v2Summary
	if err := decodeV2([]byte(fetch(t, c, http.MethodGet, srv.URL+"/api/v2/summary.json").body), &sum); err != nil {
		t.Fatal(err)
	}
	pageURL := strings.Replace(sum.Page.URL, "https://status.example.com", srv.URL, 1)
	if !strings.HasSuffix(pageURL, "/status") {
		t.Fatalf("page.url %q", sum.Page.URL)
	}
	docs := map[string]any{
		"summary.json": &v2Summary{}, "status.json": &v2StatusDoc{}, "components.json": &v2ComponentsDoc{},
		"incidents.json": &v2IncidentsDoc{}, "incidents/unresolved.json": &v2IncidentsDoc{},
		"scheduled-maintenances.json": &v2MaintenancesDoc{}, "scheduled-maintenances/upcoming.json": &v2MaintenancesDoc{},
		"scheduled-maintenances/active.json": &v2MaintenancesDoc{},
	}
	for name, doc := range docs {
		under := fetch(t, c, http.MethodGet, pageURL+"/api/v2/"+name)
		origin := fetch(t, c, http.MethodGet, srv.URL+"/api/v2/"+name)
		if under.code != http.StatusOK || under.body != origin.body || under.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s/api/v2/%s: %d, same as the origin's %v", pageURL, name, under.code, under.body == origin.body)
			continue
		}
		if err := decodeV2([]byte(under.body), doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if r := fetch(t, c, http.MethodGet, pageURL+"/api/v2/nope.json"); r.code != http.StatusNotFound {
		t.Errorf("/status/api/v2/nope.json: %d", r.code)
	}
}

// assetText reads an embedded asset.
func assetText(t *testing.T, name string) string {
	t.Helper()
	b, err := assetFS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cssDeclarations returns the declarations of the rule whose selector
// list includes sel exactly, spaces squeezed; it fails when there is none.
func cssDeclarations(t *testing.T, css, sel string) string {
	t.Helper()
	css = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(css, "")
	var out []string
	for _, rule := range strings.Split(css, "}") {
		i := strings.LastIndex(rule, "{")
		if i < 0 {
			continue
		}
		head, body := rule[:i], rule[i+1:]
		if j := strings.LastIndex(head, "{"); j >= 0 { // inside @media
			head = head[j+1:]
		}
		for _, s := range strings.Split(head, ",") {
			if strings.Join(strings.Fields(s), " ") == sel {
				out = append(out, strings.Join(strings.Fields(body), " "))
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no CSS rule for %s", sel)
	}
	return strings.Join(out, "; ")
}
