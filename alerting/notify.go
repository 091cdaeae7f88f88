package alerting

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/linkwatch/linkwatch"
)

// repeat asks notify for a reminder of a still-firing alert (or a group's
// update).
const repeat Transition = "repeat"

// item is one alert to step this cycle: a rule over one scope.
type item struct {
	key, rule, severity, scope string
	summary, runbook           string
	// recovered says what recovered, for the resolution ("spring is up
	// again in 3 of 3 regions"); "" says that the rule has recovered.
	// because, when set, follows the resolution's duration: why it
	// resolved.
	recovered, because string
	labels             map[string]string
	timing             Timing
	outcome            Outcome
	alert              Alert
	// group, when set, is the scope of the group the alert joins while it
	// fires (campaign/<tags> or host/<hostname>): the group notifies, not
	// each member.
	group string
	// describe, when set, fills labels, summaries, group and alert — only
	// for the alerts that change or fire, not for every healthy link every
	// cycle.
	describe func(*item)
}

func (it *item) fill() {
	if it.describe != nil {
		it.describe(it)
		it.describe = nil
	}
}

// stepLog is a firing or resolution to log once it is stored.
type stepLog struct {
	tr                             Transition
	rule, severity, scope, summary string
	held                           bool
}

// apply steps it, records the change and queues what it sends, and returns
// its new state.
func (c *cycle) apply(it item) AlertState {
	old := c.prev[it.key]
	next, tr := Step(old.State, it.outcome, it.timing, c.now)
	c.counts[[2]string{it.rule, string(next.Phase)}]++
	if next.Phase == PhaseFiring || !quiet(old.State, next) {
		it.fill()
	}
	if next.Phase == PhaseFiring && it.outcome.State != Breach && old.Summary != "" {
		// Still firing without a breach this cycle (no region reports, or
		// a band): what was last seen stands, not "down in 0 of 0 regions".
		it.summary = old.Summary
	}
	if next.Phase == PhaseFiring && it.group != "" {
		if muted, _ := Muted(it.labels, c.now, c.silences, c.windows); !muted {
			c.join(it)
		}
	}
	if quiet(old.State, next) {
		return next
	}
	a := StoredAlert{Key: it.key, Rule: it.rule, Severity: it.severity, Scope: it.scope,
		Labels: it.labels, Summary: it.summary, State: next, UpdatedAt: c.now}
	if next.Phase == PhaseResolved || next.Phase == PhaseOK {
		a.Summary = resolvedSummary(it.recovered, it.rule, it.scope, next)
		if it.because != "" {
			a.Summary += ": " + it.because
		}
	}
	if it.group != "" { // its group notifies
		if tr == Resolve {
			c.leave(it)
		}
		c.changed = append(c.changed, a)
		return next
	}
	muted, _ := Muted(it.labels, c.now, c.silences, c.windows)
	send := c.e.toSend(old.State, &a.State, tr, muted, c.now)
	c.notify(&a, tr, send, muted, Notification{RunbookURL: it.runbook, Alerts: []Alert{it.alert}})
	c.changed = append(c.changed, a)
	return next
}

// toSend decides what a step notifies, given muting: a muted firing is
// recorded but held; a resolution whose firing was never sent is not sent
// either; a held firing is sent once the muting ends while it still fires;
// a long firing is repeated every Renotify. It updates next's bookkeeping.
func (e *Engine) toSend(old AlertState, next *AlertState, tr Transition, muted bool, now time.Time) Transition {
	send := NoTransition
	switch {
	case tr == Fire && muted:
		next.Held = true
	case tr == Resolve && old.Held:
		next.Held = false
	case tr != NoTransition:
		send = tr
	case next.Phase == PhaseFiring && next.Held && !muted:
		next.Held, send = false, Fire
	case next.Phase == PhaseFiring && !next.Held && !muted && now.Sub(next.NotifiedAt) >= e.cfg.Renotify:
		send = repeat
	}
	if send == Fire || send == repeat {
		next.NotifiedAt = now
	}
	return send
}

// quiet reports that an alert stayed ok: nothing worth a write. Every
// other step is stored — pending and firing alerts count breaches and clears.
func quiet(old, next AlertState) bool {
	return (old.Phase == "" || old.Phase == PhaseOK) && next.Phase == PhaseOK
}

