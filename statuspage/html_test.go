package statuspage

import (
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// xssPayloads go into every user-provided field at once.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`'><svg onload=alert(1)>`,
	`</title><script>alert(2)</script>`,
	`</style><script>alert(3)</script>`,
	`]]><evil/>`,
	`<!--`,
	`javascript:alert(1)`,
	"\x00\x01\x1b",
}

func xssText(field string, i int) string {
	return field + " " + strings.Repeat("x", i%3) + " " + strings.Join(xssPayloads, " ")
}

var reRawTag = regexp.MustCompile(`(?i)<(script|img|iframe|object|embed|evil)\b`)

type scannedTag struct {
	name  string
	attrs map[string]string
}

// scanTags is a small HTML/XML tag scanner that respects quoted attribute
// values: what a browser would take for elements and attributes.
func scanTags(body string) []scannedTag {
	var tags []scannedTag
	for i := 0; i < len(body); i++ {
		if body[i] != '<' || i+1 >= len(body) || !isASCIILetter(body[i+1]) {
			continue
		}
		j := i + 1
		for j < len(body) && !strings.ContainsRune(" \t\n\r/>", rune(body[j])) {
			j++
		}
		tag := scannedTag{name: strings.ToLower(body[i+1 : j]), attrs: map[string]string{}}
		for j < len(body) && body[j] != '>' {
			for j < len(body) && strings.ContainsRune(" \t\n\r/", rune(body[j])) {
				j++
			}
			k := j
			for k < len(body) && !strings.ContainsRune(" \t\n\r/>=", rune(body[k])) {
				k++
			}
			name := strings.ToLower(body[j:k])
			j = k
			val := ""
			if j < len(body) && body[j] == '=' {
				j++
				if j < len(body) && (body[j] == '"' || body[j] == '\'') {
					q := body[j]
					end := strings.IndexByte(body[j+1:], q)
					if end < 0 {
						end = len(body) - j - 1
					}
					val = body[j+1 : j+1+end]
					j += end + 2
				} else {
					k := j
					for k < len(body) && !strings.ContainsRune(" \t\n\r>", rune(body[k])) {
						k++
					}
					val, j = body[j:k], k
				}
			}
			if name != "" {
				tag.attrs[name] = val
			} else if j < len(body) && body[j] != '>' {
				j++
			}
		}
		tags = append(tags, tag)
		i = j
	}
	return tags
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// assertNoRawPayload fails on any payload appearing unescaped.
func assertNoRawPayload(t *testing.T, what, body string) {
	t.Helper()
	for _, p := range xssPayloads {
		if strings.ContainsAny(p, `<>"'`) && strings.Contains(body, p) {
			t.Errorf("%s: unescaped %q", what, p)
		}
	}
	for _, tag := range scanTags(body) {
		switch tag.name {
		case "script", "img", "iframe", "object", "embed", "evil":
			if tag.name != "script" || !(strings.HasPrefix(tag.attrs["src"], "/status/assets/refresh.") || strings.HasPrefix(tag.attrs["src"], "/status/assets/embed.")) {
				t.Errorf("%s: element <%s %v>", what, tag.name, tag.attrs)
			}
		}
		for name, val := range tag.attrs {
			if strings.HasPrefix(name, "on") {
				t.Errorf("%s: event handler attribute %s=%q on <%s>", what, name, val, tag.name)
			}
			if strings.Contains(strings.ToLower(strings.TrimSpace(val)), "javascript:") && (name == "href" || name == "src" || name == "action" || name == "xlink:href") {
				t.Errorf("%s: javascript: URL in %s=%q", what, name, val)
			}
		}
	}
	ownScript := strings.Contains(body, `<script defer src="/status/assets/refresh.`) || strings.Contains(body, `<script defer src="/status/assets/embed.`)
	if m := reRawTag.FindString(body); m != "" && !(m == "<script" && ownScript && strings.Count(body, "<script") == 1) {
		t.Errorf("%s: element %q", what, m)
	}
	if strings.Contains(body, "\x00") || strings.Contains(body, "\x1b") {
		t.Errorf("%s: control characters", what)
	}
}

func TestXSS(t *testing.T) {
	s := pageFixture(pageFixtureOptions{groups: 3, components: 20, resolved: 25, text: xssText})
	s.Page.URL = "javascript:alert(1)//status"
	s.Status.Description = xssText("Overall", 0)
	_, srv, c := newPageServer(t, s)

	html := []string{"/status", "/status/", "/status/history", "/status/history?page=2", "/status/incidents/inc-open",
		"/status/incidents/inc-3", "/status/incidents/maint-now", "/status/incidents/maint-next", "/status/embed", "/status/incidents/nope"}
	for _, p := range html {
		r := fetch(t, c, http.MethodGet, srv.URL+p)
		if r.code != http.StatusOK && p != "/status/incidents/nope" {
			t.Errorf("%s: %d", p, r.code)
		}
		assertNoRawPayload(t, p, r.body)
		if !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the escaped payload is not shown (the page should show names as typed)", p)
		}
		if !strings.Contains(r.body, "<title>") || strings.Count(r.body, "<title>") < 1 {
			t.Errorf("%s: no title", p)
		}
	}

	for _, p := range []string{"/status/history.atom", "/status/history.rss"} {
		r := fetch(t, c, http.MethodGet, srv.URL+p)
		assertNoRawPayload(t, p, r.body)
		if strings.Contains(r.body, "javascript:") && regexp.MustCompile(`(?i)>\s*javascript:|href="javascript:`).MatchString(r.body) {
			t.Errorf("%s: links to Page.URL javascript:", p)
		}
		assertWellFormed(t, p, r.body)
	}
	atom := decodeAtom(t, fetch(t, c, http.MethodGet, srv.URL+"/status/history.atom").body)
	for _, e := range atom.Entries {
		if reRawTag.MatchString(e.Content.Body) || hasUserMarkup(e.Content.Body) {
			t.Errorf("atom entry %s: content HTML has markup from user text: %s", e.ID, e.Content.Body)
		}
		if !strings.Contains(e.Title, "<script>alert(1)</script>") {
			t.Errorf("atom entry %s: title %q is not the name as typed (text)", e.ID, e.Title)
		}
		for _, l := range e.Links {
			if !strings.HasPrefix(l.Href, "/status/incidents/") {
				t.Errorf("atom entry link %q", l.Href)
			}
		}
	}
	rss := decodeRSS(t, fetch(t, c, http.MethodGet, srv.URL+"/status/history.rss").body)
	for _, it := range rss.Channel.Items {
		if reRawTag.MatchString(it.Description) || hasUserMarkup(it.Description) {
			t.Errorf("rss item %s: description HTML has markup from user text", it.GUID)
		}
	}

	for _, p := range []string{"/status/badge/comp-1.svg", "/status/badge/group-0.svg", "/status/badge/comp-1/uptime.svg",
		"/status/badge/comp-1.svg?label=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
		"/status/badge/comp-1/uptime.svg?window=90d&label=%27%3E%3Csvg%20onload%3Dalert(1)%3E"} {
		r := fetch(t, c, http.MethodGet, srv.URL+p)
		if r.code != http.StatusOK {
			t.Errorf("%s: %d", p, r.code)
		}
		assertNoRawPayload(t, p, r.body)
		assertWellFormed(t, p, r.body)
	}
}

