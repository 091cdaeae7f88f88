package statuspage

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

type testSVG struct {
	XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	Width   string   `xml:"width,attr"`
	Height  string   `xml:"height,attr"`
	Label   string   `xml:"aria-label,attr"`
	Title   string   `xml:"title"`
	Texts   []string `xml:"g>text"`
}

func decodeBadge(t *testing.T, what, body string) testSVG {
	t.Helper()
	var s testSVG
	if err := xml.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, body)
	}
	return s
}

func TestBadges(t *testing.T) {
	s := defaultFixture()
	s.Components[4].Status = MajorOutage
	s.Components[5].Uptime90d = Figure{Value: 0.9412, OK: true}
	_, srv, c := newPageServer(t, s)
	for _, tc := range []struct {
		path, label, message, colour string
	}{
		{"/status/badge/comp-1.svg", "Component 1", "degraded performance", badgeYellow},
		{"/status/badge/comp-2.svg", "Component 2", "under maintenance", badgeBlue},
		{"/status/badge/comp-4.svg", "Component 4", "major outage", badgeRed},
		{"/status/badge/comp-7.svg", "Component 7", "operational", badgeBrightGreen},
		{"/status/badge/comp-3.svg", "Component 3", "operational", badgeBrightGreen},  // hidden on the page; still has a badge
		{"/status/badge/group-0.svg", "Group 0", "degraded performance", badgeYellow}, // its worst child
		{"/status/badge/comp-7.svg?label=redirects", "redirects", "operational", badgeBrightGreen},
		{"/status/badge/comp-7/uptime.svg", "Component 7 uptime 30d", "99.87%", badgeGreen},
		{"/status/badge/comp-7/uptime.svg?window=24h", "Component 7 uptime 24h", "100%", badgeBrightGreen},
		{"/status/badge/comp-7/uptime.svg?window=7d", "Component 7 uptime 7d", "99.95%", badgeBrightGreen},
		{"/status/badge/comp-5/uptime.svg?window=90d", "Component 5 uptime 90d", "94.12%", badgeRed},
		{"/status/badge/comp-5/uptime.svg?window=24h&label=24h", "24h", "no data", badgeGrey},
	} {
		r := fetch(t, c, http.MethodGet, srv.URL+tc.path)
		if r.code != http.StatusOK {
			t.Errorf("%s: %d", tc.path, r.code)
			continue
		}
		if r.header.Get("Content-Type") != "image/svg+xml; charset=utf-8" || r.header.Get("Access-Control-Allow-Origin") != "*" ||
			r.header.Get("Cache-Control") != "public, max-age=10" || r.header.Get("Etag") == "" || r.header.Get("Last-Modified") == "" {
			t.Errorf("%s: headers %v", tc.path, r.header)
		}
		assertWellFormed(t, tc.path, r.body)
		b := decodeBadge(t, tc.path, r.body)
		want := tc.label + ": " + tc.message
		if b.Label != want || b.Title != want || b.Height != "20" {
			t.Errorf("%s: aria-label %q, title %q; want %q", tc.path, b.Label, b.Title, want)
		}
		if len(b.Texts) != 4 || b.Texts[1] != tc.label || b.Texts[3] != tc.message {
			t.Errorf("%s: texts %q", tc.path, b.Texts)
		}
		if !strings.Contains(r.body, `fill="`+tc.colour+`"`) {
			t.Errorf("%s: not %s", tc.path, tc.colour)
		}
		if w, err := strconv.Atoi(b.Width); err != nil || w < 40 || w > 400 {
			t.Errorf("%s: width %q", tc.path, b.Width)
		}
	}
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/status/badge/nope.svg", http.StatusNotFound},
		{"/status/badge/nope/uptime.svg", http.StatusNotFound},
		{"/status/badge/comp-1.png", http.StatusNotFound},
		{"/status/badge/comp-1/other.svg", http.StatusNotFound},
		{"/status/badge/comp-1/uptime.svg?window=1y", http.StatusBadRequest},
	} {
		r := fetch(t, c, http.MethodGet, srv.URL+tc.path)
		if r.code != tc.code || strings.Contains(r.body, "<svg") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s: %d %q %q", tc.path, r.code, r.header.Get("Content-Type"), r.body)
		}
	}
}

func TestBadgeRendering(t *testing.T) {
	short := decodeBadge(t, "short", string(renderBadge("a", "ok", badgeGreen)))
	long := decodeBadge(t, "long", string(renderBadge("a much longer label", "operational", badgeGreen)))
	sw, _ := strconv.Atoi(short.Width)
	lw, _ := strconv.Atoi(long.Width)
	if sw >= lw {
		t.Errorf("widths: %d ≥ %d", sw, lw)
	}
	// Verdana 11px: "operational" is about 64px wide (shields: 74 with padding)
	if w := textWidth("operational"); w < 60 || w > 70 {
		t.Errorf("textWidth(operational) = %v", w)
	}
	if w := textWidth("WWW"); w <= textWidth("iii") {
		t.Error("widths ignore the glyphs")
	}
	msgOnly := decodeBadge(t, "message only", string(renderBadge("", "operational", badgeGreen)))
	if msgOnly.Label != "operational" || len(msgOnly.Texts) != 2 {
		t.Errorf("message-only badge: %+v", msgOnly)
	}
	long2 := badgeLabel(strings.Repeat("é", 200))
	if n := len([]rune(long2)); n != badgeMaxLabel || !strings.HasSuffix(long2, "…") {
		t.Errorf("label cut to %d runes", n)
	}
	if got := badgeLabel("a\xffb"); got != "a\uFFFDb" {
		t.Errorf("invalid UTF-8: %q", got)
	}
	bad := string(renderBadge("x\x00<&>\"'", "\x1b", badgeGreen))
	assertWellFormed(t, "control characters", bad)
}
