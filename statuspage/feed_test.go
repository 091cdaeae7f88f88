package statuspage

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"
)

// What a reader needs of the feeds, decoded independently of feed.go's
// own types.
type testAtom struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Updated   string `xml:"updated"`
		Published string `xml:"published"`
		Links     []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

type testRSS struct {
	XMLName xml.Name `xml:"rss"`
	Version string   `xml:"version,attr"`
	Channel struct {
		Title string `xml:"title"`
		// link matches atom:link too: keep the one in no namespace
		Links []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
			Rel     string `xml:"rel,attr"`
			Href    string `xml:"href,attr"`
		} `xml:"link"`
		Link          string `xml:"-"`
		Description   string `xml:"description"`
		LastBuildDate string `xml:"lastBuildDate"`
		Items         []struct {
			Title       string `xml:"title"`
			Link        string `xml:"link"`
			GUID        string `xml:"guid"`
			PubDate     string `xml:"pubDate"`
			Description string `xml:"description"`
		} `xml:"item"`
	} `xml:"channel"`
}

func decodeAtom(t *testing.T, body string) testAtom {
	t.Helper()
	var f testAtom
	if err := xml.Unmarshal([]byte(body), &f); err != nil {
		t.Fatalf("atom: %v", err)
	}
	return f
}

func decodeRSS(t *testing.T, body string) testRSS {
	t.Helper()
	var f testRSS
	if err := xml.Unmarshal([]byte(body), &f); err != nil {
		t.Fatalf("rss: %v", err)
	}
	for _, l := range f.Channel.Links {
		if l.XMLName.Space == "" {
			f.Channel.Link = l.Value
		}
	}
	return f
}

func TestAtomFeed(t *testing.T) {
	_, srv, c := newPageServer(t, defaultFixture())
	r := fetch(t, c, http.MethodGet, srv.URL+"/status/history.atom")
	if r.code != http.StatusOK || r.header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("atom: %d %q", r.code, r.header.Get("Content-Type"))
	}
	if !strings.HasPrefix(r.body, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Error("no XML declaration")
	}
	assertWellFormed(t, "atom", r.body)
	f := decodeAtom(t, r.body)
	if f.ID != "https://status.example.com/status/history.atom" || f.Title != "Page 0 status: incident history" || f.Author.Name != "Page 0" {
		t.Errorf("feed: id %q title %q author %q", f.ID, f.Title, f.Author.Name)
	}
	if _, err := time.Parse(time.RFC3339, f.Updated); err != nil {
		t.Errorf("feed updated %q: %v", f.Updated, err)
	}
	rels := map[string]string{}
	for _, l := range f.Links {
		rels[l.Rel] = l.Href
	}
	if rels["self"] != "https://status.example.com/status/history.atom" || rels["alternate"] != "https://status.example.com/status" {
		t.Errorf("feed links %v", rels)
	}
	// 26 public incidents and 2 maintenances; no draft
	if len(f.Entries) != 28 {
		t.Errorf("%d entries, want 28", len(f.Entries))
	}
	ids := map[string]bool{}
	for i, e := range f.Entries {
		if e.ID == "" || e.Title == "" || e.Updated == "" || len(e.Links) == 0 || e.Content.Type != "html" || e.Content.Body == "" {
			t.Errorf("entry %d incomplete: %+v", i, e)
		}
		if ids[e.ID] {
			t.Errorf("duplicate entry id %s", e.ID)
		}
		ids[e.ID] = true
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
			t.Errorf("entry %d updated %q", i, e.Updated)
		}
		if strings.Contains(e.Title, "Draft") {
			t.Error("draft in the feed")
		}
	}
	open := f.Entries[0]
	if open.Title != "Incident 0" || open.ID != "https://status.example.com/status/incidents/inc-open" ||
		open.Links[0].Href != "https://status.example.com/status/incidents/inc-open" {
		t.Errorf("first entry: %+v", open)
	}
	// content: every update, newest first, line breaks kept
	for _, sub := range []string{"<strong>Identified</strong> - Latest update 0<br>Second line.", "<strong>Investigating</strong> - First update 0", "Mar 15, 2025 15:20 CET", "This incident affected: Component 1."} {
		if !strings.Contains(open.Content.Body, sub) {
			t.Errorf("entry content lacks %q: %s", sub, open.Content.Body)
		}
	}
	if strings.Index(open.Content.Body, "Latest update") > strings.Index(open.Content.Body, "First update") {
		t.Error("updates not newest first")
	}
}

