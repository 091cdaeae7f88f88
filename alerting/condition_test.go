package alerting

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch"
	"go.yaml.in/yaml/v3"
)

// compile compiles a condition spec written as JSON, failing the test on
// any error.
func compile(t testing.TB, spec string) Condition {
	t.Helper()
	c, err := compileJSON([]byte(spec))
	if err != nil {
		t.Fatalf("compile %s: %v", spec, err)
	}
	return c
}

// compileJSON decodes a spec strictly, as the API does, and compiles it.
func compileJSON(data []byte) (Condition, error) {
	var s ConditionSpec
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return nil, err
	}
	return s.Compile()
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ spec, field, err string }{
		{`{}`, "threshold", "a condition needs threshold or rate"},
		{`{"threshold":{"window":"5m","op":">","limit":1},"rate":{}}`, "rate", "a condition is either threshold or rate, not both"},
		{`{"threshold":{"op":">","limit":1}}`, "threshold.window", "threshold.window is required: a duration such as 5m"},
		{`{"threshold":{"window":"5 minutes","op":">","limit":1}}`, "threshold.window", `threshold.window must be a duration such as 5m; got "5 minutes"`},
		{`{"threshold":{"window":"-5m","op":">","limit":1}}`, "threshold.window", `threshold.window must be more than 0 and at most 744h; got "-5m"`},
		{`{"threshold":{"window":"745h","op":">","limit":1}}`, "threshold.window", `threshold.window must be more than 0 and at most 744h; got "745h"`},
		{`{"threshold":{"aggregate":"median","window":"5m","op":">","limit":1}}`, "threshold.aggregate", `threshold.aggregate must be one of avg, min, max, last, sum, count, p50, p90, p95, p99; got "median"`},
		{`{"threshold":{"window":"5m","limit":1}}`, "threshold.op", "threshold.op is required: one of >, >=, <, <="},
		{`{"threshold":{"window":"5m","op":"=>","limit":1}}`, "threshold.op", `threshold.op must be one of >, >=, <, <=; got "=>"`},
		{`{"threshold":{"window":"5m","op":">"}}`, "threshold.limit", "threshold.limit is required"},
		{`{"threshold":{"window":"5m","op":">=","limit":95,"recover_limit":96}}`, "threshold.recover_limit", "threshold.recover_limit must be at most limit (95) when op is >="},
		{`{"threshold":{"window":"5m","op":"<","limit":14,"recover_limit":10}}`, "threshold.recover_limit", "threshold.recover_limit must be at least limit (14) when op is <"},
		{`{"threshold":{"window":"5m","op":">","limit":1,"min_samples":-1}}`, "threshold.min_samples", "threshold.min_samples must be from 1 to 1000000; got -1"},
		{`{"rate":{}}`, "rate.change", "rate needs change, predict or both"},
		{`{"rate":{"change":{"baseline":"ago","ago":"3m","by":"absolute","direction":"rise","at_least":10}}}`, "rate.change.window", "rate.change.window is required: a duration such as 5m"},
		{`{"rate":{"change":{"window":"1m","by":"absolute","direction":"rise","at_least":10}}}`, "rate.change.baseline", "rate.change.baseline is required: one of ago, window, last_week"},
		{`{"rate":{"change":{"window":"1m","baseline":"yesterday","by":"absolute","direction":"rise","at_least":10}}}`, "rate.change.baseline", `rate.change.baseline must be one of ago, window, last_week; got "yesterday"`},
		{`{"rate":{"change":{"window":"1m","baseline":"ago","by":"absolute","direction":"rise","at_least":10}}}`, "rate.change.ago", "rate.change.ago is required: a duration such as 5m"},
		{`{"rate":{"change":{"window":"5m","baseline":"ago","ago":"3m","by":"absolute","direction":"rise","at_least":10}}}`, "rate.change.ago", "rate.change.ago must be at least the window (5m), so the two windows do not overlap"},
		{`{"rate":{"change":{"window":"1h","baseline":"last_week","ago":"3m","by":"percent","direction":"drop","at_least":80}}}`, "rate.change.ago", "rate.change.ago applies only to baseline: ago"},
		{`{"rate":{"change":{"window":"1m","baseline":"window","by":"percent","direction":"rise","at_least":50}}}`, "rate.change.baseline_window", "rate.change.baseline_window is required: a duration such as 5m"},
		{`{"rate":{"change":{"window":"1m","baseline":"ago","ago":"1m","baseline_window":"1h","by":"percent","direction":"rise","at_least":50}}}`, "rate.change.baseline_window", "rate.change.baseline_window applies only to baseline: window"},
		{`{"rate":{"change":{"window":"1m","baseline":"ago","ago":"1m","direction":"rise","at_least":50}}}`, "rate.change.by", "rate.change.by is required: one of percent, absolute"},
		{`{"rate":{"change":{"window":"1m","baseline":"ago","ago":"1m","by":"percent","direction":"up","at_least":50}}}`, "rate.change.direction", `rate.change.direction must be one of rise, drop, either; got "up"`},
		{`{"rate":{"change":{"window":"1m","baseline":"ago","ago":"1m","by":"percent","direction":"rise"}}}`, "rate.change.at_least", "rate.change.at_least is required"},
		{`{"rate":{"change":{"window":"1m","baseline":"ago","ago":"1m","by":"percent","direction":"drop","at_least":-80}}}`, "rate.change.at_least", "rate.change.at_least must be more than 0 (the direction says which way)"},
		{`{"rate":{"change":{"window":"1m","baseline":"ago","ago":"1m","by":"percent","direction":"drop","at_least":80,"baseline_floor":-1}}}`, "rate.change.baseline_floor", "rate.change.baseline_floor must be a number from 0 up"},
		{`{"rate":{"change":{"window":"1m","baseline":"ago","ago":"1m","by":"absolute","direction":"drop","at_least":80,"baseline_floor":10}}}`, "rate.change.baseline_floor", "rate.change.baseline_floor applies only to by: percent"},
		{`{"rate":{"change":{"window":"1m","baseline":"ago","ago":"1m","by":"percent","direction":"drop","at_least":80,"min_change":-5}}}`, "rate.change.min_change", "rate.change.min_change must be a number from 0 up"},
		{`{"rate":{"change":{"window":"1m","baseline":"ago","ago":"1m","by":"percent","direction":"drop","at_least":80,"min_baseline_samples":-2}}}`, "rate.change.min_baseline_samples", "rate.change.min_baseline_samples must be from 1 to 1000000; got -2"},
		{`{"rate":{"predict":{"limit":100,"within":"5m"}}}`, "rate.predict.window", "rate.predict.window is required: a duration such as 5m"},
		{`{"rate":{"predict":{"window":"2m","within":"5m"}}}`, "rate.predict.limit", "rate.predict.limit is required"},
		{`{"rate":{"predict":{"window":"2m","limit":100}}}`, "rate.predict.within", "rate.predict.within is required: a duration such as 5m"},
		{`{"rate":{"predict":{"window":"2m","limit":100,"within":"5m","direction":"up"}}}`, "rate.predict.direction", `rate.predict.direction must be one of rise, drop; got "up"`},
		{`{"rate":{"predict":{"window":"2m","limit":100,"within":"5m","min_samples":1}}}`, "rate.predict.min_samples", "rate.predict.min_samples must be from 2 to 1000000; got 1"},
		{`{"rate":{"change":{"window":"1m","baseline":"ago","ago":"1m","by":"absolute","direction":"rise","at_least":1},"predict":{"window":"2m","limit":100}}}`, "rate.predict.within", "rate.predict.within is required: a duration such as 5m"},
	}
	for _, tt := range tests {
		_, err := compileJSON([]byte(tt.spec))
		if err == nil {
			t.Errorf("%s compiled", tt.spec)
			continue
		}
		if linkwatch.ErrorCode(err) != linkwatch.EINVALID || linkwatch.ErrorField(err) != tt.field || linkwatch.ErrorMessage(err) != tt.err {
			t.Errorf("%s:\n got %v\nwant invalid (%s): %s", tt.spec, err, tt.field, tt.err)
		}
	}
}

