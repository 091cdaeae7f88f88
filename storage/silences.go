package storage

import (
	"encoding/json"
	"fmt"

	"github.com/linkwatch/linkwatch/alerting"
)

// matcherJSON is the stored form of an alerting.Matcher.
type matcherJSON struct {
	Name  string           `json:"name"`
	Op    alerting.MatchOp `json:"op"`
	Value string           `json:"value"`
}

// EncodeMatchers is the stored form of matchers: a JSON array of
// {"name", "op", "value"}, never null.
func EncodeMatchers(ms []alerting.Matcher) []byte {
	out := make([]matcherJSON, len(ms))
	for i, m := range ms {
		out[i] = matcherJSON(m)
	}
	b, _ := json.Marshal(out) // strings always marshal
	return b
}

// DecodeMatchers reads matchers back; none is nil.
func DecodeMatchers(b []byte) ([]alerting.Matcher, error) {
	var in []matcherJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("stored matchers: %w", err)
	}
	if len(in) == 0 {
		return nil, nil
	}
	ms := make([]alerting.Matcher, len(in))
	for i, m := range in {
		ms[i] = alerting.Matcher(m)
	}
	return ms, nil
}
