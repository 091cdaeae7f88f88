package schedule

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// t0 is the start of every synctest bubble: midnight UTC, 2000-01-01.
var t0 = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// log records check starts by name.
type log struct {
	mu   sync.Mutex
	runs map[string][]time.Time
}

func newLog() *log { return &log{runs: map[string][]time.Time{}} }

func (l *log) add(name string) {
	l.mu.Lock()
	l.runs[name] = append(l.runs[name], time.Now())
	l.mu.Unlock()
}

func (l *log) get(name string) []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.runs[name])
}

// recorded returns a check that logs its start under name and returns ok.
func (l *log) recorded(name string, ok bool) func(context.Context) bool {
	return func(context.Context) bool { l.add(name); return ok }
}

// start runs s until the test ends, from inside a bubble.
func start(t *testing.T, s *Scheduler) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// sleepUntil advances the fake clock to t and lets the bubble settle.
func sleepUntil(t time.Time) {
	time.Sleep(time.Until(t))
	synctest.Wait()
}

// slot returns key's first slot after t0 at the given interval.
func slot(key string, interval time.Duration) time.Time {
	return nextSlot(t0, interval, offset(key, interval))
}

// wantTimes fails unless got equals want.
func wantTimes(t *testing.T, name string, got, want []time.Time) {
	t.Helper()
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("%s ran at %v, want %v", name, got, want)
	}
}

func TestOffsetsSpread(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{Concurrency: 2000}, nil), newLog()
		var jobs []Job
		for i := range 1000 {
			key := fmt.Sprintf("link/%d", i)
			jobs = append(jobs, Job{Key: key, Interval: time.Minute, Host: key, Run: l.recorded(key, true)})
		}
		s.Set(jobs)
		start(t, s)
		sleepUntil(t0.Add(3*time.Minute - time.Nanosecond))

		seconds := map[int]bool{}
		for _, j := range jobs {
			runs := l.get(j.Key)
			first := slot(j.Key, time.Minute)
			wantTimes(t, j.Key, runs, []time.Time{first, first.Add(time.Minute), first.Add(2 * time.Minute)})
			seconds[first.Second()] = true
		}
		if len(seconds) < 50 {
			t.Errorf("1,000 jobs started in %d distinct seconds of the minute, want ≥ 50", len(seconds))
		}
		if p50, p99 := s.Lag(); p50 != 0 || p99 != 0 {
			t.Errorf("Lag() = %v, %v; want 0, 0 with free slots", p50, p99)
		}
	})
}

func TestOffsetStableAcrossSchedulers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLog()
		a := New(Config{}, nil)
		a.Set([]Job{{Key: "link/42", Interval: 10 * time.Second, Run: l.recorded("a", true)}})
		start(t, a)
		time.Sleep(17 * time.Second) // the second prober starts later
		b := New(Config{}, nil)
		b.Set([]Job{{Key: "link/42", Interval: 10 * time.Second, Run: l.recorded("b", true)}})
		start(t, b)
		sleepUntil(t0.Add(time.Minute))

		first := slot("link/42", 10*time.Second)
		if first.Sub(t0) != time.Duration(offset("link/42", 10*time.Second)) {
			t.Errorf("first run at %v, want t0 + offset", first)
		}
		var want []time.Time
		for at := first; at.Before(t0.Add(time.Minute)); at = at.Add(10 * time.Second) {
			want = append(want, at)
		}
		wantTimes(t, "a", l.get("a"), want)
		later := slices.DeleteFunc(slices.Clone(want), func(at time.Time) bool {
			return at.Before(t0.Add(17 * time.Second))
		})
		wantTimes(t, "b", l.get("b"), later)
		if offset("link/42", time.Minute) == offset("link/43", time.Minute) {
			t.Error("neighbouring keys share an offset")
		}
	})
}

func TestSetChangesJobsLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewRegistry()
		s, l := New(Config{}, reg), newLog()
		s.Set([]Job{
			{Key: "keep", Interval: time.Minute, Run: l.recorded("keep", true)},
			{Key: "drop", Interval: time.Minute, Run: l.recorded("drop", true)},
			{Key: "change", Interval: time.Minute, Run: l.recorded("change", true)},
		})
		start(t, s)
		setAt := t0.Add(90 * time.Second)
		sleepUntil(setAt)
		s.Set([]Job{
			{Key: "keep", Interval: time.Minute, Host: "new.example", Run: l.recorded("keep2", true)},
			{Key: "change", Interval: 20 * time.Second, Run: l.recorded("change", true)},
			{Key: "add", Interval: time.Minute, Run: l.recorded("add", true)},
		})
		if got := testutil.ToFloat64(s.jobCount); got != 3 {
			t.Errorf("linkwatch_probe_jobs = %v, want 3", got)
		}
		end := t0.Add(4 * time.Minute)
		sleepUntil(end.Add(-time.Nanosecond))

		// slots lists the instants first + k·d that lie in (from, end).
		slots := func(first time.Time, d time.Duration, from time.Time) []time.Time {
			var ts []time.Time
			for at := first; at.Before(end); at = at.Add(d) {
				if at.After(from) {
					ts = append(ts, at)
				}
			}
			return ts
		}
		keep := slots(slot("keep", time.Minute), time.Minute, t0)
		split := slices.IndexFunc(keep, func(at time.Time) bool { return at.After(setAt) })
		wantTimes(t, "keep before Set", l.get("keep"), keep[:split])
		wantTimes(t, "keep after Set, with its new Run", l.get("keep2"), keep[split:])
		drop := slots(slot("drop", time.Minute), time.Minute, t0)
		wantTimes(t, "drop", l.get("drop"), slices.DeleteFunc(drop, func(at time.Time) bool { return at.After(setAt) }))
		change := l.get("change")
		split = slices.IndexFunc(change, func(at time.Time) bool { return at.After(setAt) })
		before := slices.DeleteFunc(slots(slot("change", time.Minute), time.Minute, t0),
			func(at time.Time) bool { return at.After(setAt) })
		wantTimes(t, "change before Set", change[:split], before)
		wantTimes(t, "change after Set", change[split:], slots(slot("change", 20*time.Second), 20*time.Second, setAt))
		wantTimes(t, "add", l.get("add"), slots(slot("add", time.Minute), time.Minute, setAt))
	})
}

