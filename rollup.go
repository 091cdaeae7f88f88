package linkwatch

import (
	"slices"
	"time"
)

// LatencyBounds are the upper bounds of the latency histogram kept in every
// rollup; the last bucket is everything slower. Percentiles of a rollup are
// read from it, so hourly rows can be merged into days exactly.
var LatencyBounds = []time.Duration{
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
	5 * time.Second, 10 * time.Second, 30 * time.Second,
}

// LatencyBucket returns the histogram bucket of a latency.
func LatencyBucket(d time.Duration) int {
	for i, b := range LatencyBounds {
		if d <= b {
			return i
		}
	}
	return len(LatencyBounds)
}

// Rollup resolutions.
const (
	Hourly = time.Hour
	Daily  = 24 * time.Hour
)

// Rollup aggregates a target's results from one region over one hour or one
// day (UTC), maintained as results arrive.
type Rollup struct {
	Target     Target
	Region     string
	Start      time.Time
	Resolution time.Duration
	Checks     int64
	Failures   int64
	Degraded   int64
	// LatencySum is the sum of Phases.Total over all checks.
	LatencySum time.Duration
	// Latency counts checks per LatencyBounds bucket (len(LatencyBounds)+1).
	Latency []int64
	// Classes counts failures per error class, aligned with ErrorClasses
	// (len(ErrorClasses)).
	Classes []int64
}

// ClassCount is how many failures of a rollup had one error class.
type ClassCount struct {
	Class string
	Count int64
}

// Add counts one result into the rollup.
func (r *Rollup) Add(res *Result) {
	if len(r.Latency) == 0 {
		r.Latency = make([]int64, len(LatencyBounds)+1)
	}
	if len(r.Classes) == 0 {
		r.Classes = make([]int64, len(ErrorClasses))
	}
	r.Checks++
	if !res.OK() {
		r.Failures++
		if i := slices.Index(ErrorClasses, res.Class); i >= 0 && i < len(r.Classes) {
			r.Classes[i]++
		}
	}
	if res.Degraded {
		r.Degraded++
	}
	r.LatencySum += res.Phases.Total
	r.Latency[LatencyBucket(res.Phases.Total)]++
}

// FailureClasses returns the rollup's failures per error class in
// ErrorClasses' order, leaving out the classes without failures.
func (r *Rollup) FailureClasses() []ClassCount {
	var out []ClassCount
	for i, n := range r.Classes {
		if n != 0 && i < len(ErrorClasses) {
			out = append(out, ClassCount{ErrorClasses[i], n})
		}
	}
	return out
}

// Percentile returns the upper bound of the bucket holding the q-th quantile
// (0 < q ≤ 1) of latencies, or 0 without checks. The open last bucket reports
// the largest bound.
func (r *Rollup) Percentile(q float64) time.Duration {
	var total int64
	for _, n := range r.Latency {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := int64(q*float64(total) + 0.999999)
	var seen int64
	for i, n := range r.Latency {
		seen += n
		if seen >= rank {
			if i < len(LatencyBounds) {
				return LatencyBounds[i]
			}
			break
		}
	}
	return LatencyBounds[len(LatencyBounds)-1]
}

// ProberInfo is a prober's last heartbeat and where it is in its life.
type ProberInfo struct {
	ID       string
	Region   string
	Version  string
	LastSeen time.Time
	// StoppedAt is when the prober deregistered on a clean stop; RetiredAt
	// is when an admin retired it. Both are zero while it heartbeats: a
	// heartbeat brings a stopped or retired prober back to life.
	StoppedAt time.Time
	RetiredAt time.Time
}

// ProberState is where a prober is in its life.
type ProberState string

// Prober states. Only a live prober takes a share of its region's checks; only
// a silent one alerts (prober_silent).
const (
	ProberLive    ProberState = "live"    // heartbeating
	ProberSilent  ProberState = "silent"  // no heartbeat for the lifecycle's Silence
	ProberStopped ProberState = "stopped" // deregistered on a clean stop
	ProberRetired ProberState = "retired" // silent for RetireAfter, or retired by an admin
)

// Prober lifecycle defaults.
const (
	DefaultProberSilence     = time.Minute
	DefaultProberRetireAfter = time.Hour
)

// ProberLifecycle is the one rule that says, from a prober's last heartbeat
// and the clock, whether it is live, silent, stopped or retired. The control
// plane's assignments, GET /probers and the prober_silent rule all read it.
type ProberLifecycle struct {
	// Silence is how long a prober may go without a heartbeat before it is
	// silent (default DefaultProberSilence: six missed heartbeats).
	Silence time.Duration
	// RetireAfter is how long a prober may go without a heartbeat before it
	// is retired (default DefaultProberRetireAfter); it should exceed
	// Silence.
	RetireAfter time.Duration
}

// State is p's state at now. A heartbeat from the future (a skewed clock)
// counts as now.
func (lc ProberLifecycle) State(p ProberInfo, now time.Time) ProberState {
	silence, retire := lc.Silence, lc.RetireAfter
	if silence <= 0 {
		silence = DefaultProberSilence
	}
	if retire <= 0 {
		retire = DefaultProberRetireAfter
	}
	quiet := now.Sub(p.LastSeen)
	switch {
	case !p.RetiredAt.IsZero():
		return ProberRetired
	case !p.StoppedAt.IsZero():
		return ProberStopped
	case quiet <= silence:
		return ProberLive
	case quiet <= retire:
		return ProberSilent
	}
	return ProberRetired
}
