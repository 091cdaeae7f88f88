package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// newD3Env is a frameEnv with the campaign, share, alert, new-link and CSV
// pages' stores.
func newD3Env(t *testing.T) *frameEnv {
	return newFrameEnv(t, func(e *frameEnv, cfg *Config, deps *Deps) {
		deps.Campaigns, deps.Keys, deps.Links = e.store, e.store, e.store
	})
}

// addTagged stores a link with defaults applied and returns it.
func (e *frameEnv) addTagged(slug, dest string, tags ...string) *linkwatch.Link {
	e.t.Helper()
	l := &linkwatch.Link{Slug: slug, Destination: dest, Tags: tags, CreatedAt: e.clock.now(), UpdatedAt: e.clock.now()}
	l.ApplyDefaults()
	if err := e.store.CreateLink(context.Background(), l); err != nil {
		e.t.Fatal(err)
	}
	return l
}

// setHealth gives a link's one region ("eu") results making it up ("ok"),
// degraded (one failure), down (two failures in a row) or, with no
// results, unknown.
func (e *frameEnv) setHealth(l *linkwatch.Link, state string) {
	e.t.Helper()
	now := e.clock.now()
	res := func(i int, class string) linkwatch.Result {
		return linkwatch.Result{ID: fmt.Sprintf("%s-%d", l.Slug, i), Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID},
			Region: "eu", Prober: "p1", At: now.Add(time.Duration(i-3) * 10 * time.Second), Step: linkwatch.StepDestination,
			Class: class, Status: map[bool]int{true: 503, false: 200}[class != ""]}
	}
	var rs []linkwatch.Result
	switch state {
	case "up":
		rs = []linkwatch.Result{res(1, "")}
	case "degraded":
		rs = []linkwatch.Result{res(1, ""), res(2, linkwatch.ClassHTTPStatus)}
	case "down":
		rs = []linkwatch.Result{res(1, linkwatch.ClassHTTPStatus), res(2, linkwatch.ClassHTTPStatus)}
	}
	if err := e.store.InsertResults(context.Background(), rs); err != nil {
		e.t.Fatal(err)
	}
}

// order returns where each of words first appears in page, failing when
// one is missing, so tests can assert an order.
func order(t *testing.T, page string, words ...string) []int {
	t.Helper()
	var at []int
	for _, w := range words {
		i := strings.Index(page, w)
		if i < 0 {
			t.Fatalf("%q is not on the page:\n%s", w, page)
		}
		at = append(at, i)
	}
	return at
}

func increasing(at []int) bool {
	for i := 1; i < len(at); i++ {
		if at[i] <= at[i-1] {
			return false
		}
	}
	return true
}

