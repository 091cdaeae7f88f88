package alerting

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sample is one observation of a value at an instant: a check's latency, a
// minute's scan count, the database pool's utilisation.
//
// A series is a slice of samples in time order. A missing sample is a gap —
// no data — and is never read as zero: a producer that knows a minute had no
// scans records a sample with V = 0; a minute nobody counted has no sample.
// Samples whose value is NaN or ±Inf count as gaps too.
type Sample struct {
	T time.Time
	V float64
}

// Week is the offset of a "same hour last week" baseline. It is an absolute
// duration (168h), so across a daylight-saving change the baseline is the same
// UTC hour, not the same wall-clock hour.
const Week = 7 * 24 * time.Hour

// Window is the half-open interval (From, To]: a sample exactly at From
// belongs to the previous window, so back-to-back windows never count a
// sample twice, and a window ending now includes a sample taken now.
type Window struct {
	From, To time.Time
}

// Last returns the window of length d ending at now.
func Last(d time.Duration, now time.Time) Window {
	return Window{From: now.Add(-d), To: now}
}

// Shift returns w moved by d (negative d moves it into the past).
func (w Window) Shift(d time.Duration) Window {
	return Window{From: w.From.Add(d), To: w.To.Add(d)}
}

// Len returns the window's length.
func (w Window) Len() time.Duration { return w.To.Sub(w.From) }

// Select returns the samples of series inside w, sharing series' backing
// array. series must be in time order (SortSamples puts it in order).
func Select(series []Sample, w Window) []Sample {
	i, _ := slices.BinarySearchFunc(series, w.From, after)
	j, _ := slices.BinarySearchFunc(series, w.To, after)
	if j < i {
		return nil
	}
	return series[i:j]
}

// after orders a sample against an instant so that BinarySearchFunc finds
// the first sample strictly after it.
func after(s Sample, t time.Time) int {
	if s.T.After(t) {
		return 1
	}
	return -1
}

// SortSamples returns series in time order: series itself when it already
// is, else a sorted copy (samples at the same instant keep their order).
func SortSamples(series []Sample) []Sample {
	byTime := func(a, b Sample) int { return a.T.Compare(b.T) }
	if slices.IsSortedFunc(series, byTime) {
		return series
	}
	s := slices.Clone(series)
	slices.SortStableFunc(s, byTime)
	return s
}

// Aggregation reduces the samples of a window to one value.
type Aggregation string

// Aggregations. Percentiles interpolate linearly between the two nearest
// ranks (as Prometheus' quantile_over_time and NumPy's default do).
const (
	AggAvg   Aggregation = "avg"
	AggMin   Aggregation = "min"
	AggMax   Aggregation = "max"
	AggLast  Aggregation = "last"
	AggSum   Aggregation = "sum"
	AggCount Aggregation = "count"
	AggP50   Aggregation = "p50"
	AggP90   Aggregation = "p90"
	AggP95   Aggregation = "p95"
	AggP99   Aggregation = "p99"
)

// Aggregations lists every aggregation, for validation and documentation.
var Aggregations = []Aggregation{AggAvg, AggMin, AggMax, AggLast, AggSum, AggCount,
	AggP50, AggP90, AggP95, AggP99}

// quantile returns q for a percentile aggregation, 0 for the others.
func (a Aggregation) quantile() float64 {
	switch a {
	case AggP50:
		return 0.50
	case AggP90:
		return 0.90
	case AggP95:
		return 0.95
	case AggP99:
		return 0.99
	}
	return 0
}

// Aggregate reduces samples with agg and returns the value and the number of
// samples it used. Non-finite values are skipped as gaps; with n == 0 there
// is no value (v is 0) — callers must treat that as no data, never as zero.
// An unknown aggregation uses no samples.
func Aggregate(samples []Sample, agg Aggregation) (v float64, n int) {
	if !slices.Contains(Aggregations, agg) {
		return 0, 0
	}
	var values []float64
	if agg.quantile() > 0 {
		values = make([]float64, 0, len(samples))
	}
	for _, s := range samples {
		x := s.V
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		n++
		switch agg {
		case AggAvg, AggSum:
			v += x
		case AggMin:
			if n == 1 || x < v {
				v = x
			}
		case AggMax:
			if n == 1 || x > v {
				v = x
			}
		case AggLast:
			v = x
		case AggCount:
			v = float64(n)
		default:
			values = append(values, x)
		}
	}
	switch {
	case n == 0:
		return 0, 0
	case agg == AggAvg:
		v /= float64(n)
	case values != nil:
		v = Percentile(values, agg.quantile())
	}
	return v, n
}

