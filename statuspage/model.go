// Package statuspage is the public status page: components declared in
// the configuration or through the API, incidents and scheduled
// maintenance with their timelines, uptime computed from the probers'
// rollups, and the page itself — HTML, the Atlassian Statuspage v2 JSON,
// feeds and badges — rendered from a snapshot rebuilt every few seconds,
// never per request.
//
// Only what is declared is public: a component names its link, tag or
// monitor internally, and the page shows its public name and status, never
// a destination URL.
package statuspage

import (
	"time"

	"github.com/linkwatch/linkwatch/health"
)

// Component statuses, as Statuspage spells them.
const (
	Operational         = "operational"
	DegradedPerformance = "degraded_performance"
	PartialOutage       = "partial_outage"
	MajorOutage         = "major_outage"
	UnderMaintenance    = "under_maintenance"
)

// ComponentStatuses lists them from best to worst (maintenance last).
var ComponentStatuses = []string{Operational, DegradedPerformance, PartialOutage, MajorOutage, UnderMaintenance}

// Incident impacts.
const (
	ImpactNone     = "none"
	ImpactMinor    = "minor"
	ImpactMajor    = "major"
	ImpactCritical = "critical"
	// ImpactMaintenance is a scheduled maintenance's impact, as Statuspage
	// reports it.
	ImpactMaintenance = "maintenance"
)

// Incident statuses, and scheduled maintenance statuses.
const (
	Investigating = "investigating"
	Identified    = "identified"
	Monitoring    = "monitoring"
	Resolved      = "resolved"
	Postmortem    = "postmortem"

	Scheduled  = "scheduled"
	InProgress = "in_progress"
	Verifying  = "verifying"
	Completed  = "completed"
)

// Automatic incidents: what a link_down alert on a component does.
const (
	AutoOff     = ""          // nothing
	AutoDraft   = "draft"     // opens a draft incident (not public until published)
	AutoPublish = "published" // opens a published incident
)

// Component is one line of the page. Exactly one of Link, Tag and Monitor
// is set on a component that is not a group; a group has none and holds
// components whose GroupID is its ID (one level deep).
type Component struct {
	ID                 string    `json:"id" yaml:"id"` // stable, URL-safe; from the configuration or generated
	Name               string    `json:"name" yaml:"name"`
	Description        string    `json:"description,omitempty" yaml:"description,omitempty"`
	Position           int       `json:"position" yaml:"position"`
	GroupID            string    `json:"group_id,omitempty" yaml:"group,omitempty"`
	Group              bool      `json:"group" yaml:"is_group,omitempty"`
	OnlyShowIfDegraded bool      `json:"only_show_if_degraded" yaml:"only_show_if_degraded,omitempty"`
	Showcase           bool      `json:"showcase" yaml:"showcase,omitempty"`
	Link               string    `json:"link,omitempty" yaml:"link,omitempty"`       // a link's slug
	Tag                string    `json:"tag,omitempty" yaml:"tag,omitempty"`         // a campaign: all its links
	Monitor            string    `json:"monitor,omitempty" yaml:"monitor,omitempty"` // a monitor's name
	AutoIncident       string    `json:"auto_incident,omitempty" yaml:"auto_incident,omitempty"`
	StartDate          time.Time `json:"start_date,omitzero" yaml:"-"`
	Source             string    `json:"source,omitempty" yaml:"-"` // config or api
	CreatedAt          time.Time `json:"created_at" yaml:"-"`
	UpdatedAt          time.Time `json:"updated_at" yaml:"-"`
}

// Incident is an incident or, with Maintenance set, a scheduled
// maintenance, with its timeline.
type Incident struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"` // an incident or maintenance status
	Impact      string `json:"impact"`
	Maintenance bool   `json:"maintenance"`
	// Draft incidents are not public (auto incidents in draft mode, until
	// an operator publishes them).
	Draft bool `json:"draft"`
	// Components affected, with the status the incident gives each (it
	// overrides the monitored status while the incident is unresolved).
	Components []Affected `json:"components"`
	Updates    []Update   `json:"updates"` // newest first
	// ScheduledFor and ScheduledUntil bound a maintenance.
	ScheduledFor   time.Time `json:"scheduled_for,omitzero"`
	ScheduledUntil time.Time `json:"scheduled_until,omitzero"`
	// AlertKey is the dedupe key of the alert that opened it automatically.
	AlertKey     string    `json:"alert_key,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	StartedAt    time.Time `json:"started_at"`
	MonitoringAt time.Time `json:"monitoring_at,omitzero"`
	ResolvedAt   time.Time `json:"resolved_at,omitzero"`
}

// Affected is a component an incident affects and the status it gives it.
type Affected struct {
	ComponentID string `json:"component_id"`
	Status      string `json:"status"`
}

// Update is one entry of an incident's timeline.
type Update struct {
	ID         string     `json:"id"`
	IncidentID string     `json:"incident_id"`
	Status     string     `json:"status"`
	Body       string     `json:"body"`
	Components []Affected `json:"components,omitempty"` // statuses set by this update
	Notify     bool       `json:"deliver_notifications"`
	// Announced: the update was queued for subscribers (see
	// Builder.announcePending).
	Announced bool      `json:"announced,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	DisplayAt time.Time `json:"display_at"`
}

// Resolved reports whether an incident or maintenance is over.
func (i *Incident) Resolved() bool {
	switch i.Status {
	case Resolved, Postmortem, Completed:
		return true
	}
	return false
}

// Subscriber receives incident updates, by webhook (URL) or by email
// (Email) — exactly one of them is set — once it confirmed it owns that
// address: Linkwatch sends a confirmation request carrying a token, and the
// subscriber confirms by opening the confirmation URL.
type Subscriber struct {
	ID          string    `json:"id"`
	URL         string    `json:"url,omitempty"`
	Email       string    `json:"email,omitempty"`
	Token       string    `json:"-"` // the confirmation secret
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
}

// Day is one component's uptime over one day of the page's time zone (or
// part of it, today).
type Day struct {
	Date time.Time // local midnight, in the page's time zone
	// Observed is how long the component was checked that day; zero means
	// no data (shown as such, never as 100%).
	Observed    time.Duration
	Major       time.Duration // time in major outage
	Partial     time.Duration // time in partial outage
	Maintenance time.Duration // time under maintenance, excluded
	// Incidents that day, by name, for the bar's text.
	Incidents []string
}

// Uptime is health.Uptime of the day: 1 − (major + 0.3 × partial) /
// (observed − maintenance), and ok is false when there is nothing to divide
// by (no data).
func (d Day) Uptime() (u float64, ok bool) {
	return health.Uptime(d.Observed, d.Major, d.Partial, d.Maintenance)
}

// Month is a closed month's frozen figures for one component.
type Month struct {
	ComponentID string
	Month       time.Time // first day, 00:00 UTC
	Observed    time.Duration
	Major       time.Duration
	Partial     time.Duration
	Maintenance time.Duration
}

// Uptime of the month.
func (m Month) Uptime() (float64, bool) {
	return health.Uptime(m.Observed, m.Major, m.Partial, m.Maintenance)
}
