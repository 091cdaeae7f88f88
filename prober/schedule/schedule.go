// Package schedule runs the prober's checks, each at its own interval or cron
// spec, spread evenly over time and politely: with a global limit on checks in
// flight, a limit per destination host, and never two runs of one check at
// once.
//
// Interval jobs run on a grid aligned to the Unix epoch and shifted by a
// stable per-job offset (FNV-1a of the key modulo the interval), so ten
// thousand one-minute checks spread over the whole minute, and every prober
// in every region, restarted or not, runs a given check at the same instants.
package schedule

import (
	"container/heap"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// Job is one recurring check.
type Job struct {
	Key      string        // stable identity, e.g. "link/42"; it sets the job's offset
	Interval time.Duration // period when Cron is empty; below 1s it is raised to 1s
	Cron     string        // optional cron spec, see ParseCron; "@every d" means Interval d
	Host     string        // destination host, for the per-host limit
	// Run performs the check; ok=false means the target is failing.
	Run func(ctx context.Context) (ok bool)
}

// Config limits how hard the scheduler probes. Zero values mean the defaults.
type Config struct {
	Concurrency int           // checks in flight at once (default 200)
	PerHost     int           // checks in flight per Job.Host (default 4)
	Timeout     time.Duration // context timeout of each check (default 30s)
	// Confirm is how soon a job that was ok and has just failed runs again,
	// instead of waiting for its next slot (default 10s; negative disables).
	// Only the first failure is re-run early: if the confirmation run fails
	// too, the job goes back to its schedule, so a target that stays down is
	// probed at its normal rate. A job's first run counts as following an ok.
	Confirm time.Duration
}

// lagWindow is the number of recent starts Lag summarises.
const lagWindow = 10000

// Job states. A queued job is due but waits for a global or per-host slot.
const (
	idle = iota
	queued
	running
)

// entry is the scheduler's record of one job.
type entry struct {
	job    Job
	sched  cron.Schedule // nil for interval jobs
	off    int64         // offset within Interval, in nanoseconds
	next   time.Time     // next scheduled run; zero if it never runs again
	due    time.Time     // scheduled time of the queued or running run
	index  int           // position in the heap, -1 when not in it
	state  int
	host   string // host the queued or running run is counted under
	lastOK bool
	gone   bool // removed by Set, Put or Remove
	again  bool // RunNow while running: run once more when done
}

// nextAfter returns the job's first scheduled time strictly after t.
func (e *entry) nextAfter(t time.Time) time.Time {
	if e.sched != nil {
		return e.sched.Next(t.UTC())
	}
	return nextSlot(t, e.job.Interval, e.off)
}

// Scheduler runs jobs from a single goroutine that keeps a min-heap of next
// run times; each started check gets its own goroutine. Build it with New,
// give it jobs with Set and start it with Run.
type Scheduler struct {
	cfg  Config
	wake chan struct{} // a check finished or the job set changed
	wg   sync.WaitGroup

	mu       sync.Mutex
	jobs     map[string]*entry
	heap     jobHeap
	ready    fifo             // due and within their host's limit, oldest first
	waiting  map[string]*fifo // due but over their host's limit, per host
	admitted map[string]int   // per host: running plus in ready
	inFlight int
	lags     []time.Duration // ring of the last lagWindow start lags
	nLags    int

	lag      prometheus.Histogram
	running  prometheus.Gauge
	skipped  prometheus.Counter
	jobCount prometheus.Gauge
}

// New returns a scheduler with no jobs. Its metrics are registered on reg
// unless reg is nil.
func New(cfg Config, reg prometheus.Registerer) *Scheduler {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 200
	}
	if cfg.PerHost <= 0 {
		cfg.PerHost = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Confirm == 0 {
		cfg.Confirm = 10 * time.Second
	}
	s := &Scheduler{
		cfg:      cfg,
		wake:     make(chan struct{}, 1),
		jobs:     map[string]*entry{},
		waiting:  map[string]*fifo{},
		admitted: map[string]int{},
		lags:     make([]time.Duration, lagWindow),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "linkwatch_probe_schedule_lag_seconds",
			Help:    "Delay between a check's scheduled time and its start.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "linkwatch_probe_checks_in_flight", Help: "Checks currently running.",
		}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "linkwatch_probe_checks_skipped_total",
			Help: "Scheduled runs skipped because the job's previous run was still waiting or running.",
		}),
		jobCount: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "linkwatch_probe_jobs", Help: "Jobs currently scheduled.",
		}),
	}
	if reg != nil {
		reg.MustRegister(s.lag, s.running, s.skipped, s.jobCount)
	}
	return s
}

