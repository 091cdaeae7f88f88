package schedule

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

// BenchmarkSchedule10k measures the scheduler's own cost: 10,000 jobs at a
// 1s interval with trivial checks, run for 5 simulated seconds in a synctest
// bubble, so an op is about 50,000 check starts and no real sleeping. Read
// the per-start metrics: ns/start covers the whole op, allocs/start and
// B/start only the Run loop (not building the job set). In the bubble the
// clock stands still while anything can run, so lag is non-zero only when
// checks queue for the global or per-host limits, which trivial checks
// never do.
//
// synctest.Test needs a *testing.T and Go has no bubble for benchmarks, so
// each op runs the bubble as a one-off test through testing.RunTests; with
// -count N that runs N bubbles per op, which the per-start metrics absorb.
func BenchmarkSchedule10k(b *testing.B) {
	b.ReportAllocs()
	var total result
	for b.Loop() {
		ok := testing.RunTests(func(string, string) (bool, error) { return true, nil },
			[]testing.InternalTest{{Name: "BenchmarkSchedule10k/bubble", F: func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					r := scheduleN(t, 10000, 5*time.Second)
					total.starts += r.starts
					total.allocs += r.allocs
					total.bytes += r.bytes
					total.p50, total.p99 = r.p50, r.p99
				})
			}}})
		if !ok || total.starts == 0 {
			b.Fatal("the bubble failed or started no checks")
		}
	}
	n := float64(total.starts)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/start")
	b.ReportMetric(float64(total.allocs)/n, "allocs/start")
	b.ReportMetric(float64(total.bytes)/n, "B/start")
	b.ReportMetric(total.p50.Seconds(), "lag-p50-s")
	b.ReportMetric(total.p99.Seconds(), "lag-p99-s")
}

// result is what one simulated run measured.
type result struct {
	starts        int
	allocs, bytes uint64
	p50, p99      time.Duration
}

// scheduleN runs n trivial jobs at a 1s interval on 500 hosts for d of
// simulated time.
func scheduleN(t *testing.T, n int, d time.Duration) result {
	s := New(Config{}, nil)
	jobs := make([]Job, n)
	for i := range jobs {
		jobs[i] = Job{Key: fmt.Sprintf("link/%d", i), Interval: time.Second,
			Host: fmt.Sprintf("host%d.example", i%500), Run: func(context.Context) bool { return true }}
	}
	s.Set(jobs)
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	r := result{starts: s.nLags, allocs: after.Mallocs - before.Mallocs, bytes: after.TotalAlloc - before.TotalAlloc}
	r.p50, r.p99 = s.Lag()
	return r
}
