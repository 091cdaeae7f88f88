package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser accepts five-field crontab specs, an optional leading seconds
// field, descriptors (@hourly, @every 30s) and a CRON_TZ=<zone> prefix.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour |
	cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron compiles a cron spec, for validating user input at the API and
// config edge. It accepts the standard five fields, an optional leading
// seconds field, descriptors such as @hourly and @every 30s, and a
// CRON_TZ=<zone> prefix; without one the spec is read in UTC, so probers in
// every region fire at the same instants. A spec that never fires (30
// February) is an error too. Errors quote the spec and say what is wrong.
func ParseCron(spec string) (sched cron.Schedule, err error) {
	// robfig/cron v3.0.1 panics on some malformed input, e.g. "TZ=UTC" with
	// no fields after it; outside input must never crash the API.
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("invalid cron spec %q: malformed time zone prefix or fields", spec)
		}
	}()
	sched, err = cronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid cron spec %q: %v", spec, err)
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok && ss.Location == time.Local {
		ss.Location = time.UTC
	}
	if sched.Next(time.Now()).IsZero() {
		return nil, fmt.Errorf("invalid cron spec %q: it never fires", spec)
	}
	return sched, nil
}

// offset returns the job's stable place within its interval: FNV-1a of the
// key modulo the interval. The same key lands on the same instant on every
// prober and after every restart, and distinct keys spread evenly.
func offset(key string, interval time.Duration) int64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= prime64
	}
	return int64(h % uint64(interval))
}

// nextSlot returns the first instant strictly after t that lies on the grid
// of interval-spaced instants shifted by off from the Unix epoch.
func nextSlot(t time.Time, interval time.Duration, off int64) time.Time {
	n, iv := t.UnixNano(), int64(interval)
	r := (n - off) % iv
	if r < 0 {
		r += iv
	}
	return time.Unix(0, n-r+iv)
}
