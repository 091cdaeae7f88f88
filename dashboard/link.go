package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/api"
	"github.com/linkwatch/linkwatch/qrcode"
)

// The one-link page. Its health (each region's state, last redirect chain
// and whether it saw the link as it is now) is the API's own health
// document, read through callAPI, so "current" and the states are the API's
// rules; its charts come from the rollups and the scans; "recent checks"
// are each region's latest check and its last 24 hours of rollups (checks,
// failures by error class and slow checks per region) — the raw results
// table is never read per request.

// Windows of the link page's charts.
const (
	hourBuckets    = 48
	dayBuckets     = 30
	alertsShown    = 20
	alertsLookBack = 30 * 24 * time.Hour
)

// The API's documents, decoded as the API defines them.
type (
	healthDoc = api.HealthDoc
	regionDoc = api.RegionHealthDoc
	checkDoc  = api.CheckDoc
)

// regionChecks is one region's checks of the last 24 hours, from the
// hourly rollups.
type regionChecks struct {
	Region   string
	Checks   int64
	Failures int64
	Degraded int64
	// Classes are the failures by error class, in linkwatch.ErrorClasses'
	// order, without the classes that did not fail.
	Classes []linkwatch.ClassCount
	// Unclassified are the failures counted in rollups stored before they
	// kept classes.
	Unclassified int64
}

// editForm is the edit form's values and the API's errors by field.
type editForm struct {
	Destination   string
	FallbackURL   string
	Tags          string
	ExpiresAt     string // datetime-local, UTC
	CheckInterval string
	Errors        map[string]string
	Message       string // an error naming no field of the form
}

// formField is one input of the edit form.
type formField struct {
	Name, Label, Type, Value, Help, Error string
}

// Fields are the form's inputs in order, with their values and errors.
func (f editForm) Fields() []formField {
	return []formField{
		{"destination", "Destination", "url", f.Destination, "Where visitors go.", f.Errors["destination"]},
		{"fallback_url", "Fallback URL", "url", f.FallbackURL, "Where visitors go while the destination is down (with failover on), and after expiry. Empty: none.", f.Errors["fallback_url"]},
		{"tags", "Tags", "text", f.Tags, "Campaigns, separated by commas.", f.Errors["tags"]},
		{"expires_at", "Expires (UTC)", "datetime-local", f.ExpiresAt, "Empty: never.", f.Errors["expires_at"]},
		{"check_interval", "Check every", "text", f.CheckInterval, "A duration such as 30s, 5m or 1h (1s to 24h).", f.Errors["check_interval"]},
	}
}

func editFormOf(l *linkwatch.Link) editForm {
	f := editForm{Destination: l.Destination, FallbackURL: l.FallbackURL, Tags: strings.Join(l.Tags, ", "),
		CheckInterval: l.CheckInterval.String()}
	if !l.ExpiresAt.IsZero() {
		f.ExpiresAt = l.ExpiresAt.UTC().Format("2006-01-02T15:04")
	}
	return f
}

// linkPage is link.html's data.
type linkPage struct {
	Link     *linkwatch.Link
	Self     string // this page
	Action   string // the base of its forms' actions
	ShortURL string
	Health   healthDoc
	Uptime   []uptimeCell
	By       string // hour or day
	ByHour   string // the page by hour, and by day
	ByDay    string
	Latency  latencyChart
	Scans    scansChart
	Stats    *linkwatch.ScanStats
	Recent   []regionChecks
	Alerts   []alerting.AlertEvent
	QR       qrChoices
	Form     editForm
	Failover failoverView
	Check    *checkDoc
	CheckErr string
	Changed  bool // the page after a saved change
	Now      time.Time
}

type uptimeCell struct {
	Window string
	Value  float64 // NaN: no data
}

// qrChoices are the QR download choices.
type qrChoices struct {
	PNG, SVG string // the download paths, without options
	Sizes    []int
	Levels   []string
	Default  int
}

// linkAddr is the slug and ?domain= of the page's link.
func linkAddr(r *http.Request) (slug, domain string) {
	return chi.URLParam(r, "slug"), r.URL.Query().Get("domain")
}

// apiLinkPath is the API's path of a link, with what follows it (""
// or "/health", "/check" …) and its ?domain=.
func apiLinkPath(slug, domain, rest string) string {
	p := "/links/" + url.PathEscape(slug) + rest
	if domain != "" {
		p += "?domain=" + url.QueryEscape(domain)
	}
	return p
}

