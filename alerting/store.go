package alerting

import (
	"context"
	"time"

	"github.com/linkwatch/linkwatch"
)

// StoredAlert is the persisted state of one alert: one rule over one scope
// (a link, a campaign tag, a monitor, a platform metric).
type StoredAlert struct {
	// Key is the dedupe key, rule and scope: one alert per key, whichever
	// replica evaluates.
	Key       string
	Rule      string
	Severity  string
	Scope     string
	Labels    map[string]string
	Summary   string
	State     AlertState
	UpdatedAt time.Time
}

// Outgoing is a notification waiting in the outbox for one receiver.
type Outgoing struct {
	ID           int64
	Receiver     string // e.g. "slack", "datadog", "webhook:<name>"
	Notification Notification
	NotBefore    time.Time // not sent before this (backoff, Retry-After)
	Attempts     int
	LastError    string
	CreatedAt    time.Time
}

// Store is what the alert engine needs from storage.
type Store interface {
	// Alerts returns every stored alert.
	Alerts(ctx context.Context) ([]StoredAlert, error)
	// SaveAlerts upserts alert states, enqueues notifications and applies
	// the links' automatic failover changes in ONE transaction (the
	// outbox): a state change, its notifications and the traffic switch it
	// decided are stored together or not at all, and every redirector hears
	// of a switched link when it commits (as from UpdateLink). fence must be
	// the evaluator's current lease fence; a stale fence (another evaluator
	// took over) is refused with linkwatch.ECONFLICT and nothing is
	// written — a deposed evaluator cannot switch traffic. So is a failover
	// change whose link no longer has the mode and FailedOver it was decided
	// on (a pin by hand won; the next cycle decides again), or is gone.
	SaveAlerts(ctx context.Context, fence int64, alerts []StoredAlert, out []Outgoing, failovers []LinkFailover) error
	// Due returns unsent, unabandoned notifications with NotBefore ≤ now,
	// oldest first.
	Due(ctx context.Context, now time.Time, limit int) ([]Outgoing, error)
	// Sent marks a notification delivered and remembers ref for its
	// (dedupe key, receiver), so a later resolution can edit the message.
	Sent(ctx context.Context, id int64, ref string, at time.Time) error
	// Retry records a failed attempt and when to try again.
	Retry(ctx context.Context, id int64, notBefore time.Time, lastErr string) error
	// Abandon gives a notification up (a permanent error), keeping it for
	// inspection.
	Abandon(ctx context.Context, id int64, lastErr string) error
	// DelayReceiver moves every pending notification for receiver to no
	// earlier than until (a 429's Retry-After applies to all of them).
	DelayReceiver(ctx context.Context, receiver string, until time.Time) error
	// Ref returns the ref of the last delivered notification of (dedupe key,
	// receiver), or "".
	Ref(ctx context.Context, dedupeKey, receiver string) (string, error)
	// Lease acquires or renews the named lease for holder until now+ttl. ok
	// is false while another holder's lease is unexpired. fence grows by one
	// every time the lease changes holder, so a paused former leader's
	// writes can be refused.
	Lease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (fence int64, ok bool, err error)
}

// LinkFailover is the alert engine's automatic failover decision for one
// link (linkwatch.Link.FailedOver), written by SaveAlerts with the
// link_failover alert state that made it.
type LinkFailover struct {
	LinkID int64
	// Domain and Slug name the link to the redirectors' change feed.
	Domain, Slug string
	// Mode and Was are the link's failover mode and FailedOver as the engine
	// read them: the change applies only while the link still has both.
	Mode linkwatch.FailoverMode
	Was  bool
	// FailedOver is the decision.
	FailedOver bool
	// Since and Reason, when Since is set, replace the link's
	// FailoverSince and FailoverReason, and Since its UpdatedAt (what the
	// link serves changed, so checks begun before are not current); a zero
	// Since keeps them all (a pinned link's are its pin's, and it serves
	// what its pin says).
	Since  time.Time
	Reason string
}

// AlertEvent is one step of an alert's history: a change of phase (ok →
// pending → firing → resolved → ok), recorded by SaveAlerts in the same
// transaction as the state it describes.
type AlertEvent struct {
	ID       int64
	Key      string
	Rule     string
	Severity string
	Scope    string
	Labels   map[string]string
	Summary  string
	From     Phase // "" for a new alert
	To       Phase
	At       time.Time
}

// HistoryFilter selects alert events, newest first. Zero fields select
// everything; Before (an event ID) pages backwards; Limit defaults to 100.
type HistoryFilter struct {
	Key      string
	Rule     string
	Severity string
	Tag      string // events whose campaign label lists this tag
	Since    time.Time
	Before   int64
	Limit    int
}
