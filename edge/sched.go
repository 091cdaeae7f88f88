package edge

import (
	"context"
	"runtime/metrics"
	"slices"
	"time"
)

// schedSample is how often Run samples the scheduling latencies.
const schedSample = 100 * time.Millisecond

const schedMetric = "/sched/latencies:seconds"

// schedBusy is how many goroutines must have been scheduled in a sample for
// its latency to count: a process that is nearly idle on a busy machine, or
// starting, has few and noisy ones, and is not overloaded.
const schedBusy = 200

// schedQuantile is the quantile of the scheduling latencies Run reports: the
// 90th percentile rises when the process's goroutines queue for processors,
// while the last ones are long whenever another process on the machine
// takes the processors for a moment.
const schedQuantile = 0.9

// busyPerProc is how many requests a processor must have begun in a sample
// (500 a second) for latencies to count as overload: fewer, and the server is
// not overloaded, however slow the machine is.
const busyPerProc = 50

// Run tells the Limiter, every 100 ms until ctx ends, the 90th percentile
// of how long goroutines waited for a processor since the last sample: the
// first sign of overload, visible before any handler runs slowly.
func (e *Edge) Run(ctx context.Context) {
	sample := []metrics.Sample{{Name: schedMetric}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return // not this runtime's metric
	}
	prev := clone(sample[0].Value.Float64Histogram())
	last := none
	t := time.NewTicker(schedSample)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		cur := clone(sample[0].Value.Float64Histogram())
		d, n := quantileSince(prev, cur, schedQuantile)
		if n < schedBusy {
			d = 0
		}
		e.lim.setQuiet(e.lim.requests.Swap(0) < int64(busyPerProc*procs()))
		e.lim.ObserveScheduling(d)
		prev = cur
		// Each change of the pressure is logged, not each sample.
		if lv := e.lim.pressure(); lv != last {
			e.log.Info("overload: "+lv.String(), "sched_latency_p90", d, "redirect_latency", e.lim.redirectLatency(),
				"redirects_in_flight", e.lim.redirects.Load())
			last = lv
		}
	}
}

// clone copies h: metrics.Read reuses a sample's histogram.
func clone(h *metrics.Float64Histogram) *metrics.Float64Histogram {
	return &metrics.Float64Histogram{Counts: slices.Clone(h.Counts), Buckets: h.Buckets}
}

// quantileSince is the q quantile of the observations cur has and prev had
// not (the same histogram read twice), by the upper bound of its bucket, and
// how many there were.
func quantileSince(prev, cur *metrics.Float64Histogram, q float64) (time.Duration, uint64) {
	if prev == nil || len(prev.Counts) != len(cur.Counts) {
		return 0, 0
	}
	var total uint64
	for i := range cur.Counts {
		total += cur.Counts[i] - prev.Counts[i]
	}
	if total == 0 {
		return 0, 0
	}
	rank := uint64(q*float64(total-1)) + 1
	var seen uint64
	for i := range cur.Counts {
		seen += cur.Counts[i] - prev.Counts[i]
		if seen >= rank {
			upper := cur.Buckets[i+1]
			if upper > 3600 { // the last bucket is open (+Inf)
				upper = cur.Buckets[i]
			}
			return time.Duration(upper * float64(time.Second)), total
		}
	}
	return 0, total
}
