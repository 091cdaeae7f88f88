package statuspage

import (
	"context"
	"time"
)

// Page is the page's identity, as Statuspage's page object.
type Page struct {
	ID       string // stable; from the configuration (default "linkwatch")
	Name     string // the page title
	URL      string // the page's public URL (…/status)
	TimeZone string // IANA name, e.g. Europe/Berlin; times are shown in it
	// EmailSubscriptions: a mail server is configured, so the page offers
	// subscribing an email address beside a webhook.
	EmailSubscriptions bool
}

// Overall is the page's status: Statuspage's indicator (none, minor,
// major, critical, maintenance) and its description ("All Systems
// Operational", "Partial System Outage", …).
type Overall struct {
	Indicator   string
	Description string
}

// Indicators.
const (
	IndicatorNone        = "none"
	IndicatorMinor       = "minor"
	IndicatorMajor       = "major"
	IndicatorCritical    = "critical"
	IndicatorMaintenance = "maintenance"
)

// ComponentView is a component as the page shows it now.
type ComponentView struct {
	Component
	// Status is the component's status now: an unresolved incident's for
	// it, else under_maintenance during a maintenance, else what the
	// alert engine's quorum says (a one-region failure is at most
	// degraded_performance). A group's is its worst child's.
	Status string
	// Children are a group's components, by position.
	Children []string
	// Hidden: only_show_if_degraded and operational.
	Hidden bool
	// Days are the last 90 days in the page's time zone, oldest first,
	// today last.
	Days []Day
	// Uptime over the last 24 hours, 7, 30 and 90 days; ok false: no data.
	Uptime24h, Uptime7d, Uptime30d, Uptime90d Figure
	// Latency is the response time per hour over the last 7 days, oldest
	// first, for the chart (no point: no data that hour).
	Latency []LatencyPoint
}

// Figure is an uptime figure; OK false means no data.
type Figure struct {
	Value float64 // 0..1
	OK    bool
}

// LatencyPoint is one hour's response time.
type LatencyPoint struct {
	Hour time.Time
	Avg  time.Duration
	P95  time.Duration
}

// Snapshot is everything the page and the JSON show, built at one instant.
// Handlers render from the latest snapshot, never from raw results.
type Snapshot struct {
	Page  Page
	Built time.Time
	// UpdatedAt is the latest change any of it shows (Statuspage's
	// page.updated_at).
	UpdatedAt  time.Time
	Status     Overall
	Components []ComponentView // top level and children, by position; groups before their children
	// Incidents are the published incidents (not maintenance), newest
	// first: unresolved ones and those of the last 90 days.
	Incidents []Incident
	// Maintenances are scheduled maintenances, soonest first: upcoming,
	// in progress, and completed in the last 90 days.
	Maintenances []Incident
}

// Component returns the component view with the ID, or nil.
func (s *Snapshot) Component(id string) *ComponentView {
	for i := range s.Components {
		if s.Components[i].ID == id {
			return &s.Components[i]
		}
	}
	return nil
}

// Store is what the status page keeps in storage.
type Store interface {
	CreateComponent(ctx context.Context, c *Component) error
	ListComponents(ctx context.Context) ([]Component, error)
	UpdateComponent(ctx context.Context, id string, fn func(*Component) error) (*Component, error)
	DeleteComponent(ctx context.Context, id string) error

	CreateIncident(ctx context.Context, in *Incident) error
	IncidentByID(ctx context.Context, id string) (*Incident, error)
	ListIncidents(ctx context.Context, f IncidentFilter) ([]Incident, error)
	UpdateIncident(ctx context.Context, id string, fn func(*Incident) error) (*Incident, error)
	DeleteIncident(ctx context.Context, id string) error

	CreateSubscriber(ctx context.Context, s *Subscriber) error
	ListSubscribers(ctx context.Context) ([]Subscriber, error)
	// SubscriberByToken finds a subscriber by its token (ENOTFOUND when
	// none has it), without listing them all.
	SubscriberByToken(ctx context.Context, token string) (*Subscriber, error)
	ConfirmSubscriber(ctx context.Context, id, token string, at time.Time) error
	DeleteSubscriber(ctx context.Context, id string) error
	// DeleteUnconfirmedSubscribers deletes the subscribers created before
	// before and never confirmed, and returns how many.
	DeleteUnconfirmedSubscribers(ctx context.Context, before time.Time) (int, error)

	ComponentTimesStore

	// SaveMonth stores a closed month's figures unless that month is
	// already stored (figures are frozen once written).
	SaveMonth(ctx context.Context, m Month) error
	Months(ctx context.Context, componentID string) ([]Month, error)
}

// IncidentFilter selects incidents, newest StartedAt first.
type IncidentFilter struct {
	// Maintenance selects scheduled maintenances instead of incidents.
	Maintenance bool
	// Unresolved selects only those not resolved or completed.
	Unresolved bool
	// Drafts includes draft incidents.
	Drafts bool
	// Since selects those started, or still unresolved, at or after it.
	Since time.Time
	// Before pages: incidents started before it.
	Before time.Time
	Limit  int // default 100, at most 1000
}
