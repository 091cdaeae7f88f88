package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
)

// Campaigns is what the campaign pages, their share links and the CSV
// export read: links by tag (or all), the latest results of many links at
// once, and scans by people of many links at once.
type Campaigns interface {
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	LatestFor(ctx context.Context, targets []linkwatch.Target) ([]linkwatch.Latest, error)
	ScanSeries(ctx context.Context, linkIDs []int64, from, to time.Time, bucket time.Duration) (map[int64][]linkwatch.SourceScans, error)
}

// campaignLink is one link of a campaign with its health.
type campaignLink struct {
	Link     *linkwatch.Link
	Href     string // the link's page
	Health   health.Assessment
	Failover bool // serving its fallback because of failover
	Scans    int64
}

// campaignSummary is one line of the campaigns list.
type campaignSummary struct {
	Tag    string
	URL    string
	Links  int
	Worst  health.State
	Counts stateCounts
}

// stateCounts counts links by state, for "2 down, 1 degraded".
type stateCounts struct{ Down, Degraded, Unknown, Up int }

func (c *stateCounts) add(s health.State) {
	switch s {
	case health.Down:
		c.Down++
	case health.Degraded:
		c.Degraded++
	case health.Up:
		c.Up++
	default:
		c.Unknown++
	}
}

// stateRank orders states worst first: down, degraded, unknown (no fresh
// result: nobody knows), up.
func stateRank(s health.State) int {
	switch s {
	case health.Down:
		return 0
	case health.Degraded:
		return 1
	case health.Up:
		return 3
	}
	return 2
}

func worse(a, b health.State) health.State {
	if stateRank(b) < stateRank(a) {
		return b
	}
	return a
}

// assessLinks is each link's health (health.Assess over its regions' latest
// results), read for all of them in one query.
func assessLinks(ctx context.Context, st Campaigns, links []*linkwatch.Link, now time.Time) ([]campaignLink, error) {
	targets := make([]linkwatch.Target, len(links))
	for i, l := range links {
		targets[i] = linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}
	}
	latest, err := st.LatestFor(ctx, targets)
	if err != nil {
		return nil, err
	}
	byLink := map[int64][]linkwatch.Latest{}
	for _, l := range latest {
		if l.Target.Kind == linkwatch.KindLink {
			byLink[l.Target.ID] = append(byLink[l.Target.ID], l)
		}
	}
	out := make([]campaignLink, len(links))
	for i, l := range links {
		out[i] = campaignLink{Link: l, Href: linkHref(l), Health: health.Assess(byLink[l.ID], l.CheckInterval, now), Failover: l.FailoverActive(now)}
	}
	return out, nil
}

// sortWorstFirst orders a campaign's links worst first, then by domain and
// slug.
func sortWorstFirst(links []campaignLink) {
	slices.SortStableFunc(links, func(a, b campaignLink) int {
		if d := stateRank(a.Health.State) - stateRank(b.Health.State); d != 0 {
			return d
		}
		if c := strings.Compare(a.Link.Domain, b.Link.Domain); c != 0 {
			return c
		}
		return strings.Compare(a.Link.Slug, b.Link.Slug)
	})
}

// summarize groups links by tag: each tag's number of links, its worst
// state and its links by state; worst campaigns first, then by tag.
func summarize(links []campaignLink) []campaignSummary {
	byTag := map[string]*campaignSummary{}
	for _, cl := range links {
		for _, tag := range cl.Link.Tags {
			s := byTag[tag]
			if s == nil {
				s = &campaignSummary{Tag: tag, URL: campaignPath(tag), Worst: health.Up}
				byTag[tag] = s
			}
			s.Links++
			s.Worst = worse(s.Worst, cl.Health.State)
			s.Counts.add(cl.Health.State)
		}
	}
	out := make([]campaignSummary, 0, len(byTag))
	for _, s := range byTag {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b campaignSummary) int {
		if d := stateRank(a.Worst) - stateRank(b.Worst); d != 0 {
			return d
		}
		return strings.Compare(a.Tag, b.Tag)
	})
	return out
}