// notify queues a's notification (n's message parts) for the channels
// that should have it, and records who had the firing:
//
//   - a firing goes to every channel a's labels route to;
//   - a repeat goes to those that had the firing;
//   - a resolution goes only to those that had the firing — none, when it
//     was never sent;
//   - a firing, unmuted alert is sent as a firing to a channel routed to
//     that has not had it (added since, or routed since), once.
//
// tr is the step's transition, send what toSend made of it.
func (c *cycle) notify(a *StoredAlert, tr, send Transition, muted bool, n Notification) {
	s := &a.State
	routed := c.e.receivers(a.Labels)
	if tr == Fire {
		s.Receivers = []string{} // a new firing: no channel has had it
	}
	if s.Receivers == nil && s.Phase != PhaseOK {
		s.Receivers = slices.Clone(routed) // stored before receivers were recorded: as it was sent then
	}
	if tr == Fire || tr == Resolve {
		c.transitions = append(c.transitions, stepLog{tr: tr, rule: a.Rule, severity: a.Severity, scope: a.Scope,
			summary: a.Summary, held: tr == Fire && send != Fire})
	}
	var to, fresh []string
	switch send {
	case Fire:
		fresh = routed
	case Resolve:
		for _, r := range s.Receivers {
			if c.e.known(r) {
				to = append(to, r)
			}
		}
	case repeat:
		to = intersect(routed, s.Receivers)
	}
	if s.Phase == PhaseFiring && !s.Held && !muted && send != Fire {
		fresh = missing(routed, s.Receivers)
	}
	if len(fresh) > 0 {
		c.queue(*a, Fire, fresh, n)
		s.Receivers = append(s.Receivers, missing(fresh, s.Receivers)...)
		slices.Sort(s.Receivers)
	}
	if len(to) > 0 {
		c.queue(*a, send, to, n)
	}
}

// queue adds a's notification, n completed, for each receiver, each with its
// own ID.
func (c *cycle) queue(a StoredAlert, tr Transition, receivers []string, n Notification) {
	n.DedupeKey, n.Kind, n.Rule, n.Severity, n.Summary = a.Key, kindOf(tr), a.Rule, a.Severity, a.Summary
	n.Labels, n.Since, n.At = a.Labels, a.State.FiredAt, c.now
	if n.RunbookURL == "" {
		n.Runbook = runbookText(a.Rule)
	}
	n.StatusURL = c.e.statusURL(a.Rule)
	for _, r := range receivers {
		n.ID = linkwatch.NewID()
		c.out = append(c.out, Outgoing{Receiver: r, Notification: n, NotBefore: c.now, CreatedAt: c.now})
	}
}

// receivers are the channels labels route to.
func (e *Engine) receivers(labels map[string]string) []string {
	if e.cfg.Router != nil {
		return e.cfg.Router.Channels(labels)
	}
	return e.cfg.Receivers
}

// known reports that a channel is still configured.
func (e *Engine) known(receiver string) bool {
	if e.cfg.Router != nil {
		return e.cfg.Router.Has(receiver)
	}
	return slices.Contains(e.cfg.Receivers, receiver)
}

// intersect returns the elements of a also in b.
func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// missing returns the elements of a not in b.
func missing(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// kindOf is the notification kind a transition sends.
func kindOf(tr Transition) string {
	switch tr {
	case Resolve:
		return KindResolved
	case repeat:
		return KindRepeat
	}
	return KindFiring
}

// logTransitions logs each firing and resolution the cycle stored: warn for
// a critical firing, info otherwise.
func (e *Engine) logTransitions(ctx context.Context, ts []stepLog) {
	for _, t := range ts {
		level, msg := slog.LevelInfo, "alert resolved"
		if t.tr == Fire {
			msg = "alert firing"
			if t.severity == SeverityCritical {
				level = slog.LevelWarn
			}
		}
		attrs := []any{"rule", t.rule, "severity", t.severity, "scope", t.scope, "summary", t.summary}
		if t.held {
			attrs = append(attrs, "muted", true)
		}
		e.log.Log(ctx, level, msg, attrs...)
	}
}
