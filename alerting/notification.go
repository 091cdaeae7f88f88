// Package alerting turns check results and platform metrics into alerts —
// thresholds, rate of change, multi-region quorum — and delivers them,
// exactly once, to Slack, DataDog and webhooks. Notifiers live in
// sub-packages named after what they adapt (alerting/slack,
// alerting/datadog); this package holds the domain they share.
package alerting

import (
	"context"
	"time"
)

// Severities.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Notification kinds: an alert started firing, is still firing (renotify), or
// resolved.
const (
	KindFiring   = "firing"
	KindRepeat   = "repeat"
	KindResolved = "resolved"
)

// Notification is one message about one alert (or one group of alerts of the
// same rule and campaign) for one receiver. It is what the outbox stores and
// what notifiers render.
type Notification struct {
	// ID is unique per notification; receivers that can deduplicate use it.
	ID string
	// DedupeKey identifies the alert (rule and scope) across its lifetime; a
	// resolution carries its firing's key, so a notifier can edit the
	// original message.
	DedupeKey string
	Kind      string
	Rule      string // e.g. link_down
	Severity  string
	Summary   string // one line: what broke
	Labels    map[string]string
	// Since is when the alert started firing; At is when this notification
	// was created.
	Since time.Time
	At    time.Time
	// Alerts are the members of a group (one, for an ungrouped alert).
	Alerts []Alert
	// Recovered, in a group's update, are the links (slugs, or scopes for
	// other members) that recovered since the group's previous message.
	Recovered []string `json:",omitempty"`
	// RunbookURL is the rule's runbook_url; Runbook is the short built-in
	// text of a default rule (what to check first), for when there is no
	// URL.
	RunbookURL string
	Runbook    string `json:",omitempty"`
	SilenceURL string
	// StatusURL is the status page, where link_down's automatic incidents
	// show; "" for other rules.
	StatusURL string `json:",omitempty"`
}

// Alert is one alerting target inside a notification.
type Alert struct {
	Link        string   // slug, "" for monitors and platform alerts
	ShortURL    string   // the link's short URL
	Destination string   // may be private: shown to on-call engineers only
	Monitor     string   // monitor name
	Tags        []string // campaign tags
	Regions     []string // regions that see the failure
	ErrorClass  string
	Error       string
	Value       string // the evaluated value, formatted (e.g. "95% of pool in use")
	Hops        []Hop  // the latest redirect chain
	// HealthURL is the link's health in the API (the public URL and
	// /api/v1/links/{slug}/health, with ?domain= for a custom domain).
	HealthURL string `json:",omitempty"`
}

// Hop is one step of a redirect chain, as shown in a message.
type Hop struct {
	URL    string
	Status int
}

// Delivery is a notifier's answer. Retry says whether a failed send may
// succeed later (5xx, network errors, 429); RetryAfter, when the receiver
// asked for it (HTTP 429 Retry-After), is how long every pending notification
// for that receiver must wait. Ref is the receiver's reference of the message
// sent (Slack's channel and timestamp), kept so a resolution can edit it.
type Delivery struct {
	Retry      bool
	RetryAfter time.Duration
	Ref        string
}

// Notifier sends a notification to one receiver. ref is the Ref of the
// firing notification's delivery when n resolves or repeats an alert already
// delivered, else "". Errors never contain secrets (tokens, webhook URLs).
type Notifier interface {
	Notify(ctx context.Context, n Notification, ref string) (Delivery, error)
}
