package schedule

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// gauge tracks a maximum of concurrent runs.
type gauge struct {
	mu       sync.Mutex
	cur, max map[string]int
}

func (g *gauge) enter(k string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cur[k]++
	g.max[k] = max(g.max[k], g.cur[k])
}

func (g *gauge) exit(k string) {
	g.mu.Lock()
	g.cur[k]--
	g.mu.Unlock()
}

// blocking returns a check that counts itself in g under each of keys and
// holds its slot for d.
func blocking(g *gauge, l *log, name string, d time.Duration, keys ...string) func(context.Context) bool {
	return func(ctx context.Context) bool {
		l.add(name)
		for _, k := range keys {
			g.enter(k)
			defer g.exit(k)
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
		return true
	}
}

func TestGlobalConcurrencyLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{Concurrency: 5, PerHost: 100}, nil), newLog()
		g := &gauge{cur: map[string]int{}, max: map[string]int{}}
		var jobs []Job
		for i := range 50 {
			key := fmt.Sprintf("link/%d", i)
			jobs = append(jobs, Job{Key: key, Interval: 10 * time.Second, Host: key,
				Run: blocking(g, l, key, 3*time.Second, "all")})
		}
		s.Set(jobs)
		start(t, s)
		var peak float64
		for range 60 {
			time.Sleep(time.Second)
			synctest.Wait()
			peak = max(peak, testutil.ToFloat64(s.running))
		}
		if g.max["all"] != 5 || peak != 5 {
			t.Errorf("peak checks in flight = %d (gauge %v), want exactly the limit 5", g.max["all"], peak)
		}
		for _, j := range jobs {
			if len(l.get(j.Key)) == 0 {
				t.Errorf("%s never ran", j.Key)
			}
		}
		if _, p99 := s.Lag(); p99 <= 0 {
			t.Errorf("p99 lag = %v, want > 0 when checks queue for slots", p99)
		}
	})
}

func TestPerHostLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{PerHost: 2}, nil), newLog()
		g := &gauge{cur: map[string]int{}, max: map[string]int{}}
		var jobs []Job
		for i := range 10 {
			slow, fast := fmt.Sprintf("slow/%d", i), fmt.Sprintf("fast/%d", i)
			jobs = append(jobs,
				Job{Key: slow, Interval: time.Minute, Host: "slow.example",
					Run: blocking(g, l, slow, 5*time.Second, "slow.example")},
				Job{Key: fast, Interval: time.Minute, Host: fast + ".example", Run: l.recorded(fast, true)})
		}
		s.Set(jobs)
		start(t, s)
		sleepUntil(t0.Add(90 * time.Second))

		if g.max["slow.example"] != 2 {
			t.Errorf("peak checks to slow.example = %d, want the limit 2", g.max["slow.example"])
		}
		type run struct {
			key       string
			slot, ran time.Time
		}
		var slow []run
		for _, j := range jobs {
			runs := l.get(j.Key)
			if len(runs) == 0 {
				t.Fatalf("%s never ran", j.Key)
			}
			if j.Host == "slow.example" {
				slow = append(slow, run{j.Key, slot(j.Key, time.Minute), runs[0]})
			} else if at := slot(j.Key, time.Minute); !runs[0].Equal(at) {
				t.Errorf("%s on a free host started at %v, want on time at %v", j.Key, runs[0], at)
			}
		}
		slices.SortFunc(slow, func(a, b run) int { return a.slot.Compare(b.slot) })
		for i := 1; i < len(slow); i++ {
			if slow[i].ran.Before(slow[i-1].ran) {
				t.Errorf("%s (due %v) started before %s (due %v): want FIFO per host",
					slow[i].key, slow[i].slot, slow[i-1].key, slow[i-1].slot)
			}
		}
	})
}

func TestOverlappingRunSkipped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{}, nil), newLog()
		g := &gauge{cur: map[string]int{}, max: map[string]int{}}
		s.Set([]Job{{Key: "slow", Interval: 10 * time.Second, Run: blocking(g, l, "slow", 25*time.Second, "slow")}})
		start(t, s)
		at := slot("slow", 10*time.Second)
		sleepUntil(at.Add(59 * time.Second))

		// Runs take 25s: the slots at +10s, +20s, +40s and +50s are skipped.
		wantTimes(t, "slow", l.get("slow"), []time.Time{at, at.Add(30 * time.Second)})
		if got := testutil.ToFloat64(s.skipped); got != 4 {
			t.Errorf("linkwatch_probe_checks_skipped_total = %v, want 4", got)
		}
		if g.max["slow"] != 1 {
			t.Errorf("job overlapped itself: %d runs at once", g.max["slow"])
		}
	})
}

func TestSetRemovesQueuedJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{PerHost: 1, Timeout: time.Hour}, nil), newLog()
		g := &gauge{cur: map[string]int{}, max: map[string]int{}}
		hog := Job{Key: "hog", Interval: time.Hour, Host: "h", Run: blocking(g, l, "hog", 50*time.Minute, "h")}
		hogAt := slot("hog", time.Hour)
		// Pick a key that falls due while hog holds the host's only slot.
		key := "queued"
		for i := 0; ; i++ {
			key = fmt.Sprintf("queued/%d", i)
			if d := slot(key, time.Hour).Sub(hogAt); d > 0 && d < 50*time.Minute {
				break
			}
		}
		queuedAt := slot(key, time.Hour)
		s.Set([]Job{hog, {Key: key, Interval: time.Hour, Host: "h", Run: l.recorded("queued", true)}})
		start(t, s)
		sleepUntil(queuedAt.Add(time.Second))
		s.Set([]Job{hog})
		sleepUntil(t0.Add(2 * time.Hour))
		if got := l.get("queued"); len(got) != 0 {
			t.Errorf("job removed while waiting for its host ran at %v", got)
		}
		if got := len(l.get("hog")); got != 2 {
			t.Errorf("hog ran %d times in two hours, want 2", got)
		}
	})
}
