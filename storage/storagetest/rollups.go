package storagetest

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// testRollupsRecompute inserts a few hundred generated results across days,
// regions and targets, in batches out of time order and with replayed IDs,
// and checks that the stored rollups equal a recomputation from the distinct
// results with linkwatch.Rollup.Add, and the latest results the newest ones.
func testRollupsRecompute(t *testing.T, s Store) {
	rng := rand.New(rand.NewPCG(20240310, 1))
	targets := []linkwatch.Target{
		{Kind: linkwatch.KindLink, ID: 1}, {Kind: linkwatch.KindLink, ID: 2},
		{Kind: linkwatch.KindMonitor, ID: 1}, {Kind: linkwatch.KindMonitor, ID: 7},
	}
	regions := []string{"us-east", "ap-south", "eu-west"}
	// On and beside every bound of the histogram, and beyond the last.
	var latencies []time.Duration
	for _, b := range linkwatch.LatencyBounds {
		latencies = append(latencies, b-1, b, b+1)
	}
	latencies = append(latencies, 0, time.Minute)
	// Three days from 21:00 UTC: the results cross UTC days, and days of zone().
	start := time.Date(2024, 3, 9, 21, 0, 0, 0, time.UTC)
	const n = 400
	step := 72 * time.Hour / n
	all := make([]linkwatch.Result, n)
	for i := range all {
		// Distinct times, so that the latest result per region is unambiguous.
		at := start.Add(time.Duration(i)*step + time.Duration(rng.IntN(int(time.Millisecond))))
		if rng.IntN(2) == 0 {
			at = at.In(zone())
		}
		r := result(targets[rng.IntN(len(targets))], regions[rng.IntN(len(regions))], at)
		r.ID = fmt.Sprintf("gen-%03d", i)
		r.Phases.Total = latencies[rng.IntN(len(latencies))]
		if rng.IntN(3) == 0 {
			r.Phases.Total = time.Duration(rng.Int64N(int64(40 * time.Second)))
		}
		switch rng.IntN(4) {
		case 0:
			r.Class, r.Error = linkwatch.ErrorClasses[rng.IntN(len(linkwatch.ErrorClasses))], "failed"
		case 1:
			r.Degraded = true
		}
		if rng.IntN(5) == 0 {
			r.Hops = []linkwatch.Hop{{URL: "https://example.com/r", Status: 301, Duration: r.Phases.Total / 2}}
		}
		all[i] = r
	}

	// Send them shuffled, in batches of 1 to 50, each with replays of
	// results already sent or about to be sent in the same batch.
	order := slices.Clone(all)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	var batches [][]linkwatch.Result
	for sent := 0; sent < n; {
		size := min(1+rng.IntN(50), n-sent)
		batch := slices.Clone(order[sent : sent+size])
		sent += size
		for range rng.IntN(6) {
			batch = append(batch, order[rng.IntN(sent)])
		}
		rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		batches = append(batches, batch)
	}
	batches = append(batches, batches[0], batches[len(batches)/2]) // whole batches replayed
	for _, b := range batches {
		insertResults(t, s, b)
	}

	for _, tg := range targets {
		var mine []linkwatch.Result
		for _, r := range all {
			if r.Target == tg {
				mine = append(mine, storedResult(r))
			}
		}
		for _, res := range []time.Duration{linkwatch.Hourly, linkwatch.Daily} {
			want := recompute(mine, res)
			got := rollups(t, s, tg, res)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%v rollups of %v differ from a recomputation from %d results:\n got %+v\nwant %+v",
					res, tg, len(mine), got, want)
			}
			for _, r := range got { // every generated class is a known one
				var classed int64
				for _, n := range r.Classes {
					classed += n
				}
				if classed != r.Failures {
					t.Errorf("%v rollup of %v at %v: %d failures, %d by class (%v)", res, tg, r.Start, r.Failures, classed, r.Classes)
				}
			}
		}
		newestFirst := slices.Clone(mine)
		slices.SortFunc(newestFirst, func(a, b linkwatch.Result) int { return b.At.Compare(a.At) })
		equalResults(t, fmt.Sprintf("Results(%v)", tg), results(t, s, tg), newestFirst)

		latestPer := map[string]linkwatch.Result{}
		for _, r := range newestFirst {
			if _, ok := latestPer[r.Region]; !ok {
				latestPer[r.Region] = r
			}
		}
		wantLatest := []linkwatch.Result{}
		for _, region := range slices.Sorted(maps.Keys(latestPer)) {
			wantLatest = append(wantLatest, latestPer[region])
		}
		equalResults(t, fmt.Sprintf("LatestResults(%v)", tg), latest(t, s, tg), wantLatest)
	}
}

