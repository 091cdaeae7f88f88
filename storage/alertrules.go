package storage

import (
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// EncodeRuleSpec returns the stored form of a rule's spec, which must have a
// name.
func EncodeRuleSpec(spec alerting.RuleSpec) (string, error) {
	if spec.Name == "" {
		return "", linkwatch.FieldErrorf("name", "an alert rule needs a name")
	}
	b, err := EncodeJSON(spec)
	return string(b), err
}

// PhaseChanges returns the events of the alerts of batch whose phase differs
// from old's (the stored phases by key; absent for new alerts), in batch
// order. "" and ok are one phase: no event between them.
func PhaseChanges(batch []alerting.StoredAlert, old map[string]alerting.Phase) []alerting.AlertEvent {
	var events []alerting.AlertEvent
	for _, a := range batch {
		from, known := old[a.Key]
		from, to := okPhase(from), okPhase(a.State.Phase)
		if !known && to == alerting.PhaseOK || known && from == to {
			continue
		}
		if !known {
			from = ""
		}
		at := a.State.Since // when the phase began
		if at.IsZero() {
			at = a.UpdatedAt
		}
		events = append(events, alerting.AlertEvent{Key: a.Key, Rule: a.Rule, Severity: a.Severity, Scope: a.Scope,
			Labels: a.Labels, Summary: a.Summary, From: from, To: to, At: millis(at)})
	}
	return events
}

// okPhase reads the zero phase as ok.
func okPhase(p alerting.Phase) alerting.Phase {
	if p == "" {
		return alerting.PhaseOK
	}
	return p
}

// HistoryLimit is the number of events a HistoryFilter's Limit reads.
func HistoryLimit(limit int) int {
	if limit <= 0 {
		return defaultHistoryLimit
	}
	return min(limit, maxHistoryLimit)
}

// History limits: Limit 0 reads the default; more than the maximum reads
// the maximum.
const (
	defaultHistoryLimit = 100
	maxHistoryLimit     = 1000
)
