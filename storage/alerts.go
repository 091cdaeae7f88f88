package storage

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// What both engines share about alerts, the outbox and leases: the stored
// forms of labels, states and notifications (JSON, times to the millisecond
// in UTC), and the refusal of a stale fence. Sharing it keeps the engines'
// semantics identical.

// EvaluatorLease names the lease the alert evaluator holds: SaveAlerts
// accepts only the fence of its current term.
const EvaluatorLease = "alert-evaluator"

// StaleFence is SaveAlerts' refusal of a fence that is not the evaluator
// lease's current one: another evaluator took over (or none ever held it).
func StaleFence(fence int64) error {
	return &linkwatch.Error{Code: linkwatch.ECONFLICT, Field: "fence",
		Message: fmt.Sprintf("fence %d is not the current fence of lease %q: another evaluator took over", fence, EvaluatorLease)}
}

// CheckLease checks the arguments of a Lease call: a lease needs a name, a
// holder and a positive term.
func CheckLease(name, holder string, ttl time.Duration) error {
	switch {
	case name == "":
		return linkwatch.FieldErrorf("name", "a lease needs a name")
	case holder == "":
		return linkwatch.FieldErrorf("holder", "lease %q: a holder needs a name", name)
	case ttl < time.Millisecond:
		return linkwatch.FieldErrorf("ttl", "lease %q: the term must be at least 1ms; got %v", name, ttl)
	}
	return nil
}

// StoredAlert returns a as the engines store it: times to the millisecond
// in UTC, and no labels as nil.
func StoredAlert(a alerting.StoredAlert) alerting.StoredAlert {
	a.UpdatedAt = millis(a.UpdatedAt)
	if len(a.Labels) == 0 {
		a.Labels = nil
	}
	s := &a.State
	s.Since, s.PendingSince, s.LastBreach = millis(s.Since), millis(s.PendingSince), millis(s.LastBreach)
	s.FiredAt, s.ResolvedAt = millis(s.FiredAt), millis(s.ResolvedAt)
	return a
}

// StoredNotification returns n as the engines store it: times to the
// millisecond in UTC, and no labels as nil.
func StoredNotification(n alerting.Notification) alerting.Notification {
	n.Since, n.At = millis(n.Since), millis(n.At)
	if len(n.Labels) == 0 {
		n.Labels = nil
	}
	return n
}

// DistinctAlerts returns alerts as they will be stored, keeping only the
// last of those with the same key: a batch upserts each key once.
func DistinctAlerts(alerts []alerting.StoredAlert) ([]alerting.StoredAlert, error) {
	index := make(map[string]int, len(alerts))
	out := make([]alerting.StoredAlert, 0, len(alerts))
	for i, a := range alerts {
		if a.Key == "" {
			return nil, linkwatch.FieldErrorf("key", "alert %d of the batch has no key", i)
		}
		if j, ok := index[a.Key]; ok {
			out[j] = StoredAlert(a)
			continue
		}
		index[a.Key] = len(out)
		out = append(out, StoredAlert(a))
	}
	return out, nil
}

// StoredOutgoing checks a batch of notifications to enqueue and returns a
// copy of it as it will be stored: CreatedAt now when zero, times to the
// millisecond in UTC. A zero NotBefore stays zero: due at once, whatever the
// worker's clock. IDs are left to the engine.
func StoredOutgoing(out []alerting.Outgoing, now time.Time) ([]alerting.Outgoing, error) {
	batch := make([]alerting.Outgoing, len(out))
	for i, o := range out {
		if o.Receiver == "" {
			return nil, linkwatch.FieldErrorf("receiver", "notification %d of the batch has no receiver", i)
		}
		if o.CreatedAt.IsZero() {
			o.CreatedAt = now
		}
		o.ID = 0
		o.CreatedAt, o.NotBefore = millis(o.CreatedAt), millis(o.NotBefore)
		o.Notification = StoredNotification(o.Notification)
		batch[i] = o
	}
	return batch, nil
}

// StoredFailovers checks a batch of links' failover changes and returns a
// copy of it as it will be stored: Since to the millisecond in UTC, an
// empty Mode read as auto (as links store it).
func StoredFailovers(fs []alerting.LinkFailover) ([]alerting.LinkFailover, error) {
	out := make([]alerting.LinkFailover, len(fs))
	for i, f := range fs {
		if f.Mode == "" {
			f.Mode = linkwatch.FailoverAuto
		}
		switch {
		case f.LinkID <= 0:
			return nil, linkwatch.FieldErrorf("failover", "failover change %d of the batch has no link", i)
		case !linkwatch.ValidFailoverMode(f.Mode):
			return nil, linkwatch.FieldErrorf("failover", "failover change %d: unknown mode %q", i, f.Mode)
		case len(f.Reason) > 1024:
			return nil, linkwatch.FieldErrorf("failover", "failover change %d: reason is longer than 1 KiB", i)
		}
		f.Since = millis(f.Since)
		out[i] = f
	}
	return out, nil
}

// FailoverConflict is SaveAlerts' refusal of a failover change whose link
// is gone or no longer has the mode and FailedOver the change was decided
// on: someone pinned it meanwhile.
func FailoverConflict(f alerting.LinkFailover) error {
	return &linkwatch.Error{Code: linkwatch.ECONFLICT, Field: "failover",
		Message: fmt.Sprintf("link %d (%s) changed since its failover was decided (mode %s, failed over %v): decide again", f.LinkID, f.Slug, f.Mode, f.Was)}
}

// EncodeLabels returns the stored form of labels: a JSON object.
func EncodeLabels(labels map[string]string) []byte {
	if len(labels) == 0 {
		return []byte("{}")
	}
	b, _ := json.Marshal(labels) // a map of strings always marshals
	return b
}

// DecodeLabels reads labels back; none is nil.
func DecodeLabels(b []byte) (map[string]string, error) {
	var labels map[string]string
	if err := json.Unmarshal(b, &labels); err != nil {
		return nil, fmt.Errorf("stored labels: %w", err)
	}
	if len(labels) == 0 {
		labels = nil
	}
	return labels, nil
}

// EncodeJSON returns the stored form of an alert state or a notification.
func EncodeJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, linkwatch.Internal(fmt.Errorf("encode %T: %w", v, err))
	}
	return b, nil
}

// DecodeState reads an alert state back, its times in UTC.
func DecodeState(b []byte) (alerting.AlertState, error) {
	var s alerting.AlertState
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("stored alert state: %w", err)
	}
	return StoredAlert(alerting.StoredAlert{State: s}).State, nil
}

// DecodeNotification reads a notification back, its times in UTC.
func DecodeNotification(b []byte) (alerting.Notification, error) {
	var n alerting.Notification
	if err := json.Unmarshal(b, &n); err != nil {
		return n, fmt.Errorf("stored notification: %w", err)
	}
	return StoredNotification(n), nil
}
