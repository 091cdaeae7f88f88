package statuspage

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/health"
)

// Sources is what the builder reads besides its own Store: links, monitors,
// their latest results and rollups, and the alert engine's maintenance
// windows.
type Sources interface {
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	ListMonitors(ctx context.Context) ([]*linkwatch.Monitor, error)
	LatestAll(ctx context.Context) ([]linkwatch.Latest, error)
	Rollups(ctx context.Context, t linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error)
	ListMaintenances(ctx context.Context) ([]alerting.Maintenance, error)
}

// Publisher takes each new snapshot (the Handler).
type Publisher interface {
	Publish(s *Snapshot) error
}

// BuilderConfig configures a Builder.
type BuilderConfig struct {
	Page Page
	// Components are the configuration's; they win over the API's of the
	// same ID and cannot be changed through it.
	Components []Component
	// Interval between rebuilds (default 5s); Changed asks for one sooner.
	Interval time.Duration
	// HistoryEvery is how often the 90 days of hourly history are read
	// again in full (default 10m); between, only the last two hours are.
	HistoryEvery time.Duration
	Now          func() time.Time
	// Holder is this replica's name for the automatic incidents' lease.
	Holder string
	// Announce, when set, queues an incident's update for subscribers;
	// the replica holding the automation's lease calls it for every
	// published update not yet announced.
	Announce func(ctx context.Context, in *Incident, u Update) error
}

// Days is how many days the bars show.
const Days = 90

// Builder rebuilds the snapshot every Interval, or soon after Changed, and
// publishes it. Past hours are cached: a rebuild reads the last two hours'
// rollups, and the whole 90 days only every HistoryEvery.
type Builder struct {
	cfg    BuilderConfig
	store  Store
	src    Sources
	pub    Publisher
	alerts Alerts // nil: no automatic incidents
	log    *slog.Logger
	kick   chan struct{}
	loc    *time.Location // the page's time zone: the bars' days are its days

	mu      sync.Mutex
	hours   map[string][]Hour         // by component ID, oldest first
	full    time.Time                 // when hours were last read in full
	targets map[string]string         // component ID → its targets, to notice changes
	stamps  map[string]ComponentTimes // the configuration's components' times, as last stored
	last    *Snapshot
}