// linkPageFor reads everything the link page shows but the form.
func (d *Dashboard) linkPageFor(r *http.Request, l *linkwatch.Link, by string) (*linkPage, error) {
	ctx := r.Context()
	now := d.now()
	p := &linkPage{Link: l, Self: linkHref(l), Action: homePath + "/links/" + url.PathEscape(l.Slug), By: by,
		Failover: failoverOf(l, now), Now: now, Form: editFormOf(l)}
	if d.cfg.PublicURL != nil {
		p.ShortURL = l.ShortURL(d.cfg.PublicURL)
	}
	p.ByHour, p.ByDay = withQuery(p.Self, "by", "hour"), withQuery(p.Self, "by", "day")
	if _, err := d.callAPI(r, http.MethodGet, apiLinkPath(l.Slug, l.Domain, "/health"), nil, &p.Health); err != nil {
		return nil, err
	}
	for _, w := range []string{"24h", "7d", "30d"} {
		c := uptimeCell{Window: w, Value: nan()}
		if v := p.Health.Uptime[w]; v != nil {
			c.Value = *v
		}
		p.Uptime = append(p.Uptime, c)
	}

	res, n := linkwatch.Hourly, hourBuckets
	if by == "day" {
		res, n = linkwatch.Daily, dayBuckets
	}
	end := now.UTC().Truncate(res).Add(res) // the end of the current bucket
	from := end.Add(-time.Duration(n) * res)
	target := linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}
	rollups, err := d.deps.Links.RollupsFor(ctx, []linkwatch.Target{target}, res, from, end)
	if err != nil {
		return nil, err
	}
	p.Latency = newLatencyChart(latencyPoints(rollups, from, res, n), res)

	series, err := d.deps.Links.ScanSeries(ctx, []int64{l.ID}, from, end, res)
	if err != nil {
		return nil, err
	}
	points := make([]scanPoint, n)
	for i := range points {
		points[i].T = from.Add(time.Duration(i) * res)
	}
	for _, b := range series[l.ID] {
		if i := int(b.T.Sub(from) / res); i >= 0 && i < n {
			points[i].QR += b.QR
			points[i].Link += b.Link
		}
	}
	p.Scans = newScansChart(points, res)
	if p.Stats, err = d.deps.Links.ScanStats(ctx, linkwatch.ScanQuery{LinkID: l.ID, From: from, To: end, Bucket: res}); err != nil {
		return nil, err
	}

	// Recent checks: the last 24 hours of hourly rollups, per region.
	since := now.Add(-24 * time.Hour).Truncate(time.Hour)
	hourly := rollups // by hour, the chart's 48 hours hold them
	if res != linkwatch.Hourly {
		if hourly, err = d.deps.Links.RollupsFor(ctx, []linkwatch.Target{target}, linkwatch.Hourly, since, end); err != nil {
			return nil, err
		}
	}
	p.Recent = recentChecks(hourly, since)

	if p.Alerts, err = linkAlerts(ctx, d.deps.Links, l, now); err != nil {
		return nil, err
	}
	p.QR = qrChoices{PNG: p.Action + "/qr.png", SVG: p.Action + "/qr.svg", Sizes: qrSizes(),
		Levels: []string{"L", "M", "Q", "H"}, Default: qrcode.DefaultSize}
	return p, nil
}

