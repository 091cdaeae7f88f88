package alerting

import (
	"math"
	"strings"
	"testing"
	"time"
)

// span returns samples every step from t0+from to t0+to inclusive, valued by
// f of the offset from t0.
func span(from, to, step time.Duration, f func(d time.Duration) float64) []Sample {
	return gen(at(from), step, int((to-from)/step)+1, func(_ int, t time.Time) float64 { return f(t.Sub(t0)) })
}

// rateCase is one evaluation of a condition at t0.
type rateCase struct {
	name   string
	series []Sample
	want   OutcomeState
	reason string // a substring of the reason, when set
}

func runRateCases(t *testing.T, c Condition, tests []rateCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := c.Evaluate(t0, tt.series)
			if o.State != tt.want || !strings.Contains(o.Reason, tt.reason) {
				t.Errorf("= %s %v (%s), want %s (%s)", o.State, o.Value, o.Reason, tt.want, tt.reason)
			}
		})
	}
}

// without returns s less its samples in (t0+from, t0+to].
func without(s []Sample, from, to time.Duration) []Sample {
	var out []Sample
	for _, x := range s {
		if d := x.T.Sub(t0); d <= from || d > to {
			out = append(out, x)
		}
	}
	return out
}

// TestScanDropAgainstLastWeek: a campaign's scans drop 80% against the same
// hour last week — a broken print run — and a quiet campaign does not fire.
func TestScanDropAgainstLastWeek(t *testing.T) {
	c := loadYAML(t, "testdata/conditions/scan-drop.yaml")
	// Scans per minute over eight days: perMin in the day, a tenth of that
	// at night (00:00–06:00), times scale in the last hour.
	scans := func(perMin, scale float64) []Sample {
		return span(-8*24*time.Hour, 0, time.Minute, func(d time.Duration) float64 {
			v := perMin
			if at(d).Hour() < 6 {
				v /= 10
			}
			if d > -time.Hour {
				v *= scale
			}
			return v
		})
	}
	busy := scans(50, 1)
	tests := []rateCase{
		{"as last week", busy, Clear, "sum over 1h is 3000 against 3000 a week earlier, 0% (not a drop of 80%)"},
		{"broken print run", scans(50, 0.15), Breach, "sum over 1h is 450 against 3000 a week earlier, -85% (drop of at least 80%)"},
		{"print run stops entirely", scans(50, 0), Breach, "-100% (drop"},
		{"a 70% dip", scans(50, 0.3), Clear, "-70% (not a drop of 80%)"},
		{"a surge is no drop", scans(50, 3), Clear, "+200%"},
		{"quiet campaign goes silent", scans(1, 0), Clear, "sum over 1h is 0 against 60 a week earlier, -30%"},
		{"quieter than the floor allows to fire", scans(2.5, 0), Clear, "sum over 1h is 0 against 150 a week earlier, -75%"},
		{"scans not recorded this hour", without(busy, -time.Hour, 0), NoData, "sum now: 0 samples in 1h, need 45"},
		{"half the hour recorded", without(busy, -time.Hour, -30*time.Minute), NoData, "sum now: 30 samples in 1h, need 45"},
		{"campaign is new", without(busy, -8*24*time.Hour, -time.Hour), NoData, "sum baseline a week earlier: 0 samples in 1h, need 45"},
	}
	runRateCases(t, c, tests)

	// The night is quiet every night: against last week, 01:00 is no drop,
	// though it is 90% down on the afternoon.
	night := at(-13 * time.Hour)
	if o := c.Evaluate(night, busy); o.State != Clear || o.Value != 0 {
		t.Errorf("at %v: = %+v, want clear", night, o)
	}
}

// TestLatencyDoubles: p95 latency doubles within 10 minutes.
func TestLatencyDoubles(t *testing.T) {
	c := loadYAML(t, "testdata/conditions/p95-doubles.yaml")
	// A check every 10s; latency in ms, base until 3 minutes ago, then
	// base·factor, with every tenth check a slow outlier.
	latency := func(base, factor float64) []Sample {
		return span(-30*time.Minute, 0, 10*time.Second, func(d time.Duration) float64 {
			v := base
			if int(d/(10*time.Second))%10 == 0 {
				v *= 1.5
			}
			if d > -3*time.Minute {
				v *= factor
			}
			return v
		})
	}
	tests := []rateCase{
		{"steady", latency(200, 1), Clear, "p95 over 2m is 300 against 300 10m earlier, 0%"},
		{"doubles", latency(200, 2), Breach, "+100% (rise of at least 100%)"},
		{"triples", latency(200, 3), Breach, "+200%"},
		{"rises by half", latency(500, 1.5), Clear, "+50% (not a rise of 100%)"},
		{"falls", latency(200, 0.2), Clear, "-80%"},
		{"doubles, but only by 30 ms", latency(20, 2), Clear, "a change under min_change 200"},
		{"no checks 10 minutes ago", without(latency(200, 2), -12*time.Minute, -10*time.Minute), NoData, "p95 baseline 10m earlier: 0 samples in 2m, need 6"},
		{"prober silent for 70s", without(latency(200, 2), -70*time.Second, 0), NoData, "p95 now: 5 samples in 2m, need 6"},
	}
	runRateCases(t, c, tests)
}

