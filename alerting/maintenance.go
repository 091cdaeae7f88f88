package alerting

import (
	"time"

	"github.com/robfig/cron/v3"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober/schedule"
)

// Bounds of a recurring maintenance window's Duration.
const (
	MinMaintenanceDuration = time.Minute
	MaxMaintenanceDuration = Week
)

// Maintenance is a planned window during which notifications of matching
// alerts are muted, like a silence that is declared ahead of time (see
// Muted). It is either one-off, from Start (inclusive) to End (exclusive),
// or recurring: each time the Cron spec fires, a window opens that lasts
// Duration.
//
// Cron is read by schedule.ParseCron: five fields (or six, with seconds) or
// a descriptor such as @weekly, in UTC unless the spec starts with
// CRON_TZ=<zone>, e.g. "CRON_TZ=Europe/Berlin 0 2 * * 0". The cron time is
// wall-clock time in that zone, while Duration is elapsed time: a window
// that spans a daylight-saving change ends Duration after it started, an
// hour earlier or later on the wall clock. Across a change, robfig/cron
// skips an occurrence whose local time does not exist that day (02:30 when
// clocks jump from 02:00 to 03:00) and fires twice for one that exists
// twice.
type Maintenance struct {
	ID       string
	Name     string
	Matchers []Matcher
	// Start and End bound a one-off window.
	Start, End time.Time
	// Cron and Duration define a recurring window.
	Cron     string
	Duration time.Duration
}

// Validate checks a maintenance window before it is stored: a name,
// matchers as for a silence (at least one, and not matching every alert),
// and either Start before End (one-off) or a cron spec naming calendar
// times with a Duration from 1 minute to 7 days (recurring), not both.
// Errors are *linkwatch.Error values of code invalid whose Field names the
// offending field.
func (w Maintenance) Validate() error {
	if w.Name == "" {
		return linkwatch.FieldErrorf("name", "name is required")
	}
	if _, err := compileMatchers("matchers", w.Matchers); err != nil {
		return err
	}
	_, err := w.timing()
	return err
}

// timing checks the window's times and returns its schedule, nil for a
// one-off window.
func (w Maintenance) timing() (*cron.SpecSchedule, error) {
	oneOff := !w.Start.IsZero() || !w.End.IsZero()
	recurring := w.Cron != "" || w.Duration != 0
	switch {
	case oneOff && recurring:
		return nil, linkwatch.FieldErrorf("cron",
			"a maintenance window is either one-off (start and end) or recurring (cron and duration), not both")
	case oneOff:
		if w.Start.IsZero() {
			return nil, linkwatch.FieldErrorf("start", "start is required with end")
		}
		if w.End.IsZero() {
			return nil, linkwatch.FieldErrorf("end", "end is required with start")
		}
		if !w.End.After(w.Start) {
			return nil, linkwatch.FieldErrorf("end", "end (%s) must be after start (%s)",
				w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
		}
		return nil, nil
	case !recurring:
		return nil, linkwatch.FieldErrorf("start",
			"a maintenance window needs start and end (one-off) or cron and duration (recurring)")
	}
	if w.Cron == "" {
		return nil, linkwatch.FieldErrorf("cron", "cron is required with duration")
	}
	if w.Duration < MinMaintenanceDuration || w.Duration > MaxMaintenanceDuration {
		return nil, linkwatch.FieldErrorf("duration", "duration must be from 1m to 7 days (168h); got %s", w.Duration)
	}
	sched, err := schedule.ParseCron(w.Cron)
	if err != nil {
		return nil, linkwatch.FieldErrorf("cron", "%v", err)
	}
	spec, ok := sched.(*cron.SpecSchedule)
	if !ok {
		// @every counts from whenever it is asked, so its windows would
		// move with every evaluation.
		return nil, linkwatch.FieldErrorf("cron",
			"cron spec %q must name calendar times, such as \"0 2 * * 0\"; @every is not supported", w.Cron)
	}
	return spec, nil
}

// Active reports whether the window is open at now. A recurring window is
// open when its latest occurrence started at or before now and now is
// before that start plus Duration; the first occurrence after
// now-Duration is that start if the window is open, so one step of the
// cron schedule answers, however long the window. A window that Validate
// would reject for its times is never active.
func (w Maintenance) Active(now time.Time) bool {
	spec, err := w.timing()
	if err != nil {
		return false
	}
	start, _ := w.open(spec, now)
	return !start.IsZero()
}

// NextWindow returns the window to show for now: the one open at now, else
// the next one, else zero times (a one-off window that has ended, a
// recurring one that never fires again, or an invalid one). When recurring
// occurrences overlap, the open one is the earliest still open, and muting
// lasts until the last of them ends. Recurring times are in now's
// location.
func (w Maintenance) NextWindow(now time.Time) (start, end time.Time) {
	spec, err := w.timing()
	if err != nil {
		return time.Time{}, time.Time{}
	}
	if start, end = w.open(spec, now); !start.IsZero() {
		return start, end
	}
	if spec == nil {
		if now.Before(w.Start) {
			return w.Start, w.End
		}
		return time.Time{}, time.Time{}
	}
	if start = spec.Next(now); start.IsZero() {
		return time.Time{}, time.Time{}
	}
	return start, start.Add(w.Duration)
}

// open returns the window open at now, or zero times; spec is the
// schedule of a recurring window, nil for a one-off one. When recurring
// occurrences overlap, it is the earliest one still open.
func (w Maintenance) open(spec *cron.SpecSchedule, now time.Time) (start, end time.Time) {
	if spec == nil {
		if !now.Before(w.Start) && now.Before(w.End) {
			return w.Start, w.End
		}
		return time.Time{}, time.Time{}
	}
	// Next returns the first occurrence strictly after its argument.
	start = spec.Next(now.Add(-w.Duration))
	if start.IsZero() || start.After(now) {
		return time.Time{}, time.Time{}
	}
	return start, start.Add(w.Duration)
}

// Matches reports whether every matcher of the window matches the labels,
// whatever the time. Like Silence.Matches, matchers that Validate would
// reject match nothing.
func (w Maintenance) Matches(labels map[string]string) bool {
	return matchAll(w.Matchers, labels)
}