// Set replaces the whole job set; it is safe to call at any time, before or
// during Run. A job whose Key, Interval and Cron are unchanged keeps its next
// run time and picks up a new Run or Host; a new or rescheduled job runs at
// its next slot, never immediately; a removed job never starts again, though
// a run in flight finishes. Jobs with a nil Run or an invalid Cron spec are
// left out (validate specs with ParseCron first) and do not count in
// linkwatch_probe_jobs; of duplicate keys the last valid one wins.
func (s *Scheduler) Set(jobs []Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	kept := make(map[string]*entry, len(jobs))
	for _, j := range jobs {
		if e := s.put(j, kept[j.Key], now); e != nil {
			kept[j.Key] = e
		}
	}
	for key, e := range s.jobs {
		if kept[key] != e {
			s.drop(e)
		}
	}
	s.jobs = kept
	s.jobCount.Set(float64(len(kept)))
	s.signal()
}

// Put adds or replaces one job, as Set would with it in the set: the other
// jobs are untouched. A job with a nil Run or an invalid Cron spec removes
// any job of its key.
func (s *Scheduler) Put(j Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.jobs[j.Key]
	if e := s.put(j, old, time.Now()); e != nil {
		s.jobs[j.Key] = e
	} else if old != nil {
		s.drop(old)
		delete(s.jobs, j.Key)
	}
	s.jobCount.Set(float64(len(s.jobs)))
	s.signal()
}

// Remove removes the job of key, if any; a run in flight finishes.
func (s *Scheduler) Remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.jobs[key]; e != nil {
		s.drop(e)
		delete(s.jobs, key)
		s.jobCount.Set(float64(len(s.jobs)))
		s.signal()
	}
}

// RunNow runs the job of key as soon as the global and per-host limits allow,
// without waiting for its slot; its later slots stay where they were. A job
// already waiting for a slot is not queued twice, and a job that is running
// runs once more when it finishes (the run in flight may have started before
// whatever made the caller ask). It reports whether the job exists.
func (s *Scheduler) RunNow(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.jobs[key]
	if e == nil {
		return false
	}
	switch e.state {
	case idle:
		e.state, e.due = queued, time.Now()
		s.enqueue(e)
		s.signal()
	case running:
		e.again = true
	}
	return true
}

// put builds or updates the entry of j, starting from e (the job's current
// entry, or nil); nil when j is left out.
func (s *Scheduler) put(j Job, e *entry, now time.Time) *entry {
	if j.Run == nil {
		return nil
	}
	if e == nil {
		e = s.jobs[j.Key]
	}
	var sched cron.Schedule
	switch {
	case j.Cron == "":
	case e != nil && e.job.Cron == j.Cron:
		sched = e.sched
		if sched == nil {
			j.Interval = e.job.Interval // an @every spec
		}
	default:
		var err error
		if sched, err = ParseCron(j.Cron); err != nil {
			return nil
		}
		if every, ok := sched.(cron.ConstantDelaySchedule); ok {
			// Spread @every jobs like interval jobs rather than
			// counting from whenever they happened to be added.
			sched, j.Interval = nil, every.Delay
		}
	}
	if sched == nil {
		j.Interval = max(j.Interval, time.Second)
	} else {
		j.Interval = 0 // unused, so changing it changes nothing
	}
	switch {
	case e == nil:
		e = &entry{index: -1, lastOK: true}
	case e.job.Cron == j.Cron && e.job.Interval == j.Interval:
		e.job = j
		return e
	}
	e.job, e.sched = j, sched
	if sched == nil {
		e.off = offset(j.Key, j.Interval)
	}
	s.reschedule(e, e.nextAfter(now))
	return e
}

// drop takes e out of the schedule for good.
func (s *Scheduler) drop(e *entry) {
	e.gone, e.again = true, false
	s.reschedule(e, time.Time{})
}

// reschedule moves e to run at next, or out of the heap if next is zero.
func (s *Scheduler) reschedule(e *entry, next time.Time) {
	e.next = next
	switch {
	case next.IsZero() && e.index >= 0:
		heap.Remove(&s.heap, e.index)
	case next.IsZero():
	case e.index >= 0:
		heap.Fix(&s.heap, e.index)
	default:
		heap.Push(&s.heap, e)
	}
}

