package schedule

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestRunNow: a job asked to run now starts at once, not at its slot, and
// its later slots stay on the grid; asking for an unknown key is refused.
func TestRunNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{}, nil), newLog()
		s.Set([]Job{{Key: "a", Interval: time.Hour, Run: l.recorded("a", true)}})
		start(t, s)
		synctest.Wait()
		if !s.RunNow("a") {
			t.Fatal("RunNow of a scheduled job reported no such job")
		}
		if s.RunNow("missing") {
			t.Error("RunNow of an unknown job reported it exists")
		}
		synctest.Wait()
		at := slot("a", time.Hour)
		sleepUntil(at.Add(time.Second))
		wantTimes(t, "a", l.get("a"), []time.Time{t0, at})
	})
}

// TestRunNowWhileRunning: a job asked to run now while it runs does not
// overlap itself; it runs once more right after.
func TestRunNowWhileRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{}, nil), newLog()
		g := &gauge{cur: map[string]int{}, max: map[string]int{}}
		s.Set([]Job{{Key: "slow", Interval: time.Hour, Run: blocking(g, l, "slow", 10*time.Second, "slow")}})
		start(t, s)
		synctest.Wait()
		s.RunNow("slow")
		synctest.Wait()
		s.RunNow("slow") // while the first run is in flight
		s.RunNow("slow") // asking twice queues one more run, not two
		sleepUntil(t0.Add(time.Minute))
		wantTimes(t, "slow", l.get("slow"), []time.Time{t0, t0.Add(10 * time.Second)})
		if g.max["slow"] != 1 {
			t.Errorf("job overlapped itself: %d runs at once", g.max["slow"])
		}
	})
}

// TestRunNowKeepsHostLimit: runs asked for now wait for their host's slot
// like scheduled ones.
func TestRunNowKeepsHostLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{PerHost: 1}, nil), newLog()
		g := &gauge{cur: map[string]int{}, max: map[string]int{}}
		s.Set([]Job{
			{Key: "x", Interval: time.Hour, Host: "h", Run: blocking(g, l, "x", 5*time.Second, "h")},
			{Key: "y", Interval: time.Hour, Host: "h", Run: blocking(g, l, "y", 5*time.Second, "h")},
		})
		start(t, s)
		synctest.Wait()
		s.RunNow("x")
		s.RunNow("y")
		sleepUntil(t0.Add(time.Minute))
		wantTimes(t, "x", l.get("x"), []time.Time{t0})
		wantTimes(t, "y", l.get("y"), []time.Time{t0.Add(5 * time.Second)})
		if g.max["h"] != 1 {
			t.Errorf("host h had %d checks at once, limit 1", g.max["h"])
		}
	})
}

// TestPutAndRemove change one job and leave the others alone.
func TestPutAndRemove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, l := New(Config{}, nil), newLog()
		s.Set([]Job{{Key: "a", Interval: time.Hour, Run: l.recorded("a", true)}})
		start(t, s)
		s.Put(Job{Key: "b", Interval: time.Hour, Run: l.recorded("b", true)})
		s.Remove("a")
		s.Remove("never")
		sleepUntil(t0.Add(time.Hour))
		if got := l.get("a"); len(got) != 0 {
			t.Errorf("removed job ran at %v", got)
		}
		wantTimes(t, "b", l.get("b"), []time.Time{slot("b", time.Hour)})
	})
}
