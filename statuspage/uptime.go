package statuspage

import (
	"time"

	"github.com/linkwatch/linkwatch/health"
)

// Uptime is package health's, the one formula the health API shows too:
// hours of major and partial outage from the probers' hourly rollups, with
// maintenance excluded. The page adds its presentation: UTC days for the
// bars, and figures.

// Interval is a span of time [From, To); a zero To is open-ended.
type Interval = health.Interval

// Hour is one UTC hour of a component's history.
type Hour = health.Hour

// DaysFromHours sums the hours into the last days UTC days ending with
// today (the UTC day of now), oldest first. A day without observed hours
// has Observed zero: no data, not 100%. Incidents are left for the caller.
func DaysFromHours(hours []Hour, days int, now time.Time) []Day {
	if days <= 0 {
		return nil
	}
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -(days - 1))
	out := make([]Day, days)
	for i := range out {
		out[i].Date = first.AddDate(0, 0, i)
	}
	for _, h := range hours {
		start := h.Start.UTC()
		if start.Before(first) {
			continue
		}
		i := int(start.Sub(first) / (24 * time.Hour))
		if i >= days {
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

// Window is the uptime over [from, to) from the hours (health.Window) as
// a figure.
func Window(hours []Hour, from, to time.Time) Figure {
	u, ok := health.Window(hours, from, to)
	return Figure{Value: u, OK: ok}
}
