package alerting

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
)

// RuleFailover is the default rule whose firing sends a link's visitors to
// its fallback: the engine's automatic failover. It is an action, not a
// page: its notifications say where visitors go and since when; link_down
// pages about the outage itself.
const RuleFailover = "link_failover"

// failoverTiming mirrors link_down's: it fires in the cycle link_down fires
// and resolves in the cycle link_down resolves.
var failoverTiming = Timing{RecoverChecks: 1}

// failoverCheck is the outcome of the failover rule for one link and, for
// its notifications and the link's failover_reason, why.
type failoverCheck struct {
	outcome Outcome
	// why is the cause in words: the primary's failure while failing over,
	// what changed when not ("up in 3 of 3 regions", "the fallback … is down
	// too").
	why string
	// back says that the resolution sends visitors to the primary again
	// (false while the link stays pinned to its fallback).
	back bool
}

// decideFailover is the failover rule for link l in one cycle: it breaches
// when l fails over automatically (mode auto, with a fallback, unexpired)
// AND link_down breaches this cycle (q, the same quorum) because of the
// destination itself AND the fallback is known to work (fb: its health,
// Up or Degraded). It never breaches on failures failing over cannot fix —
// the short link (redirect_mismatch, or the redirector unreachable), a
// blocked destination or its QR code — counting only the regions failing
// for a reason of the destination against the quorum. With no fresh region
// it is no data (a failed-over link stays failed over while its probers are
// silent), as is a fallback whose results went stale while failed over.
func decideFailover(l *linkwatch.Link, q health.QuorumOutcome, regions []linkwatch.Latest, primary, fb *health.Assessment,
	firing bool, now time.Time) failoverCheck {
	clear := func(why string, back bool) failoverCheck {
		return failoverCheck{outcome: Outcome{State: Clear, Reason: why}, why: why, back: back}
	}
	switch {
	case l.FallbackURL == "":
		return clear("the link has no fallback any more", true)
	case l.Expired(now):
		return clear("the link has expired", false)
	case l.Failover == linkwatch.FailoverOff:
		return clear("failover was turned off", true)
	case l.Failover == linkwatch.FailoverPrimary:
		return clear("pinned to the primary by hand", true)
	case l.Failover == linkwatch.FailoverFallback:
		return clear("pinned to the fallback by hand", false)
	}
	down := downOutcome(q)
	switch down.State {
	case NoData:
		return failoverCheck{outcome: down, why: primary.Reason}
	case Clear:
		return clear(primary.Reason, true)
	}
	if n := fixable(q, regions); n < q.K {
		return clear(fmt.Sprintf("%s failing for a reason failing over cannot fix (%s)",
			health.OfRegions(len(q.Failing)-n, q.Fresh), strings.Join(unfixableClasses(q, regions), ", ")), true)
	}
	switch {
	case fb.State == health.Down:
		return clear("the fallback "+l.FallbackURL+" is down too ("+fb.Reason+")", true)
	case fb.State == health.Unknown && firing:
		return failoverCheck{outcome: Outcome{State: NoData, Reason: "the fallback: " + fb.Reason}, why: primary.Reason}
	case fb.State == health.Unknown:
		return clear("the fallback "+l.FallbackURL+" has no recent checks ("+fb.Reason+")", true)
	}
	return failoverCheck{outcome: Outcome{State: Breach, Value: float64(len(q.Failing)), Reason: primary.Reason}, why: primary.Reason}
}

// fixesByFailover reports whether a failed check is one that sending
// visitors elsewhere fixes: the destination itself failed.
func fixesByFailover(r linkwatch.Latest) bool {
	return r.Step == linkwatch.StepDestination && r.Class != linkwatch.ClassBlocked &&
		r.Class != linkwatch.ClassRedirectMismatch && r.Class != linkwatch.ClassQR
}

// fixable counts the quorum's failing regions whose failure failing over
// fixes.
func fixable(q health.QuorumOutcome, regions []linkwatch.Latest) int {
	n := 0
	for _, r := range regions {
		if slices.Contains(q.Failing, r.Region) && fixesByFailover(r) {
			n++
		}
	}
	return n
}

