package alerting

import (
	"time"

	"github.com/linkwatch/linkwatch"
)

// history keeps recent check results in memory, as series per target, for
// rules over failure ratio and latency: the evaluator sees every region's
// latest result each cycle and appends the new ones. A new evaluator starts
// empty, so its windows read as no data until they fill — never as zero.
// Only evaluations with such a rule record anything (keep > 0).
type history struct {
	keep    time.Duration
	seen    map[regionKey]time.Time
	failure map[linkwatch.Target][]Sample // 1 failed, 0 passed
	latency map[linkwatch.Target][]Sample // passing checks, milliseconds
}

type regionKey struct {
	target linkwatch.Target
	region string
}

func newHistory() *history {
	return &history{seen: map[regionKey]time.Time{}, failure: map[linkwatch.Target][]Sample{}, latency: map[linkwatch.Target][]Sample{}}
}

// observe appends results newer than those seen, and forgets what is older
// than keep.
func (h *history) observe(latest []linkwatch.Latest, now time.Time) {
	if h.keep <= 0 {
		if len(h.seen) > 0 {
			*h = *newHistory()
		}
		return
	}
	cut := now.Add(-h.keep)
	for i := range latest {
		r := &latest[i]
		k := regionKey{r.Target, r.Region}
		if !r.At.After(h.seen[k]) {
			continue
		}
		h.seen[k] = r.At
		v := 0.0
		if !r.OK() {
			v = 1
		}
		h.failure[r.Target] = appendSample(h.failure[r.Target], Sample{T: r.At, V: v}, cut)
		if r.OK() {
			ms := float64(r.Phases.Total) / float64(time.Millisecond)
			h.latency[r.Target] = appendSample(h.latency[r.Target], Sample{T: r.At, V: ms}, cut)
		}
	}
}

// appendSample appends s in time order and drops samples before cut.
func appendSample(series []Sample, s Sample, cut time.Time) []Sample {
	drop := 0
	for drop < len(series) && series[drop].T.Before(cut) {
		drop++
	}
	if drop > 0 {
		series = append(series[:0], series[drop:]...)
	}
	series = append(series, s)
	for i := len(series) - 1; i > 0 && series[i].T.Before(series[i-1].T); i-- {
		series[i], series[i-1] = series[i-1], series[i]
	}
	return series
}

// series returns a target's series of a result metric.
func (h *history) series(metric string, t linkwatch.Target) []Sample {
	switch metric {
	case MetricFailureRatio:
		return h.failure[t]
	case MetricLatency:
		return h.latency[t]
	}
	return nil
}
