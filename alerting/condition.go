package alerting

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
)

// OutcomeState is what one evaluation of a condition found.
type OutcomeState string

// Outcome states.
const (
	// Breach: the condition holds; the alert moves towards firing.
	Breach OutcomeState = "breach"
	// Clear: the condition does not hold; a firing alert moves towards
	// resolving.
	Clear OutcomeState = "clear"
	// NoData: too few samples to judge. A gap is never read as zero, and no
	// data neither fires nor resolves an alert (see Step).
	NoData OutcomeState = "no_data"
	// Band: the value is no longer past the firing limit but not yet past the
	// recovery limit (a threshold with recover_limit). It does not start an
	// alert, and it does not end one either: hysteresis.
	Band OutcomeState = "band"
)

// Outcome is the result of evaluating a condition at one instant. Value is
// the evaluated quantity (the aggregate, the change, the predicted value) and
// is always finite; Reason says in one line why, for messages and the API.
type Outcome struct {
	State  OutcomeState
	Value  float64
	Reason string
}

// Condition is a compiled rule condition: a pure, deterministic function of
// the series and the evaluation instant. series may be in any order (it is
// sorted when needed) and may hold gaps and non-finite values; samples after
// now are ignored. Evaluate never panics.
type Condition interface {
	Evaluate(now time.Time, series []Sample) Outcome
}

// ConditionSpec is the declarative form of a condition, as written in the
// YAML config and sent to /api/v1/alert-rules. Exactly one of Threshold and
// Rate is set. Compile validates it and turns it into a Condition; durations
// are Go duration strings ("30s", "5m", "1h").
//
// A threshold:
//
//	threshold: {aggregate: p95, window: 5m, op: ">=", limit: 800, recover_limit: 600, min_samples: 5}
//
// A rate of change with a prediction (either breaching breaches):
//
//	rate:
//	  change: {aggregate: avg, window: 30s, baseline: ago, ago: 3m, by: absolute,
//	           direction: rise, at_least: 10, min_level: 80}
//	  predict: {window: 2m, limit: 100, within: 5m}
type ConditionSpec struct {
	Threshold *ThresholdSpec `json:"threshold,omitempty" yaml:"threshold,omitempty"`
	Rate      *RateSpec      `json:"rate,omitempty" yaml:"rate,omitempty"`
}

// Compile validates the spec and returns its condition. Errors are
// *linkwatch.Error values of code invalid whose Field is the offending
// field's path in the spec, such as "rate.change.ago".
func (s ConditionSpec) Compile() (Condition, error) {
	switch {
	case s.Threshold != nil && s.Rate != nil:
		return nil, linkwatch.FieldErrorf("rate", "a condition is either threshold or rate, not both")
	case s.Threshold != nil:
		return s.Threshold.compile("threshold")
	case s.Rate != nil:
		return s.Rate.compile("rate")
	}
	return nil, linkwatch.FieldErrorf("threshold", "a condition needs threshold or rate")
}

// maxSpan bounds every duration of a condition: longer windows would make
// one evaluation read more history than the store keeps at full resolution.
const maxSpan = 31 * 24 * time.Hour

// maxSamples bounds min_samples.
const maxSamples = 1_000_000

// comparison is a threshold's comparison operator.
type comparison string

// comparisons lists the operators a spec may use.
var comparisons = []comparison{">", ">=", "<", "<="}

// holds reports whether v compares with limit as the operator says.
func (c comparison) holds(v, limit float64) bool {
	switch c {
	case ">":
		return v > limit
	case ">=":
		return v >= limit
	case "<":
		return v < limit
	case "<=":
		return v <= limit
	}
	return false
}

// rising reports whether the operator breaches on high values.
func (c comparison) rising() bool { return c == ">" || c == ">=" }

// field joins a spec path and a field name.
func field(path, name string) string { return path + "." + name }

// parseSpan parses a required positive duration of at most maxSpan.
func parseSpan(f, s string) (time.Duration, error) {
	if s == "" {
		return 0, linkwatch.FieldErrorf(f, "%s is required: a duration such as 5m", f)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, linkwatch.FieldErrorf(f, "%s must be a duration such as 5m; got %q", f, s)
	}
	if d <= 0 || d > maxSpan {
		return 0, linkwatch.FieldErrorf(f, "%s must be more than 0 and at most %s; got %q", f, dur(maxSpan), s)
	}
	return d, nil
}

// parseAggregation parses an aggregation, avg when empty.
func parseAggregation(f, s string) (Aggregation, error) {
	if s == "" {
		return AggAvg, nil
	}
	if a := Aggregation(s); slices.Contains(Aggregations, a) {
		return a, nil
	}
	names := make([]string, len(Aggregations))
	for i, a := range Aggregations {
		names[i] = string(a)
	}
	return "", linkwatch.FieldErrorf(f, "%s must be one of %s; got %q", f, strings.Join(names, ", "), s)
}

// parseComparison parses a required comparison operator.
func parseComparison(f, s string) (comparison, error) {
	if c := comparison(s); slices.Contains(comparisons, c) {
		return c, nil
	}
	if s == "" {
		return "", linkwatch.FieldErrorf(f, "%s is required: one of >, >=, <, <=", f)
	}
	return "", linkwatch.FieldErrorf(f, "%s must be one of >, >=, <, <=; got %q", f, s)
}

// parseChoice parses a required value from a fixed set, or def when empty
// and def is not "".
func parseChoice(f, s, def string, choices ...string) (string, error) {
	if s == "" && def != "" {
		return def, nil
	}
	if slices.Contains(choices, s) {
		return s, nil
	}
	list := strings.Join(choices, ", ")
	if s == "" {
		return "", linkwatch.FieldErrorf(f, "%s is required: one of %s", f, list)
	}
	return "", linkwatch.FieldErrorf(f, "%s must be one of %s; got %q", f, list, s)
}

// parseNumber checks an optional number: absent gives (0, false); present
// must be finite.
func parseNumber(f string, p *float64, required bool) (float64, bool, error) {
	if p == nil {
		if required {
			return 0, false, linkwatch.FieldErrorf(f, "%s is required", f)
		}
		return 0, false, nil
	}
	if !finite(*p) {
		return 0, false, linkwatch.FieldErrorf(f, "%s must be a finite number", f)
	}
	return *p, true, nil
}

// parseMinSamples checks a sample minimum, def when 0.
func parseMinSamples(f string, n, least, def int) (int, error) {
	if n == 0 {
		return def, nil
	}
	if n < least || n > maxSamples {
		return 0, linkwatch.FieldErrorf(f, "%s must be from %d to %d; got %d", f, least, maxSamples, n)
	}
	return n, nil
}

// noData is the outcome of a window with too few samples.
func noData(what string, n, need int, w time.Duration) Outcome {
	return Outcome{State: NoData, Reason: fmt.Sprintf("%s: %s in %s, need %d", what, plural(n, "sample"), dur(w), need)}
}

// checked turns an outcome whose value overflowed into no data, so Value is
// always finite (and always encodes as JSON).
func checked(o Outcome) Outcome {
	if !finite(o.Value) {
		return Outcome{State: NoData, Reason: "the value is out of range"}
	}
	return o
}

// limitOf formats "op limit", e.g. ">= 95".
func limitOf(c comparison, limit float64) string { return string(c) + " " + num(limit) }