func TestConfirmAfterFreshFailure(t *testing.T) {
	for _, tc := range []struct {
		name    string
		confirm time.Duration
		extra   bool // whether a confirmation run follows the first failure
	}{
		{"default 10s", 0, true},
		{"disabled", -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// ok, fail (fresh: confirm), fail (confirmation), ok, fail (fresh again).
				results := []bool{true, false, false, true, false, true, true}
				s, l := New(Config{Confirm: tc.confirm}, nil), newLog()
				s.Set([]Job{{Key: "flaky", Interval: time.Minute, Run: func(context.Context) bool {
					l.add("flaky")
					ok := results[0]
					results = results[1:]
					return ok
				}}})
				start(t, s)
				sleepUntil(t0.Add(5*time.Minute - time.Nanosecond))

				at := slot("flaky", time.Minute)
				want := []time.Time{at, at.Add(time.Minute)}
				if tc.extra {
					want = append(want, at.Add(time.Minute+10*time.Second))
				}
				want = append(want, at.Add(2*time.Minute), at.Add(3*time.Minute))
				if tc.extra {
					want = append(want, at.Add(3*time.Minute+10*time.Second))
				}
				want = append(want, at.Add(4*time.Minute))
				wantTimes(t, "flaky", l.get("flaky"), want)
			})
		})
	}
}

func TestCronRunsAtItsTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{}, nil), newLog()
		s.Set([]Job{
			{Key: "seconds", Cron: "*/15 * * * * *", Run: l.recorded("seconds", true)},
			{Key: "minutes", Cron: "*/20 * * * *", Run: l.recorded("minutes", true)},
			{Key: "hourly", Cron: "@hourly", Run: l.recorded("hourly", true)},
			{Key: "every", Cron: "@every 30m", Run: l.recorded("every", true)},
			{Key: "bad", Cron: "every day", Run: l.recorded("bad", true)},
		})
		start(t, s)
		sleepUntil(t0.Add(2 * time.Hour))
		s.Set(nil) // stop the noisy ones before counting

		if got := len(l.get("seconds")); got != 2*3600/15 {
			t.Errorf("*/15 seconds ran %d times in 2h, want %d", got, 2*3600/15)
		}
		if got := l.get("seconds")[:3]; !got[2].Equal(t0.Add(45 * time.Second)) {
			t.Errorf("*/15 seconds first ran at %v", got)
		}
		wantTimes(t, "*/20 minutes", l.get("minutes")[:4], []time.Time{
			t0.Add(20 * time.Minute), t0.Add(40 * time.Minute), t0.Add(time.Hour), t0.Add(80 * time.Minute)})
		wantTimes(t, "@hourly", l.get("hourly"), []time.Time{t0.Add(time.Hour), t0.Add(2 * time.Hour)})
		every := slot("every", 30*time.Minute)
		wantTimes(t, "@every 30m", l.get("every"), []time.Time{
			every, every.Add(30 * time.Minute), every.Add(time.Hour), every.Add(90 * time.Minute)})
		if got := l.get("bad"); len(got) != 0 {
			t.Errorf("job with invalid spec ran at %v", got)
		}
	})
}

func TestRunWaitsForChecksInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{Timeout: time.Hour}, nil), newLog()
		var finished time.Time
		var deadline time.Duration
		s.Set([]Job{{Key: "k", Interval: time.Second, Run: func(ctx context.Context) bool {
			l.add("k")
			d, _ := ctx.Deadline()
			deadline = time.Until(d)
			<-ctx.Done()
			time.Sleep(2 * time.Second) // cleaning up after cancellation
			finished = time.Now()
			return false
		}}})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		sleepUntil(t0.Add(5 * time.Second))
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		if want := t0.Add(7 * time.Second); !finished.Equal(want) || !time.Now().Equal(want) {
			t.Errorf("Run returned at %v, check finished at %v; want both at %v", time.Now(), finished, want)
		}
		if got := len(l.get("k")); got != 1 {
			t.Errorf("check started %d times, want 1", got)
		}
		if deadline != time.Hour {
			t.Errorf("check context deadline in %v, want the 1h Timeout", deadline)
		}
	})
}

func TestMetricNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := New(Config{}, reg)
	s.lag.Observe(0) // histograms and counters appear once touched or always
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	want := []string{
		"linkwatch_probe_checks_in_flight",
		"linkwatch_probe_checks_skipped_total",
		"linkwatch_probe_jobs",
		"linkwatch_probe_schedule_lag_seconds",
	}
	if !slices.Equal(names, want) {
		t.Errorf("metrics = %v, want %v", names, want)
	}
}

func TestSetKeepsPendingConfirmation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{}, nil), newLog()
		job := Job{Key: "down", Interval: time.Minute, Run: l.recorded("down", false)}
		s.Set([]Job{job})
		start(t, s)
		at := slot("down", time.Minute)
		sleepUntil(at.Add(5 * time.Second))
		s.Set([]Job{job}) // unchanged: the confirmation at +10s stands
		sleepUntil(at.Add(time.Minute + 30*time.Second))
		wantTimes(t, "down", l.get("down"), []time.Time{at, at.Add(10 * time.Second), at.Add(time.Minute)})
	})
}