func TestRSSFeed(t *testing.T) {
	_, srv, c := newPageServer(t, defaultFixture())
	r := fetch(t, c, http.MethodGet, srv.URL+"/status/history.rss")
	if r.code != http.StatusOK || r.header.Get("Content-Type") != "application/rss+xml; charset=utf-8" {
		t.Fatalf("rss: %d %q", r.code, r.header.Get("Content-Type"))
	}
	assertWellFormed(t, "rss", r.body)
	f := decodeRSS(t, r.body)
	ch := f.Channel
	if f.Version != "2.0" || ch.Title == "" || ch.Link != "https://status.example.com/status" || ch.Description == "" {
		t.Errorf("channel: %+v", ch)
	}
	if _, err := time.Parse(time.RFC1123Z, ch.LastBuildDate); err != nil {
		t.Errorf("lastBuildDate %q", ch.LastBuildDate)
	}
	if len(ch.Items) != 28 {
		t.Errorf("%d items, want 28", len(ch.Items))
	}
	for i, it := range ch.Items {
		if it.Title == "" || !strings.HasPrefix(it.Link, "https://status.example.com/status/incidents/") || it.GUID == "" || it.Description == "" {
			t.Errorf("item %d incomplete: %+v", i, it)
		}
		if _, err := time.Parse(time.RFC1123Z, it.PubDate); err != nil {
			t.Errorf("item %d pubDate %q", i, it.PubDate)
		}
	}
	self := false
	for _, l := range ch.Links {
		self = self || (l.XMLName.Space == "http://www.w3.org/2005/Atom" && l.Rel == "self" && l.Href == "https://status.example.com/status/history.rss")
	}
	if !self {
		t.Error("no atom:link rel=self")
	}
}

// Without an absolute Page.URL the feeds stay valid, with URN ids and
// root-relative links.
func TestFeedsWithoutPageURL(t *testing.T) {
	s := defaultFixture()
	s.Page.URL = ""
	_, srv, c := newPageServer(t, s)
	f := decodeAtom(t, fetch(t, c, http.MethodGet, srv.URL+"/status/history.atom").body)
	if f.ID != "urn:linkwatch:linkwatch:history" || f.Entries[0].ID != "urn:linkwatch:linkwatch:incident:inc-open" ||
		f.Entries[0].Links[0].Href != "/status/incidents/inc-open" {
		t.Errorf("feed id %q, entry id %q, link %q", f.ID, f.Entries[0].ID, f.Entries[0].Links[0].Href)
	}
	rss := decodeRSS(t, fetch(t, c, http.MethodGet, srv.URL+"/status/history.rss").body)
	if rss.Channel.Link != "/status" {
		t.Errorf("rss link %q", rss.Channel.Link)
	}
}

func TestFeedBase(t *testing.T) {
	for in, want := range map[string]string{
		"https://status.example.com/status":  "https://status.example.com/status",
		"https://status.example.com/status/": "https://status.example.com/status",
		"http://x.example/status?utm=1#frag": "http://x.example/status",
		"javascript:alert(1)//status":        "",
		"/status":                            "",
		"":                                   "",
		"ftp://status.example.com/status":    "",
		"https:///status":                    "",
	} {
		if got := feedBase(Page{URL: in}); got != want {
			t.Errorf("feedBase(%q) = %q, want %q", in, got, want)
		}
	}
	v := newPageView(&Snapshot{Page: Page{URL: "https://example.com/tools/status"}}, time.UTC, pageNow)
	if page, base := v.pageLinks(); page != "https://example.com/tools/status" || base != "https://example.com/tools" {
		t.Errorf("pageLinks: %q %q", page, base)
	}
	v = newPageView(&Snapshot{Page: Page{URL: "https://example.com/health"}}, time.UTC, pageNow)
	if _, base := v.pageLinks(); base != "https://example.com" {
		t.Errorf("pageLinks base %q", base)
	}
}
