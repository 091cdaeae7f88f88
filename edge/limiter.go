package edge

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"
)

// Limiter admits requests of the classes it sheds (API, Public, Dashboard)
// up to a bounded number in flight each, with no queue: a request over the
// bound is refused at once, which costs far less than serving it late.
// Redirects are never refused; they are counted instead, and when many are
// in flight or they have become slow, the other classes are cut to one
// request in flight each, so that the processors go to redirects first.
//
// The limiter keeps no timer: its state changes only by the calls made on
// it, which the tests make one by one.
type Limiter struct {
	limits   [nClasses]int64
	inflight [nClasses]atomic.Int64

	redirects     atomic.Int64 // redirects in flight
	redirectsHigh int64
	slow          time.Duration // redirect latency that means pressure
	fresh         time.Duration // how long a latency observation counts
	now           func() time.Time
	latency       atomic.Uint64 // EWMA of redirect latency, float64 seconds bits
	lastSlow      atomic.Int64  // unix nanoseconds of the last slow observation
	requests      atomic.Int64  // requests begun since Run last looked
	quiet         atomic.Bool   // too few requests lately for latencies to mean overload
	sched         atomic.Int64  // the last scheduling latency observed, nanoseconds
	schedHigh     atomic.Int64  // the last one at or over slowSched
	schedAt       atomic.Int64  // unix nanoseconds of that one
}

// LimiterConfig sizes a Limiter.
type LimiterConfig struct {
	// Procs is the number of processors (GOMAXPROCS); the bounds scale with it.
	Procs int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Pressure: redirects in flight per processor, a redirect latency and a
// scheduling latency (goroutines waiting for a processor) over which the
// shed classes are cut to one request in flight, and the latencies over
// which they are refused altogether. An observation counts for latencyFresh.
const (
	redirectsPerProc = 32
	slowRedirect     = 20 * time.Millisecond
	severeRedirect   = 100 * time.Millisecond
	slowSched        = 5 * time.Millisecond
	severeSched      = 25 * time.Millisecond
	latencyFresh     = time.Second
	ewmaWeight       = 0.2
)

// Bounds per processor of the shed classes' requests in flight, without
// pressure. They bound memory and the database's share of a flood, not the
// normal load: a page's stylesheet, script and images, a dozen probers
// pushing results and an operator's CSV import all fit at once (API and
// dashboard requests mostly wait on the database). Under pressure, the
// classes are cut to one, then none.
const (
	apiPerProc       = 32
	publicPerProc    = 32
	dashboardPerProc = 16
)

// NewLimiter returns a limiter whose bounds scale with cfg.Procs.
func NewLimiter(cfg LimiterConfig) *Limiter {
	p := int64(max(cfg.Procs, 1))
	l := &Limiter{redirectsHigh: redirectsPerProc * p, slow: slowRedirect, fresh: latencyFresh, now: cfg.Now}
	if l.now == nil {
		l.now = time.Now
	}
	l.limits[API] = apiPerProc * p
	l.limits[Public] = publicPerProc * p
	l.limits[Dashboard] = dashboardPerProc * p
	return l
}

// Sheds reports whether a class is subject to admission.
func (l *Limiter) Sheds(c Class) bool { return c >= 0 && c < nClasses && l.limits[c] > 0 }

// Admit takes a place for a request of class c. It returns false when the
// request must be refused; otherwise done releases the place. Classes that
// are never shed are always admitted.
func (l *Limiter) Admit(c Class) (done func(), ok bool) {
	l.requests.Add(1)
	if !l.Sheds(c) {
		return func() {}, true
	}
	limit := l.limits[c]
	switch l.pressure() {
	case severe:
		limit = 0
	case some:
		limit = 1
	}
	if n := l.inflight[c].Add(1); n > limit {
		l.inflight[c].Add(-1)
		return nil, false
	}
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			l.inflight[c].Add(-1)
		}
	}, true
}

// StartRedirect counts a redirect in flight; done, called when it has been
// answered, records how long it took.
func (l *Limiter) StartRedirect() (done func(time.Duration)) {
	l.requests.Add(1)
	l.redirects.Add(1)
	return func(d time.Duration) {
		l.redirects.Add(-1)
		l.observe(d)
	}
}

func (l *Limiter) observe(d time.Duration) {
	for {
		old := l.latency.Load()
		v := ewmaWeight*d.Seconds() + (1-ewmaWeight)*math.Float64frombits(old)
		if l.latency.CompareAndSwap(old, math.Float64bits(v)) {
			if v >= l.slow.Seconds() {
				l.lastSlow.Store(l.now().UnixNano())
			}
			return
		}
	}
}

// ObserveScheduling tells the limiter how long goroutines lately waited for
// a processor (Edge.Run samples the runtime's scheduling latencies): when
// the processors are short, the shed classes are cut before redirects queue.
// A high latency holds for latencyFresh, so that the shedding does not flap
// from one sample to the next.
func (l *Limiter) ObserveScheduling(d time.Duration) {
	l.sched.Store(int64(d))
	if d < slowSched {
		return
	}
	now := l.now().UnixNano()
	if d < severeSched && time.Duration(l.schedHigh.Load()) >= severeSched && now-l.schedAt.Load() < int64(l.fresh) {
		return // a severe observation still holds
	}
	l.schedHigh.Store(int64(d))
	l.schedAt.Store(now)
}

// Pressure reports whether redirects are under pressure: many in flight, or
// slow lately, or the processors short. Latencies count only while fresh,
// so the limiter recovers when observations stop.
func (l *Limiter) Pressure() bool { return l.pressure() != none }

type level int

const (
	none level = iota
	some
	severe
)

func (lv level) String() string {
	switch lv {
	case some:
		return "shedding: the API, dashboard and public pages are cut to one request in flight each"
	case severe:
		return "shedding: the API, dashboard and public pages are refused"
	}
	return "recovered: no pressure"
}

// redirectLatency is the redirects' average latency lately.
func (l *Limiter) redirectLatency() time.Duration {
	return time.Duration(math.Float64frombits(l.latency.Load()) * float64(time.Second))
}

// setQuiet tells the limiter whether the server has few requests lately:
// then slow redirects and slow scheduling are the machine's, or the race
// detector's, not overload, and shed nothing. Edge.Run decides it.
func (l *Limiter) setQuiet(q bool) { l.quiet.Store(q) }

func (l *Limiter) pressure() level {
	lv := none
	if l.redirects.Load() >= l.redirectsHigh {
		lv = some
	}
	if l.quiet.Load() {
		return lv
	}
	now := l.now().UnixNano()
	if ewma := math.Float64frombits(l.latency.Load()); ewma >= l.slow.Seconds() && now-l.lastSlow.Load() < int64(l.fresh) {
		lv = max(lv, some)
		if ewma >= severeRedirect.Seconds() {
			return severe
		}
	}
	if d := time.Duration(l.schedHigh.Load()); d >= slowSched && now-l.schedAt.Load() < int64(l.fresh) {
		lv = max(lv, some)
		if d >= severeSched {
			return severe
		}
	}
	return lv
}

func procs() int { return runtime.GOMAXPROCS(0) }