// Run starts jobs as they fall due until ctx ends, then waits for the checks
// in flight (whose contexts derive from ctx) to finish and returns nil. Due
// jobs still waiting for a slot are dropped. Call Run once.
func (s *Scheduler) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		s.mu.Lock()
		now := time.Now()
		s.popDue(now)
		s.start(ctx, now)
		if len(s.heap) > 0 {
			timer.Reset(s.heap[0].next.Sub(now))
		} else {
			timer.Stop()
		}
		s.mu.Unlock()

		select {
		case <-ctx.Done():
		case <-timer.C:
		case <-s.wake:
		}
		if ctx.Err() != nil {
			s.wg.Wait()
			return nil
		}
	}
}

// popDue queues every job whose time has come and schedules its next run.
// A job whose previous run is still waiting or running skips this one.
func (s *Scheduler) popDue(now time.Time) {
	for len(s.heap) > 0 && !s.heap[0].next.After(now) {
		e := s.heap[0]
		due := e.next
		s.reschedule(e, e.nextAfter(now))
		if e.state != idle {
			s.skipped.Inc()
			continue
		}
		e.state, e.due = queued, due
		s.enqueue(e)
	}
}

// enqueue admits e to the ready queue if its host is under its limit, and
// otherwise parks it in the host's FIFO.
func (s *Scheduler) enqueue(e *entry) {
	e.host = e.job.Host
	if s.admitted[e.host] < s.cfg.PerHost {
		s.admitted[e.host]++
		s.ready.push(e)
		return
	}
	q := s.waiting[e.host]
	if q == nil {
		q = &fifo{}
		s.waiting[e.host] = q
	}
	q.push(e)
}

// release frees one of host's slots and hands it to the host's oldest
// waiting job.
func (s *Scheduler) release(host string) {
	if q := s.waiting[host]; q != nil {
		s.ready.push(q.pop())
		if q.len() == 0 {
			delete(s.waiting, host)
		}
		return
	}
	if s.admitted[host]--; s.admitted[host] == 0 {
		delete(s.admitted, host)
	}
}

// start launches ready jobs while global slots are free.
func (s *Scheduler) start(ctx context.Context, now time.Time) {
	for s.inFlight < s.cfg.Concurrency && s.ready.len() > 0 && ctx.Err() == nil {
		e := s.ready.pop()
		if e.gone || e.host != e.job.Host {
			// Removed, or moved to another host by Set while it waited.
			s.release(e.host)
			if e.gone {
				e.state = idle
			} else {
				s.enqueue(e)
			}
			continue
		}
		e.state = running
		s.inFlight++
		s.running.Inc()
		lag := now.Sub(e.due)
		s.lag.Observe(lag.Seconds())
		s.lags[s.nLags%lagWindow] = lag
		s.nLags++
		s.wg.Add(1)
		go s.exec(ctx, e, e.job.Run)
	}
}

// exec runs one check and records its outcome.
func (s *Scheduler) exec(ctx context.Context, e *entry, run func(context.Context) bool) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	ok := run(ctx)
	cancel()

	s.mu.Lock()
	s.inFlight--
	s.running.Dec()
	s.release(e.host)
	e.state = idle
	if e.again && !e.gone {
		e.again = false
		e.state, e.due = queued, time.Now()
		s.enqueue(e)
	} else if !ok && e.lastOK && s.cfg.Confirm > 0 && e.index >= 0 {
		if t := time.Now().Add(s.cfg.Confirm); t.Before(e.next) {
			s.reschedule(e, t)
		}
	}
	e.lastOK = ok
	s.mu.Unlock()
	s.signal()
}

// signal wakes the scheduling goroutine without blocking.
func (s *Scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Lag returns the median and 99th percentile of the delay between scheduled
// and actual start over the last 10,000 starts; zero before any start.
func (s *Scheduler) Lag() (p50, p99 time.Duration) {
	s.mu.Lock()
	lags := slices.Clone(s.lags[:min(s.nLags, lagWindow)])
	s.mu.Unlock()
	if len(lags) == 0 {
		return 0, 0
	}
	slices.Sort(lags)
	return lags[(len(lags)-1)*50/100], lags[(len(lags)-1)*99/100]
}