// campaignsPage lists every campaign (tag) with its number of links and
// its worst state.
func (d *Dashboard) campaignsPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st := d.deps.Campaigns
		links, err := st.ListLinks(r.Context(), linkwatch.LinkFilter{})
		if err != nil {
			d.failRead(w, r, err)
			return
		}
		assessed, err := assessLinks(r.Context(), st, links, d.now())
		if err != nil {
			d.failRead(w, r, err)
			return
		}
		untagged := 0
		for _, l := range links {
			if len(l.Tags) == 0 {
				untagged++
			}
		}
		d.render(w, r, http.StatusOK, "campaigns", struct {
			Campaigns []campaignSummary
			Untagged  int
		}{summarize(assessed), untagged})
	}
}

// campaignData is what campaign.html and share.html show of one campaign.
type campaignData struct {
	Tag     string
	URL     string
	Links   []campaignLink
	Worst   health.State
	Counts  stateCounts
	Scans   scansChart
	By      string // "day" or "hour"
	Shared  bool   // the page is a share link's: no controls, no links out
	ShareTo string // a share link just created
	TTLs    []struct {
		Label string
		TTL   time.Duration
	}
	ShareError   string
	ShareExpires time.Time
	ShareQuery   string // exp and sig of the share page, for its own links
}

// campaign reads a campaign's links (worst first) and its scans by people
// over the window of by ("day": 30 days by day; "hour": 48 hours by hour).
// It is ENOTFOUND when no link carries the tag.
func (d *Dashboard) campaign(ctx context.Context, tag, by string) (*campaignData, error) {
	st := d.deps.Campaigns
	links, err := st.ListLinks(ctx, linkwatch.LinkFilter{Tag: tag})
	if err != nil {
		return nil, err
	}
	if len(links) == 0 {
		return nil, linkwatch.Errorf(linkwatch.ENOTFOUND, "no link carries the tag %q", tag)
	}
	now := d.now()
	assessed, err := assessLinks(ctx, st, links, now)
	if err != nil {
		return nil, err
	}
	win := scanWindowOf(by, now)
	ids := make([]int64, len(links))
	for i, l := range links {
		ids[i] = l.ID
	}
	series, err := st.ScanSeries(ctx, ids, win.From, win.To, win.Bucket)
	if err != nil {
		return nil, err
	}
	c := &campaignData{Tag: tag, URL: campaignPath(tag), Links: assessed, Worst: health.Up, By: win.By, TTLs: shareTTLs}
	for i := range c.Links {
		for _, b := range series[c.Links[i].Link.ID] {
			c.Links[i].Scans += b.Total()
		}
		c.Worst = worse(c.Worst, c.Links[i].Health.State)
		c.Counts.add(c.Links[i].Health.State)
	}
	sortWorstFirst(c.Links)
	c.Scans = campaignScans(win, series)
	return c, nil
}

// campaignPage shows one campaign: every link at once, worst first, its
// scans over time, and (for an admin session) the share control.
func (d *Dashboard) campaignPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := d.campaign(r.Context(), tagParam(r), r.URL.Query().Get("by"))
		if err != nil {
			d.failRead(w, r, err)
			return
		}
		d.render(w, r, http.StatusOK, "campaign", c)
	}
}

// failRead answers a failed read: not found as 404, anything else as a
// 503 that names no cause (the log has it).
func (d *Dashboard) failRead(w http.ResponseWriter, r *http.Request, err error) {
	if linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND {
		d.renderError(w, r, http.StatusNotFound, linkwatch.ErrorMessage(err))
		return
	}
	d.log.Error("dashboard: a read failed", "path", r.URL.Path, "err", err)
	d.renderError(w, r, http.StatusServiceUnavailable, "The dashboard cannot read its data right now. Try again in a moment.")
}