// unfixableClasses are the classes (with their step when it is not the
// destination) of the failing regions failing over would not fix.
func unfixableClasses(q health.QuorumOutcome, regions []linkwatch.Latest) []string {
	var out []string
	for _, r := range regions {
		if !slices.Contains(q.Failing, r.Region) || fixesByFailover(r) {
			continue
		}
		c := r.Class
		if r.Step != linkwatch.StepDestination {
			c = r.Step + " " + r.Class
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// failover steps link l's link_failover alert and, when the link's
// automatic decision (FailedOver) differs from what the alert now says,
// records the change for SaveAlerts to write with the alert, under the same
// fence. Links without a fallback and without failover state are skipped.
func (c *cycle) failover(l *linkwatch.Link, q health.QuorumOutcome, regions []linkwatch.Latest, fb *health.Assessment) {
	id := strconv.FormatInt(l.ID, 10)
	key := RuleFailover + "|link/" + id
	prev := c.prev[key].State
	active := prev.Phase == PhasePending || prev.Phase == PhaseFiring || prev.Phase == PhaseResolved
	if l.FallbackURL == "" && !l.FailedOver && !active {
		return
	}
	if fb == nil {
		fb = &health.Assessment{State: health.Unknown, Reason: "no region has reported yet"}
	}
	primary := health.Assess(regions, l.CheckInterval, c.now)
	d := decideFailover(l, q, regions, &primary, fb, prev.Phase == PhaseFiring, c.now)
	next := c.apply(item{key: key, rule: RuleFailover, severity: SeverityWarning, scope: "link/" + l.Slug,
		timing: failoverTiming, outcome: d.outcome, describe: func(it *item) {
			it.labels = linkLabels(l, RuleFailover, SeverityWarning, nil)
			it.summary = fmt.Sprintf("%s now sends visitors to %s since %s: %s", l.Slug, l.FallbackURL,
				sinceClock(prev, c.now), d.why)
			if d.back {
				it.recovered = fmt.Sprintf("%s sends visitors to %s again", l.Slug, l.Destination)
			} else {
				it.recovered = fmt.Sprintf("%s's automatic failover ended", l.Slug)
			}
			it.because = d.why
			it.alert = c.e.linkAlert(l, q.Failing, regions, d.outcome)
			it.alert.Value = "fallback " + l.FallbackURL
		}})
	auto := l.Failover == linkwatch.FailoverAuto || l.Failover == ""
	want := next.Phase == PhaseFiring && auto && l.FallbackURL != ""
	if want == l.FailedOver {
		return
	}
	change := LinkFailover{LinkID: l.ID, Domain: l.Domain, Slug: l.Slug, Mode: l.Failover, Was: l.FailedOver, FailedOver: want}
	if auto {
		// A pinned link's since and reason are its pin's: kept.
		change.Since = c.now
		change.Reason = d.why
		if want {
			change.Reason = "the primary is down: " + d.why
		} else if d.back {
			change.Reason = "back to the primary: " + d.why
		}
	}
	c.failovers = append(c.failovers, change)
}

// sinceClock is when a failover began, as a wall-clock time in UTC: the
// firing's start, or now for a new one.
func sinceClock(prev AlertState, now time.Time) string {
	at := now
	if prev.Phase == PhaseFiring && !prev.FiredAt.IsZero() {
		at = prev.FiredAt
	}
	return at.UTC().Format("15:04 UTC")
}

// fallbackDownText is what link_down's summary adds when the fallback is
// failing too: failing over would not help.
func fallbackDownText(l *linkwatch.Link, fb *health.Assessment) string {
	if fb == nil || fb.State != health.Down {
		return ""
	}
	return "; the fallback " + l.FallbackURL + " is down too"
}

// logFailovers logs each traffic switch the cycle stored.
func (e *Engine) logFailovers(ctx context.Context, fs []LinkFailover) {
	for _, f := range fs {
		msg := "link failed over to its fallback"
		if !f.FailedOver {
			msg = "link's automatic failover ended"
		}
		e.log.InfoContext(ctx, msg, "link", f.Slug, "domain", f.Domain, "reason", f.Reason)
	}
}
