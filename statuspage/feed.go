package statuspage

import (
	"bytes"
	"encoding/xml"
	"html"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The incident history as Atom 1.0 and RSS 2.0: one entry per published
// incident or maintenance, its content the timeline (HTML, built from
// escaped text, then escaped again by encoding/xml as the element's text).

// feedLimit bounds the entries.
const feedLimit = 50

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published,omitempty"`
	Links     []atomLink `xml:"link"`
	Content   atomText   `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type rssFeed struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language"`
	LastBuildDate string    `xml:"lastBuildDate"`
	AtomLink      atomLink  `xml:"http://www.w3.org/2005/Atom link"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	GUID        rssGUID `xml:"guid"`
	PubDate     string  `xml:"pubDate"`
	Description string  `xml:"description"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

// feedBase is the page's public URL without a trailing slash when it is an
// absolute http(s) URL, else "" (links are then root-relative).
func feedBase(p Page) string {
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimSuffix(u.String(), "/")
}

// feedItems are the public incidents and maintenances, most recently
// updated first.
func (v *pageView) feedItems() []*Incident {
	items := make([]*Incident, 0, len(v.incidents)+len(v.maintenances))
	items = append(items, v.incidents...)
	items = append(items, v.maintenances...)
	slices.SortStableFunc(items, func(a, b *Incident) int { return v.entryTime(b).Compare(v.entryTime(a)) })
	if len(items) > feedLimit {
		items = items[:feedLimit]
	}
	return items
}

// entryTime dates a feed entry: when its latest update was posted (the
// incident's own creation or change when it has none), and never later
// than now. Readers sort and poll by this date, so a scheduled
// maintenance is dated by its latest announcement, never by its future
// start, and an update's display time set ahead moves nothing.
func (v *pageView) entryTime(in *Incident) time.Time {
	var t time.Time
	for _, u := range in.Updates {
		t = latestTime(t, u.CreatedAt)
	}
	if t.IsZero() {
		t = latestTime(in.CreatedAt, in.UpdatedAt)
	}
	if t.After(v.now) {
		t = v.now
	}
	return t
}

// entryPublished is when an entry's incident began (its start, or its
// creation when the start is still ahead), never after its entryTime.
func (v *pageView) entryPublished(in *Incident, updated time.Time) time.Time {
	p := in.StartedAt
	if p.IsZero() || p.After(updated) {
		p = in.CreatedAt
	}
	if p.After(updated) {
		p = updated
	}
	return p
}

func latestTime(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// pageLinks returns the status page's URL, and the base the handler's
// other paths (/status/…, /api/v2/…) hang off: Page.URL without its
// trailing /status, or its origin. Both are root-relative without an
// absolute http(s) Page.URL.
func (v *pageView) pageLinks() (page, base string) {
	page = feedBase(v.s.Page)
	if page == "" {
		return "/status", ""
	}
	if b, ok := strings.CutSuffix(page, "/status"); ok {
		return page, b
	}
	u, _ := url.Parse(page)
	u.Path, u.RawPath = "", ""
	return page, strings.TrimSuffix(u.String(), "/")
}

func (v *pageView) feedTitle() string {
	name := v.s.Page.Name
	if name == "" {
		name = "Status"
	}
	return name + " status: incident history"
}

// feedUpdated is the feed's own date: the snapshot's latest change, and
// never before its newest entry nor after now.
func (v *pageView) feedUpdated(items []*Incident) time.Time {
	t := v.s.UpdatedAt
	if t.IsZero() {
		t = v.now
	}
	if len(items) > 0 {
		t = latestTime(t, v.entryTime(items[0]))
	}
	if t.After(v.now) {
		t = v.now
	}
	return t.UTC()
}

// timelineHTML is an incident's updates, newest first, as HTML built from
// escaped text: "<p><small>time</small><br><strong>Status</strong> - body</p>".
func (v *pageView) timelineHTML(in *Incident) string {
	var b strings.Builder
	if in.Maintenance && !in.ScheduledFor.IsZero() {
		b.WriteString("<p><strong>Scheduled maintenance</strong>: ")
		b.WriteString(html.EscapeString(v.window(in.ScheduledFor, in.ScheduledUntil)))
		b.WriteString("</p>")
	}
	var names []string
	for _, a := range in.Components {
		if n, ok := v.names[a.ComponentID]; ok {
			names = append(names, n)
		}
	}
	for i := range in.Updates {
		u := v.updateView(&in.Updates[i])
		b.WriteString("<p><small>")
		b.WriteString(html.EscapeString(u.At.Text))
		b.WriteString("</small><br><strong>")
		b.WriteString(html.EscapeString(u.Status))
		b.WriteString("</strong> - ")
		b.WriteString(strings.ReplaceAll(html.EscapeString(strings.ReplaceAll(u.Body, "\r\n", "\n")), "\n", "<br>"))
		b.WriteString("</p>")
	}
	if len(names) > 0 {
		b.WriteString("<p>This incident affected: ")
		b.WriteString(html.EscapeString(strings.Join(names, ", ")))
		b.WriteString(".</p>")
	}
	return b.String()
}

func (v *pageView) entryID(base string, in *Incident) string {
	if base != "" {
		return base + incidentURL(in.ID)
	}
	pid := v.s.Page.ID
	if pid == "" {
		pid = "linkwatch"
	}
	return "urn:linkwatch:" + url.PathEscape(pid) + ":incident:" + url.PathEscape(in.ID)
}

// renderAtom renders /status/history.atom.
func (v *pageView) renderAtom() ([]byte, error) {
	page, base := v.pageLinks()
	items := v.feedItems()
	f := atomFeed{
		Title:   v.feedTitle(),
		Updated: v.feedUpdated(items).Format(time.RFC3339),
		Links: []atomLink{
			{Rel: "alternate", Type: "text/html", Href: page},
			{Rel: "self", Type: "application/atom+xml", Href: base + "/status/history.atom"},
		},
		Author: atomPerson{Name: v.s.Page.Name},
	}
	if f.Author.Name == "" {
		f.Author.Name = "Status"
	}
	if base != "" {
		f.ID = base + "/status/history.atom"
	} else {
		pid := v.s.Page.ID
		if pid == "" {
			pid = "linkwatch"
		}
		f.ID = "urn:linkwatch:" + url.PathEscape(pid) + ":history"
	}
	for _, in := range items {
		updated := v.entryTime(in)
		published := v.entryPublished(in, updated)
		e := atomEntry{
			ID:      v.entryID(base, in),
			Title:   in.Name,
			Updated: updated.UTC().Format(time.RFC3339),
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: base + incidentURL(in.ID)}},
			Content: atomText{Type: "html", Body: v.timelineHTML(in)},
		}
		if !published.IsZero() {
			e.Published = published.UTC().Format(time.RFC3339)
		}
		f.Entries = append(f.Entries, e)
	}
	return marshalFeed(f)
}

