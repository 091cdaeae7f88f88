package alerting

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
)

// RateSpec watches how fast a value moves rather than where it is: a change
// against a baseline, a linear prediction, or both — then the condition
// breaches when either does ("rises 10 points in 3 minutes, or is predicted
// to reach 100% within 5 minutes").
type RateSpec struct {
	Change  *ChangeSpec  `json:"change,omitempty" yaml:"change,omitempty"`
	Predict *PredictSpec `json:"predict,omitempty" yaml:"predict,omitempty"`
}

// Baselines of a change.
const (
	BaselineAgo      = "ago"       // the same aggregate over the same window, Ago earlier
	BaselineWindow   = "window"    // the aggregate over BaselineWindow just before the current window
	BaselineLastWeek = "last_week" // the same aggregate over the same window, one Week earlier
)

// ChangeSpec compares the value now — Aggregate over Window ending now — with
// a baseline, and breaches when it moved by AtLeast in Direction.
type ChangeSpec struct {
	// Aggregate reduces both windows (default avg).
	Aggregate string `json:"aggregate,omitempty" yaml:"aggregate,omitempty"`
	// Window is the current window, ending now, e.g. 1m.
	Window string `json:"window" yaml:"window"`
	// Baseline is ago, window or last_week. With window and aggregate sum or
	// count, the baseline is scaled to the current window's length ("scans
	// in the last hour" against "scans per hour over the day before").
	Baseline string `json:"baseline" yaml:"baseline"`
	// Ago is the shift of an ago baseline, at least Window (e.g. 10m).
	Ago string `json:"ago,omitempty" yaml:"ago,omitempty"`
	// BaselineWindow is the length of a window baseline (e.g. 1h).
	BaselineWindow string `json:"baseline_window,omitempty" yaml:"baseline_window,omitempty"`
	// By is percent (of the baseline) or absolute (in the value's units:
	// "points" for a utilisation in percent).
	By string `json:"by" yaml:"by"`
	// Direction is rise, drop or either.
	Direction string `json:"direction" yaml:"direction"`
	// AtLeast is the size of the change that breaches, positive: drop by 80
	// percent is direction drop, by percent, at_least 80.
	AtLeast *float64 `json:"at_least" yaml:"at_least"`
	// BaselineFloor is a floor under the percentage's denominator: the
	// change is measured against max(|baseline|, floor), so a quiet series
	// (3 scans an hour falling to 0) cannot make a 100% drop.
	BaselineFloor float64 `json:"baseline_floor,omitempty" yaml:"baseline_floor,omitempty"`
	// MinChange is the least absolute change that may breach, whatever the
	// percentage.
	MinChange float64 `json:"min_change,omitempty" yaml:"min_change,omitempty"`
	// MinLevel, when set, is a level floor: the current value must be at
	// least MinLevel to breach (pool utilisation ≥ 80%).
	MinLevel *float64 `json:"min_level,omitempty" yaml:"min_level,omitempty"`
	// MinSamples is how many samples the current window needs (default 1);
	// MinBaselineSamples the baseline window (default MinSamples). With
	// fewer, the outcome is NoData.
	MinSamples         int `json:"min_samples,omitempty" yaml:"min_samples,omitempty"`
	MinBaselineSamples int `json:"min_baseline_samples,omitempty" yaml:"min_baseline_samples,omitempty"`
}

// PredictSpec fits a least-squares line through the samples of Window and
// breaches when the line reaches Limit within Within from now — or already
// has. Samples covering less than half of Window are no data: a short
// stretch of history extrapolated far predicts nothing.
type PredictSpec struct {
	Window string   `json:"window" yaml:"window"`
	Limit  *float64 `json:"limit" yaml:"limit"`
	Within string   `json:"within" yaml:"within"`
	// Direction is rise (default: reaching Limit from below) or drop
	// (falling to it).
	Direction string `json:"direction,omitempty" yaml:"direction,omitempty"`
	// MinSamples is how many samples the fit needs (default 3, at least 2).
	MinSamples int `json:"min_samples,omitempty" yaml:"min_samples,omitempty"`
	// MinLevel, when set, is a level floor: the line's value now must be
	// at least MinLevel (at most, for direction drop) for a prediction to
	// breach — a pool idling at 5% that blips to 20% is on no course to
	// fill up, however steep the blip.
	MinLevel *float64 `json:"min_level,omitempty" yaml:"min_level,omitempty"`
}

