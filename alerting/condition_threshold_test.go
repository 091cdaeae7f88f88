package alerting

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestThreshold(t *testing.T) {
	// Samples every 10s, the last one at t0.
	last := func(vs ...float64) []Sample {
		return gen(at(-time.Duration(len(vs)-1)*10*time.Second), 10*time.Second, len(vs),
			func(i int, _ time.Time) float64 { return vs[i] })
	}
	const hyst = `{"threshold":{"window":"1m","op":">=","limit":95,"recover_limit":90,"min_samples":3}}`
	tests := []struct {
		name   string
		spec   string
		series []Sample
		want   OutcomeState
		value  float64
		reason string
	}{
		{"avg above", `{"threshold":{"window":"1m","op":">","limit":50}}`, last(40, 60, 70), Breach, 56.67, "avg over 1m is 56.67, > 50"},
		{"avg below", `{"threshold":{"window":"1m","op":">","limit":50}}`, last(40, 50, 60), Clear, 50, "avg over 1m is 50, not > 50"},
		{">= at the limit", `{"threshold":{"window":"1m","op":">=","limit":50}}`, last(50), Breach, 50, ""},
		{"< (certificate days left)", `{"threshold":{"aggregate":"last","window":"1h","op":"<","limit":14}}`, last(20, 13), Breach, 13, "last over 1h is 13, < 14"},
		{"<=", `{"threshold":{"aggregate":"min","window":"1m","op":"<=","limit":3}}`, last(9, 3, 8), Breach, 3, ""},
		{"p95 latency", `{"threshold":{"aggregate":"p95","window":"1m","op":">","limit":700}}`, last(100, 120, 110, 900, 105, 130), Breach, 707.5, ""},
		{"max", `{"threshold":{"aggregate":"max","window":"1m","op":">","limit":800}}`, last(100, 900, 100), Breach, 900, ""},
		{"sum of scans", `{"threshold":{"aggregate":"sum","window":"1m","op":"<","limit":10}}`, last(2, 3, 1), Breach, 6, ""},
		{"count", `{"threshold":{"aggregate":"count","window":"1m","op":">=","limit":3}}`, last(0, 0, 0), Breach, 3, ""},
		{"consecutive failures", `{"threshold":{"aggregate":"last","window":"5m","op":">=","limit":2}}`, last(0, 1, 2), Breach, 2, ""},
		{"only the window counts", `{"threshold":{"window":"30s","op":">","limit":50}}`, last(1000, 1000, 10, 10, 10, 10), Clear, 10, ""},
		{"samples after now are ignored", `{"threshold":{"window":"1m","op":">","limit":50}}`,
			append(last(10, 10), Sample{at(time.Second), 1000}), Clear, 10, ""},
		{"order does not matter", `{"threshold":{"aggregate":"last","window":"1m","op":">","limit":50}}`,
			[]Sample{{at(0), 60}, {at(-20 * time.Second), 10}, {at(-10 * time.Second), 20}}, Breach, 60, ""},
		{"non-finite values are gaps", `{"threshold":{"window":"1m","op":">","limit":50}}`, last(60, math.NaN(), math.Inf(1), 70), Breach, 65, ""},

		// No data: a gap is never zero.
		{"empty series", `{"threshold":{"aggregate":"sum","window":"1m","op":"<","limit":10}}`, nil, NoData, 0, "sum: 0 samples in 1m, need 1"},
		{"gap in the window", `{"threshold":{"aggregate":"count","window":"1m","op":"<","limit":1}}`,
			[]Sample{{at(-2 * time.Minute), 5}}, NoData, 0, "count: 0 samples in 1m, need 1"},
		{"too few samples", `{"threshold":{"window":"1m","op":">","limit":50,"min_samples":3}}`, last(99, 99), NoData, 0, "avg: 2 samples in 1m, need 3"},
		{"only NaN", `{"threshold":{"window":"1m","op":">","limit":50}}`, last(math.NaN()), NoData, 0, ""},

		// Hysteresis: breach at ≥ 95, clear only below 90, Band between.
		{"hysteresis breach", hyst, last(96, 96, 96), Breach, 96, ""},
		{"hysteresis band", hyst, last(92, 92, 92), Band, 92, "avg over 1m is 92, between the recovery limit 90 and the limit 95"},
		{"hysteresis at the recovery limit", hyst, last(90, 90, 90), Band, 90, ""},
		{"hysteresis clear", hyst, last(89, 89, 89), Clear, 89, "avg over 1m is 89, not >= 90"},
		{"hysteresis falling op", `{"threshold":{"aggregate":"last","window":"1h","op":"<","limit":14,"recover_limit":21}}`, last(18), Band, 18, ""},
		{"recover_limit equal to limit", `{"threshold":{"window":"1m","op":">=","limit":95,"recover_limit":95}}`, last(94), Clear, 94, ""},

		{"overflow is no data", `{"threshold":{"aggregate":"sum","window":"1m","op":">","limit":1}}`, last(math.MaxFloat64, math.MaxFloat64), NoData, 0, "the value is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := compile(t, tt.spec).Evaluate(t0, tt.series)
			if o.State != tt.want || math.Abs(o.Value-tt.value) > 0.01 {
				t.Errorf("= %s %v (%s), want %s %v", o.State, o.Value, o.Reason, tt.want, tt.value)
			}
			if tt.reason != "" && o.Reason != tt.reason {
				t.Errorf("reason %q, want %q", o.Reason, tt.reason)
			}
		})
	}
}

// TestThresholdDoesNotModifySeries: conditions sort a copy, never the
// caller's slice.
func TestThresholdDoesNotModifySeries(t *testing.T) {
	series := []Sample{{at(0), 3}, {at(-time.Second), 2}, {at(-2 * time.Second), 1}}
	before := slices.Clone(series)
	c := compile(t, `{"threshold":{"aggregate":"p50","window":"1m","op":">","limit":1}}`)
	if o := c.Evaluate(t0, series); o.State != Breach || o.Value != 2 {
		t.Errorf("= %+v", o)
	}
	if !slices.Equal(series, before) {
		t.Errorf("series changed to %v", series)
	}
	if o := c.Evaluate(t0, series); !strings.HasPrefix(o.Reason, "p50 over 1m is 2") {
		t.Errorf("second evaluation differs: %+v", o)
	}
}
