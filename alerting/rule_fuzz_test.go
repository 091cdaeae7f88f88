package alerting

import (
	"encoding/json"
	"testing"
)

// FuzzRuleSpec: any JSON an API client sends either compiles or fails with
// an error naming a field — never a panic — and a compiled rule evaluates.
func FuzzRuleSpec(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","scope":{"tag":"t"},"metric":"scans","severity":"info","condition":{"rate":{"change":{"window":"1h","baseline":"last_week","by":"percent","direction":"drop","at_least":80}}}}`,
		`{"name":"b","scope":{"link":"x"},"severity":"critical","condition":{"quorum":{"k":2,"consecutive":2}}}`,
		`{"name":"c","scope":{"all":true},"severity":"warning","condition":{"no_data":{"after":"5m"}}}`,
		`{"name":"d","scope":{"platform":"db_pool_utilization"},"severity":"critical","condition":{"threshold":{"window":"1m","op":">=","limit":95}},"for":"2m","keep_firing_for":"1m"}`,
		`{"name":"e","scope":{"monitor":"m"},"metric":"latency_ms","severity":"info","condition":{"rate":{"predict":{"window":"5m","limit":1e308,"within":"1h"}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s RuleSpec
		if json.Unmarshal(b, &s) != nil {
			return
		}
		r, err := s.Compile()
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if r.kind == kindSeries {
			r.cond.Evaluate(t0, []Sample{{T: t0, V: 1}})
		}
	})
}
