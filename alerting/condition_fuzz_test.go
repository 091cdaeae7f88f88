package alerting

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"go.yaml.in/yaml/v3"
)

// FuzzConditionSpec: compiling any JSON never panics and fails only with a
// field error; a compiled condition never panics on any series, evaluates
// deterministically, leaves the series alone and returns a valid outcome
// with a finite value and a reason.
func FuzzConditionSpec(f *testing.F) {
	files, _ := filepath.Glob("testdata/conditions/*.yaml")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		var s ConditionSpec
		if yaml.Unmarshal(data, &s) == nil {
			js, _ := json.Marshal(s)
			f.Add(js, []byte{}, int64(0))
		}
	}
	for _, spec := range []string{
		`{"threshold":{"aggregate":"p99","window":"1m","op":"<=","limit":-1e308,"recover_limit":1e308,"min_samples":2}}`,
		`{"threshold":{"aggregate":"count","window":"1ns","op":">","limit":0}}`,
		`{"rate":{"change":{"aggregate":"sum","window":"1m","baseline":"window","baseline_window":"744h","by":"percent","direction":"either","at_least":1e-300}}}`,
		`{"rate":{"change":{"window":"1s","baseline":"last_week","by":"percent","direction":"drop","at_least":5,"baseline_floor":1e-300,"min_level":-5}}}`,
		`{"rate":{"predict":{"window":"1s","limit":0,"within":"744h","direction":"drop","min_samples":2}}}`,
		`{"threshold":{"window":"5m","op":">","limit":1},"rate":{}}`,
		`{"rate":{"change":{"window":"1m","baseline":"ago","ago":"1m","by":"percent","direction":"rise","at_least":NaN}}}`,
	} {
		f.Add([]byte(spec), []byte{0, 1, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8}, int64(1))
	}
	fixed := [][]Sample{
		nil,
		{{t0, math.NaN()}, {t0, math.Inf(-1)}, {t0, math.Inf(1)}},
		{{t0, math.MaxFloat64}, {at(-time.Second), -math.MaxFloat64}, {at(-2 * time.Second), math.MaxFloat64}},
		{{t0, 1}, {t0, 2}, {t0, 3}, {t0, 4}},
		span(-8*24*time.Hour, 0, time.Hour, func(d time.Duration) float64 { return float64(d / time.Hour) }),
		span(-10*time.Minute, 0, time.Second, func(d time.Duration) float64 { return 1e-300 * d.Seconds() }),
	}
	f.Fuzz(func(t *testing.T, spec, raw []byte, offset int64) {
		var s ConditionSpec
		d := json.NewDecoder(bytes.NewReader(spec))
		d.DisallowUnknownFields()
		if d.Decode(&s) != nil {
			return
		}
		c, err := s.Compile()
		if err != nil {
			var e *linkwatch.Error
			if !errors.As(err, &e) || e.Code != linkwatch.EINVALID || e.Field == "" || e.Message == "" {
				t.Fatalf("Compile(%s) = %#v, want a field error", spec, err)
			}
			return
		}
		now := t0.Add(time.Duration(offset) * time.Second)
		for _, series := range append(fixed, decodeSeries(raw)) {
			before := slices.Clone(series)
			o := c.Evaluate(now, series)
			if !slices.Contains([]OutcomeState{Breach, Clear, NoData, Band}, o.State) || !finite(o.Value) || o.Reason == "" {
				t.Fatalf("Evaluate(%s, %v) = %+v", spec, series, o)
			}
			if again := c.Evaluate(now, series); again != o {
				t.Fatalf("Evaluate(%s) is not deterministic: %+v, then %+v", spec, o, again)
			}
			if !slices.EqualFunc(series, before, sameSample) {
				t.Fatalf("Evaluate(%s) changed the series", spec)
			}
		}
	})
}

// decodeSeries reads 10-byte records: a signed offset from t0 in units of
// 10 seconds (about ±3.8 days) and a float64.
func decodeSeries(raw []byte) []Sample {
	var s []Sample
	for ; len(raw) >= 10; raw = raw[10:] {
		off := int16(binary.LittleEndian.Uint16(raw))
		v := math.Float64frombits(binary.LittleEndian.Uint64(raw[2:]))
		s = append(s, Sample{T: at(time.Duration(off) * 10 * time.Second), V: v})
	}
	return s
}

// sameSample compares samples, NaN equal to NaN.
func sameSample(a, b Sample) bool {
	return a.T.Equal(b.T) && (a.V == b.V || math.IsNaN(a.V) && math.IsNaN(b.V))
}