// withQuery is page with key=value added to its query.
func withQuery(page, key, value string) string {
	u, err := url.Parse(page)
	if err != nil {
		return page
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// latencyPoints merges the rollups of every region into n buckets of res
// from from: checks, failures, the average and the p95 (histograms merged).
func latencyPoints(rollups []linkwatch.Rollup, from time.Time, res time.Duration, n int) []latencyPoint {
	merged := make([]linkwatch.Rollup, n)
	for _, r := range rollups {
		i := int(r.Start.Sub(from) / res)
		if i < 0 || i >= n {
			continue
		}
		m := &merged[i]
		if m.Latency == nil {
			m.Latency = make([]int64, len(r.Latency))
		}
		for b, c := range r.Latency {
			if b < len(m.Latency) {
				m.Latency[b] += c
			}
		}
		m.Checks += r.Checks
		m.Failures += r.Failures
		m.LatencySum += r.LatencySum
	}
	out := make([]latencyPoint, n)
	for i, m := range merged {
		out[i] = latencyPoint{T: from.Add(time.Duration(i) * res), Checks: m.Checks, Failures: m.Failures}
		if m.Checks > 0 {
			out[i].Avg = m.LatencySum / time.Duration(m.Checks)
			out[i].P95 = m.Percentile(0.95)
		}
	}
	return out
}

// recentChecks sums the hourly rollups from since on per region: checks,
// failures by error class and slow checks.
func recentChecks(rollups []linkwatch.Rollup, since time.Time) []regionChecks {
	var (
		out  []regionChecks
		sums []linkwatch.Rollup // per region of out: the classes summed
	)
	for _, r := range rollups {
		if r.Resolution != linkwatch.Hourly || r.Start.Before(since) {
			continue
		}
		i := slices.IndexFunc(out, func(c regionChecks) bool { return c.Region == r.Region })
		if i < 0 {
			out = append(out, regionChecks{Region: r.Region})
			sums = append(sums, linkwatch.Rollup{Classes: make([]int64, len(linkwatch.ErrorClasses))})
			i = len(out) - 1
		}
		out[i].Checks += r.Checks
		out[i].Failures += r.Failures
		out[i].Degraded += r.Degraded
		for c, n := range r.Classes {
			if c < len(sums[i].Classes) {
				sums[i].Classes[c] += n
			}
		}
	}
	for i := range out {
		out[i].Classes = sums[i].FailureClasses()
		out[i].Unclassified = out[i].Failures
		for _, c := range out[i].Classes {
			out[i].Unclassified -= c.Count
		}
	}
	slices.SortFunc(out, func(a, b regionChecks) int { return strings.Compare(a.Region, b.Region) })
	return out
}

// linkAlerts is the link's alert history: the events of the last 30 days
// whose alert is about this link (every rule's key on a link ends in
// "|link/<id>"), newest first, at most alertsShown. The store filters by
// exact key only, so the page reads the recent history once and picks.
func linkAlerts(ctx context.Context, st LinkStore, l *linkwatch.Link, now time.Time) ([]alerting.AlertEvent, error) {
	events, err := st.AlertHistory(ctx, alerting.HistoryFilter{Since: now.Add(-alertsLookBack), Limit: 1000})
	if err != nil {
		return nil, err
	}
	suffix := "|link/" + strconv.FormatInt(l.ID, 10)
	var out []alerting.AlertEvent
	for _, e := range events {
		if strings.HasSuffix(e.Key, suffix) {
			out = append(out, e)
			if len(out) == alertsShown {
				break
			}
		}
	}
	return out, nil
}

// byParam is ?by=: hour (the default) or day.
func byParam(r *http.Request) string {
	if r.URL.Query().Get("by") == "day" {
		return "day"
	}
	return "hour"
}

// linkPageHandler serves /dashboard/links/{slug}.
func (d *Dashboard) linkPageHandler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l, ok := d.findLink(w, r)
		if !ok {
			return
		}
		p, err := d.linkPageFor(r, l, byParam(r))
		if err != nil {
			d.linkReadFailed(w, r, err)
			return
		}
		p.Changed = r.URL.Query().Get("saved") == "1"
		d.render(w, r, http.StatusOK, "link", p)
	}
}

// findLink reads the request's link, or answers 404 (or 503) itself.
func (d *Dashboard) findLink(w http.ResponseWriter, r *http.Request) (*linkwatch.Link, bool) {
	slug, domain := linkAddr(r)
	l, err := d.deps.Links.LinkBySlug(r.Context(), domain, slug)
	switch {
	case linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND:
		d.renderError(w, r, http.StatusNotFound, "There is no such link. It may have been deleted.")
		return nil, false
	case err != nil:
		d.linkReadFailed(w, r, err)
		return nil, false
	}
	return l, true
}

func (d *Dashboard) linkReadFailed(w http.ResponseWriter, r *http.Request, err error) {
	if linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND {
		d.renderError(w, r, http.StatusNotFound, "There is no such link. It may have been deleted.")
		return
	}
	d.log.Error("dashboard: reading a link's page failed", "err", err)
	d.renderError(w, r, http.StatusServiceUnavailable, "The link could not be read right now. Try again in a moment.")
}
