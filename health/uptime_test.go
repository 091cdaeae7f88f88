package health

import (
	"math"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

var (
	tA = linkwatch.Target{Kind: linkwatch.KindLink, ID: 1}
	tB = linkwatch.Target{Kind: linkwatch.KindLink, ID: 2}
	tM = linkwatch.Target{Kind: linkwatch.KindMonitor, ID: 1}
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// roll is an hourly rollup of checks with failures, every check taking
// latency.
func roll(t linkwatch.Target, region string, start time.Time, checks, failures int64, latency time.Duration) linkwatch.Rollup {
	r := linkwatch.Rollup{Target: t, Region: region, Start: start, Resolution: linkwatch.Hourly,
		Checks: checks, Failures: failures, LatencySum: time.Duration(checks) * latency,
		Latency: make([]int64, len(linkwatch.LatencyBounds)+1)}
	r.Latency[linkwatch.LatencyBucket(latency)] = checks
	return r
}

func TestUptimeFormula(t *testing.T) {
	h := time.Hour
	for _, tc := range []struct {
		name                            string
		observed, major, partial, maint time.Duration
		want                            float64
		ok                              bool
	}{
		{"no data", 0, 0, 0, 0, 0, false},
		{"all fine", 24 * h, 0, 0, 0, 1, true},
		{"major", 24 * h, 2*h + 24*time.Minute, 0, 0, 0.9, true},
		{"partial weighs 0.3", 10 * h, 0, h, 0, 0.97, true},
		{"major and partial", 10 * h, 30 * time.Minute, h, 0, 1 - 0.8/10, true},
		{"maintenance is excluded", 10 * h, 30 * time.Minute, h, h, 1 - 0.8/9, true},
		{"all maintenance is no data", 10 * h, 0, 0, 10 * h, 0, false},
		{"clamped at 0", 2 * h, 3 * h, 0, 0, 0, true},
		{"clamped at 1", 2 * h, -h, 0, 0, 1, true},
	} {
		u, ok := Uptime(tc.observed, tc.major, tc.partial, tc.maint)
		if ok != tc.ok || math.Abs(u-tc.want) > 1e-9 {
			t.Errorf("%s: %v, %v; want %v, %v", tc.name, u, ok, tc.want, tc.ok)
		}
		hu, hok := Hour{Observed: tc.observed, Major: tc.major, Partial: tc.partial, Maintenance: tc.maint}.Uptime()
		if hu != u || hok != ok {
			t.Errorf("%s: Hour.Uptime disagrees", tc.name)
		}
	}
}

func TestOutageFractions(t *testing.T) {
	for _, tc := range []struct {
		in             []float64
		major, partial float64
	}{
		{nil, 0, 0},
		{[]float64{0}, 0, 0},
		{[]float64{0.4}, 0.4, 0},
		{[]float64{1}, 1, 0},
		{[]float64{1, 0, 0.5}, 0.5, 0.5}, // the brief's [0, .5, 1]
		{[]float64{0, 0, 1}, 0, 1},       // one region of three: partial, never major
		{[]float64{1, 1, 0}, 1, 0},       // two of three: major
		{[]float64{0.2, 0.6}, 0.2, 0.4},  // two regions: both must fail
		{[]float64{0, 0, 1, 1}, 0, 1},    // half is no majority
		{[]float64{0, 1, 1, 1}, 1, 0},
		{[]float64{0.1, 0.3, 0.5, 0.7, 0.9}, 0.5, 0.4},
	} {
		major, partial := outageFractions(append([]float64(nil), tc.in...))
		if math.Abs(major-tc.major) > 1e-12 || math.Abs(partial-tc.partial) > 1e-12 {
			t.Errorf("%v: major %v partial %v, want %v %v", tc.in, major, partial, tc.major, tc.partial)
		}
	}
}

func TestHours(t *testing.T) {
	h0 := at("2026-11-23T10:00:00Z")
	h1 := h0.Add(time.Hour)
	ms := time.Millisecond
	type want struct {
		observed, major, partial, maint time.Duration
		checks                          int64
	}
	for _, tc := range []struct {
		name     string
		rollups  map[linkwatch.Target][]linkwatch.Rollup
		maint    []Interval
		from, to time.Time
		want     []want
	}{
		{
			name:    "no checks is no data",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{tA: nil},
			from:    h0, to: h0.Add(2 * time.Hour),
			want: []want{{}, {}},
		},
		{
			name: "all regions fine",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{tA: {
				roll(tA, "eu", h0, 60, 0, 80*ms), roll(tA, "us", h0, 60, 0, 80*ms), roll(tA, "ap", h0, 60, 0, 80*ms)}},
			from: h0, to: h1,
			want: []want{{observed: time.Hour, checks: 180}},
		},
		{
			name: "the brief's three regions at 0, .5 and 1",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{tA: {
				roll(tA, "eu", h0, 60, 0, 80*ms), roll(tA, "us", h0, 60, 30, 80*ms), roll(tA, "ap", h0, 60, 60, 80*ms)}},
			from: h0, to: h1,
			want: []want{{observed: time.Hour, major: 30 * time.Minute, partial: 30 * time.Minute, checks: 180}},
		},
		{
			name: "one region failing is partial, not major",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{tA: {
				roll(tA, "eu", h0, 60, 60, 80*ms), roll(tA, "us", h0, 60, 0, 80*ms), roll(tA, "ap", h0, 60, 0, 80*ms)}},
			from: h0, to: h1,
			want: []want{{observed: time.Hour, partial: time.Hour, checks: 180}},
		},
		{
			name:    "a single region is its own majority",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{tM: {roll(tM, "eu", h0, 60, 15, 80*ms)}},
			from:    h0, to: h1,
			want: []want{{observed: time.Hour, major: 15 * time.Minute, checks: 60}},
		},
		{
			name: "a region's rows for one hour add up",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{tM: {
				roll(tM, "eu", h0, 30, 30, 80*ms), roll(tM, "eu", h0.Add(30*time.Minute), 30, 0, 80*ms)}},
			from: h0, to: h1,
			want: []want{{observed: time.Hour, major: 30 * time.Minute, checks: 60}},
		},
		{
			name: "a campaign averages its links",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{
				tA: {roll(tA, "eu", h0, 60, 60, 80*ms), roll(tA, "us", h0, 60, 60, 80*ms)}, // down
				tB: {roll(tB, "eu", h0, 60, 0, 80*ms), roll(tB, "us", h0, 60, 60, 80*ms)},  // one region of two
			},
			from: h0, to: h1,
			want: []want{{observed: time.Hour, major: 30 * time.Minute, partial: 30 * time.Minute, checks: 240}},
		},
		{
			name: "links without checks that hour are not averaged in",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{
				tA: {roll(tA, "eu", h0, 60, 60, 80*ms), roll(tA, "eu", h1, 60, 0, 80*ms)},
				tB: {roll(tB, "eu", h1, 60, 0, 80*ms)},
			},
			from: h0, to: h1.Add(time.Hour),
			want: []want{{observed: time.Hour, major: time.Hour, checks: 60}, {observed: time.Hour, checks: 120}},
		},
		{
			name:    "maintenance is excluded, and outage within it proportionally",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{tA: {roll(tA, "eu", h0, 60, 60, 80*ms)}},
			maint:   []Interval{{From: h0.Add(-time.Hour), To: h0.Add(15 * time.Minute)}},
			from:    h0, to: h1,
			want: []want{{observed: time.Hour, major: 45 * time.Minute, maint: 15 * time.Minute, checks: 60}},
		},
		{
			name: "overlapping maintenance counts once",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{tA: {
				roll(tA, "eu", h0, 60, 60, 80*ms), roll(tA, "us", h0, 60, 0, 80*ms), roll(tA, "ap", h0, 60, 0, 80*ms)}},
			maint: []Interval{
				{From: h0.Add(10 * time.Minute), To: h0.Add(30 * time.Minute)},
				{From: h0.Add(20 * time.Minute), To: h0.Add(40 * time.Minute)},
				{From: h0.Add(50 * time.Minute), To: time.Time{}}, // open-ended
			},
			from: h0, to: h1,
			want: []want{{observed: time.Hour, partial: 20 * time.Minute, maint: 40 * time.Minute, checks: 180}},
		},
		{
			name:    "maintenance covering the hour leaves no outage and no uptime",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{tA: {roll(tA, "eu", h0, 60, 60, 80*ms)}},
			maint:   []Interval{{From: h0, To: h1}},
			from:    h0, to: h1,
			want: []want{{observed: time.Hour, maint: time.Hour, checks: 60}},
		},
		{
			name:    "maintenance without checks is no data",
			rollups: nil,
			maint:   []Interval{{From: h0, To: h1}},
			from:    h0, to: h1,
			want: []want{{}},
		},
		{
			name:    "the current hour is observed up to now",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{tA: {roll(tA, "eu", h0, 60, 0, 80*ms), roll(tA, "eu", h1, 20, 10, 80*ms)}},
			maint:   []Interval{{From: h1.Add(10 * time.Minute), To: h1.Add(2 * time.Hour)}},
			from:    h0.Add(25 * time.Minute), to: h1.Add(30 * time.Minute),
			want: []want{
				{observed: time.Hour, checks: 60},
				// 30m observed, 20m maintained; half failing over the 10m left.
				{observed: 30 * time.Minute, major: 5 * time.Minute, maint: 20 * time.Minute, checks: 20},
			},
		},
		{
			name: "daily rollups and rows outside the range are ignored",
			rollups: map[linkwatch.Target][]linkwatch.Rollup{tA: {
				{Target: tA, Region: "eu", Start: h0.Truncate(24 * time.Hour), Resolution: linkwatch.Daily, Checks: 1000, Failures: 1000},
				roll(tA, "eu", h0.Add(-time.Hour), 60, 60, 80*ms),
				roll(tA, "eu", h1, 60, 60, 80*ms),
				roll(tA, "eu", h0, 60, 0, 80*ms),
			}},
			from: h0, to: h1,
			want: []want{{observed: time.Hour, checks: 60}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hours := Hours(tc.rollups, tc.maint, tc.from, tc.to)
			if len(hours) != len(tc.want) {
				t.Fatalf("%d hours, want %d", len(hours), len(tc.want))
			}
			for i, h := range hours {
				w := tc.want[i]
				if !h.Start.Equal(tc.from.Truncate(time.Hour).Add(time.Duration(i)*time.Hour)) || h.Start.Location() != time.UTC {
					t.Errorf("hour %d starts %v", i, h.Start)
				}
				got := want{h.Observed, h.Major, h.Partial, h.Maintenance, h.Checks}
				if got != w {
					t.Errorf("hour %d = %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

func TestHoursLatency(t *testing.T) {
	h0 := at("2026-11-23T10:00:00Z")
	ms := time.Millisecond
	rollups := map[linkwatch.Target][]linkwatch.Rollup{
		tA: {roll(tA, "eu", h0, 90, 0, 20*ms), roll(tA, "us", h0, 5, 0, 400*ms)},
		tB: {roll(tB, "eu", h0, 5, 5, 3*time.Second)},
	}
	h := Hours(rollups, nil, h0, h0.Add(time.Hour))[0]
	// (90×20ms + 5×400ms + 5×3s) / 100
	if want := (90*20*ms + 5*400*ms + 5*3*time.Second) / 100; h.Avg != want {
		t.Errorf("avg = %v, want %v", h.Avg, want)
	}
	// The 95th of 100 checks is the 5th in the 400ms (≤ 500ms) bucket.
	if h.P95 != 500*ms {
		t.Errorf("p95 = %v, want 500ms", h.P95)
	}
	merged := linkwatch.Rollup{Latency: make([]int64, len(linkwatch.LatencyBounds)+1)}
	for _, rs := range rollups {
		for _, r := range rs {
			for i, n := range r.Latency {
				merged.Latency[i] += n
			}
		}
	}
	if h.P95 != merged.Percentile(0.95) {
		t.Errorf("p95 = %v, Rollup.Percentile says %v", h.P95, merged.Percentile(0.95))
	}
	if h.Checks != 100 {
		t.Errorf("checks = %d", h.Checks)
	}
	empty := Hours(rollups, nil, h0.Add(time.Hour), h0.Add(2*time.Hour))[0]
	if empty.Avg != 0 || empty.P95 != 0 || empty.Checks != 0 {
		t.Errorf("an hour without checks has latency %+v", empty)
	}
}

func TestWindow(t *testing.T) {
	h0 := at("2026-11-23T00:00:00Z")
	var hours []Hour
	for i := range 10 {
		hours = append(hours, Hour{Start: h0.Add(time.Duration(i) * time.Hour), Observed: time.Hour})
	}
	hours[2].Major = 30 * time.Minute
	hours[3].Partial = time.Hour
	hours[4].Maintenance = time.Hour
	hours = append(hours, Hour{Start: h0.Add(10 * time.Hour)}) // no data
	hours = append(hours, Hour{Start: h0.Add(11 * time.Hour), Observed: 30 * time.Minute, Major: 30 * time.Minute})
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     float64
		ok       bool
	}{
		// 1 − (30m + 0.3×60m) / (10h − 1h)
		{"the ten full hours", h0, h0.Add(10 * time.Hour), 1 - 48.0/540, true},
		{"no data hours", h0.Add(10 * time.Hour), h0.Add(11 * time.Hour), 0, false},
		{"before any hour", h0.Add(-48 * time.Hour), h0.Add(-24 * time.Hour), 0, false},
		{"the current partial hour, fully down", h0.Add(11 * time.Hour), h0.Add(12 * time.Hour), 0, true},
		{"half of hour 2", h0.Add(2*time.Hour + 30*time.Minute), h0.Add(3 * time.Hour), 0.5, true},
		{"only maintenance", h0.Add(4 * time.Hour), h0.Add(5 * time.Hour), 0, false},
		// Hours 5..11: 5h of fine hours, 30m fully down.
		{"through now", h0.Add(5 * time.Hour), h0.Add(11*time.Hour + 30*time.Minute), 1 - 30.0/330, true},
	} {
		got, ok := Window(hours, tc.from, tc.to)
		if ok != tc.ok || math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPercent(t *testing.T) {
	for u, want := range map[float64]string{
		1: "100%", 1.2: "100%", 0.99996: "99.99%", 0.9995: "99.95%", 0.5: "50.00%", 0.333333: "33.33%",
		0.00001: "0.00%", 0: "0%", -1: "0%", math.NaN(): "—",
	} {
		if got := Percent(u); got != want {
			t.Errorf("Percent(%v) = %q, want %q", u, got, want)
		}
	}
}
