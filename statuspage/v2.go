package statuspage

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The Atlassian Statuspage v2 public API, as www.githubstatus.com and every
// other hosted page serve it under /api/v2/: the same paths, field names,
// types and enumerations, so that the clients, exporters and dashboards
// written for Statuspage read Linkwatch's page unchanged.
//
// The v2* types are the wire format. They encode what EncodeV2 serves and
// decode real Statuspage responses too (the tests decode copies of real
// ones with unknown fields disallowed); a few fields exist only so that
// those decode (custom_tweet, tweet_id, reminder_intervals) and are never
// sent.

// V2Paths are the files EncodeV2 returns, relative to /api/v2/.
var V2Paths = []string{
	"summary.json",
	"status.json",
	"components.json",
	"incidents.json",
	"incidents/unresolved.json",
	"scheduled-maintenances.json",
	"scheduled-maintenances/upcoming.json",
	"scheduled-maintenances/active.json",
}

// V2Limit is how many incidents incidents.json and
// scheduled-maintenances.json list, as Statuspage's.
const V2Limit = 50

// v2TimeLayout is Statuspage's: milliseconds and the page's offset ("Z" in
// UTC).
const v2TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// v2Time is a timestamp, null when zero.
type v2Time struct{ time.Time }

func (t v2Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.Format(v2TimeLayout) + `"`), nil
}

func (t *v2Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = p
	return nil
}

// v2Date is a calendar date ("2006-01-02"), null when zero: a component's
// start_date.
type v2Date struct{ time.Time }

func (d v2Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.Format(time.DateOnly) + `"`), nil
}

func (d *v2Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		d.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return err
	}
	d.Time = p
	return nil
}

type v2Page struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	TimeZone  string `json:"time_zone"`
	UpdatedAt v2Time `json:"updated_at"`
}

type v2Status struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

type v2Component struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Status             string  `json:"status"`
	CreatedAt          v2Time  `json:"created_at"`
	UpdatedAt          v2Time  `json:"updated_at"`
	Position           int     `json:"position"`
	Description        *string `json:"description"`
	Showcase           bool    `json:"showcase"`
	StartDate          v2Date  `json:"start_date"`
	GroupID            *string `json:"group_id"`
	PageID             string  `json:"page_id"`
	Group              bool    `json:"group"`
	OnlyShowIfDegraded bool    `json:"only_show_if_degraded"`
	// Components are a group's children's IDs, on group rows only.
	Components *[]string `json:"components,omitempty"`
}

type v2AffectedComponent struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
}

type v2IncidentUpdate struct {
	ID                   string                `json:"id"`
	Status               string                `json:"status"`
	Body                 string                `json:"body"`
	IncidentID           string                `json:"incident_id"`
	CreatedAt            v2Time                `json:"created_at"`
	UpdatedAt            v2Time                `json:"updated_at"`
	DisplayAt            v2Time                `json:"display_at"`
	AffectedComponents   []v2AffectedComponent `json:"affected_components"` // null when the update set none
	DeliverNotifications bool                  `json:"deliver_notifications"`
	// Decoded only (Statuspage's Twitter integration); never sent.
	CustomTweet *string `json:"custom_tweet,omitempty"`
	TweetID     *string `json:"tweet_id,omitempty"`
}

type v2Incident struct {
	ID              string             `json:"id"`
	Name            string             `json:"name"`
	Status          string             `json:"status"`
	CreatedAt       v2Time             `json:"created_at"`
	UpdatedAt       v2Time             `json:"updated_at"`
	MonitoringAt    v2Time             `json:"monitoring_at"`
	ResolvedAt      v2Time             `json:"resolved_at"`
	Impact          string             `json:"impact"`
	Shortlink       string             `json:"shortlink"`
	StartedAt       v2Time             `json:"started_at"`
	PageID          string             `json:"page_id"`
	IncidentUpdates []v2IncidentUpdate `json:"incident_updates"`
	Components      []v2Component      `json:"components"`
	// Decoded only (newer Statuspage responses carry it, null); never sent.
	ReminderIntervals json.RawMessage `json:"reminder_intervals,omitempty"`
	// Scheduled maintenances only.
	ScheduledFor   *v2Time `json:"scheduled_for,omitempty"`
	ScheduledUntil *v2Time `json:"scheduled_until,omitempty"`
}