// Percentile returns the q-th quantile (0 ≤ q ≤ 1) of values, interpolating
// linearly between the nearest ranks; NaN without values. values is sorted
// in place.
func Percentile(values []float64, q float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	slices.Sort(values)
	q = max(0, min(1, q))
	h := q * float64(len(values)-1)
	lo := int(h)
	if lo >= len(values)-1 {
		return values[len(values)-1]
	}
	f := h - float64(lo)
	// (1-f)·a + f·b rather than a + f·(b-a): b-a may overflow.
	return (1-f)*values[lo] + f*values[lo+1]
}

// ValueAt returns the finite sample nearest to at, at most tolerance away
// (the earlier one on a tie). series must be in time order.
func ValueAt(series []Sample, at time.Time, tolerance time.Duration) (Sample, bool) {
	i, _ := slices.BinarySearchFunc(series, at, func(s Sample, t time.Time) int { return s.T.Compare(t) })
	var best Sample
	found := false
	for j := i - 1; j >= 0 && at.Sub(series[j].T) <= tolerance; j-- {
		if finite(series[j].V) {
			best, found = series[j], true
			break
		}
	}
	for j := i; j < len(series) && series[j].T.Sub(at) <= tolerance; j++ {
		if finite(series[j].V) {
			if !found || series[j].T.Sub(at) < at.Sub(best.T) {
				best, found = series[j], true
			}
			break
		}
	}
	return best, found
}

// SameHourLastWeek returns the finite sample nearest to one Week before now,
// at most tolerance away: "this hour last week" for an hourly series.
func SameHourLastWeek(series []Sample, now time.Time, tolerance time.Duration) (Sample, bool) {
	return ValueAt(series, now.Add(-Week), tolerance)
}

// Line is a straight line over time: V(t) = Intercept + Slope·(t − Origin),
// with t − Origin in seconds.
type Line struct {
	Origin    time.Time
	Intercept float64
	Slope     float64 // per second
}

// At returns the line's value at t.
func (l Line) At(t time.Time) float64 {
	return l.Intercept + l.Slope*t.Sub(l.Origin).Seconds()
}

// Fit fits a least-squares line through the finite samples, with its origin
// at origin (pass now: the numbers stay small and Intercept is the trend's
// value now). It returns the number of samples used and false when they do
// not define a line (fewer than two distinct instants, or values so large
// the sums overflow).
func Fit(samples []Sample, origin time.Time) (Line, int, bool) {
	var n, mx, my float64
	for _, s := range samples {
		if finite(s.V) {
			n++
			mx += s.T.Sub(origin).Seconds()
			my += s.V
		}
	}
	if n == 0 {
		return Line{}, 0, false
	}
	mx, my = mx/n, my/n
	var sxx, sxy float64
	for _, s := range samples {
		if finite(s.V) {
			dx := s.T.Sub(origin).Seconds() - mx
			sxx += dx * dx
			sxy += dx * (s.V - my)
		}
	}
	if sxx == 0 {
		return Line{}, int(n), false
	}
	slope := sxy / sxx
	l := Line{Origin: origin, Slope: slope, Intercept: my - slope*mx}
	return l, int(n), finite(l.Slope) && finite(l.Intercept)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// num formats a value for a reason: at most two decimals, and an exponent
// only for huge values.
func num(v float64) string {
	if math.Abs(v) >= 1e15 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	v = math.Round(v*100) / 100
	if v == 0 {
		v = 0 // not -0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// dur formats a duration without trailing zero units: 5m, not 5m0s.
func dur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// plural formats a count of things.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
