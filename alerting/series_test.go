package alerting

import (
	"math"
	"testing"
	"time"
)

// t0 is the instant test series are built around.
var t0 = time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// gen returns n samples every step from start, valued by f(i, t).
func gen(start time.Time, step time.Duration, n int, f func(i int, t time.Time) float64) []Sample {
	s := make([]Sample, n)
	for i := range s {
		t := start.Add(time.Duration(i) * step)
		s[i] = Sample{T: t, V: f(i, t)}
	}
	return s
}

// values returns samples one second apart from t0, valued vs.
func values(vs ...float64) []Sample {
	return gen(t0, time.Second, len(vs), func(i int, _ time.Time) float64 { return vs[i] })
}

func TestSelectIsHalfOpen(t *testing.T) {
	s := values(0, 1, 2, 3, 4, 5)
	tests := []struct {
		w    Window
		want []float64
	}{
		{Window{at(time.Second), at(3 * time.Second)}, []float64{2, 3}},
		{Last(3*time.Second, at(5*time.Second)), []float64{3, 4, 5}},
		{Last(time.Hour, at(-time.Second)), nil},
		{Last(time.Second, at(time.Hour)), nil},
		{Window{at(3 * time.Second), at(time.Second)}, nil}, // reversed
		{Last(2*time.Second, at(3*time.Second)).Shift(-time.Second), []float64{1, 2}},
	}
	for _, tt := range tests {
		got := Select(s, tt.w)
		if len(got) != len(tt.want) {
			t.Errorf("Select(%v) = %v, want %v", tt.w, got, tt.want)
			continue
		}
		for i := range got {
			if got[i].V != tt.want[i] {
				t.Errorf("Select(%v)[%d] = %v, want %v", tt.w, i, got[i].V, tt.want[i])
			}
		}
	}
}

func TestAggregate(t *testing.T) {
	s := values(7, 1, math.NaN(), 3, 9, math.Inf(1), 5) // non-finite values are gaps
	tests := []struct {
		agg  Aggregation
		want float64
	}{
		{AggAvg, 5}, {AggMin, 1}, {AggMax, 9}, {AggLast, 5}, {AggSum, 25}, {AggCount, 5},
		{AggP50, 5}, {AggP90, 8.2}, {AggP95, 8.6}, {AggP99, 8.92},
	}
	for _, tt := range tests {
		got, n := Aggregate(s, tt.agg)
		if math.Abs(got-tt.want) > 1e-9 || n != 5 {
			t.Errorf("%s = %v over %d samples, want %v over 5", tt.agg, got, n, tt.want)
		}
	}
	for _, agg := range append(Aggregations, "median") {
		if v, n := Aggregate(values(math.NaN()), agg); v != 0 || n != 0 {
			t.Errorf("%s of a gap = %v over %d samples, want no value", agg, v, n)
		}
	}
	if v, n := Aggregate(values(1, 2), "median"); n != 0 {
		t.Errorf("unknown aggregation used %d samples (%v)", n, v)
	}
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		values []float64
		q      float64
		want   float64
	}{
		{[]float64{42}, 0.99, 42},
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},
		{[]float64{4, 3, 2, 1}, 0, 1},
		{[]float64{4, 3, 2, 1}, 1, 4},
		{[]float64{-math.MaxFloat64, math.MaxFloat64}, 0.5, 0}, // no overflow
	}
	for _, tt := range tests {
		if got := Percentile(tt.values, tt.q); got != tt.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tt.values, tt.q, got, tt.want)
		}
	}
	if got := Percentile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("Percentile(nil) = %v, want NaN", got)
	}
}

func TestValueAt(t *testing.T) {
	s := []Sample{
		{at(0), 1}, {at(10 * time.Second), 2}, {at(20 * time.Second), math.NaN()}, {at(30 * time.Second), 4},
	}
	tests := []struct {
		at   time.Duration
		tol  time.Duration
		want float64
		ok   bool
	}{
		{10 * time.Second, 0, 2, true},               // exact
		{14 * time.Second, 5 * time.Second, 2, true}, // nearer the earlier
		{15 * time.Second, 5 * time.Second, 2, true}, // tie: the earlier
		{20 * time.Second, 9 * time.Second, 0, false},
		{22 * time.Second, 9 * time.Second, 4, true}, // the NaN is a gap
		{40 * time.Second, 5 * time.Second, 0, false},
		{-time.Second, time.Second, 1, true},
		{5 * time.Second, -time.Second, 0, false},
	}
	for _, tt := range tests {
		got, ok := ValueAt(s, at(tt.at), tt.tol)
		if ok != tt.ok || ok && got.V != tt.want {
			t.Errorf("ValueAt(%v, ±%v) = %v, %v; want %v, %v", tt.at, tt.tol, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := ValueAt(nil, t0, time.Hour); ok {
		t.Error("ValueAt of an empty series found a value")
	}
}

func TestSameHourLastWeek(t *testing.T) {
	hourly := gen(at(-8*24*time.Hour), time.Hour, 8*24+1, func(i int, _ time.Time) float64 { return float64(i) })
	got, ok := SameHourLastWeek(hourly, at(10*time.Minute), 30*time.Minute)
	if !ok || !got.T.Equal(at(-Week)) {
		t.Fatalf("SameHourLastWeek = %v, %v; want the sample at %v", got, ok, at(-Week))
	}
	if _, ok := SameHourLastWeek(hourly[:20], t0, 30*time.Minute); ok {
		t.Error("SameHourLastWeek found a value in a series that ends before last week")
	}
}

func TestSortSamples(t *testing.T) {
	in := []Sample{{at(2), 2}, {at(0), 0}, {at(1), 1}}
	got := SortSamples(in)
	for i, s := range got {
		if s.V != float64(i) {
			t.Fatalf("SortSamples = %v", got)
		}
	}
	if in[0].V != 2 {
		t.Error("SortSamples reordered its input")
	}
	sorted := values(1, 2, 3)
	if &SortSamples(sorted)[0] != &sorted[0] {
		t.Error("SortSamples copied a series already in order")
	}
}

func TestFit(t *testing.T) {
	// 85 → 100 in three minutes: 5 points a minute.
	s := gen(at(-3*time.Minute), 15*time.Second, 13, func(i int, _ time.Time) float64 { return 85 + 1.25*float64(i) })
	l, n, ok := Fit(s, t0)
	if !ok || n != 13 {
		t.Fatalf("Fit = %+v, %d, %v", l, n, ok)
	}
	if math.Abs(l.Intercept-100) > 1e-9 || math.Abs(l.Slope*60-5) > 1e-9 {
		t.Errorf("Fit = %v at t0, %v a minute; want 100, 5", l.Intercept, l.Slope*60)
	}
	if got := l.At(at(2 * time.Minute)); math.Abs(got-110) > 1e-9 {
		t.Errorf("At(+2m) = %v, want 110", got)
	}
	for _, bad := range [][]Sample{nil, values(1), {{t0, 1}, {t0, 2}}, values(math.NaN(), math.NaN())} {
		if l, _, ok := Fit(bad, t0); ok {
			t.Errorf("Fit(%v) = %+v, want no line", bad, l)
		}
	}
}

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Minute: "5m", Week: "168h", 90 * time.Second: "1m30s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := dur(d); got != want {
			t.Errorf("dur(%v) = %q, want %q", d, got, want)
		}
	}
	for v, want := range map[float64]string{89.53333: "89.53", 100: "100", -0.004: "0", 12345678: "12345678", 1e300: "1e+300"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}
