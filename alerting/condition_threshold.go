package alerting

import (
	"fmt"
	"time"

	"github.com/linkwatch/linkwatch"
)

// ThresholdSpec compares an aggregate over a window with a limit: a failure
// ratio, consecutive failures, a latency percentile, days left on a
// certificate, a scan count.
type ThresholdSpec struct {
	// Aggregate reduces the window: avg (default), min, max, last, sum,
	// count, p50, p90, p95, p99.
	Aggregate string `json:"aggregate,omitempty" yaml:"aggregate,omitempty"`
	// Window is how far back from now the aggregate reads, e.g. 5m.
	Window string `json:"window" yaml:"window"`
	// Op is how the aggregate compares with Limit to breach: >, >=, <, <=.
	Op string `json:"op" yaml:"op"`
	// Limit is the value that breaches.
	Limit *float64 `json:"limit" yaml:"limit"`
	// RecoverLimit, when set, is a second, easier limit for recovery
	// (hysteresis): with op >= 95 and recover_limit 90 the condition
	// breaches at 95 or more, is clear below 90, and in between is Band —
	// neither starting nor ending an alert. It must lie on the clear side of
	// Limit (≤ Limit for > and >=, ≥ Limit for < and <=).
	RecoverLimit *float64 `json:"recover_limit,omitempty" yaml:"recover_limit,omitempty"`
	// MinSamples is how many samples the window needs for a verdict
	// (default 1); with fewer the outcome is NoData.
	MinSamples int `json:"min_samples,omitempty" yaml:"min_samples,omitempty"`
}

// threshold is a compiled ThresholdSpec.
type threshold struct {
	agg        Aggregation
	window     time.Duration
	op         comparison
	limit      float64
	recover    float64
	minSamples int
}

func (s *ThresholdSpec) compile(path string) (*threshold, error) {
	var c threshold
	var err error
	if c.agg, err = parseAggregation(field(path, "aggregate"), s.Aggregate); err != nil {
		return nil, err
	}
	if c.window, err = parseSpan(field(path, "window"), s.Window); err != nil {
		return nil, err
	}
	if c.op, err = parseComparison(field(path, "op"), s.Op); err != nil {
		return nil, err
	}
	if c.limit, _, err = parseNumber(field(path, "limit"), s.Limit, true); err != nil {
		return nil, err
	}
	f := field(path, "recover_limit")
	rec, ok, err := parseNumber(f, s.RecoverLimit, false)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		rec = c.limit
	case c.op.rising() && rec > c.limit:
		return nil, linkwatch.FieldErrorf(f, "%s must be at most limit (%s) when op is %s", f, num(c.limit), c.op)
	case !c.op.rising() && rec < c.limit:
		return nil, linkwatch.FieldErrorf(f, "%s must be at least limit (%s) when op is %s", f, num(c.limit), c.op)
	}
	c.recover = rec
	if c.minSamples, err = parseMinSamples(field(path, "min_samples"), s.MinSamples, 1, 1); err != nil {
		return nil, err
	}
	return &c, nil
}

// Evaluate breaches when the aggregate over the window ending at now passes
// the limit, is clear when it does not pass the recovery limit (the limit
// itself without one), and is Band in between.
func (c *threshold) Evaluate(now time.Time, series []Sample) Outcome {
	v, n := Aggregate(Select(SortSamples(series), Last(c.window, now)), c.agg)
	if n < c.minSamples {
		return noData(string(c.agg), n, c.minSamples, c.window)
	}
	what := fmt.Sprintf("%s over %s is %s", c.agg, dur(c.window), num(v))
	var o Outcome
	switch {
	case c.op.holds(v, c.limit):
		o = Outcome{State: Breach, Reason: what + ", " + limitOf(c.op, c.limit)}
	case c.op.holds(v, c.recover):
		o = Outcome{State: Band, Reason: fmt.Sprintf("%s, between the recovery limit %s and the limit %s",
			what, num(c.recover), num(c.limit))}
	default:
		o = Outcome{State: Clear, Reason: what + ", not " + limitOf(c.op, c.recover)}
	}
	o.Value = v
	return checked(o)
}