type v2Summary struct {
	Page                  v2Page        `json:"page"`
	Components            []v2Component `json:"components"`
	Incidents             []v2Incident  `json:"incidents"`
	ScheduledMaintenances []v2Incident  `json:"scheduled_maintenances"`
	Status                v2Status      `json:"status"`
}

type v2StatusDoc struct {
	Page   v2Page   `json:"page"`
	Status v2Status `json:"status"`
}

type v2ComponentsDoc struct {
	Page       v2Page        `json:"page"`
	Components []v2Component `json:"components"`
}

type v2IncidentsDoc struct {
	Page      v2Page       `json:"page"`
	Incidents []v2Incident `json:"incidents"`
}

type v2MaintenancesDoc struct {
	Page                  v2Page       `json:"page"`
	ScheduledMaintenances []v2Incident `json:"scheduled_maintenances"`
}

// EncodeV2 renders the snapshot as the Statuspage v2 public API: the JSON
// body of each of V2Paths. Times are in the page's time zone, with
// milliseconds, as Statuspage's. Every component is listed, hidden ones
// (only_show_if_degraded and operational) included, as Statuspage does;
// draft incidents never are. A component's link, tag or monitor is never
// part of it.
//
// It fails only on a page time zone that does not load.
func EncodeV2(s *Snapshot) (map[string][]byte, error) {
	e, err := newV2Encoder(s)
	if err != nil {
		return nil, err
	}

	var incidents, unresolved []Incident
	for _, in := range s.Incidents {
		if in.Draft || in.Maintenance {
			continue
		}
		incidents = append(incidents, in)
		if !in.Resolved() {
			unresolved = append(unresolved, in)
		}
	}
	// Newest first, as Statuspage's; the snapshot's order already, kept on
	// ties.
	slices.SortStableFunc(incidents, func(a, b Incident) int { return b.StartedAt.Compare(a.StartedAt) })
	slices.SortStableFunc(unresolved, func(a, b Incident) int { return b.StartedAt.Compare(a.StartedAt) })

	var maints, open, upcoming, active []Incident
	for _, m := range s.Maintenances {
		if m.Draft {
			continue
		}
		maints = append(maints, m)
		switch m.Status {
		case Scheduled:
			upcoming = append(upcoming, m)
			open = append(open, m)
		case InProgress, Verifying:
			active = append(active, m)
			open = append(open, m)
		}
	}
	// scheduled-maintenances.json: the 50 most recent, latest first; the
	// others soonest first, as the snapshot has them.
	recent := slices.Clone(maints)
	slices.SortStableFunc(recent, func(a, b Incident) int { return b.ScheduledFor.Compare(a.ScheduledFor) })

	docs := map[string]any{
		"summary.json": v2Summary{
			Page:                  e.page,
			Components:            e.components,
			Incidents:             e.incidents(unresolved),
			ScheduledMaintenances: e.incidents(open),
			Status:                e.status,
		},
		"status.json":                          v2StatusDoc{Page: e.page, Status: e.status},
		"components.json":                      v2ComponentsDoc{Page: e.page, Components: e.components},
		"incidents.json":                       v2IncidentsDoc{Page: e.page, Incidents: e.incidents(v2First(incidents, V2Limit))},
		"incidents/unresolved.json":            v2IncidentsDoc{Page: e.page, Incidents: e.incidents(unresolved)},
		"scheduled-maintenances.json":          v2MaintenancesDoc{Page: e.page, ScheduledMaintenances: e.incidents(v2First(recent, V2Limit))},
		"scheduled-maintenances/upcoming.json": v2MaintenancesDoc{Page: e.page, ScheduledMaintenances: e.incidents(upcoming)},
		"scheduled-maintenances/active.json":   v2MaintenancesDoc{Page: e.page, ScheduledMaintenances: e.incidents(active)},
	}
	out := make(map[string][]byte, len(docs))
	for path, doc := range docs {
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("statuspage: encoding %s: %w", path, err)
		}
		out[path] = b
	}
	return out, nil
}