// NewBuilder returns a builder; Run drives it.
// alerts, when not nil, lets components open incidents automatically.
func NewBuilder(cfg BuilderConfig, store Store, src Sources, alerts Alerts, pub Publisher, log *slog.Logger) *Builder {
	if cfg.Interval == 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.HistoryEvery == 0 {
		cfg.HistoryEvery = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Page.ID == "" {
		cfg.Page.ID = "linkwatch"
	}
	if cfg.Page.TimeZone == "" {
		cfg.Page.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(cfg.Page.TimeZone)
	if err != nil { // the handler shows UTC then, and logs it
		loc = time.UTC
	}
	return &Builder{cfg: cfg, store: store, src: src, alerts: alerts, pub: pub, log: log, kick: make(chan struct{}, 1),
		loc: loc, hours: map[string][]Hour{}, targets: map[string]string{}, stamps: map[string]ComponentTimes{}}
}

// Changed asks for a rebuild now (an incident or component changed).
func (b *Builder) Changed() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Latest returns the last snapshot built, or nil.
func (b *Builder) Latest() *Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// Run rebuilds until ctx ends.
func (b *Builder) Run(ctx context.Context) error {
	tick := time.NewTicker(b.cfg.Interval)
	defer tick.Stop()
	for {
		if err := b.Rebuild(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("status page rebuild failed; serving the previous snapshot", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-b.kick:
		}
	}
}

// Components returns the configuration's components and the API's, the
// configuration's winning on a shared ID.
func (b *Builder) Components(ctx context.Context) ([]Component, error) {
	stored, err := b.store.ListComponents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Component, 0, len(b.cfg.Components)+len(stored))
	for _, c := range b.cfg.Components {
		c.Source = "config"
		out = append(out, c)
	}
	for _, c := range stored {
		if !slices.ContainsFunc(b.cfg.Components, func(x Component) bool { return x.ID == c.ID }) {
			c.Source = "api"
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(x, y Component) int {
		if x.Position != y.Position {
			return x.Position - y.Position
		}
		return strings.Compare(x.Name, y.Name)
	})
	return out, nil
}

// Rebuild builds and publishes a snapshot now.
func (b *Builder) Rebuild(ctx context.Context) error {
	now := b.cfg.Now().UTC()
	comps, err := b.Components(ctx)
	if err != nil {
		return err
	}
	links, err := b.src.ListLinks(ctx, linkwatch.LinkFilter{})
	if err != nil {
		return err
	}
	monitors, err := b.src.ListMonitors(ctx)
	if err != nil {
		return err
	}
	latest, err := b.src.LatestAll(ctx)
	if err != nil {
		return err
	}
	windows, err := b.src.ListMaintenances(ctx)
	if err != nil {
		return err
	}
	leader, err := b.autoIncidents(ctx, comps, links, now)
	if err != nil {
		return err
	}
	since := now.Add(-Days * 24 * time.Hour)
	incidents, err := b.store.ListIncidents(ctx, IncidentFilter{Since: since, Limit: 500})
	if err != nil {
		return err
	}
	maints, err := b.store.ListIncidents(ctx, IncidentFilter{Maintenance: true, Since: since, Limit: 500})
	if err != nil {
		return err
	}
	if leader {
		if err := b.announcePending(ctx, now, incidents, maints); err != nil {
			b.log.Warn("could not queue incident updates for subscribers; will retry", "err", err)
		}
	}
	byTarget := map[linkwatch.Target][]linkwatch.Latest{}
	for _, l := range latest {
		byTarget[l.Target] = append(byTarget[l.Target], l)
	}
	every := intervals(links, monitors)

	b.mu.Lock()
	full := now.Sub(b.full) >= b.cfg.HistoryEvery
	b.mu.Unlock()
	s := &Snapshot{Page: b.cfg.Page, Built: now, Incidents: incidents}
	for _, m := range maints {
		s.Maintenances = append(s.Maintenances, m)
	}
	slices.SortStableFunc(s.Maintenances, func(x, y Incident) int { return x.ScheduledFor.Compare(y.ScheduledFor) })

	views := make([]ComponentView, 0, len(comps))
	for _, c := range comps {
		v := ComponentView{Component: c}
		if !c.Group {
			ts, monitored := resolveTargets(c, links, monitors, now)
			v.Status = monitoredStatus(ts, byTarget, every, now)
			if !monitored {
				v.Status = Operational
			}
			if maintained(c, ts, links, windows, maints, now) {
				v.Status = UnderMaintenance
			}
			hours, err := b.history(ctx, c, ts, maints, now, full)
			if err != nil {
				return err
			}
			v.Days = DaysFromHours(hours, Days, now, b.loc)
			addIncidentNames(v.Days, c.ID, incidents, now)
			v.Uptime24h = Window(hours, now.Add(-24*time.Hour), now)
			v.Uptime7d = Window(hours, now.Add(-7*24*time.Hour), now)
			v.Uptime30d = Window(hours, now.Add(-30*24*time.Hour), now)
			v.Uptime90d = Window(hours, since, now)
			for _, h := range hours {
				if h.Start.After(now.Add(-7*24*time.Hour)) && h.Checks > 0 {
					v.Latency = append(v.Latency, LatencyPoint{Hour: h.Start, Avg: h.Avg, P95: h.P95})
				}
			}
			if full {
				if err := b.freezeMonths(ctx, c.ID, hours, now); err != nil {
					return err
				}
			}
		}
		if st := incidentStatus(c.ID, incidents, maints); st != "" {
			v.Status = st
		}
		views = append(views, v)
	}
	// Groups: their children, and the worst child's status.
	for i := range views {
		if !views[i].Group {
			continue
		}
		worst := Operational
		for _, ch := range views {
			if ch.GroupID == views[i].ID && !ch.Group {
				views[i].Children = append(views[i].Children, ch.ID)
				worst = worse(worst, ch.Status)
			}
		}
		if views[i].Status == "" {
			views[i].Status = worst
		}
	}
	for i := range views {
		views[i].Hidden = views[i].OnlyShowIfDegraded && views[i].Status == Operational
	}
	if err := b.stampConfigComponents(ctx, views, now); err != nil && ctx.Err() == nil {
		b.log.Warn("could not record when the configuration's components changed; keeping the times last read", "err", err)
	}
	if full {
		b.mu.Lock()
		b.full = now
		b.mu.Unlock()
	}
	s.Components = orderGroups(views)
	s.Status = OverallStatus(s.Components, s.Incidents, s.Maintenances)
	s.UpdatedAt = updatedAt(s)
	if err := b.pub.Publish(s); err != nil {
		return err
	}
	b.mu.Lock()
	b.last = s
	b.mu.Unlock()
	return nil
}

// orderGroups puts each group's children right after it, keeping positions.
func orderGroups(views []ComponentView) []ComponentView {
	out := make([]ComponentView, 0, len(views))
	ids := map[string]bool{}
	for _, v := range views {
		if v.Group {
			ids[v.ID] = true
		}
	}
	for _, v := range views {
		if v.GroupID != "" && ids[v.GroupID] {
			continue
		}
		out = append(out, v)
		if v.Group {
			for _, ch := range views {
				if ch.GroupID == v.ID && !ch.Group {
					out = append(out, ch)
				}
			}
		}
	}
	return out
}

// updatedAt is the latest change the snapshot shows.
func updatedAt(s *Snapshot) time.Time {
	var t time.Time
	for _, c := range s.Components {
		t = latestOf(t, c.UpdatedAt)
	}
	for _, in := range append(slices.Clone(s.Incidents), s.Maintenances...) {
		t = latestOf(t, in.UpdatedAt)
	}
	if t.IsZero() {
		t = s.Built
	}
	return t
}

func latestOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// rank orders statuses from best to worst; maintenance ranks between
// degraded performance and outages: an outage during maintenance shows.
var rank = map[string]int{Operational: 0, UnderMaintenance: 1, DegradedPerformance: 2, PartialOutage: 3, MajorOutage: 4}

func worse(a, b string) string {
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// resolveTargets lists a component's targets: its link, its tag's links or
// its monitor. monitored is false when none exists (yet).
func resolveTargets(c Component, links []*linkwatch.Link, monitors []*linkwatch.Monitor, now time.Time) ([]linkwatch.Target, bool) {
	var ts []linkwatch.Target
	switch {
	case c.Monitor != "":
		for _, m := range monitors {
			if m.Name == c.Monitor {
				ts = append(ts, linkwatch.Target{Kind: linkwatch.KindMonitor, ID: m.ID})
			}
		}
	default:
		for _, l := range links {
			if _, _, gone := l.Target(now); gone {
				continue
			}
			if (c.Link != "" && l.Slug == c.Link) || (c.Tag != "" && slices.Contains(l.Tags, c.Tag)) {
				ts = append(ts, linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID})
			}
		}
	}
	return ts, len(ts) > 0
}

// intervals maps each target to its check interval, for freshness.
func intervals(links []*linkwatch.Link, monitors []*linkwatch.Monitor) map[linkwatch.Target]time.Duration {
	out := map[linkwatch.Target]time.Duration{}
	for _, l := range links {
		out[linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}] = l.CheckInterval
	}
	for _, m := range monitors {
		out[linkwatch.Target{Kind: linkwatch.KindMonitor, ID: m.ID}] = health.MonitorInterval(m)
	}
	return out
}

// monitoredStatus follows the health model (health.Assess, the quorum
// link_down pages on): a target down is an outage — major when every target
// of the component is down, partial when some are — and a degraded target
// (failing in fewer regions, failing once, or slow) is at most degraded.
func monitoredStatus(ts []linkwatch.Target, byTarget map[linkwatch.Target][]linkwatch.Latest, every map[linkwatch.Target]time.Duration, now time.Time) string {
	down, degraded := 0, 0
	for _, t := range ts {
		interval := every[t]
		if interval == 0 {
			interval = time.Minute
		}
		switch health.Assess(byTarget[t], interval, now).State {
		case health.Down:
			down++
		case health.Degraded:
			degraded++
		}
	}
	switch {
	case down > 0 && down == len(ts):
		return MajorOutage
	case down > 0:
		return PartialOutage
	case degraded > 0:
		return DegradedPerformance
	}
	return Operational
}

// maintained reports whether the component is under maintenance: a
// scheduled maintenance in progress affects it, or an alert maintenance
// window matching its labels is active.
func maintained(c Component, ts []linkwatch.Target, links []*linkwatch.Link, windows []alerting.Maintenance, maints []Incident, now time.Time) bool {
	for _, m := range maints {
		if (m.Status == InProgress || m.Status == Verifying) && affects(m, c.ID) {
			return true
		}
	}
	for _, w := range windows {
		if !w.Active(now) {
			continue
		}
		for _, l := range links {
			if !slices.Contains(ts, linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}) {
				continue
			}
			labels := map[string]string{"link": l.Slug, "campaign": strings.Join(l.Tags, ",")}
			if w.Matches(labels) {
				return true
			}
		}
		if c.Monitor != "" && w.Matches(map[string]string{"monitor": c.Monitor}) {
			return true
		}
	}
	return false
}

func affects(in Incident, componentID string) bool {
	return slices.ContainsFunc(in.Components, func(a Affected) bool { return a.ComponentID == componentID })
}

// incidentStatus is the worst status unresolved published incidents give
// the component, or "".
func incidentStatus(id string, incidents, maints []Incident) string {
	st := ""
	for _, in := range incidents {
		if in.Resolved() || in.Draft {
			continue
		}
		for _, a := range in.Components {
			if a.ComponentID == id && slices.Contains(ComponentStatuses, a.Status) {
				if st == "" {
					st = a.Status
				} else {
					st = worse(st, a.Status)
				}
			}
		}
	}
	return st
}

// addIncidentNames names each day's incidents on the component's bar.
func addIncidentNames(days []Day, id string, incidents []Incident, now time.Time) {
	for _, in := range incidents {
		if in.Draft || !affects(in, id) {
			continue
		}
		end := in.ResolvedAt
		if end.IsZero() {
			end = now
		}
		for i := range days {
			dayEnd := days[i].Date.AddDate(0, 0, 1) // 23 or 25 hours across a clock change
			if in.StartedAt.Before(dayEnd) && !end.Before(days[i].Date) {
				days[i].Incidents = append(days[i].Incidents, in.Name)
			}
		}
	}
}

// history returns the component's hours over the bars' 90 days, reading
// them in full every HistoryEvery (or when its targets changed) and else
// only the last two hours.
func (b *Builder) history(ctx context.Context, c Component, ts []linkwatch.Target, maints []Incident, now time.Time, full bool) ([]Hour, error) {
	from := now.Add(-Days * 24 * time.Hour).Truncate(time.Hour)
	var windows []Interval
	for _, m := range maints {
		if !affects(m, c.ID) || m.ScheduledFor.IsZero() {
			continue
		}
		end := m.ScheduledUntil
		if m.Resolved() && !m.ResolvedAt.IsZero() && m.ResolvedAt.Before(end) {
			end = m.ResolvedAt
		}
		windows = append(windows, Interval{From: m.ScheduledFor, To: end})
	}
	key := targetKey(ts, windows)
	b.mu.Lock()
	cached, same := b.hours[c.ID], b.targets[c.ID] == key
	b.mu.Unlock()
	start := from
	if same && !full && len(cached) > 0 {
		start = now.Add(-2 * time.Hour).Truncate(time.Hour)
	}
	rollups := map[linkwatch.Target][]linkwatch.Rollup{}
	for _, t := range ts {
		rs, err := b.src.Rollups(ctx, t, linkwatch.Hourly, start, now)
		if err != nil {
			return nil, err
		}
		rollups[t] = rs
	}
	fresh := health.Hours(rollups, windows, start, now)
	var hours []Hour
	if start.Equal(from) {
		hours = fresh
	} else {
		for _, h := range cached {
			if !h.Start.Before(from) && h.Start.Before(start) {
				hours = append(hours, h)
			}
		}
		hours = append(hours, fresh...)
	}
	b.mu.Lock()
	b.hours[c.ID], b.targets[c.ID] = hours, key
	b.mu.Unlock()
	return hours, nil
}

func targetKey(ts []linkwatch.Target, windows []Interval) string {
	var sb strings.Builder
	for _, t := range ts {
		sb.WriteString(t.Kind)
		sb.WriteString(strconvI(t.ID))
		sb.WriteByte(',')
	}
	for _, w := range windows {
		sb.WriteString(w.From.String() + w.To.String())
	}
	return sb.String()
}

// freezeMonths stores each closed month within the hours, once.
func (b *Builder) freezeMonths(ctx context.Context, id string, hours []Hour, now time.Time) error {
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	months := map[time.Time]*Month{}
	var first time.Time
	for _, h := range hours {
		m := time.Date(h.Start.Year(), h.Start.Month(), 1, 0, 0, 0, 0, time.UTC)
		if !m.Before(thisMonth) {
			continue
		}
		if first.IsZero() {
			first = m
		}
		mm := months[m]
		if mm == nil {
			mm = &Month{ComponentID: id, Month: m}
			months[m] = mm
		}
		mm.Observed += h.Observed
		mm.Major += h.Major
		mm.Partial += h.Partial
		mm.Maintenance += h.Maintenance
	}
	for m, mm := range months {
		// The first month within 90 days is partly outside the window
		// read: not freezable from these hours.
		if m.Equal(first) && hours[0].Start.After(m) {
			continue
		}
		if err := b.store.SaveMonth(ctx, *mm); err != nil {
			return err
		}
	}
	return nil
}

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }
