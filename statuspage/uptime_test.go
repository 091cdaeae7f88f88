package statuspage

import (
	"math"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
)

var (
	tA = linkwatch.Target{Kind: linkwatch.KindLink, ID: 1}
	tB = linkwatch.Target{Kind: linkwatch.KindLink, ID: 2}
	tM = linkwatch.Target{Kind: linkwatch.KindMonitor, ID: 1}
)

// roll is an hourly rollup of checks with failures, every check taking
// latency.
func roll(t linkwatch.Target, region string, start time.Time, checks, failures int64, latency time.Duration) linkwatch.Rollup {
	r := linkwatch.Rollup{Target: t, Region: region, Start: start, Resolution: linkwatch.Hourly,
		Checks: checks, Failures: failures, LatencySum: time.Duration(checks) * latency,
		Latency: make([]int64, len(linkwatch.LatencyBounds)+1)}
	r.Latency[linkwatch.LatencyBucket(latency)] = checks
	return r
}

// Hours are UTC hours, whatever the caller's location: a day across a DST
// switch is still 24 of them.
func TestHoursDSTIrrelevant(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// Clocks go forward at 02:00 local on 2026-03-29, back on 2026-10-25.
	for _, day := range []string{"2026-03-29", "2026-10-25"} {
		from, _ := time.ParseInLocation(time.DateOnly, day, berlin)
		to := from.AddDate(0, 0, 1) // 23 or 25 hours later
		var rs []linkwatch.Rollup
		for h := from.UTC(); h.Before(to); h = h.Add(time.Hour) {
			rs = append(rs, roll(tA, "eu", h, 60, 0, 50*time.Millisecond))
		}
		hours := health.Hours(map[linkwatch.Target][]linkwatch.Rollup{tA: rs}, nil, from, to)
		if want := int(to.Sub(from) / time.Hour); len(hours) != want {
			t.Errorf("%s: %d hours, want %d (elapsed, not local)", day, len(hours), want)
		}
		for i, h := range hours {
			if h.Start.Location() != time.UTC || h.Start.Minute() != 0 || h.Observed != time.Hour {
				t.Errorf("%s: hour %d = %+v", day, i, h)
			}
		}
		days := DaysFromHours(hours, 3, to, time.UTC)
		var total time.Duration
		for _, d := range days {
			if d.Date.Location() != time.UTC || d.Date.Hour() != 0 {
				t.Errorf("%s: day %v not a UTC midnight", day, d.Date)
			}
			if d.Observed > 24*time.Hour {
				t.Errorf("%s: a day of %v", day, d.Observed)
			}
			total += d.Observed
		}
		if total != to.Sub(from) {
			t.Errorf("%s: days sum to %v", day, total)
		}
	}
}

func TestDaysFromHours(t *testing.T) {
	d0 := at("2026-11-21T00:00:00Z")
	hour := func(start time.Time, observed, major, partial, maint time.Duration) Hour {
		return Hour{Start: start, Observed: observed, Major: major, Partial: partial, Maintenance: maint}
	}
	hours := []Hour{
		hour(d0.Add(-time.Hour), time.Hour, time.Hour, 0, 0), // before the first day: dropped
		hour(d0, time.Hour, 6*time.Minute, 0, 0),
		hour(d0.Add(time.Hour), time.Hour, 0, 30*time.Minute, 0),
		hour(d0.Add(2*time.Hour), time.Hour, 0, 0, time.Hour),
		// 2026-11-22: no data.
		hour(d0.Add(48*time.Hour), time.Hour, 0, 0, 0),
		hour(d0.Add(49*time.Hour), 30*time.Minute, 0, 0, 0),
		hour(d0.Add(72*time.Hour), time.Hour, time.Hour, 0, 0), // tomorrow: dropped
	}
	now := at("2026-11-23T01:30:00Z")
	days := DaysFromHours(hours, 3, now, nil)
	if len(days) != 3 {
		t.Fatalf("%d days", len(days))
	}
	for i, want := range []Day{
		{Date: d0, Observed: 3 * time.Hour, Major: 6 * time.Minute, Partial: 30 * time.Minute, Maintenance: time.Hour},
		{Date: d0.AddDate(0, 0, 1)},
		{Date: d0.AddDate(0, 0, 2), Observed: 90 * time.Minute},
	} {
		got := days[i]
		if !got.Date.Equal(want.Date) || got.Observed != want.Observed || got.Major != want.Major ||
			got.Partial != want.Partial || got.Maintenance != want.Maintenance {
			t.Errorf("day %d = %+v, want %+v", i, got, want)
		}
	}
	// 1 − (6m + 0.3×30m) / (3h − 1h) = 1 − 15m/120m
	if u, ok := days[0].Uptime(); !ok || math.Abs(u-0.875) > 1e-9 {
		t.Errorf("day 0 uptime = %v, %v", u, ok)
	}
	if u, ok := days[1].Uptime(); ok {
		t.Errorf("a day without data has uptime %v, want none (not 100%%)", u)
	}
	if u, ok := days[2].Uptime(); !ok || u != 1 {
		t.Errorf("day 2 uptime = %v, %v", u, ok)
	}

	// Today is the day in the given zone, whatever now's location.
	tokyo := time.FixedZone("JST", 9*3600)
	days = DaysFromHours(hours, 1, at("2026-11-23T01:30:00Z").In(tokyo), time.UTC)
	if !days[0].Date.Equal(at("2026-11-23T00:00:00Z")) || days[0].Date.Location() != time.UTC {
		t.Errorf("today = %v", days[0].Date)
	}
	if DaysFromHours(hours, 0, now, nil) != nil {
		t.Error("zero days")
	}
	if got := DaysFromHours(nil, 90, now, time.UTC); len(got) != 90 || !got[89].Date.Equal(at("2026-11-23T00:00:00Z")) || got[0].Observed != 0 {
		t.Errorf("90 days without hours: %d, last %v", len(got), got[len(got)-1].Date)
	}
}