// rate is a compiled RateSpec.
type rate struct {
	change  *change
	predict *predict
}

// change is a compiled ChangeSpec; bwin is the baseline window's length,
// floor the baseline floor, level the level floor (when hasLevel).
type change struct {
	agg                 Aggregation
	window, ago, bwin   time.Duration
	baseline, by, dir   string
	atLeast, floor      float64
	minChange, level    float64
	hasLevel            bool
	minSamples, minBase int
}

// predict is a compiled PredictSpec; rise is its direction.
type predict struct {
	window, within time.Duration
	limit          float64
	rise           bool
	minSamples     int
	level          float64
	hasLevel       bool
}

func (s *RateSpec) compile(path string) (*rate, error) {
	if s.Change == nil && s.Predict == nil {
		return nil, linkwatch.FieldErrorf(field(path, "change"), "%s needs change, predict or both", path)
	}
	var r rate
	var err error
	if s.Change != nil {
		if r.change, err = s.Change.compile(field(path, "change")); err != nil {
			return nil, err
		}
	}
	if s.Predict != nil {
		if r.predict, err = s.Predict.compile(field(path, "predict")); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

func (s *ChangeSpec) compile(path string) (*change, error) {
	var c change
	var err error
	if c.agg, err = parseAggregation(field(path, "aggregate"), s.Aggregate); err != nil {
		return nil, err
	}
	if c.window, err = parseSpan(field(path, "window"), s.Window); err != nil {
		return nil, err
	}
	if c.baseline, err = parseChoice(field(path, "baseline"), s.Baseline, "",
		BaselineAgo, BaselineWindow, BaselineLastWeek); err != nil {
		return nil, err
	}
	fAgo, fBwin := field(path, "ago"), field(path, "baseline_window")
	switch {
	case c.baseline == BaselineAgo:
		if c.ago, err = parseSpan(fAgo, s.Ago); err != nil {
			return nil, err
		}
		if c.ago < c.window {
			return nil, linkwatch.FieldErrorf(fAgo, "%s must be at least the window (%s), so the two windows do not overlap", fAgo, dur(c.window))
		}
	case s.Ago != "":
		return nil, linkwatch.FieldErrorf(fAgo, "%s applies only to baseline: ago", fAgo)
	}
	switch {
	case c.baseline == BaselineWindow:
		if c.bwin, err = parseSpan(fBwin, s.BaselineWindow); err != nil {
			return nil, err
		}
	case s.BaselineWindow != "":
		return nil, linkwatch.FieldErrorf(fBwin, "%s applies only to baseline: window", fBwin)
	}
	if c.by, err = parseChoice(field(path, "by"), s.By, "", "percent", "absolute"); err != nil {
		return nil, err
	}
	if c.dir, err = parseChoice(field(path, "direction"), s.Direction, "", "rise", "drop", "either"); err != nil {
		return nil, err
	}
	f := field(path, "at_least")
	if c.atLeast, _, err = parseNumber(f, s.AtLeast, true); err != nil {
		return nil, err
	}
	if c.atLeast <= 0 {
		return nil, linkwatch.FieldErrorf(f, "%s must be more than 0 (the direction says which way)", f)
	}
	f = field(path, "baseline_floor")
	if !finite(s.BaselineFloor) || s.BaselineFloor < 0 {
		return nil, linkwatch.FieldErrorf(f, "%s must be a number from 0 up", f)
	}
	if s.BaselineFloor != 0 && c.by != "percent" {
		return nil, linkwatch.FieldErrorf(f, "%s applies only to by: percent", f)
	}
	c.floor = s.BaselineFloor
	f = field(path, "min_change")
	if !finite(s.MinChange) || s.MinChange < 0 {
		return nil, linkwatch.FieldErrorf(f, "%s must be a number from 0 up", f)
	}
	c.minChange = s.MinChange
	if c.level, c.hasLevel, err = parseNumber(field(path, "min_level"), s.MinLevel, false); err != nil {
		return nil, err
	}
	if c.minSamples, err = parseMinSamples(field(path, "min_samples"), s.MinSamples, 1, 1); err != nil {
		return nil, err
	}
	if c.minBase, err = parseMinSamples(field(path, "min_baseline_samples"), s.MinBaselineSamples, 1, c.minSamples); err != nil {
		return nil, err
	}
	return &c, nil
}

func (s *PredictSpec) compile(path string) (*predict, error) {
	var p predict
	var err error
	if p.window, err = parseSpan(field(path, "window"), s.Window); err != nil {
		return nil, err
	}
	if p.limit, _, err = parseNumber(field(path, "limit"), s.Limit, true); err != nil {
		return nil, err
	}
	if p.within, err = parseSpan(field(path, "within"), s.Within); err != nil {
		return nil, err
	}
	dir, err := parseChoice(field(path, "direction"), s.Direction, "rise", "rise", "drop")
	if err != nil {
		return nil, err
	}
	p.rise = dir == "rise"
	if p.minSamples, err = parseMinSamples(field(path, "min_samples"), s.MinSamples, 2, 3); err != nil {
		return nil, err
	}
	if p.level, p.hasLevel, err = parseNumber(field(path, "min_level"), s.MinLevel, false); err != nil {
		return nil, err
	}
	return &p, nil
}

// Evaluate combines the change and the prediction with a three-valued OR:
// a breach of either breaches; otherwise missing data in either is NoData
// (a part without data cannot vouch that all is well); otherwise clear.
func (r *rate) Evaluate(now time.Time, series []Sample) Outcome {
	series = SortSamples(series)
	var outs []Outcome
	if r.change != nil {
		outs = append(outs, checked(r.change.evaluate(now, series)))
	}
	if r.predict != nil {
		outs = append(outs, checked(r.predict.evaluate(now, series)))
	}
	for _, want := range []OutcomeState{Breach, NoData} {
		var first *Outcome
		var reasons []string
		for i := range outs {
			if outs[i].State == want {
				if first == nil {
					first = &outs[i]
				}
				reasons = append(reasons, outs[i].Reason)
			}
		}
		if first != nil {
			return Outcome{State: want, Value: first.Value, Reason: strings.Join(reasons, "; ")}
		}
	}
	reasons := make([]string, len(outs))
	for i, o := range outs {
		reasons[i] = o.Reason
	}
	return Outcome{State: Clear, Value: outs[0].Value, Reason: strings.Join(reasons, "; ")}
}

func (c *change) evaluate(now time.Time, series []Sample) Outcome {
	cur := Last(c.window, now)
	var base Window
	var from string
	switch c.baseline {
	case BaselineAgo:
		base, from = cur.Shift(-c.ago), dur(c.ago)+" earlier"
	case BaselineLastWeek:
		base, from = cur.Shift(-Week), "a week earlier"
	default:
		base, from = Window{From: cur.From.Add(-c.bwin), To: cur.From}, "over the "+dur(c.bwin)+" before"
	}
	v, n := Aggregate(Select(series, cur), c.agg)
	if n < c.minSamples {
		return noData(string(c.agg)+" now", n, c.minSamples, c.window)
	}
	b, bn := Aggregate(Select(series, base), c.agg)
	if bn < c.minBase {
		return noData(string(c.agg)+" baseline "+from, bn, c.minBase, base.Len())
	}
	if c.baseline == BaselineWindow && (c.agg == AggSum || c.agg == AggCount) {
		b *= c.window.Seconds() / c.bwin.Seconds()
	}
	diff := v - b
	what := fmt.Sprintf("%s over %s is %s against %s %s", c.agg, dur(c.window), num(v), num(b), from)
	delta, unit := diff, ""
	if c.by == "percent" {
		den := max(math.Abs(b), c.floor)
		if den == 0 {
			if diff != 0 {
				return Outcome{State: NoData, Reason: what + ": no percentage of a zero baseline (set baseline_floor)"}
			}
		} else {
			delta = diff / den * 100
		}
		unit = "%"
	}
	moved := delta // how far it went the watched way
	switch c.dir {
	case "drop":
		moved = -delta
	case "either":
		moved = math.Abs(delta)
	}
	what += fmt.Sprintf(", %s%s%s", sign(delta), num(delta), unit)
	o := Outcome{State: Clear, Value: delta}
	switch {
	case c.hasLevel && v < c.level:
		o.Reason = fmt.Sprintf("%s, below the level floor %s", what, num(c.level))
	case math.Abs(diff) < c.minChange:
		o.Reason = fmt.Sprintf("%s, a change under min_change %s", what, num(c.minChange))
	case moved >= c.atLeast:
		o.State = Breach
		o.Reason = fmt.Sprintf("%s (%s of at least %s%s)", what, c.dir, num(c.atLeast), unit)
	default:
		o.Reason = fmt.Sprintf("%s (not a %s of %s%s)", what, c.dir, num(c.atLeast), unit)
	}
	return o
}

func (p *predict) evaluate(now time.Time, series []Sample) Outcome {
	samples := Select(series, Last(p.window, now))
	line, n, ok := Fit(samples, now)
	if n < p.minSamples {
		return noData("trend", n, p.minSamples, p.window)
	}
	if !ok {
		return Outcome{State: NoData, Reason: fmt.Sprintf("trend: no line through %s over %s", plural(n, "sample"), dur(p.window))}
	}
	// A line through a few seconds of a two-minute window (a process just
	// started, a pool's first blips) extrapolated over minutes predicts
	// nothing: the samples must cover half the window.
	if span := samples[len(samples)-1].T.Sub(samples[0].T); span < p.window/2 {
		return Outcome{State: NoData, Reason: fmt.Sprintf("trend: samples cover %s of %s, less than half", dur(span.Round(time.Second)), dur(p.window))}
	}
	vNow, vAt := line.Intercept, line.At(now.Add(p.within))
	perMin := line.Slope * 60
	what := fmt.Sprintf("trend over %s at %s, %s%s a minute", dur(p.window), num(vNow), sign(perMin), num(perMin))
	reached := func(v float64) bool { return p.rise && v >= p.limit || !p.rise && v <= p.limit }
	low := p.hasLevel && (p.rise && vNow < p.level || !p.rise && vNow > p.level)
	switch {
	case low:
		return Outcome{State: Clear, Value: vNow, Reason: fmt.Sprintf("%s, below the level %s where a prediction counts", what, num(p.level))}
	case reached(vNow):
		return Outcome{State: Breach, Value: vNow, Reason: fmt.Sprintf("%s, already at the limit %s", what, num(p.limit))}
	case reached(vAt):
		eta := time.Duration((p.limit - vNow) / line.Slope * float64(time.Second)).Round(time.Second)
		return Outcome{State: Breach, Value: vAt, Reason: fmt.Sprintf("%s, reaches %s in %s", what, num(p.limit), dur(eta))}
	}
	return Outcome{State: Clear, Value: vAt, Reason: fmt.Sprintf("%s, %s in %s (limit %s)", what, num(vAt), dur(p.within), num(p.limit))}
}

// sign returns "+" for a positive number: num already writes the minus.
func sign(v float64) string {
	if v > 0 {
		return "+"
	}
	return ""
}
