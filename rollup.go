package linkwatch

import "time"

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
}

// Add counts one result into the rollup.
func (r *Rollup) Add(res *Result) {
	if len(r.Latency) == 0 {
		r.Latency = make([]int64, len(LatencyBounds)+1)
	}
	r.Checks++
	if !res.OK() {
		r.Failures++
	}
	if res.Degraded {
		r.Degraded++
	}
	r.LatencySum += res.Phases.Total
	r.Latency[LatencyBucket(res.Phases.Total)]++
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

// ProberInfo is a prober's last heartbeat.
type ProberInfo struct {
	ID       string
	Region   string
	Version  string
	LastSeen time.Time
}