// renderRSS renders /status/history.rss.
func (v *pageView) renderRSS() ([]byte, error) {
	page, base := v.pageLinks()
	items := v.feedItems()
	f := rssFeed{Version: "2.0", Channel: rssChannel{
		Title:         v.feedTitle(),
		Link:          page,
		Description:   "Incidents and scheduled maintenance of " + v.feedTitleName(),
		Language:      "en",
		LastBuildDate: v.feedUpdated(items).Format(time.RFC1123Z),
		AtomLink:      atomLink{Rel: "self", Type: "application/rss+xml", Href: base + "/status/history.rss"},
	}}
	for _, in := range items {
		// RSS has one date: the entry's latest update, as Atom's updated.
		published := v.entryTime(in)
		f.Channel.Items = append(f.Channel.Items, rssItem{
			Title:       in.Name,
			Link:        base + incidentURL(in.ID),
			GUID:        rssGUID{Value: v.entryID(base, in), IsPermaLink: base != ""},
			PubDate:     published.UTC().Format(time.RFC1123Z),
			Description: v.timelineHTML(in),
		})
	}
	return marshalFeed(f)
}

func (v *pageView) feedTitleName() string {
	if v.s.Page.Name == "" {
		return "this service"
	}
	return v.s.Page.Name
}

func marshalFeed(f any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
