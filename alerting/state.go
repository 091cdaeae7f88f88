package alerting

import (
	"time"

	"github.com/linkwatch/linkwatch"
)

// Phase is where an alert is in its life: ok → pending → firing → resolved
// (→ ok, or → pending again).
type Phase string

// Phases. The zero Phase ("") is read as PhaseOK, so a zero AlertState is a
// new alert.
const (
	PhaseOK       Phase = "ok"
	PhasePending  Phase = "pending"  // breaching, for less than the rule's for
	PhaseFiring   Phase = "firing"   // notified
	PhaseResolved Phase = "resolved" // recovered and notified; ok at the next non-breach
)

// AlertState is one alert's state between evaluations, persisted per
// (rule, scope).
type AlertState struct {
	Phase Phase
	// Since is when Phase began.
	Since time.Time
	// PendingSince is when the current run of breaches began; zero when
	// none is running.
	PendingSince time.Time
	// ConsecutiveBreaches and ConsecutiveClears count outcomes in a row.
	// NoData breaks neither run nor extends it; Band ends both.
	ConsecutiveBreaches int
	ConsecutiveClears   int
	LastBreach          time.Time
	FiredAt             time.Time // of the current or last firing
	ResolvedAt          time.Time // of the last resolution; zero while firing
	// Held marks a firing whose notification a silence or maintenance
	// window held back: it is sent when the muting ends while the alert
	// still fires, and its resolution is never sent if it never was.
	Held bool
	// NotifiedAt is when the firing was last sent (first time or repeat).
	NotifiedAt time.Time
	// Members, for a group (a campaign's or a destination host's), are the
	// firing alerts it stands for (their scopes, sorted); Notified are the
	// members its last notification named; Affected are every member that
	// fired during the current (or last) firing, so a resolution counts the
	// whole incident, not the last few links.
	Members  []string `json:",omitempty"`
	Notified []string `json:",omitempty"`
	Affected []string `json:",omitempty"`
	// Receivers are the channels the current firing was sent to, so a
	// channel added while the alert fires still gets it, and a resolution
	// goes only to those that had the firing. Empty (not nil) for a firing
	// no channel had yet; nil in states stored before receivers were
	// recorded, read as "every channel it routes to".
	Receivers []string
}

// Timing is a rule's pacing: how long a breach must last before the alert
// fires, and how convincingly it must recover before it resolves.
type Timing struct {
	// For and ForChecks hold a breaching alert pending: it fires once it has
	// breached for For since the run began AND on ForChecks consecutive
	// evaluations (zero values: immediately, on the first breach).
	For       time.Duration
	ForChecks int
	// RecoverChecks and KeepFiringFor hold a firing alert: it resolves only
	// after RecoverChecks consecutive clear outcomes (default 1) AND
	// KeepFiringFor since the last breach.
	RecoverChecks int
	KeepFiringFor time.Duration
}

// Transition is what a Step asks the caller to notify.
type Transition string

// Transitions.
const (
	NoTransition Transition = ""
	Fire         Transition = "fire"
	Resolve      Transition = "resolve"
)

// Step advances an alert by one evaluation's outcome at now and says whether
// it started firing or resolved. It is pure: the caller persists next and,
// in the same transaction, the notification tr calls for.
//
//   - Breach: ok and resolved go pending (or straight to firing when
//     Timing holds nothing); pending fires once For and ForChecks are met.
//   - Clear: pending falls back to ok; resolved settles to ok; firing
//     resolves once RecoverChecks clears in a row and KeepFiringFor since
//     the last breach are met.
//   - Band (between a threshold's recovery limit and its limit): not a
//     breach, so pending falls back to ok and resolved settles; not a clear,
//     so firing stays firing and its run of clears restarts.
//   - NoData, or an unknown state: nothing changes. An alert never fires or
//     resolves on missing data — a prober that stops reporting must not
//     look like a recovery, nor a gap like an outage — and a firing alert
//     whose data stops keeps firing; the no-data rule reports the silence.
func Step(prev AlertState, o Outcome, t Timing, now time.Time) (next AlertState, tr Transition) {
	s := prev
	if s.Phase == "" {
		s.Phase = PhaseOK
	}
	switch o.State {
	case Breach:
		s.ConsecutiveBreaches++
		s.ConsecutiveClears = 0
		s.LastBreach = now
		if s.Phase == PhaseOK || s.Phase == PhaseResolved {
			s.ConsecutiveBreaches = 1
			s.PendingSince = now
			s.enter(PhasePending, now)
		}
		if s.Phase == PhasePending && now.Sub(s.PendingSince) >= t.For && s.ConsecutiveBreaches >= t.ForChecks {
			s.enter(PhaseFiring, now)
			s.FiredAt, s.ResolvedAt = now, time.Time{}
			return s, Fire
		}
	case Clear, Band:
		s.ConsecutiveBreaches = 0
		s.ConsecutiveClears = 0
		if o.State == Clear {
			s.ConsecutiveClears = prev.ConsecutiveClears + 1
		}
		switch s.Phase {
		case PhasePending, PhaseResolved:
			s.PendingSince = time.Time{}
			s.enter(PhaseOK, now)
		case PhaseFiring:
			if o.State == Clear && s.ConsecutiveClears >= max(t.RecoverChecks, 1) && now.Sub(s.LastBreach) >= t.KeepFiringFor {
				s.PendingSince = time.Time{}
				s.ResolvedAt = now
				s.enter(PhaseResolved, now)
				return s, Resolve
			}
		}
	}
	return s, NoTransition
}

// enter moves to phase p at now.
func (s *AlertState) enter(p Phase, now time.Time) {
	s.Phase, s.Since = p, now
}

// TimingSpec is the declarative form of a Timing, as written beside a
// condition in the YAML config and the API: for: 2m, for_checks: 2,
// recover_checks: 2, keep_firing_for: 5m.
type TimingSpec struct {
	For           string `json:"for,omitempty" yaml:"for,omitempty"`
	ForChecks     int    `json:"for_checks,omitempty" yaml:"for_checks,omitempty"`
	RecoverChecks int    `json:"recover_checks,omitempty" yaml:"recover_checks,omitempty"`
	KeepFiringFor string `json:"keep_firing_for,omitempty" yaml:"keep_firing_for,omitempty"`
}

// maxChecks bounds for_checks and recover_checks.
const maxChecks = 1000

// Compile validates the spec and returns its Timing; errors name the field.
func (s TimingSpec) Compile() (Timing, error) {
	var t Timing
	var err error
	if s.For != "" {
		if t.For, err = parseSpan("for", s.For); err != nil {
			return Timing{}, err
		}
	}
	if s.KeepFiringFor != "" {
		if t.KeepFiringFor, err = parseSpan("keep_firing_for", s.KeepFiringFor); err != nil {
			return Timing{}, err
		}
	}
	if s.ForChecks < 0 || s.ForChecks > maxChecks {
		return Timing{}, linkwatch.FieldErrorf("for_checks", "for_checks must be from 0 to %d; got %d", maxChecks, s.ForChecks)
	}
	if s.RecoverChecks < 0 || s.RecoverChecks > maxChecks {
		return Timing{}, linkwatch.FieldErrorf("recover_checks", "recover_checks must be from 0 to %d; got %d", maxChecks, s.RecoverChecks)
	}
	t.ForChecks, t.RecoverChecks = s.ForChecks, s.RecoverChecks
	return t, nil
}
