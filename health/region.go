// Package health is Linkwatch's one health model: whether a region's latest
// result still counts (freshness), what state a region is in, how
// consecutive failures are counted, when a link or monitor is down (the
// quorum link_down pages on), and uptime. The health API, the alert engine,
// the status page and storage all call it; none of them decides these rules
// on its own.
package health

import (
	"time"

	"github.com/linkwatch/linkwatch"
)

// MaxClockSkew is how far in the future a result may be dated and still
// count: a result from further ahead (a prober with a wrong clock, or a
// forged one dated 2099) is never fresh.
const MaxClockSkew = time.Minute

// Fresh reports whether a result taken at at still counts for a target
// checked every interval: no older than three intervals and 30 s, and no
// more than MaxClockSkew in the future.
func Fresh(at time.Time, interval time.Duration, now time.Time) bool {
	if at.After(now.Add(MaxClockSkew)) {
		return false
	}
	return now.Sub(at) <= 3*interval+30*time.Second
}

// Current reports whether a check that began at at saw a link last changed
// at changed, as it is now: it began at or after the change. Time, not the
// checked URL, is the rule: it covers every field that shapes a check
// (destination, fallback, expectations, redirect code, a failover switch),
// and a redirect chain needs no interpretation. (Probers retry a check that
// beat the redirectors to a change they just heard of, so a check begun
// after a change also saw it served.)
func Current(at, changed time.Time) bool { return !at.Before(changed) }

// Freshness returns Fresh for a target checked every interval, at now, as a
// predicate over a region's latest result.
func Freshness(interval time.Duration, now time.Time) func(linkwatch.Latest) bool {
	return func(r linkwatch.Latest) bool { return Fresh(r.At, interval, now) }
}

// MonitorInterval is how often m is expected to report, for freshness: its
// interval, or a day for a cron monitor (a cron schedule may run rarely).
func MonitorInterval(m *linkwatch.Monitor) time.Duration {
	if m.Cron != "" {
		return 24 * time.Hour
	}
	return m.Interval
}

// State is a region's or a target's health.
type State string

// States.
const (
	Up       State = "up"
	Degraded State = "degraded" // passing but slow, or failing in too few regions to be down
	Down     State = "down"
	Unknown  State = "unknown" // no fresh result
)

// Region is one region's state from its latest result.
type Region struct {
	linkwatch.Latest
	Fresh bool
	// State is Unknown when the result is not fresh, Down when it failed,
	// Degraded when it passed slowly, else Up. A region that is Down alone
	// does not make its target down: see Assess.
	State State
}

// RegionOf is the state of a region whose latest result is l, for a target
// checked every interval.
func RegionOf(l linkwatch.Latest, interval time.Duration, now time.Time) Region {
	r := Region{Latest: l, Fresh: Fresh(l.At, interval, now)}
	switch {
	case !r.Fresh:
		r.State = Unknown
	case !l.OK():
		r.State = Down
	case l.Degraded:
		r.State = Degraded
	default:
		r.State = Up
	}
	return r
}
