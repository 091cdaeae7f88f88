package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/health"
)

// LinkStore is what the links table and the one-link page read. The table
// reads a page of links and then every figure of the whole page in one
// batch read each (LatestFor, RollupsFor, ScanSeries): never one query per
// link, and never the raw results table.
type LinkStore interface {
	SearchLinks(ctx context.Context, q linkwatch.LinkSearch) ([]*linkwatch.Link, int, error)
	LatestFor(ctx context.Context, targets []linkwatch.Target) ([]linkwatch.Latest, error)
	RollupsFor(ctx context.Context, targets []linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error)
	ScanSeries(ctx context.Context, linkIDs []int64, from, to time.Time, bucket time.Duration) (map[int64][]linkwatch.SourceScans, error)
	LinkBySlug(ctx context.Context, domain, slug string) (*linkwatch.Link, error)
	ScanStats(ctx context.Context, q linkwatch.ScanQuery) (*linkwatch.ScanStats, error)
	AlertHistory(ctx context.Context, f alerting.HistoryFilter) ([]alerting.AlertEvent, error)
}

// Limits of the links table.
const (
	linksPerPage  = 50
	maxQueryLen   = 200
	uptimeWindow  = 7 * 24 * time.Hour
	latencyWindow = 24 * time.Hour
	sparkDays     = 7
)

// linksQuery is the table's search, tag filter and page, from the URL.
type linksQuery struct {
	Q    string
	Tag  string
	Page int // from 1
}

func parseLinksQuery(v url.Values) linksQuery {
	q := linksQuery{Q: strings.TrimSpace(v.Get("q")), Tag: strings.TrimSpace(v.Get("tag")), Page: 1}
	if len(q.Q) > maxQueryLen {
		q.Q = q.Q[:maxQueryLen]
	}
	if len(q.Tag) > linkwatch.MaxTagLen {
		q.Tag = q.Tag[:linkwatch.MaxTagLen]
	}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 1 && n <= 1_000_000 {
		q.Page = n
	}
	return q
}

// url is the table's address with q's search and tag on page.
func (q linksQuery) url(page int) string {
	v := url.Values{}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	if q.Tag != "" {
		v.Set("tag", q.Tag)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return homePath
	}
	return homePath + "?" + v.Encode()
}

// regionCell is one region's state in the table.
type regionCell struct {
	Region string
	State  health.State
	Why    string // the failure class and status, for a failing region
}

// linkRow is one link of the table.
type linkRow struct {
	Link     *linkwatch.Link
	Href     string // the one-link page
	State    health.State
	Reason   string
	Regions  []regionCell
	Uptime   float64 // NaN: no data
	P95      time.Duration
	HasP95   bool
	Today    int64
	Week     []int64 // scans per UTC day, oldest first, today last
	Spark    sparkline
	Failover failoverView
}

// failoverView is what a link serves, in words.
type failoverView struct {
	Word   string // "Primary", "Fallback", "—" without a fallback
	Mode   string // auto, off, pinned
	Active bool   // serving the fallback because of failover
	Error  string // the API's refusal of a change, on the link page
}

func failoverOf(l *linkwatch.Link, now time.Time) failoverView {
	if l.FallbackURL == "" && !l.FailoverActive(now) {
		return failoverView{Word: "No fallback", Mode: string(l.Failover)}
	}
	v := failoverView{Word: "Primary", Mode: "auto", Active: l.FailoverActive(now)}
	if v.Active {
		v.Word = "Fallback"
	}
	switch l.Failover {
	case linkwatch.FailoverOff:
		v.Mode = "off"
	case linkwatch.FailoverFallback, linkwatch.FailoverPrimary:
		v.Mode = "pinned"
	}
	return v
}

// linksPage is links.html's data.
type linksPage struct {
	Query  linksQuery
	Rows   []linkRow
	Total  int
	Pages  int
	First  int // the first and last rows' numbers, from 1
	Last   int
	Prev   string
	Next   string
	Now    time.Time
	Failed string // a read failed: what the reader is told
}

// linkHref is the one-link page of l.
func linkHref(l *linkwatch.Link) string {
	h := homePath + "/links/" + url.PathEscape(l.Slug)
	if l.Domain != "" {
		h += "?domain=" + url.QueryEscape(l.Domain)
	}
	return h
}