// recompute returns the rollups of res of results (of one target), ordered by
// start, then region, as Rollups returns them.
func recompute(results []linkwatch.Result, res time.Duration) []linkwatch.Rollup {
	type key struct {
		start  time.Time
		region string
	}
	m := map[key]*linkwatch.Rollup{}
	for _, r := range results {
		at := r.At.UTC()
		start := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
		if res == linkwatch.Hourly {
			start = start.Add(time.Duration(at.Hour()) * time.Hour)
		}
		k := key{start, r.Region}
		if m[k] == nil {
			m[k] = &linkwatch.Rollup{Target: r.Target, Region: r.Region, Start: start, Resolution: res}
		}
		m[k].Add(&r)
	}
	out := []linkwatch.Rollup{}
	for _, r := range m {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b linkwatch.Rollup) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Region, b.Region))
	})
	return out
}

// testRollupBounds pins a rollup's figures and periods on known data: UTC
// hours and days whatever the results' zone, [from, to) queries, and the
// histogram's buckets at their bounds.
func testRollupBounds(t *testing.T, s Store) {
	day := time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration, total time.Duration, class string, degraded bool) linkwatch.Result {
		r := result(link1, "eu", day.Add(d).In(zone()))
		r.Phases.Total, r.Class, r.Degraded = total, class, degraded
		return r
	}
	insertResults(t, s, []linkwatch.Result{
		at(10*time.Hour+30*time.Minute, 10*time.Millisecond, "", false),                     // bucket 0
		at(11*time.Hour, 10*time.Millisecond+1, "", true),                                   // bucket 1
		at(12*time.Hour-time.Millisecond, 30*time.Second, linkwatch.ClassHTTPStatus, false), // last bound
		at(12*time.Hour, 31*time.Second, linkwatch.ClassTimeout, false),                     // beyond it
		at(24*time.Hour-time.Millisecond, time.Second, "", false),
		at(24*time.Hour, 0, "", false), // the next UTC day, though the same day in zone()
	})
	hist := func(buckets ...int) []int64 {
		h := make([]int64, len(linkwatch.LatencyBounds)+1)
		for _, b := range buckets {
			h[b]++
		}
		return h
	}
	last := len(linkwatch.LatencyBounds)
	// Failures per class: http_status and timeout.
	classes := func(httpStatus, timeout int64) []int64 {
		c := make([]int64, len(linkwatch.ErrorClasses))
		c[slices.Index(linkwatch.ErrorClasses, linkwatch.ClassHTTPStatus)] = httpStatus
		c[slices.Index(linkwatch.ErrorClasses, linkwatch.ClassTimeout)] = timeout
		return c
	}
	none := classes(0, 0)
	rollup := func(start time.Time, res time.Duration, checks, failures, degraded int64, sum time.Duration, classes []int64, buckets ...int) linkwatch.Rollup {
		return linkwatch.Rollup{Target: link1, Region: "eu", Start: start, Resolution: res, Checks: checks,
			Failures: failures, Degraded: degraded, LatencySum: sum, Latency: hist(buckets...), Classes: classes}
	}
	hour := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	tests := []struct {
		res      time.Duration
		from, to time.Time
		want     []linkwatch.Rollup
	}{
		{linkwatch.Hourly, beginning, end, []linkwatch.Rollup{
			rollup(hour(10), time.Hour, 1, 0, 0, 10*time.Millisecond, none, 0),
			rollup(hour(11), time.Hour, 2, 1, 1, 10*time.Millisecond+1+30*time.Second, classes(1, 0), 1, last-1),
			rollup(hour(12), time.Hour, 1, 1, 0, 31*time.Second, classes(0, 1), last),
			rollup(hour(23), time.Hour, 1, 0, 0, time.Second, none, 6),
			rollup(hour(24), time.Hour, 1, 0, 0, 0, none, 0),
		}},
		{linkwatch.Hourly, hour(11), hour(12), []linkwatch.Rollup{
			rollup(hour(11), time.Hour, 2, 1, 1, 10*time.Millisecond+1+30*time.Second, classes(1, 0), 1, last-1),
		}},
		{linkwatch.Daily, beginning, end, []linkwatch.Rollup{
			rollup(day, 24*time.Hour, 5, 2, 1, 10*time.Millisecond+10*time.Millisecond+1+61*time.Second+time.Second, classes(1, 1), 0, 1, last-1, last, 6),
			rollup(hour(24), 24*time.Hour, 1, 0, 0, 0, none, 0),
		}},
		{linkwatch.Daily, day, hour(24), []linkwatch.Rollup{
			rollup(day, 24*time.Hour, 5, 2, 1, 10*time.Millisecond+10*time.Millisecond+1+61*time.Second+time.Second, classes(1, 1), 0, 1, last-1, last, 6),
		}},
		{linkwatch.Daily, hour(1), hour(24), []linkwatch.Rollup{}},
	}
	for _, tt := range tests {
		got, err := s.Rollups(t.Context(), link1, tt.res, tt.from, tt.to)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Rollups(%v, %v, %v):\n got %+v\nwant %+v", tt.res, tt.from, tt.to, got, tt.want)
		}
		for _, r := range got {
			if r.Start.Location() != time.UTC {
				t.Errorf("rollup start %v is not in UTC", r.Start)
			}
		}
	}
}

