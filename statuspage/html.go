package statuspage

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/health"
)

// The page's HTML: templates and assets are embedded; everything a user or
// an operator typed (page, component and incident names, descriptions,
// update bodies) reaches the output only through html/template's
// contextual escaping — the view model holds plain strings, never
// template.HTML. The only template.CSS is the embed widget's stylesheet, an
// embedded asset.

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/*
var assetFS embed.FS

// Icons, drawn on a 16×16 grid. They accompany a status's words, never
// replace them.
var pageIcons = []pageIcon{
	{ID: "i-ok", D: "M8 0a8 8 0 1 1 0 16A8 8 0 0 1 8 0zm3.7 5.2a.9.9 0 0 0-1.3.1L7 9.6 5.5 8.1a.9.9 0 1 0-1.3 1.3l2.2 2.2a.9.9 0 0 0 1.3-.1l4.1-5a.9.9 0 0 0-.1-1.3z"},
	{ID: "i-warn", D: "M7.1.9a1 1 0 0 1 1.8 0l7 13.6a1 1 0 0 1-.9 1.5H1a1 1 0 0 1-.9-1.5zM8 5a.9.9 0 0 0-.9 1l.3 4.2a.6.6 0 0 0 1.2 0l.3-4.2A.9.9 0 0 0 8 5zm0 6.6a1 1 0 1 0 0 2 1 1 0 0 0 0-2z"},
	// i-part, a half-filled circle: a partial outage, between the warning
	// (degraded) and the cross (a major outage) in shape as in colour.
	{ID: "i-part", D: "M8 0a8 8 0 1 1 0 16A8 8 0 0 1 8 0zm0 2v12a6 6 0 0 0 0-12z"},
	{ID: "i-down", D: "M8 0a8 8 0 1 1 0 16A8 8 0 0 1 8 0zM5.3 4.1 4.1 5.3 6.8 8l-2.7 2.7 1.2 1.2L8 9.2l2.7 2.7 1.2-1.2L9.2 8l2.7-2.7-1.2-1.2L8 6.8z"},
	{ID: "i-maint", D: "M8 0a8 8 0 1 1 0 16A8 8 0 0 1 8 0zm0 2a6 6 0 1 0 0 12A6 6 0 0 0 8 2zm-.9 2h1.6v3.6l2.8 1.7-.8 1.4-3.6-2.2z"},
}

type pageIcon struct{ ID, D string }

func iconByID(id string) pageIcon {
	for _, i := range pageIcons {
		if i.ID == id {
			return i
		}
	}
	return pageIcons[0]
}

// Layout constants.
const (
	historyPerPage = 20
	pastDays       = 14
	barDays        = 90
	barStep        = 5 // the bar's viewBox is 448 wide: 90 rects of 3, every 5
	// recentDays is how many days narrow screens show, as Statuspage's
	// page does on a phone: a grid of cells at least 24 px square.
	recentDays = 30
)

// barX are the rects' x, formatted once.
var barX = func() []string {
	xs := make([]string, barDays)
	for i := range xs {
		xs[i] = strconv.Itoa(i * barStep)
	}
	return xs
}()

// pageRenderer holds the parsed templates.
type pageRenderer struct {
	pages  map[string]*template.Template // status, history, incident, notfound; each executes "layout"
	embed  *template.Template
	assets *assetSet
}

func newPageRenderer(assets *assetSet) (*pageRenderer, error) {
	base, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("statuspage: templates: %w", err)
	}
	r := &pageRenderer{pages: map[string]*template.Template{}, assets: assets}
	for _, name := range []string{"status", "history", "incident", "notfound"} {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, "templates/"+name+".html"); err != nil {
			return nil, fmt.Errorf("statuspage: template %s: %w", name, err)
		}
		r.pages[name] = t
	}
	r.embed, err = template.New("embed.html").ParseFS(templateFS, "templates/embed.html")
	if err != nil {
		return nil, fmt.Errorf("statuspage: template embed: %w", err)
	}
	return r, nil
}

// layoutData is what every full page's layout reads; exactly one of
// Status, History, Incident is set (none: the not-found page).
type layoutData struct {
	Title    string
	PageName string
	Assets   *assetSet
	Icons    []pageIcon
	Refresh  bool   // load the auto-refresh script
	Current  string // "status" or "history": the nav's aria-current
	TimeZone string
	Built    timeView
	Email    bool // the header's subscribe control offers email

	Status   *statusData
	History  *historyData
	Incident *incidentView
}

type timeView struct {
	Attr string // RFC 3339, for <time datetime>
	Text string // in the page's time zone
}

type overallView struct {
	Indicator string // none, minor, major, critical, maintenance: the CSS class
	Icon      string
	Text      string
}

type statusData struct {
	Overall    overallView
	Active     []incidentView
	InProgress []incidentView
	Upcoming   []incidentView
	Sections   []sectionView
	Past       []pastDay
}

// sectionView is a top-level line: a group (with its children) or a
// component.
type sectionView struct {
	Group    bool
	Open     bool // a group's details start open when it is not operational
	Row      componentRow
	Children []componentRow
}

type componentRow struct {
	ID          string
	Name        string
	Description string
	Status      string // the status constant: the CSS class
	StatusText  string
	Icon        string
	Bar         *barView
	Figures     []figureView
	Chart       *chartView
}

type barView struct {
	Label  string // the whole bar's accessible summary
	Uptime string // the legend's middle
	Days   []dayView
	// Recent are the last 30 days, for narrow screens: cells that open
	// their day's text when tapped (a <details> each: no script needed).
	Recent      []dayView
	RecentLabel string
}

type dayView struct {
	X, Class, Title string
	Num             string // the day of the month, the grid cell's label
}

type figureView struct{ Label, Value string }

type chartView struct {
	ID, Key     string
	Title, Desc string
	Lines       []string // polyline points, one per run of consecutive hours
	XTicks      []chartTick
	YTicks      []chartTick
}

type chartTick struct{ X, Y, Label string }

type incidentView struct {
	ID          string
	URL         string
	Name        string
	Maintenance bool
	Mark        string // card border class: the impact, or maint
	Impact      string
	StatusText  string
	Window      string // a maintenance's scheduled window
	Started     timeView
	ResolvedAt  *timeView
	Duration    string // how long it lasted, or has lasted so far
	Ongoing     bool
	Latest      *updateView
	Updates     []updateView
	Components  []string // affected components' public names
}

type updateView struct {
	Status string
	Body   string
	At     timeView
	// Changes are the components whose status this update changed, as
	// "Checkout: Operational → Partial outage" (incident pages only).
	Changes []string
}

type pastDay struct {
	Attr, Text string
	Incidents  []incidentView
}

type historyData struct {
	Page, Pages, Total int
	Incidents          []incidentView
	Newer, Older       string
}

type embedData struct {
	PageName string
	Overall  overallView
	Icon     pageIcon
	Active   string
	CSS      template.CSS // the embedded asset, never user text
	JS       string       // the refresh script's path
	Favicon  string
}

// pageView is one snapshot prepared for rendering: the time zone, the
// component names, the public incidents.
type pageView struct {
	s     *Snapshot
	loc   *time.Location
	names map[string]string // component ID → name
	now   time.Time
	// public incidents (not drafts), newest first, and maintenances
	incidents    []*Incident
	maintenances []*Incident
}

func newPageView(s *Snapshot, loc *time.Location, now time.Time) *pageView {
	v := &pageView{s: s, loc: loc, now: now, names: make(map[string]string, len(s.Components))}
	if !s.Built.IsZero() {
		v.now = s.Built
	}
	for i := range s.Components {
		v.names[s.Components[i].ID] = s.Components[i].Name
	}
	for i := range s.Incidents {
		if !s.Incidents[i].Draft {
			v.incidents = append(v.incidents, &s.Incidents[i])
		}
	}
	for i := range s.Maintenances {
		if !s.Maintenances[i].Draft {
			v.maintenances = append(v.maintenances, &s.Maintenances[i])
		}
	}
	return v
}

// incident finds a public incident or maintenance by ID.
func (v *pageView) incident(id string) *Incident {
	for _, in := range v.incidents {
		if in.ID == id {
			return in
		}
	}
	for _, in := range v.maintenances {
		if in.ID == id {
			return in
		}
	}
	return nil
}

func (v *pageView) layout(r *pageRenderer, title, current string) layoutData {
	name := cleanText(v.s.Page.Name)
	if name == "" {
		name = "Status"
	}
	title = cleanText(title)
	if title == "" {
		title = name
	} else {
		title = title + " · " + name
	}
	// "Data as of" to the minute: the bytes, and so the ETag, stay the same
	// across the snapshots of a quiet minute.
	return layoutData{Title: title, PageName: name, Assets: r.assets, Icons: pageIcons, Current: current,
		TimeZone: v.loc.String(), Built: v.timeView(v.now.Truncate(time.Minute)), Email: v.s.Page.EmailSubscriptions}
}

func (v *pageView) timeView(t time.Time) timeView {
	t = t.In(v.loc)
	return timeView{Attr: t.Format(time.RFC3339), Text: t.Format("Jan 2, 2006 15:04 MST")}
}

func (r *pageRenderer) execute(t *template.Template, name string, data any, sizeHint int) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(sizeHint)
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// renderStatus renders /status.
func (r *pageRenderer) renderStatus(v *pageView) ([]byte, error) {
	d := v.layout(r, "", "status")
	d.Refresh = true
	d.Status = v.statusData()
	hint := 16 << 10
	for _, c := range v.s.Components {
		hint += 1024 + 96*len(c.Days) + 16*len(c.Latency)
	}
	return r.execute(r.pages["status"], "layout", d, hint)
}

// renderHistory renders page n (1-based) of the incident archive, or
// nil when n is past the last page.
func (r *pageRenderer) renderHistory(v *pageView, n int) ([]byte, error) {
	pages := max(1, (len(v.incidents)+historyPerPage-1)/historyPerPage)
	if n < 1 || n > pages {
		return nil, nil
	}
	h := &historyData{Page: n, Pages: pages, Total: len(v.incidents)}
	lo := (n - 1) * historyPerPage
	hi := min(lo+historyPerPage, len(v.incidents))
	for _, in := range v.incidents[lo:hi] {
		h.Incidents = append(h.Incidents, v.incidentView(in, false))
	}
	if n > 1 {
		h.Newer = historyURL(n - 1)
	}
	if n < pages {
		h.Older = historyURL(n + 1)
	}
	title := "Incident history"
	if n > 1 {
		title += ", page " + strconv.Itoa(n)
	}
	d := v.layout(r, title, "history")
	d.History = h
	return r.execute(r.pages["history"], "layout", d, 8<<10)
}

func historyURL(n int) string {
	if n <= 1 {
		return "/status/history"
	}
	return "/status/history?page=" + strconv.Itoa(n)
}

// renderIncident renders one incident's or maintenance's page, or nil
// when the ID is no public one's.
func (r *pageRenderer) renderIncident(v *pageView, id string) ([]byte, error) {
	in := v.incident(id)
	if in == nil {
		return nil, nil
	}
	iv := v.incidentView(in, true)
	d := v.layout(r, in.Name, "")
	d.Incident = &iv
	return r.execute(r.pages["incident"], "layout", d, 8<<10)
}

func (r *pageRenderer) renderNotFound(v *pageView) ([]byte, error) {
	d := v.layout(r, "Not found", "")
	return r.execute(r.pages["notfound"], "layout", d, 4<<10)
}

// renderEmbed renders the iframe widget: its styles inline (the response's
// CSP allows exactly that stylesheet by hash) and the refresh script, a
// file: the widget refreshes by script only, never by a meta refresh.
func (r *pageRenderer) renderEmbed(v *pageView) ([]byte, error) {
	o := v.overall()
	d := embedData{PageName: cleanText(v.s.Page.Name), Overall: o, Icon: iconByID(o.Icon), CSS: template.CSS(r.assets.embedCSS), JS: r.assets.JS, Favicon: r.assets.Icon}
	if d.PageName == "" {
		d.PageName = "Status"
	}
	n := 0
	for _, in := range v.incidents {
		if !in.Resolved() {
			n++
		}
	}
	switch {
	case n == 1:
		d.Active = "1 active incident"
	case n > 1:
		d.Active = strconv.Itoa(n) + " active incidents"
	}
	return r.execute(r.embed, "embed", d, 4<<10)
}

var overallTexts = map[string]string{
	IndicatorNone:        "All Systems Operational",
	IndicatorMinor:       "Minor Service Outage",
	IndicatorMajor:       "Partial System Outage",
	IndicatorCritical:    "Major System Outage",
	IndicatorMaintenance: "Service Under Maintenance",
}

func (v *pageView) overall() overallView {
	ind := v.s.Status.Indicator
	if _, ok := overallTexts[ind]; !ok {
		ind = IndicatorNone
	}
	text := v.s.Status.Description
	if text == "" {
		text = overallTexts[ind]
	}
	icon := "i-ok"
	switch ind {
	case IndicatorMinor:
		icon = "i-warn"
	case IndicatorMajor: // "Partial System Outage"
		icon = "i-part"
	case IndicatorCritical: // "Major System Outage"
		icon = "i-down"
	case IndicatorMaintenance:
		icon = "i-maint"
	}
	return overallView{Indicator: ind, Icon: icon, Text: cleanText(text)}
}

func (v *pageView) statusData() *statusData {
	d := &statusData{Overall: v.overall()}
	for _, in := range v.incidents {
		if !in.Resolved() {
			d.Active = append(d.Active, v.incidentView(in, false))
		}
	}
	for _, m := range v.maintenances {
		if m.Resolved() {
			continue
		}
		started := m.Status == InProgress || m.Status == Verifying ||
			(!m.ScheduledFor.IsZero() && !m.ScheduledFor.After(v.now))
		if started {
			d.InProgress = append(d.InProgress, v.incidentView(m, false))
		} else {
			d.Upcoming = append(d.Upcoming, v.incidentView(m, false))
		}
	}
	d.Sections = v.sections()
	d.Past = v.past()
	return d
}

// sections lays the components out: top-level ones in order, a group's
// visible children under it; hidden ones are left out.
func (v *pageView) sections() []sectionView {
	comps := v.s.Components
	byID := make(map[string]*ComponentView, len(comps))
	groups := map[string]bool{}
	for i := range comps {
		byID[comps[i].ID] = &comps[i]
		if comps[i].Group {
			groups[comps[i].ID] = true
		}
	}
	var out []sectionView
	chart := 0
	row := func(c *ComponentView) componentRow {
		chart++
		return v.componentRow(c, chart)
	}
	for i := range comps {
		c := &comps[i]
		if c.Hidden || (c.GroupID != "" && groups[c.GroupID] && !c.Group) {
			continue
		}
		sec := sectionView{Group: c.Group, Row: row(c)}
		if c.Group {
			sec.Open = c.Status != Operational && c.Status != ""
			kids := c.Children
			if len(kids) == 0 { // derive them if the builder did not list them
				for j := range comps {
					if comps[j].GroupID == c.ID && !comps[j].Group {
						kids = append(kids, comps[j].ID)
					}
				}
			}
			for _, id := range kids {
				ch := byID[id]
				if ch == nil || ch.Hidden || ch.Group {
					continue
				}
				sec.Children = append(sec.Children, row(ch))
			}
		}
		out = append(out, sec)
	}
	return out
}

var statusWords = map[string]string{
	Operational:         "Operational",
	DegradedPerformance: "Degraded performance",
	PartialOutage:       "Partial outage",
	MajorOutage:         "Major outage",
	UnderMaintenance:    "Under maintenance",
}

var statusIcons = map[string]string{
	Operational:         "i-ok",
	DegradedPerformance: "i-warn",
	PartialOutage:       "i-part",
	MajorOutage:         "i-down",
	UnderMaintenance:    "i-maint",
}

// componentStatus returns a status's CSS class, words and icon. An unknown
// status is shown in its own words with the warning icon, never as
// operational.
func componentStatus(st string) (class, words, icon string) {
	if w, ok := statusWords[st]; ok {
		return st, w, statusIcons[st]
	}
	if st == "" {
		return Operational, statusWords[Operational], "i-ok"
	}
	return DegradedPerformance, humanize(st), "i-warn"
}

// cleanText drops control characters but tab and newline from user text
// (CR LF and CR become LF): they are no markup, but no text either, and
// invalid in XML. Escaping is still html/template's.
func cleanText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f || (c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\t' || r == '\n':
			return r
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return -1
		}
		return r
	}, s)
}

func humanize(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (v *pageView) componentRow(c *ComponentView, n int) componentRow {
	class, words, icon := componentStatus(c.Status)
	r := componentRow{ID: c.ID, Name: cleanText(c.Name), Description: cleanText(c.Description), Status: class, StatusText: words, Icon: icon}
	if len(c.Days) > 0 {
		r.Bar = v.bar(c)
	}
	if !c.Group || c.Uptime90d.OK || c.Uptime30d.OK {
		r.Figures = []figureView{
			{"24 h", percent(c.Uptime24h)},
			{"7 d", percent(c.Uptime7d)},
			{"30 d", percent(c.Uptime30d)},
			{"90 d", percent(c.Uptime90d)},
		}
	}
	if !c.Group {
		r.Chart = v.chart(c, n)
	}
	return r
}

// percent formats an uptime figure: two decimals, truncated so that
// 99.999% never reads 100.00%; "—" for no data.
func percent(f Figure) string {
	if !f.OK {
		return "—"
	}
	return formatPercent(f.Value)
}

// formatPercent is an uptime for the page; no data reads 0% (a day without
// data is shown as such by its colour and label).
func formatPercent(u float64) string {
	if math.IsNaN(u) {
		u = 0
	}
	return health.Percent(u)
}

// uptimeClass is a day's colour: u0 no data, u1 ≥ 99.9%, u2 ≥ 99%,
// u3 ≥ 95%, u4 below.
func uptimeClass(u float64, ok bool) string {
	switch {
	case !ok:
		return "u0"
	case u >= 0.999:
		return "u1"
	case u >= 0.99:
		return "u2"
	case u >= 0.95:
		return "u3"
	}
	return "u4"
}

func (v *pageView) bar(c *ComponentView) *barView {
	days := c.Days
	if len(days) > barDays {
		days = days[len(days)-barDays:]
	}
	b := &barView{Days: make([]dayView, len(days))}
	// right-aligned: today is always the last rect
	off := barDays - len(days)
	var outage, nodata int
	var sb strings.Builder
	for i, d := range days {
		u, ok := d.Uptime()
		sb.Reset()
		date := d.Date.In(v.loc)
		sb.WriteString(date.Format("Jan 2, 2006"))
		if i == len(days)-1 {
			sb.WriteString(" (today)")
		}
		sb.WriteString(": ")
		if ok {
			sb.WriteString(formatPercent(u))
			sb.WriteString(" uptime")
			if d.Major > 0 {
				sb.WriteString(", major outage ")
				sb.WriteString(shortDuration(d.Major))
			}
			if d.Partial > 0 {
				sb.WriteString(", partial outage ")
				sb.WriteString(shortDuration(d.Partial))
			}
			if d.Maintenance > 0 {
				sb.WriteString(", maintenance ")
				sb.WriteString(shortDuration(d.Maintenance))
			}
			if u < 0.999 {
				outage++
			}
		} else {
			sb.WriteString("No data")
			nodata++
		}
		if len(d.Incidents) > 0 {
			sb.WriteString(". Incidents: ")
			for j, name := range d.Incidents {
				if j > 0 {
					sb.WriteString("; ")
				}
				sb.WriteString(cleanText(name))
			}
		}
		b.Days[i] = dayView{X: barX[off+i], Class: uptimeClass(u, ok), Title: sb.String(), Num: strconv.Itoa(date.Day())}
	}
	b.Recent = b.Days[max(0, len(b.Days)-recentDays):]
	b.RecentLabel = cleanText(c.Name) + ": daily uptime over the last " + strconv.Itoa(len(b.Recent)) + " days"
	b.Uptime = percent(c.Uptime90d) + " uptime"
	if !c.Uptime90d.OK {
		b.Uptime = "No data"
	}
	b.Label = cleanText(c.Name) + ": daily uptime over the last 90 days; " + percent(c.Uptime90d) + " overall, " +
		strconv.Itoa(outage) + " days below 99.9%, " + strconv.Itoa(nodata) + " days without data"
	return b
}

func shortDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "under 1 min"
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return strconv.Itoa(m) + " min"
	case m == 0:
		return strconv.Itoa(h) + " h"
	}
	return strconv.Itoa(h) + " h " + strconv.Itoa(m) + " min"
}

// The response-time chart's plot area, in its 400×170 viewBox.
const (
	chartLeft, chartRight = 44.0, 392.0 // the template draws the grid from 44 to 392
	chartTop, chartBottom = 10.0, 140.0
)

// chart draws Avg per hour over the 7 days before the snapshot: a polyline
// per run of consecutive hours (a missing hour breaks the line), the
// y axis from 0 to a round maximum, the x axis at each local midnight.
func (v *pageView) chart(c *ComponentView, n int) *chartView {
	ch := &chartView{ID: "rt" + strconv.Itoa(n), Key: c.ID, Title: "Response time of " + cleanText(c.Name) + ", last 7 days"}
	end := v.now.Truncate(time.Hour)
	start := end.Add(-7 * 24 * time.Hour)
	var pts []LatencyPoint
	for _, p := range c.Latency {
		if !p.Hour.Before(start) && !p.Hour.After(end) && p.Avg > 0 {
			pts = append(pts, p)
		}
	}
	if len(pts) == 0 {
		ch.Desc = "No data."
		return ch
	}
	var lo, hi, sum time.Duration
	lo = pts[0].Avg
	for _, p := range pts {
		lo, hi = min(lo, p.Avg), max(hi, p.Avg)
		sum += p.Avg
	}
	top := niceCeil(float64(hi) / float64(time.Millisecond))
	span := float64(end.Sub(start))
	x := func(t time.Time) float64 {
		return chartLeft + (chartRight-chartLeft)*float64(t.Sub(start))/span
	}
	y := func(d time.Duration) float64 {
		return chartBottom - (chartBottom-chartTop)*(float64(d)/float64(time.Millisecond))/top
	}
	var line []byte
	for i, p := range pts {
		if i > 0 && p.Hour.Sub(pts[i-1].Hour) > 90*time.Minute {
			ch.Lines = append(ch.Lines, string(line))
			line = line[:0]
		}
		if len(line) > 0 {
			line = append(line, ' ')
		}
		line = strconv.AppendFloat(line, x(p.Hour), 'f', 1, 64)
		line = append(line, ',')
		line = strconv.AppendFloat(line, y(p.Avg), 'f', 1, 64)
	}
	ch.Lines = append(ch.Lines, string(line))
	// a single hour draws nothing as a polyline: widen it a little
	for i, l := range ch.Lines {
		if !strings.Contains(l, " ") {
			if xs, ys, ok := strings.Cut(l, ","); ok {
				xf, _ := strconv.ParseFloat(xs, 64)
				ch.Lines[i] = strconv.FormatFloat(xf-1.5, 'f', 1, 64) + "," + ys + " " + strconv.FormatFloat(xf+1.5, 'f', 1, 64) + "," + ys
			}
		}
	}
	for _, f := range []float64{0, 0.5, 1} {
		yy := chartBottom - (chartBottom-chartTop)*f
		ch.YTicks = append(ch.YTicks, chartTick{Y: strconv.FormatFloat(yy, 'f', 1, 64), Label: msLabel(top * f)})
	}
	for d := time.Date(start.In(v.loc).Year(), start.In(v.loc).Month(), start.In(v.loc).Day()+1, 0, 0, 0, 0, v.loc); d.Before(end); d = d.AddDate(0, 0, 1) {
		xx := x(d)
		if xx < chartLeft+20 || xx > chartRight-20 {
			continue
		}
		ch.XTicks = append(ch.XTicks, chartTick{X: strconv.FormatFloat(xx, 'f', 1, 64), Label: d.Format("Mon 2")})
	}
	last := pts[len(pts)-1]
	ch.Desc = fmt.Sprintf("Average response time per hour from %s to %s: lowest %s, highest %s, mean %s; latest %s at %s. %d of %d hours have data.",
		start.In(v.loc).Format("Jan 2 15:04"), end.In(v.loc).Format("Jan 2 15:04 MST"),
		msText(lo), msText(hi), msText(sum/time.Duration(len(pts))), msText(last.Avg), last.Hour.In(v.loc).Format("Jan 2 15:04"),
		len(pts), 7*24)
	return ch
}

// niceCeil rounds up to 1, 2 or 5 × 10ⁿ (at least 1).
func niceCeil(x float64) float64 {
	if x <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func msLabel(ms float64) string {
	if ms >= 1000 {
		return strconv.FormatFloat(ms/1000, 'f', -1, 64) + " s"
	}
	return strconv.FormatFloat(ms, 'f', -1, 64) + " ms"
}

func msText(d time.Duration) string {
	if d >= time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
}

var impactWords = map[string]string{
	ImpactNone:     "No",
	ImpactMinor:    "Minor",
	ImpactMajor:    "Major",
	ImpactCritical: "Critical",
}

var incidentStatusWords = map[string]string{
	Investigating: "Investigating",
	Identified:    "Identified",
	Monitoring:    "Monitoring",
	Resolved:      "Resolved",
	Postmortem:    "Postmortem",
	Scheduled:     "Scheduled",
	InProgress:    "In progress",
	Verifying:     "Verifying",
	Completed:     "Completed",
}

func incidentStatusText(s string) string {
	if w, ok := incidentStatusWords[s]; ok {
		return w
	}
	return humanize(s)
}

// incidentURL is the incident page's path; the ID is path-escaped.
func incidentURL(id string) string { return "/status/incidents/" + url.PathEscape(id) }

func (v *pageView) incidentView(in *Incident, all bool) incidentView {
	iv := incidentView{ID: in.ID, URL: incidentURL(in.ID), Name: cleanText(in.Name), Maintenance: in.Maintenance,
		StatusText: incidentStatusText(in.Status)}
	iv.Impact = impactWords[in.Impact]
	if iv.Impact == "" {
		iv.Impact = humanize(in.Impact)
	}
	iv.Mark = in.Impact
	if _, ok := impactWords[in.Impact]; !ok {
		iv.Mark = ImpactNone
	}
	if in.Maintenance {
		iv.Mark = "maint"
		iv.Window = v.window(in.ScheduledFor, in.ScheduledUntil)
	}
	started := in.StartedAt
	if started.IsZero() {
		started = in.CreatedAt
	}
	iv.Started = v.timeView(started)
	if in.Resolved() && !in.ResolvedAt.IsZero() {
		t := v.timeView(in.ResolvedAt)
		iv.ResolvedAt = &t
	}
	iv.Duration, iv.Ongoing = v.duration(in)
	for _, a := range in.Components {
		if n, ok := v.names[a.ComponentID]; ok {
			iv.Components = append(iv.Components, cleanText(n))
		}
	}
	if len(in.Updates) > 0 {
		u := v.updateView(&in.Updates[0])
		iv.Latest = &u
	}
	if all {
		iv.Updates = make([]updateView, len(in.Updates))
		changes := v.changes(in)
		for i := range in.Updates {
			iv.Updates[i] = v.updateView(&in.Updates[i])
			iv.Updates[i].Changes = changes[i]
		}
	}
	return iv
}

// duration is how long an incident lasted: from its start to its
// resolution, or to now while it is unresolved (ongoing). A maintenance
// lasts from its start (in progress) to its completion; one not started
// yet has no duration, its window says when.
func (v *pageView) duration(in *Incident) (text string, ongoing bool) {
	start := in.StartedAt
	if start.IsZero() {
		start = in.CreatedAt
	}
	if start.IsZero() || start.After(v.now) {
		return "", false
	}
	if in.Maintenance && in.Status == Scheduled {
		return "", false
	}
	end := v.now
	if in.Resolved() {
		if in.ResolvedAt.IsZero() {
			return "", false
		}
		end = in.ResolvedAt
	}
	if end.Before(start) {
		end = start
	}
	return longDuration(end.Sub(start)), !in.Resolved()
}

// longDuration is shortDuration with days: "2 d 3 h", "1 h 5 min".
func longDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	days := int(d / (24 * time.Hour))
	if days == 0 {
		return shortDuration(d)
	}
	rest := d % (24 * time.Hour)
	out := strconv.Itoa(days) + " d"
	if h := int(rest / time.Hour); h > 0 {
		out += " " + strconv.Itoa(h) + " h"
	}
	return out
}

// changes lists, per update (newest first, as in.Updates), the components
// whose status that update changed, from the status before it to the one
// it set: the statuses an update names, and on resolution (resolved,
// postmortem, completed) every component the incident had set to something
// else going back to operational. Components no longer on the page are
// left out; nothing is listed for an update that changed nothing.
func (v *pageView) changes(in *Incident) [][]string {
	out := make([][]string, len(in.Updates))
	status := map[string]string{}
	var order []string
	set := func(i int, id, to string) {
		from, seen := status[id]
		if !seen {
			from = Operational
			order = append(order, id)
		}
		status[id] = to
		name, ok := v.names[id]
		if from == to || !ok {
			return
		}
		_, fromWords, _ := componentStatus(from)
		_, toWords, _ := componentStatus(to)
		out[i] = append(out[i], cleanText(name)+": "+fromWords+" → "+toWords)
	}
	for i := len(in.Updates) - 1; i >= 0; i-- {
		u := &in.Updates[i]
		for _, a := range u.Components {
			set(i, a.ComponentID, a.Status)
		}
		switch u.Status {
		case Resolved, Postmortem, Completed:
			for _, id := range order {
				set(i, id, Operational)
			}
		}
	}
	return out
}

func (v *pageView) updateView(u *Update) updateView {
	at := u.DisplayAt
	if at.IsZero() {
		at = u.CreatedAt
	}
	return updateView{Status: incidentStatusText(u.Status), Body: cleanText(u.Body), At: v.timeView(at)}
}

// window formats a maintenance window in the page's time zone.
func (v *pageView) window(from, until time.Time) string {
	if from.IsZero() {
		return ""
	}
	f := from.In(v.loc)
	if until.IsZero() {
		return "from " + f.Format("Jan 2, 2006 15:04 MST")
	}
	u := until.In(v.loc)
	if f.Year() == u.Year() && f.YearDay() == u.YearDay() {
		return f.Format("Jan 2, 2006 15:04") + " – " + u.Format("15:04 MST")
	}
	return f.Format("Jan 2, 2006 15:04") + " – " + u.Format("Jan 2, 2006 15:04 MST")
}

// past groups the last 14 days' incidents and maintenances (by the day,
// in the page's time zone, they started), today first.
func (v *pageView) past() []pastDay {
	today := v.now.In(v.loc)
	days := make([]pastDay, pastDays)
	index := map[string]int{}
	for i := range days {
		d := time.Date(today.Year(), today.Month(), today.Day()-i, 0, 0, 0, 0, v.loc)
		key := d.Format(time.DateOnly)
		days[i] = pastDay{Attr: key, Text: d.Format("Jan 2, 2006")}
		index[key] = i
	}
	add := func(in *Incident, at time.Time) {
		if at.IsZero() {
			return
		}
		if i, ok := index[at.In(v.loc).Format(time.DateOnly)]; ok {
			days[i].Incidents = append(days[i].Incidents, v.incidentView(in, false))
		}
	}
	for _, in := range v.incidents {
		at := in.StartedAt
		if at.IsZero() {
			at = in.CreatedAt
		}
		add(in, at)
	}
	for _, m := range v.maintenances {
		if m.Resolved() {
			add(m, m.ScheduledFor)
		}
	}
	return days
}