// TestPoolChangeGuards covers the pool rule's change part alone.
func TestPoolChangeGuards(t *testing.T) {
	c := compile(t, `{"rate":{"change":{"window":"30s","baseline":"ago","ago":"3m","by":"absolute",
		"direction":"rise","at_least":10,"min_level":80,"min_samples":2}}}`)
	// Utilisation every 15s: from before 3m ago, ramping over the last 3m.
	pool := func(from, to float64) []Sample {
		return span(-10*time.Minute, 0, 15*time.Second, func(d time.Duration) float64 {
			if d <= -3*time.Minute {
				return from
			}
			return from + (to-from)*(1+d.Minutes()/3)
		})
	}
	tests := []rateCase{
		{"rises 12 points above 80", pool(82, 94), Breach, "avg over 30s is 93.5 against 82 3m earlier, +11.5 (rise of at least 10)"},
		{"rises 12 points below the level floor", pool(50, 62), Clear, "below the level floor 80"},
		{"rises 5 points", pool(85, 90), Clear, "not a rise of 10"},
		{"drops 15 points", pool(95, 80), Clear, "-14.38"},
		{"one sample in 30s", pool(82, 94)[:len(pool(82, 94))-1], NoData, "avg now: 1 sample in 30s, need 2"},
	}
	runRateCases(t, c, tests)
}

func TestChangeBaselines(t *testing.T) {
	// Scans per minute: 10 a minute for the day, 2 a minute for the last 10m.
	scans := span(-24*time.Hour, 0, time.Minute, func(d time.Duration) float64 {
		if d > -10*time.Minute {
			return 2
		}
		return 10
	})
	tests := []struct {
		name, spec string
		want       OutcomeState
		value      float64
	}{
		{"window baseline scales sums", `{"rate":{"change":{"aggregate":"sum","window":"10m","baseline":"window","baseline_window":"1h",
			"by":"percent","direction":"drop","at_least":50}}}`, Breach, -80},
		{"window baseline scales counts", `{"rate":{"change":{"aggregate":"count","window":"10m","baseline":"window","baseline_window":"1h",
			"by":"percent","direction":"either","at_least":1}}}`, Clear, 0},
		{"window baseline averages", `{"rate":{"change":{"window":"10m","baseline":"window","baseline_window":"1h",
			"by":"absolute","direction":"either","at_least":8}}}`, Breach, -8},
		{"absolute drop", `{"rate":{"change":{"aggregate":"last","window":"1m","baseline":"ago","ago":"1h",
			"by":"absolute","direction":"drop","at_least":8}}}`, Breach, -8},
		{"absolute rise", `{"rate":{"change":{"aggregate":"last","window":"1m","baseline":"ago","ago":"1h",
			"by":"absolute","direction":"rise","at_least":8}}}`, Clear, -8},
		{"floor raises the denominator", `{"rate":{"change":{"aggregate":"last","window":"1m","baseline":"ago","ago":"1h",
			"by":"percent","direction":"drop","at_least":50,"baseline_floor":100}}}`, Clear, -8},
		{"min_baseline_samples", `{"rate":{"change":{"window":"10m","baseline":"window","baseline_window":"1h",
			"by":"absolute","direction":"either","at_least":8,"min_baseline_samples":61}}}`, NoData, 0},
	}
	for _, tt := range tests {
		o := compile(t, tt.spec).Evaluate(t0, scans)
		if o.State != tt.want || math.Abs(o.Value-tt.value) > 1e-9 {
			t.Errorf("%s: = %s %v (%s), want %s %v", tt.name, o.State, o.Value, o.Reason, tt.want, tt.value)
		}
	}
}

