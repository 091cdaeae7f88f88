package health

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/linkwatch/linkwatch"
)

// Uptime from the probers' hourly rollups: the one formula the health API
// and the status page show.
//
// Per target and hour, each region's failure fraction is failures/checks.
// The target was in major outage for the fraction of the hour a majority
// of its regions failed, estimated as the fraction at the majority rank of
// the sorted fractions (with n regions, the (n/2+1)-th largest: three
// regions at 0, .5 and 1 give .5, one region gives its own); the rest of
// its worst region's failures are partial outage (max − major), so a
// failure in one region of three is partial, never major. Several targets
// (a campaign's links) average their fractions over those checked that
// hour. Time under maintenance is excluded, and the outage within it
// proportionally. Uptime is 1 − (major + PartialWeight × partial) /
// (observed − maintenance).
//
// Everything is in UTC hours: daylight saving time never makes a day 23 or
// 25 hours long.

// PartialWeight is how much partial outage time counts as downtime.
const PartialWeight = 0.3

// Uptime is 1 − (major + PartialWeight × partial) / (observed − maint),
// clamped to [0, 1]; ok is false without observed time outside maintenance.
func Uptime(observed, major, partial, maint time.Duration) (float64, bool) {
	den := observed - maint
	if den <= 0 {
		return 0, false
	}
	u := 1 - (float64(major)+PartialWeight*float64(partial))/float64(den)
	return min(max(u, 0), 1), true
}

// Interval is a span of time [From, To); a zero To is open-ended.
type Interval struct {
	From, To time.Time
}

// Hour is one UTC hour of a target's (or several targets') history.
type Hour struct {
	Start time.Time // on the hour, UTC
	// Observed is the part of the hour the targets were checked in: the
	// hour, or its elapsed part for the current one; zero is no data.
	Observed    time.Duration
	Major       time.Duration // in major outage, outside maintenance
	Partial     time.Duration // in partial outage, outside maintenance
	Maintenance time.Duration // of Observed, under maintenance
	// Avg and P95 are the response times over all targets and regions;
	// zero without checks.
	Avg, P95 time.Duration
	Checks   int64
}

// Uptime of the hour; ok false without data.
func (h Hour) Uptime() (float64, bool) {
	return Uptime(h.Observed, h.Major, h.Partial, h.Maintenance)
}

// Hours computes one Hour per UTC hour in [from, to) (from is truncated to
// its hour; the last hour is observed only up to to) from the targets'
// hourly rollups and the maintenance intervals. Rollups of other
// resolutions, or outside the range, are ignored.
func Hours(rollups map[linkwatch.Target][]linkwatch.Rollup, maintenance []Interval, from, to time.Time) []Hour {
	from, to = from.UTC().Truncate(time.Hour), to.UTC()
	if !from.Before(to) {
		return nil
	}
	n := int((to.Sub(from) + time.Hour - 1) / time.Hour)
	type acc struct {
		major, partial float64 // summed over targets with checks
		targets        int
		checks         int64
		latencySum     time.Duration
		buckets        []int64
	}
	accs := make([]acc, n)

	// Group each target's rollups by hour (a region may, in principle,
	// have several rows for one hour: they add up).
	type cell struct{ checks, failures int64 }
	for _, rs := range rollups {
		perHour := map[int]map[string]*cell{}
		for i := range rs {
			r := &rs[i]
			if r.Resolution != 0 && r.Resolution != linkwatch.Hourly {
				continue
			}
			start := r.Start.UTC().Truncate(time.Hour)
			if start.Before(from) || !start.Before(to) {
				continue
			}
			idx := int(start.Sub(from) / time.Hour)
			a := &accs[idx]
			a.checks += r.Checks
			a.latencySum += r.LatencySum
			if len(r.Latency) > len(a.buckets) {
				a.buckets = append(a.buckets, make([]int64, len(r.Latency)-len(a.buckets))...)
			}
			for b, c := range r.Latency {
				a.buckets[b] += c
			}
			if r.Checks <= 0 {
				continue
			}
			regions := perHour[idx]
			if regions == nil {
				regions = map[string]*cell{}
				perHour[idx] = regions
			}
			c := regions[r.Region]
			if c == nil {
				c = &cell{}
				regions[r.Region] = c
			}
			c.checks += r.Checks
			c.failures += r.Failures
		}
		for idx, regions := range perHour {
			fractions := make([]float64, 0, len(regions))
			for _, c := range regions {
				fractions = append(fractions, min(max(float64(c.failures)/float64(c.checks), 0), 1))
			}
			major, partial := outageFractions(fractions)
			accs[idx].major += major
			accs[idx].partial += partial
			accs[idx].targets++
		}
	}

	hours := make([]Hour, n)
	for i := range hours {
		start := from.Add(time.Duration(i) * time.Hour)
		end := minTime(start.Add(time.Hour), to)
		h := Hour{Start: start}
		a := accs[i]
		if a.checks > 0 {
			h.Checks = a.checks
			h.Avg = a.latencySum / time.Duration(a.checks)
			h.P95 = (&linkwatch.Rollup{Latency: a.buckets}).Percentile(0.95)
		}
		if a.targets > 0 {
			h.Observed = end.Sub(start)
			h.Maintenance = covered(maintenance, start, end)
			share := float64(h.Observed-h.Maintenance) / float64(h.Observed)
			h.Major = fraction(h.Observed, a.major/float64(a.targets)*share)
			h.Partial = fraction(h.Observed, a.partial/float64(a.targets)*share)
		}
		hours[i] = h
	}
	return hours
}