// TestDayUptimeIsTheHealthFormula: a day's uptime is health.Uptime of its
// times (the formula itself is tested in package health).
func TestDayUptimeIsTheHealthFormula(t *testing.T) {
	h := time.Hour
	for _, d := range []Day{{}, {Observed: 24 * h}, {Observed: 10 * h, Major: 30 * time.Minute, Partial: h, Maintenance: h}, {Observed: 2 * h, Major: 3 * h}} {
		u, ok := d.Uptime()
		wu, wok := health.Uptime(d.Observed, d.Major, d.Partial, d.Maintenance)
		if u != wu || ok != wok {
			t.Errorf("%+v: %v, %v; health.Uptime says %v, %v", d, u, ok, wu, wok)
		}
	}
}

// Hours into days and windows: the whole chain on a campaign of two links
// over two days.
func TestHoursToFigures(t *testing.T) {
	d0 := at("2026-11-22T00:00:00Z")
	now := d0.Add(36 * time.Hour) // 2026-11-23 12:00
	var ra, rb []linkwatch.Rollup
	for h := d0; h.Before(now); h = h.Add(time.Hour) {
		failA := int64(0)
		if h.Equal(d0.Add(3 * time.Hour)) {
			failA = 60 // link A down in both regions for an hour
		}
		ra = append(ra, roll(tA, "eu", h, 60, failA, 50*time.Millisecond), roll(tA, "us", h, 60, failA, 50*time.Millisecond))
		rb = append(rb, roll(tB, "eu", h, 60, 0, 50*time.Millisecond), roll(tB, "us", h, 60, 0, 50*time.Millisecond))
	}
	hours := health.Hours(map[linkwatch.Target][]linkwatch.Rollup{tA: ra, tB: rb},
		[]Interval{{From: d0.Add(30 * time.Hour), To: d0.Add(32 * time.Hour)}}, d0, now)
	if len(hours) != 36 {
		t.Fatalf("%d hours", len(hours))
	}
	days := DaysFromHours(hours, 2, now, time.UTC)
	// Day 1: one link of two down for an hour: 30m of major in 24h.
	if u, ok := days[0].Uptime(); !ok || math.Abs(u-(1-30.0/1440)) > 1e-9 {
		t.Errorf("day 1 = %v %v (%+v)", u, ok, days[0])
	}
	if days[1].Observed != 12*time.Hour || days[1].Maintenance != 2*time.Hour {
		t.Errorf("today = %+v", days[1])
	}
	if f := Window(hours, now.Add(-24*time.Hour), now); !f.OK || f.Value != 1 {
		t.Errorf("24h = %+v", f)
	}
	if f := Window(hours, d0, now); !f.OK || math.Abs(f.Value-(1-30.0/(34*60))) > 1e-9 {
		t.Errorf("all = %+v", f)
	}
}

// TestDaysFromHoursInThePageZone: the bars' days are the page's calendar
// days, not UTC's: in Tokyo (UTC+9) the hours from 15:00 UTC belong to the
// next day, and across a daylight-saving change a day has 23 or 25 hours.
func TestDaysFromHoursInThePageZone(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	d0 := at("2026-11-21T00:00:00Z")
	var hours []Hour
	for h := d0; h.Before(at("2026-11-23T00:00:00Z")); h = h.Add(time.Hour) {
		hours = append(hours, Hour{Start: h, Observed: time.Hour})
	}
	hours[20].Major = time.Hour // 2026-11-21 20:00 UTC: 2026-11-22 05:00 in Tokyo
	days := DaysFromHours(hours, 3, at("2026-11-23T01:30:00Z"), tokyo)
	want := []struct {
		date     time.Time
		observed time.Duration
		major    time.Duration
	}{
		{time.Date(2026, 11, 21, 0, 0, 0, 0, tokyo), 15 * time.Hour, 0},         // 00:00–14:59 UTC on the 21st
		{time.Date(2026, 11, 22, 0, 0, 0, 0, tokyo), 24 * time.Hour, time.Hour}, // 15:00 on the 21st to 14:59 on the 22nd
		{time.Date(2026, 11, 23, 0, 0, 0, 0, tokyo), 9 * time.Hour, 0},          // today, to 23:59 UTC on the 22nd
	}
	for i, w := range want {
		if d := days[i]; !d.Date.Equal(w.date) || d.Date.Location() != tokyo || d.Observed != w.observed || d.Major != w.major {
			t.Errorf("Tokyo day %d = %v %v major %v, want %v %v major %v", i, d.Date, d.Observed, d.Major, w.date, w.observed, w.major)
		}
	}

	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	// Clocks go back at 03:00 CEST on 2026-10-25: that day has 25 hours.
	from := at("2026-10-23T22:00:00Z") // 2026-10-24 00:00 CEST
	hours = hours[:0]
	for h := from; h.Before(at("2026-10-26T23:00:00Z")); h = h.Add(time.Hour) {
		hours = append(hours, Hour{Start: h, Observed: time.Hour})
	}
	days = DaysFromHours(hours, 3, at("2026-10-26T12:00:00Z"), berlin)
	for i, w := range []time.Duration{24 * time.Hour, 25 * time.Hour, 24 * time.Hour} {
		if days[i].Observed != w || days[i].Date.Hour() != 0 {
			t.Errorf("Berlin day %d (%v) observed %v, want %v", i, days[i].Date, days[i].Observed, w)
		}
	}
}