func TestChangeFromZero(t *testing.T) {
	zeroThen := func(now float64) []Sample { return []Sample{{at(-time.Hour), 0}, {t0, now}} }
	pct := `{"rate":{"change":{"aggregate":"last","window":"1m","baseline":"ago","ago":"1h","by":"percent","direction":"rise","at_least":50%s}}}`
	tests := []struct {
		name, floor string
		now         float64
		want        OutcomeState
		value       float64
	}{
		{"no percentage of zero", "", 5, NoData, 0},
		{"zero to zero is no change", "", 0, Clear, 0},
		{"a floor makes it measurable", `,"baseline_floor":4`, 5, Breach, 125},
	}
	for _, tt := range tests {
		o := compile(t, strings.Replace(pct, "%s", tt.floor, 1)).Evaluate(t0, zeroThen(tt.now))
		if o.State != tt.want || o.Value != tt.value {
			t.Errorf("%s: = %s %v (%s), want %s %v", tt.name, o.State, o.Value, o.Reason, tt.want, tt.value)
		}
	}
}

func TestPredict(t *testing.T) {
	rise := compile(t, `{"rate":{"predict":{"window":"2m","limit":100,"within":"5m"}}}`)
	drop := compile(t, `{"rate":{"predict":{"window":"1h","limit":0,"within":"3h","direction":"drop"}}}`)
	line := func(from, perMin float64, step time.Duration) []Sample {
		return span(-2*time.Minute, 0, step, func(d time.Duration) float64 { return from + perMin*(d.Minutes()+2) })
	}
	tests := []struct {
		name   string
		c      Condition
		series []Sample
		want   OutcomeState
		reason string
	}{
		{"reaches 100 in 4m", rise, line(80, 4, 15*time.Second), Breach, "trend over 2m at 88, +4 a minute, reaches 100 in 3m"},
		{"would take 6m", rise, line(86, 1, 15*time.Second), Clear, "trend over 2m at 88, +1 a minute, 93 in 5m (limit 100)"},
		{"flat at 99", rise, line(99, 0, 15*time.Second), Clear, "99 in 5m"},
		{"already there", rise, line(102, -1, 15*time.Second), Breach, "already at the limit 100"},
		{"falling away", rise, line(90, -5, 15*time.Second), Clear, "-5 a minute"},
		{"two samples", rise, line(80, 4, time.Minute)[1:], NoData, "trend: 2 samples in 2m, need 3"},
		{"one instant", rise, []Sample{{t0, 90}, {t0, 95}, {t0, 99}}, NoData, "trend: no line through 3 samples over 2m"},
		{"a steep first second (a process just started)", rise,
			span(-time.Second, 0, 100*time.Millisecond, func(d time.Duration) float64 { return 50 + 20*(d.Seconds()+1) }),
			NoData, "trend: samples cover 1s of 2m, less than half"},
		{"half the window", rise, line(80, 4, 15*time.Second)[4:], Breach, "reaches 100 in"},
		{"disk runs out", drop, span(-time.Hour, 0, time.Minute, func(d time.Duration) float64 { return 10 - 5*d.Hours() }), Breach, "reaches 0 in 2h"},
	}
	for _, tt := range tests {
		o := tt.c.Evaluate(t0, tt.series)
		if o.State != tt.want || !strings.Contains(o.Reason, tt.reason) {
			t.Errorf("%s: = %s %v (%s), want %s (%s)", tt.name, o.State, o.Value, o.Reason, tt.want, tt.reason)
		}
	}
}

// TestChangeOrPredict: a rate with both parts is a three-valued OR.
func TestChangeOrPredict(t *testing.T) {
	c := loadYAML(t, "testdata/conditions/pool-saturation.yaml")
	steady := span(-10*time.Minute, 0, 15*time.Second, func(time.Duration) float64 { return 70 })
	// Climbing 4 points a minute: +12 in 3m (change breaches), 100 in
	// 5m from 82 (prediction breaches).
	climbing := span(-10*time.Minute, 0, 15*time.Second, func(d time.Duration) float64 { return 82 + 4*d.Minutes() })
	recent := func(s []Sample, d time.Duration) []Sample { return Select(s, Last(d, t0)) }
	tests := []rateCase{
		{"both clear", steady, Clear, "avg over 30s is 70 against 70 3m earlier, 0, below the level floor 80; trend over 2m at 70, 0 a minute"},
		{"both breach", climbing, Breach, "(rise of at least 10); trend over 2m at 82, +4 a minute, reaches 100 in 4m30s"},
		{"change lacks a baseline, prediction breaches", recent(climbing, 2*time.Minute), Breach, "reaches 100"},
		{"change lacks a baseline, prediction clear", recent(steady, 2*time.Minute), NoData, "avg baseline 3m earlier: 0 samples in 30s, need 2"},
		{"no data at all", nil, NoData, "avg now: 0 samples in 30s, need 2; trend: 0 samples in 2m, need 6"},
	}
	runRateCases(t, c, tests)
}