// outageFractions returns a target's major and partial outage fractions
// from its regions' failure fractions (see the uptime notes above).
func outageFractions(fractions []float64) (major, partial float64) {
	if len(fractions) == 0 {
		return 0, 0
	}
	slices.Sort(fractions)
	n := len(fractions)
	majority := n/2 + 1
	major = fractions[n-majority]
	return major, fractions[n-1] - major
}

// fraction is f of d, rounded to the nanosecond.
func fraction(d time.Duration, f float64) time.Duration {
	return time.Duration(math.Round(float64(d) * f))
}

// covered returns how much of [from, to) the union of the intervals
// covers.
func covered(intervals []Interval, from, to time.Time) time.Duration {
	var spans []Interval
	for _, iv := range intervals {
		s, e := iv.From, iv.To
		if e.IsZero() {
			e = to
		}
		s, e = maxTime(s, from), minTime(e, to)
		if s.Before(e) {
			spans = append(spans, Interval{s, e})
		}
	}
	slices.SortFunc(spans, func(a, b Interval) int { return a.From.Compare(b.From) })
	var total time.Duration
	var end time.Time
	for _, sp := range spans {
		if sp.From.Before(end) {
			sp.From = end
		}
		if sp.From.Before(sp.To) {
			total += sp.To.Sub(sp.From)
			end = sp.To
		}
	}
	return total
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Window is the uptime over [from, to) from the hours: an hour partly
// inside counts for the share of its observed time inside (outage and
// maintenance taken as spread evenly over it). ok is false without
// observed time.
func Window(hours []Hour, from, to time.Time) (float64, bool) {
	var observed, major, partial, maint float64
	for _, h := range hours {
		if h.Observed <= 0 {
			continue
		}
		s, e := maxTime(h.Start, from), minTime(h.Start.Add(h.Observed), to)
		if !s.Before(e) {
			continue
		}
		share := float64(e.Sub(s)) / float64(h.Observed)
		observed += share * float64(h.Observed)
		major += share * float64(h.Major)
		partial += share * float64(h.Partial)
		maint += share * float64(h.Maintenance)
	}
	return Uptime(time.Duration(math.Round(observed)), time.Duration(math.Round(major)),
		time.Duration(math.Round(partial)), time.Duration(math.Round(maint)))
}

// Percent renders an uptime fraction (0..1) for people: a percentage with
// two decimals, rounded down, so 99.996 % reads "99.99%" and only a full
// uptime reads "100%" (rounding up would hide an outage); no data (NaN)
// reads "—".
func Percent(u float64) string {
	switch {
	case math.IsNaN(u):
		return "—"
	case u >= 1:
		return "100%"
	case u <= 0:
		return "0%"
	}
	return strconv.FormatFloat(math.Floor(u*10000)/100, 'f', 2, 64) + "%"
}