// hasUserMarkup reports elements other than the feed content's own (p,
// small, br, strong) or any attribute.
func hasUserMarkup(html string) bool {
	for _, tag := range scanTags(html) {
		switch tag.name {
		case "p", "small", "br", "strong":
			if len(tag.attrs) > 0 {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// assertWellFormed reads every token of an XML document.
func assertWellFormed(t *testing.T, what, body string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Errorf("%s: not well-formed XML: %v", what, err)
			return
		}
	}
}

func TestRenderEmptySnapshot(t *testing.T) {
	_, srv, c := newPageServer(t, &Snapshot{Page: Page{Name: "Empty"}, Built: pageNow})
	r := fetch(t, c, http.MethodGet, srv.URL+"/status")
	for _, sub := range []string{"All Systems Operational", `class="banner i-none"`, `<use href="#i-ok"/>`, "No components are listed.", "No incidents reported."} {
		if !strings.Contains(r.body, sub) {
			t.Errorf("empty page lacks %q", sub)
		}
	}
	if strings.Contains(r.body, "Active incidents") || strings.Contains(r.body, "Scheduled maintenance") {
		t.Error("empty page has incident sections")
	}
	h := fetch(t, c, http.MethodGet, srv.URL+"/status/history")
	if h.code != http.StatusOK || !strings.Contains(h.body, "No incidents reported.") {
		t.Errorf("empty history: %d", h.code)
	}
	for _, p := range []string{"/status/history.atom", "/status/history.rss", "/status/embed"} {
		if r := fetch(t, c, http.MethodGet, srv.URL+p); r.code != http.StatusOK {
			t.Errorf("%s: %d", p, r.code)
		}
	}
}

func TestOverallBanner(t *testing.T) {
	for _, tc := range []struct {
		ind, desc, icon, text string
	}{
		{IndicatorNone, "", "i-ok", "All Systems Operational"},
		{IndicatorMinor, "", "i-warn", "Minor Service Outage"},
		{IndicatorMajor, "Partial System Outage", "i-part", "Partial System Outage"},
		{IndicatorCritical, "", "i-down", "Major System Outage"},
		{IndicatorMaintenance, "", "i-maint", "Service Under Maintenance"},
		{"bogus", "", "i-ok", "All Systems Operational"},
	} {
		v := newPageView(&Snapshot{Status: Overall{Indicator: tc.ind, Description: tc.desc}}, time.UTC, pageNow)
		o := v.overall()
		if o.Icon != tc.icon || o.Text != tc.text {
			t.Errorf("%s: %+v", tc.ind, o)
		}
	}
}

func TestUptimeFormatting(t *testing.T) {
	for _, tc := range []struct {
		u    float64
		ok   bool
		text string
		cls  string
	}{
		{1, true, "100%", "u1"},
		{0.99999, true, "99.99%", "u1"},
		{0.999, true, "99.90%", "u1"},
		{0.9989, true, "99.89%", "u2"},
		{0.99, true, "99.00%", "u2"},
		{0.9899, true, "98.99%", "u3"},
		{0.95, true, "95.00%", "u3"},
		{0.9499, true, "94.99%", "u4"},
		{0, true, "0%", "u4"},
		{0, false, "—", "u0"},
	} {
		if got := percent(Figure{Value: tc.u, OK: tc.ok}); got != tc.text {
			t.Errorf("percent(%v, %v) = %q, want %q", tc.u, tc.ok, got, tc.text)
		}
		if got := uptimeClass(tc.u, tc.ok); got != tc.cls {
			t.Errorf("uptimeClass(%v, %v) = %q, want %q", tc.u, tc.ok, got, tc.cls)
		}
	}
}

func TestChart(t *testing.T) {
	c := pageFixtureComponent(pageFixtureOptions{text: func(f string, i int) string { return f }}, 1, "", pageNow.Truncate(24*time.Hour))
	loc, _ := time.LoadLocation("Europe/Berlin")
	v := newPageView(&Snapshot{Built: pageNow}, loc, pageNow)
	ch := v.chart(&c, 7)
	// gaps at h%37 == 5 (5, 42, 79, 116, 153) and 100–101: 7 runs
	if len(ch.Lines) != 7 {
		t.Errorf("%d polylines, want 7 (gaps break the line)", len(ch.Lines))
	}
	if len(ch.XTicks) < 6 || len(ch.YTicks) != 3 || ch.YTicks[2].Label != "200 ms" {
		t.Errorf("ticks: x %v, y %v", ch.XTicks, ch.YTicks)
	}
	if !strings.Contains(ch.Desc, "lowest 81 ms, highest 199 ms") || !strings.Contains(ch.Desc, "latest 93 ms at Mar 15 15:00") || !strings.Contains(ch.Desc, "161 of 168 hours") {
		t.Errorf("desc %q", ch.Desc)
	}
	for _, l := range ch.Lines {
		for _, pt := range strings.Fields(l) {
			var x, y float64
			if _, err := fmtSscanPoint(pt, &x, &y); err != nil || x < chartLeft || x > chartRight || y < chartTop || y > chartBottom {
				t.Fatalf("point %q outside the plot (%v)", pt, err)
			}
		}
	}
	empty := v.chart(&ComponentView{Component: Component{Name: "x"}}, 1)
	if len(empty.Lines) != 0 || empty.Desc != "No data." {
		t.Errorf("empty chart: %+v", empty)
	}
	for in, want := range map[float64]float64{0: 1, 1: 1, 1.5: 2, 3: 5, 7: 10, 10: 10, 120: 200, 199: 200, 201: 500, 4200: 5000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}

func fmtSscanPoint(pt string, x, y *float64) (int, error) {
	xs, ys, _ := strings.Cut(pt, ",")
	var err error
	if *x, err = strconv.ParseFloat(xs, 64); err != nil {
		return 0, err
	}
	if *y, err = strconv.ParseFloat(ys, 64); err != nil {
		return 1, err
	}
	return 2, nil
}
