package api

import (
	"time"

	"github.com/linkwatch/linkwatch"
)

// expectJSON shows what probers require of a destination, in link and
// monitor responses.
type expectJSON struct {
	ExpectStatus    []int  `json:"expect_status"`
	ExpectKeyword   string `json:"expect_keyword"`
	MaxResponseTime string `json:"max_response_time"`
}

func newExpectJSON(e linkwatch.Expectation) expectJSON {
	j := expectJSON{ExpectStatus: e.Statuses, ExpectKeyword: e.Keyword, MaxResponseTime: e.MaxLatency.String()}
	if j.ExpectStatus == nil {
		j.ExpectStatus = []int{}
	}
	return j
}

// expectRequest is the expectation part of a create request.
type expectRequest struct {
	ExpectStatus    []int   `json:"expect_status"`
	ExpectKeyword   string  `json:"expect_keyword"`
	MaxResponseTime latency `json:"max_response_time"`
}

func (r *expectRequest) expectation() linkwatch.Expectation {
	return linkwatch.Expectation{Statuses: r.ExpectStatus, Keyword: r.ExpectKeyword, MaxLatency: time.Duration(r.MaxResponseTime)}
}

// expectPatch is the expectation part of a PATCH: null resets a field.
type expectPatch struct {
	ExpectStatus    optional[[]int]   `json:"expect_status"`
	ExpectKeyword   optional[string]  `json:"expect_keyword"`
	MaxResponseTime optional[latency] `json:"max_response_time"`
}

func (p *expectPatch) apply(e *linkwatch.Expectation) {
	if p.ExpectStatus.Set {
		e.Statuses = p.ExpectStatus.V
	}
	if p.ExpectKeyword.Set {
		e.Keyword = p.ExpectKeyword.V
	}
	if p.MaxResponseTime.Set {
		e.MaxLatency = time.Duration(p.MaxResponseTime.V)
	}
}