func TestCampaigns(t *testing.T) {
	e := newD3Env(t)
	states := map[string]string{"a-up": "up", "b-down": "down", "c-unknown": "", "d-degraded": "degraded"}
	for _, slug := range []string{"a-up", "b-down", "c-unknown", "d-degraded"} {
		e.setHealth(e.addTagged(slug, "https://example.com/"+slug, "spring"), states[slug])
	}
	e.setHealth(e.addTagged("calm", "https://example.com/calm", "autumn", "spring"), "up")
	e.setHealth(e.addTagged("other", "https://other.example/secret", "winter"), "degraded")
	e.addTagged("untagged", "https://example.com/u")
	// Scans by people: 3 QR scans and 2 clicks of a spring link today, a
	// bot's visit not counted.
	l, _ := e.store.LinkBySlug(context.Background(), "", "a-up")
	now := e.clock.now()
	if err := e.store.InsertScans(context.Background(), []linkwatch.Scan{
		{LinkID: l.ID, At: now.Add(-time.Hour), Source: linkwatch.SourceQR, Device: linkwatch.DeviceMobile, Count: 3},
		{LinkID: l.ID, At: now.Add(-time.Hour), Source: linkwatch.SourceLink, Device: linkwatch.DeviceDesktop, Count: 2},
		{LinkID: l.ID, At: now.Add(-time.Hour), Source: linkwatch.SourceLink, Device: linkwatch.DeviceBot, Bot: true, Count: 7},
	}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.mustSignIn(e.read)

	code, _, page := b.get("/dashboard/campaigns")
	if code != http.StatusOK {
		t.Fatalf("campaigns: %d\n%s", code, page)
	}
	// Worst campaign first: spring (down), winter (degraded), autumn (up).
	if !increasing(order(t, page, ">spring<", ">winter<", ">autumn<")) {
		t.Errorf("campaigns are not worst first:\n%s", page)
	}
	if !strings.Contains(page, "1 link has no tag") || !strings.Contains(page, "1 down, 1 degraded, 1 unknown, 2 up") {
		t.Errorf("campaign counts missing:\n%s", page)
	}

	code, _, page = b.get("/dashboard/campaigns/spring")
	if code != http.StatusOK {
		t.Fatalf("campaign: %d\n%s", code, page)
	}
	// Every link at once, worst first, states in words.
	if !increasing(order(t, page, ">b-down<", ">d-degraded<", ">c-unknown<", ">a-up<", ">calm<")) {
		t.Errorf("links are not worst first:\n%s", page)
	}
	for _, want := range []string{"✕</span> Down", "▲</span> Degraded", "?</span> Unknown", "3 QR scans and 2 link clicks", "<svg class=\"chart\""} {
		if !strings.Contains(page, want) {
			t.Errorf("campaign page lacks %q", want)
		}
	}
	if strings.Contains(page, "other.example") {
		t.Error("the campaign page shows another campaign's link")
	}
	if strings.Contains(page, `/share"`) {
		t.Error("a read session sees the share control")
	}
	if code, _, _ := b.get("/dashboard/campaigns/nope"); code != http.StatusNotFound {
		t.Errorf("unknown campaign: %d, want 404", code)
	}
	if code, _, page := b.get("/dashboard/campaigns/spring?by=hour"); code != http.StatusOK || !strings.Contains(page, "<strong>By hour") {
		t.Errorf("by hour: %d", code)
	}
}

var shareLink = regexp.MustCompile(`value="(http://lw\.example\.com/dashboard/share/[^"]+)"`)

func TestShareLink(t *testing.T) {
	e := newD3Env(t)
	e.setHealth(e.addTagged("spring-a", "https://example.com/a", "spring:2025"), "down")
	e.setHealth(e.addTagged("summer-a", "https://summer.example/landing", "summer"), "up")
	b := e.browser()
	csrf := b.mustSignIn(e.admin)
	tagPath := "/dashboard/campaigns/" + url.PathEscape("spring:2025")

	// A read session has no share control and may not make one.
	r := e.browser()
	rcsrf := r.mustSignIn(e.read)
	if resp, _ := r.post(tagPath+"/share", url.Values{"csrf": {rcsrf}, "ttl": {"168h0m0s"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("read session's share: %d, want 403", resp.StatusCode)
	}
	if resp, _ := b.post(tagPath+"/share", url.Values{"ttl": {"168h0m0s"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("share without CSRF: %d, want 403", resp.StatusCode)
	}

	resp, page := b.post(tagPath+"/share", url.Values{"csrf": {csrf}, "ttl": {"168h0m0s"}})
	m := shareLink.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("share: %d, no share link:\n%s", resp.StatusCode, page)
	}
	shared, _ := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
	path := shared.RequestURI()

	// Anyone, without a session, sees the campaign and nothing else.
	anon := e.browser()
	code, _, page := anon.get(path)
	if code != http.StatusOK {
		t.Fatalf("share page: %d\n%s", code, page)
	}
	for _, want := range []string{"spring-a", "✕</span> Down", "Scans by people"} {
		if !strings.Contains(page, want) {
			t.Errorf("share page lacks %q", want)
		}
	}
	for _, absent := range []string{"summer", "csrf", "<form", "/dashboard/links/", "Sign out"} {
		if strings.Contains(page, absent) {
			t.Errorf("share page shows %q", absent)
		}
	}
	if code, _, page := anon.get(path + "&by=hour"); code != http.StatusOK || !strings.Contains(page, "<strong>By hour") {
		t.Errorf("share page by hour: %d", code)
	}

	q := shared.Query()
	tampered := func(f func(url.Values) string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		return f(v)
	}
	for name, p := range map[string]string{
		"another campaign": "/dashboard/share/summer?" + q.Encode(),
		"longer expiry": tampered(func(v url.Values) string {
			v.Set("exp", fmt.Sprint(e.clock.now().Add(30*24*time.Hour).Unix()))
			return shared.Path + "?" + v.Encode()
		}),
		"changed signature": tampered(func(v url.Values) string {
			s := []byte(v.Get("sig"))
			s[3] ^= 1
			v.Set("sig", string(s))
			return shared.Path + "?" + v.Encode()
		}),
		"no signature": shared.Path,
	} {
		if code, _, _ := anon.get(p); code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, code)
		}
	}
	e.clock.add(7 * 24 * time.Hour)
	if code, _, page := anon.get(path); code != http.StatusForbidden || !strings.Contains(page, "expired") {
		t.Errorf("expired share link: %d, want 403", code)
	}
}