// linksTable reads one page of the table: the links, then each figure for
// the whole page at once.
func linksTable(ctx context.Context, st LinkStore, uptimes *uptimeCache, q linksQuery, now time.Time) (*linksPage, error) {
	links, total, err := st.SearchLinks(ctx, linkwatch.LinkSearch{Query: q.Q, Tag: q.Tag,
		Offset: (q.Page - 1) * linksPerPage, Limit: linksPerPage})
	if err != nil {
		return nil, err
	}
	p := &linksPage{Query: q, Total: total, Now: now, Pages: max((total+linksPerPage-1)/linksPerPage, 1),
		First: (q.Page-1)*linksPerPage + 1}
	if q.Page > 1 {
		p.Prev = q.url(min(q.Page-1, p.Pages))
	}
	if q.Page < p.Pages {
		p.Next = q.url(q.Page + 1)
	}
	if len(links) == 0 {
		return p, nil
	}
	targets := make([]linkwatch.Target, len(links))
	ids := make([]int64, len(links))
	for i, l := range links {
		targets[i] = linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}
		ids[i] = l.ID
	}

	latest, err := st.LatestFor(ctx, targets)
	if err != nil {
		return nil, err
	}
	byLink := map[int64][]linkwatch.Latest{}
	for _, l := range latest {
		byLink[l.Target.ID] = append(byLink[l.Target.ID], l)
	}

	// Uptime as the health API computes it (health.Hours and Window over
	// the hourly rollups of the window), its settled hours cached.
	figures, err := uptimes.figures(ctx, st, links, now)
	if err != nil {
		return nil, err
	}

	today := now.UTC().Truncate(24 * time.Hour)
	weekFrom := today.AddDate(0, 0, -(sparkDays - 1))
	scans, err := st.ScanSeries(ctx, ids, weekFrom, today.Add(24*time.Hour), 24*time.Hour)
	if err != nil {
		return nil, err
	}

	for _, l := range links {
		row := linkRow{Link: l, Href: linkHref(l), Failover: failoverOf(l, now)}
		a := health.Assess(byLink[l.ID], l.CheckInterval, now)
		row.State, row.Reason = a.State, a.Reason
		for _, r := range a.Regions {
			c := regionCell{Region: r.Region, State: r.State}
			if r.State == health.Down {
				c.Why = failureWords(r.Latest)
			}
			row.Regions = append(row.Regions, c)
		}
		f := figures[l.ID]
		row.Uptime, row.P95, row.HasP95 = f.Uptime, f.P95, f.HasP95
		row.Week = make([]int64, sparkDays)
		for _, b := range scans[l.ID] {
			if d := int(b.T.Sub(weekFrom) / (24 * time.Hour)); d >= 0 && d < sparkDays {
				row.Week[d] += b.Total()
			}
		}
		row.Today = row.Week[sparkDays-1]
		row.Spark = newSparkline(row.Week)
		p.Rows = append(p.Rows, row)
	}
	p.Last = p.First + len(p.Rows) - 1
	return p, nil
}

// p95Since is the 95th percentile latency of the hourly rollups from the
// hour holding since on, their histograms merged (all regions); false
// without checks.
func p95Since(rollups []linkwatch.Rollup, since time.Time) (time.Duration, bool) {
	merged := linkwatch.Rollup{}
	since = since.Truncate(time.Hour)
	for _, r := range rollups {
		if r.Start.Before(since) {
			continue
		}
		if merged.Latency == nil {
			merged.Latency = make([]int64, len(r.Latency))
		}
		for i, n := range r.Latency {
			if i < len(merged.Latency) {
				merged.Latency[i] += n
			}
		}
		merged.Checks += r.Checks
	}
	if merged.Checks == 0 {
		return 0, false
	}
	return merged.Percentile(0.95), true
}

// failureWords says why a check failed, briefly: "http_status 503",
// "timeout".
func failureWords(l linkwatch.Latest) string {
	if l.Class == linkwatch.ClassHTTPStatus && l.Status != 0 {
		return l.Class + " " + strconv.Itoa(l.Status)
	}
	return l.Class
}

// links serves the links table: /dashboard and /dashboard/links.
func (d *Dashboard) links() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := parseLinksQuery(r.URL.Query())
		p, err := linksTable(r.Context(), d.deps.Links, d.uptimes, q, d.now())
		if err != nil {
			d.log.Error("dashboard: reading the links table failed", "err", err)
			d.renderError(w, r, http.StatusServiceUnavailable, "The links could not be read right now. Try again in a moment.")
			return
		}
		d.render(w, r, http.StatusOK, "links", p)
	}
}

// Warm fills the links table's uptime cache for the pages most likely to be
// shown — the unfiltered table's first pages, up to the cache's size — so
// that the first visitor after a start does not pay for reading a week of
// hourly rollups. It returns when done, when ctx ends, or at the first error
// (logged: a cold cache is only slower). cmd runs it once beside the server.
func (d *Dashboard) Warm(ctx context.Context) error {
	if d.deps.Links == nil {
		return nil
	}
	for page := 1; (page-1)*linksPerPage < uptimeCacheLinks; page++ {
		p, err := linksTable(ctx, d.deps.Links, d.uptimes, linksQuery{Page: page}, d.now())
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("warming the links table's uptime cache failed", "err", err)
			}
			return nil
		}
		if page*linksPerPage >= p.Total {
			return nil
		}
	}
	return nil
}