func TestCompileRejectsNonFiniteNumbers(t *testing.T) {
	inf := func() *float64 { v := 1.0; v /= 0; return &v }
	specs := map[string]ConditionSpec{
		"threshold.limit":         {Threshold: &ThresholdSpec{Window: "1m", Op: ">", Limit: inf()}},
		"threshold.recover_limit": {Threshold: &ThresholdSpec{Window: "1m", Op: ">", Limit: new(float64), RecoverLimit: inf()}},
		"rate.predict.limit":      {Rate: &RateSpec{Predict: &PredictSpec{Window: "1m", Within: "1m", Limit: inf()}}},
		"rate.change.min_level": {Rate: &RateSpec{Change: &ChangeSpec{Window: "1m", Baseline: "ago", Ago: "1m",
			By: "absolute", Direction: "rise", AtLeast: ptr(1), MinLevel: inf()}}},
	}
	for field, spec := range specs {
		if _, err := spec.Compile(); linkwatch.ErrorField(err) != field || !strings.Contains(err.Error(), "finite") {
			t.Errorf("%s = ∞: %v", field, err)
		}
	}
}

func ptr(v float64) *float64 { return &v }

// TestExamplesInYAML decodes the rule conditions the issue requires, written
// as an operator would write them in the config file (testdata/conditions),
// strictly, and compiles them.
func TestExamplesInYAML(t *testing.T) {
	files, _ := filepath.Glob("testdata/conditions/*.yaml")
	if len(files) < 3 {
		t.Fatalf("%d example files", len(files))
	}
	for _, f := range files {
		loadYAML(t, f)
	}
}

// loadYAML decodes and compiles a condition file, rejecting unknown keys.
func loadYAML(t testing.TB, path string) Condition {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s ConditionSpec
	d := yaml.NewDecoder(bytes.NewReader(data))
	d.KnownFields(true)
	if err := d.Decode(&s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c, err := s.Compile()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

func TestSpecRoundTripsThroughJSON(t *testing.T) {
	for _, f := range []string{"scan-drop", "p95-doubles", "pool-saturation"} {
		data, _ := os.ReadFile("testdata/conditions/" + f + ".yaml")
		var s ConditionSpec
		if err := yaml.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := compileJSON(js); err != nil {
			t.Errorf("%s as JSON %s: %v", f, js, err)
		}
	}
}
