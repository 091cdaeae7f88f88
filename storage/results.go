package storage

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
)

// What both engines do with check results before and after the SQL: which
// results of a batch are distinct, what they add to the rollups and which is
// the newest per target and region. Sharing it keeps the engines' semantics
// identical and makes linkwatch.Rollup.Add the one definition of a rollup.

// millis truncates t to the millisecond in UTC, as both engines store times;
// the zero time stays zero.
func millis(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Millisecond).UTC()
}

// StoredExpectation returns e as the engines store it: MaxLatency to the
// millisecond, and no statuses as nil.
func StoredExpectation(e linkwatch.Expectation) linkwatch.Expectation {
	if len(e.Statuses) == 0 {
		e.Statuses = nil
	}
	e.MaxLatency = e.MaxLatency.Truncate(time.Millisecond)
	return e
}

// storedResult returns r as the engines store it: times to the millisecond in
// UTC, and no hops as nil.
func storedResult(r linkwatch.Result) linkwatch.Result {
	r.At, r.CertExpiry = millis(r.At), millis(r.CertExpiry)
	if len(r.Hops) == 0 {
		r.Hops = nil
	}
	return r
}

// DistinctResults checks a batch and returns a copy of it as it will be
// stored, without the results whose ID came earlier in the batch. Every
// result needs an ID and a target of a known kind.
func DistinctResults(results []linkwatch.Result) ([]linkwatch.Result, error) {
	seen := make(map[string]bool, len(results))
	out := make([]linkwatch.Result, 0, len(results))
	for i := range results {
		r := &results[i]
		if r.ID == "" {
			return nil, linkwatch.FieldErrorf("id", "result %d of the batch has no ID", i)
		}
		if !linkwatch.ValidKind(r.Target.Kind) {
			return nil, linkwatch.FieldErrorf("target", "result %q: unknown target kind %q", r.ID, r.Target.Kind)
		}
		if seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		out = append(out, storedResult(*r))
	}
	return out, nil
}

// CheckResolution accepts the rollup resolutions linkwatch.Hourly and Daily.
func CheckResolution(res time.Duration) error {
	if res != linkwatch.Hourly && res != linkwatch.Daily {
		return linkwatch.FieldErrorf("resolution", "resolution must be 1h or 24h, not %v", res)
	}
	return nil
}

// rollupStart returns the start of the UTC hour or day (res) holding at.
// The zero time is midnight UTC, so truncating aligns to UTC days too.
func rollupStart(at time.Time, res time.Duration) time.Time {
	return at.UTC().Truncate(res)
}

// RollupDeltas returns what results add to the rollups: per target, region and
// resolution (hourly and daily), one rollup per period holding the results
// counted with linkwatch.Rollup.Add. They are sorted by target, resolution,
// start and region, so that concurrent writers update rows in one order.
func RollupDeltas(results []linkwatch.Result) []linkwatch.Rollup {
	type key struct {
		kind   string
		id     int64
		res    time.Duration
		start  int64
		region string
	}
	index := make(map[key]int)
	var out []linkwatch.Rollup
	for i := range results {
		r := &results[i]
		for _, res := range []time.Duration{linkwatch.Hourly, linkwatch.Daily} {
			start := rollupStart(r.At, res)
			k := key{r.Target.Kind, r.Target.ID, res, start.Unix(), r.Region}
			j, ok := index[k]
			if !ok {
				j = len(out)
				index[k] = j
				out = append(out, linkwatch.Rollup{Target: r.Target, Region: r.Region, Start: start, Resolution: res})
			}
			out[j].Add(r)
		}
	}
	slices.SortFunc(out, func(a, b linkwatch.Rollup) int {
		return cmp.Or(compareTargets(a.Target, b.Target), cmp.Compare(a.Resolution, b.Resolution),
			a.Start.Compare(b.Start), cmp.Compare(a.Region, b.Region))
	})
	return out
}

// Chain is the new results of a batch for one target and region, oldest
// first, as the latest result of the target and region sees them: of results
// at the same time only the first in the batch, since only a strictly newer
// result replaces the latest.
type Chain []linkwatch.Result

// Chains splits results into one Chain per target and region, sorted by
// target and region, so that concurrent writers update rows in one order.
func Chains(results []linkwatch.Result) []Chain {
	type key struct {
		kind   string
		id     int64
		region string
	}
	index := make(map[key]int)
	var out []Chain
	for _, r := range results {
		k := key{r.Target.Kind, r.Target.ID, r.Region}
		j, ok := index[k]
		if !ok {
			j = len(out)
			index[k] = j
			out = append(out, nil)
		}
		out[j] = append(out[j], r)
	}
	for i, c := range out {
		slices.SortStableFunc(c, func(a, b linkwatch.Result) int { return a.At.Compare(b.At) })
		out[i] = slices.CompactFunc(c, func(a, b linkwatch.Result) bool { return a.At.Equal(b.At) })
	}
	slices.SortFunc(out, func(a, b Chain) int {
		return cmp.Or(compareTargets(a[0].Target, b[0].Target), cmp.Compare(a[0].Region, b[0].Region))
	})
	return out
}

// Apply returns the latest result of c's target and region once c's results
// are applied in time order to prev, the stored latest (nil: none), and
// whether it changed. health.Next decides each step (which result replaces
// the latest and how failures are counted); storage only stores the answer.
func (c Chain) Apply(prev *linkwatch.Latest) (linkwatch.Latest, bool) {
	var cur linkwatch.Latest
	if prev != nil {
		cur = *prev
	}
	changed := false
	for _, r := range c {
		var replaced bool
		if cur, replaced = health.Next(prev, r); replaced {
			prev, changed = &cur, true
		}
	}
	return cur, changed
}

func compareTargets(a, b linkwatch.Target) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
}

// hop is the stored form of a linkwatch.Hop.
type hop struct {
	URL      string `json:"url"`
	Status   int    `json:"status"`
	Duration int64  `json:"duration_ns"`
}

// EncodeHops returns the JSON both engines store a redirect chain as: an
// array of {"url", "status", "duration_ns"}.
func EncodeHops(hops []linkwatch.Hop) []byte {
	out := make([]hop, len(hops))
	for i, h := range hops {
		out[i] = hop{URL: h.URL, Status: h.Status, Duration: int64(h.Duration)}
	}
	b, _ := json.Marshal(out) // strings and numbers always marshal
	return b
}

// DecodeHops reads what EncodeHops wrote; an empty chain is nil.
func DecodeHops(b []byte) ([]linkwatch.Hop, error) {
	var in []hop
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("hops: %w", err)
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]linkwatch.Hop, len(in))
	for i, h := range in {
		out[i] = linkwatch.Hop{URL: h.URL, Status: h.Status, Duration: time.Duration(h.Duration)}
	}
	return out, nil
}

// Histogram returns a stored latency histogram as a rollup holds it: exactly
// len(linkwatch.LatencyBounds)+1 buckets, padding a shorter stored one (and
// cutting short a longer one, which only a change of the bounds can leave).
func Histogram(stored []int64) []int64 {
	h := make([]int64, len(linkwatch.LatencyBounds)+1)
	copy(h, stored)
	return h
}

// Classes returns stored failure counts per error class as a rollup holds
// them: exactly len(linkwatch.ErrorClasses), aligned with it. A row stored
// before rollups kept classes reads as all zeros; a shorter one (stored
// before a class was appended) is padded with zeros.
func Classes(stored []int64) []int64 {
	c := make([]int64, len(linkwatch.ErrorClasses))
	copy(c, stored)
	return c
}
