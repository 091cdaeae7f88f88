package statuspage

import (
	"time"

	"github.com/linkwatch/linkwatch/health"
)

// Uptime is package health's, the one formula the health API shows too:
// hours of major and partial outage from the probers' hourly rollups, with
// maintenance excluded. The page adds its presentation: days in the page's
// time zone for the bars, and figures.

// Interval is a span of time [From, To); a zero To is open-ended.
type Interval = health.Interval

// Hour is one UTC hour of a component's history.
type Hour = health.Hour

// DaysFromHours sums the hours into the last days calendar days of loc
// (the page's time zone, the one every time on the page is shown in),
// ending with today there, oldest first; nil loc is UTC. Each Day's Date is
// its local midnight. An hour counts for the day its start falls in (in a
// zone with a half-hour offset, the hour from 23:30 belongs to the day it
// starts). A day across a daylight-saving change has 23 or 25 hours. A day
// without observed hours has Observed zero: no data, not 100%. Incidents
// are left for the caller.
func DaysFromHours(hours []Hour, days int, now time.Time, loc *time.Location) []Day {
	if days <= 0 {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	first := today.AddDate(0, 0, -(days - 1))
	out := make([]Day, days)
	for i := range out {
		out[i].Date = first.AddDate(0, 0, i)
	}
	firstN := dayNumber(first)
	for _, h := range hours {
		i := dayNumber(h.Start.In(loc)) - firstN
		if i < 0 || i >= days {
			continue
		}
		d := &out[i]
		d.Observed += h.Observed
		d.Major += h.Major
		d.Partial += h.Partial
		d.Maintenance += h.Maintenance
	}
	return out
}

// dayNumber counts calendar days: t's date (in its own location) as days
// since the epoch.
func dayNumber(t time.Time) int {
	return int(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Window is the uptime over [from, to) from the hours (health.Window) as
// a figure.
func Window(hours []Hour, from, to time.Time) Figure {
	u, ok := health.Window(hours, from, to)
	return Figure{Value: u, OK: ok}
}