// RollupsWithoutClasses checks that rollups stored before rollups kept
// failures per error class, or before a class was appended to
// linkwatch.ErrorClasses, read with len(ErrorClasses) classes (zero where
// none was stored), and that later failures add to what they hold, hourly
// and daily. setClasses sets every stored rollup's classes to stored, in the
// engine's own representation (an empty one is what the migration that
// added classes leaves in older rows).
func RollupsWithoutClasses(t *testing.T, s Store, setClasses func(stored []int64)) {
	at := func(d time.Duration, class string) linkwatch.Result {
		r := result(link1, "eu", noon().Add(d))
		r.Class = class
		return r
	}
	httpStatus := slices.Index(linkwatch.ErrorClasses, linkwatch.ClassHTTPStatus)
	timeout := slices.Index(linkwatch.ErrorClasses, linkwatch.ClassTimeout)
	check := func(when string, failures int64, want map[int]int64) {
		t.Helper()
		for _, res := range []time.Duration{linkwatch.Hourly, linkwatch.Daily} {
			got := rollups(t, s, link1, res)
			if len(got) != 1 {
				t.Fatalf("%s: %v rollups %+v, want one", when, res, got)
			}
			wantClasses := make([]int64, len(linkwatch.ErrorClasses))
			for i, n := range want {
				wantClasses[i] = n
			}
			if got[0].Failures != failures || !reflect.DeepEqual(got[0].Classes, wantClasses) {
				t.Errorf("%s: %v rollup has %d failures, classes %v; want %d, %v",
					when, res, got[0].Failures, got[0].Classes, failures, wantClasses)
			}
		}
	}
	insertResults(t, s, []linkwatch.Result{at(0, ""), at(time.Minute, linkwatch.ClassHTTPStatus)})
	check("stored with classes", 1, map[int]int64{httpStatus: 1})

	setClasses(nil)
	check("stored before classes", 1, nil)
	insertResults(t, s, []linkwatch.Result{at(2*time.Minute, linkwatch.ClassTimeout)})
	check("a failure added to a row stored before classes", 2, map[int]int64{timeout: 1})

	// As if stored when the list ended at http_status.
	short := make([]int64, httpStatus+1)
	short[httpStatus] = 5
	setClasses(short)
	check("stored with fewer classes", 2, map[int]int64{httpStatus: 5})
	insertResults(t, s, []linkwatch.Result{at(3*time.Minute, linkwatch.ClassTimeout), at(4*time.Minute, linkwatch.ClassHTTPStatus)})
	check("failures added to a row stored with fewer classes", 4, map[int]int64{httpStatus: 6, timeout: 1})
}