func v2First[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// v2Encoder holds what every document shares.
type v2Encoder struct {
	loc        *time.Location
	page       v2Page
	status     v2Status
	url        string
	components []v2Component
	byID       map[string]v2Component
}

func newV2Encoder(s *Snapshot) (*v2Encoder, error) {
	tz := s.Page.TimeZone
	if tz == "" {
		tz = "Etc/UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("statuspage: page time zone: %w", err)
	}
	e := &v2Encoder{loc: loc, url: strings.TrimRight(s.Page.URL, "/"), byID: map[string]v2Component{}}
	updated := s.UpdatedAt
	if updated.IsZero() {
		updated = s.Built
	}
	e.page = v2Page{ID: s.Page.ID, Name: s.Page.Name, URL: s.Page.URL, TimeZone: tz, UpdatedAt: e.time(updated)}
	st := s.Status
	if st.Indicator == "" {
		st = OverallStatus(s.Components, s.Incidents, s.Maintenances)
	}
	e.status = v2Status{Indicator: st.Indicator, Description: st.Description}

	e.components = make([]v2Component, 0, len(s.Components))
	for _, c := range s.Components {
		v := e.component(c)
		e.components = append(e.components, v)
		e.byID[c.ID] = v
	}
	return e, nil
}

func (e *v2Encoder) time(t time.Time) v2Time {
	if t.IsZero() {
		return v2Time{}
	}
	return v2Time{t.In(e.loc)}
}

func (e *v2Encoder) component(c ComponentView) v2Component {
	v := v2Component{
		ID:                 c.ID,
		Name:               c.Name,
		Status:             cmp.Or(c.Status, Operational),
		CreatedAt:          e.time(c.CreatedAt),
		UpdatedAt:          e.time(c.UpdatedAt),
		Position:           c.Position,
		Showcase:           c.Showcase,
		PageID:             e.page.ID,
		Group:              c.Group,
		OnlyShowIfDegraded: c.OnlyShowIfDegraded,
	}
	if c.Description != "" {
		v.Description = &c.Description
	}
	if c.GroupID != "" {
		v.GroupID = &c.GroupID
	}
	// A date, not an instant: the calendar day it names, in its own
	// location (a configured date is midnight UTC).
	if !c.StartDate.IsZero() {
		v.StartDate = v2Date{c.StartDate}
	}
	if c.Group {
		children := append([]string{}, c.Children...)
		v.Components = &children
	}
	return v
}

func (e *v2Encoder) incidents(ins []Incident) []v2Incident {
	out := make([]v2Incident, 0, len(ins))
	for _, in := range ins {
		out = append(out, e.incident(in))
	}
	return out
}

func (e *v2Encoder) incident(in Incident) v2Incident {
	v := v2Incident{
		ID:              in.ID,
		Name:            in.Name,
		Status:          in.Status,
		CreatedAt:       e.time(in.CreatedAt),
		UpdatedAt:       e.time(in.UpdatedAt),
		MonitoringAt:    e.time(in.MonitoringAt),
		ResolvedAt:      e.time(in.ResolvedAt),
		Impact:          cmp.Or(in.Impact, ImpactNone),
		Shortlink:       e.url + "/incidents/" + in.ID,
		StartedAt:       e.time(in.StartedAt),
		PageID:          e.page.ID,
		IncidentUpdates: []v2IncidentUpdate{},
		Components:      []v2Component{},
	}
	if in.Maintenance {
		// Statuspage's impact for a maintenance is "maintenance" unless
		// overridden.
		if v.Impact == ImpactNone {
			v.Impact = "maintenance"
		}
		from, until := e.time(in.ScheduledFor), e.time(in.ScheduledUntil)
		v.ScheduledFor, v.ScheduledUntil = &from, &until
	}
	seen := map[string]bool{}
	for _, a := range in.Components {
		if c, ok := e.byID[a.ComponentID]; ok && !seen[a.ComponentID] {
			seen[a.ComponentID] = true
			v.Components = append(v.Components, c)
		}
	}
	// Updates are newest first; each affected component's old status is
	// the one the previous update gave it (operational before the first).
	v.IncidentUpdates = make([]v2IncidentUpdate, len(in.Updates))
	status := map[string]string{}
	for i := len(in.Updates) - 1; i >= 0; i-- {
		u := in.Updates[i]
		vu := v2IncidentUpdate{
			ID:                   u.ID,
			Status:               u.Status,
			Body:                 u.Body,
			IncidentID:           cmp.Or(u.IncidentID, in.ID),
			CreatedAt:            e.time(u.CreatedAt),
			UpdatedAt:            e.time(u.UpdatedAt),
			DisplayAt:            e.time(cmp.Or(u.DisplayAt, u.CreatedAt)),
			DeliverNotifications: u.Notify,
		}
		for _, a := range u.Components {
			old := cmp.Or(status[a.ComponentID], Operational)
			status[a.ComponentID] = a.Status
			name := a.ComponentID
			if c, ok := e.byID[a.ComponentID]; ok {
				name = c.Name
			}
			vu.AffectedComponents = append(vu.AffectedComponents, v2AffectedComponent{
				Code: a.ComponentID, Name: name, OldStatus: old, NewStatus: a.Status,
			})
		}
		v.IncidentUpdates[i] = vu
	}
	return v
}

// Overall statuses' descriptions, as Statuspage words them.
var overallDescriptions = map[string]string{
	IndicatorNone:        "All Systems Operational",
	IndicatorMaintenance: "Service Under Maintenance",
	IndicatorMinor:       "Minor Service Outage",
	IndicatorMajor:       "Partial System Outage",
	IndicatorCritical:    "Major System Outage",
}

// DescriptionDegraded is Statuspage's description of a minor indicator
// when the worst component is only degraded.
const DescriptionDegraded = "Partially Degraded Service"

// componentRank orders component statuses by how far they raise the
// indicator.
var componentRank = map[string]int{Operational: 0, UnderMaintenance: 1, DegradedPerformance: 2, PartialOutage: 3, MajorOutage: 4}

// indicatorRank orders indicators; maintenance shows only when nothing is
// worse than it.
var indicatorRank = map[string]int{
	IndicatorNone:        0,
	IndicatorMaintenance: 1,
	IndicatorMinor:       2,
	IndicatorMajor:       3,
	IndicatorCritical:    4,
}

// componentIndicator maps a component status to the indicator it raises
// the page to: degraded performance and a partial outage are minor, a major
// outage is major (critical when every component is in it, see
// OverallStatus), under maintenance is maintenance.
var componentIndicator = map[string]string{
	Operational:         IndicatorNone,
	DegradedPerformance: IndicatorMinor,
	PartialOutage:       IndicatorMinor,
	MajorOutage:         IndicatorMajor,
	UnderMaintenance:    IndicatorMaintenance,
}

// OverallStatus is the page's status, with Statuspage's indicators and
// descriptions. The indicator is the worst of the unresolved published
// incidents' impacts (none, minor, major, critical) and of what the
// components' statuses raise it to — degraded_performance and
// partial_outage: minor; major_outage: major, and critical when every
// component (groups aside) is in major_outage, as Statuspage has it: a full
// outage reads "Major System Outage", never "Partial System Outage" — and
// else maintenance when a scheduled
// maintenance is in progress or verifying or a component is under
// maintenance, else none. Groups are skipped: their status is their worst
// child's.
//
// Descriptions: none "All Systems Operational"; minor "Minor Service
// Outage", or "Partially Degraded Service" when the worst component is
// only degraded (as Statuspage words it); major "Partial System Outage";
// critical "Major System Outage"; maintenance "Service Under Maintenance".
func OverallStatus(components []ComponentView, incidents, maintenances []Incident) Overall {
	ind, worst := IndicatorNone, Operational
	counted, down := 0, 0
	raise := func(to string) {
		if indicatorRank[to] > indicatorRank[ind] {
			ind = to
		}
	}
	for _, c := range components {
		if !c.Group {
			counted++
			if c.Status == MajorOutage {
				down++
			}
			raise(componentIndicator[c.Status])
			if componentRank[c.Status] > componentRank[worst] {
				worst = c.Status
			}
		}
	}
	for _, in := range incidents {
		if in.Draft || in.Resolved() {
			continue
		}
		if in.Maintenance {
			if in.Status == InProgress || in.Status == Verifying {
				raise(IndicatorMaintenance)
			}
			continue
		}
		switch in.Impact {
		case ImpactMinor, ImpactMajor, ImpactCritical:
			raise(in.Impact)
		}
	}
	for _, m := range maintenances {
		if !m.Draft && (m.Status == InProgress || m.Status == Verifying) {
			raise(IndicatorMaintenance)
		}
	}
	if counted > 0 && down == counted {
		raise(IndicatorCritical)
	}
	if ind == IndicatorMinor && worst == DegradedPerformance {
		return Overall{Indicator: ind, Description: DescriptionDegraded}
	}
	return Overall{Indicator: ind, Description: overallDescriptions[ind]}
}
