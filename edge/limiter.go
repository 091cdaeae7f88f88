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
}

// LimiterConfig sizes a Limiter.
type LimiterConfig struct {
	// Procs is the number of processors (GOMAXPROCS); the bounds scale with it.
	Procs int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Redirect pressure: redirects in flight per processor, and a latency, over
// which the shed classes are cut to one request in flight.
const (
	redirectsPerProc = 32
	slowRedirect     = 20 * time.Millisecond
	latencyFresh     = time.Second
	ewmaWeight       = 0.2
)

// NewLimiter returns a limiter whose bounds scale with cfg.Procs: per
// processor, 4 API, 4 public and 2 dashboard requests in flight.
func NewLimiter(cfg LimiterConfig) *Limiter {
	p := int64(max(cfg.Procs, 1))
	l := &Limiter{redirectsHigh: redirectsPerProc * p, slow: slowRedirect, fresh: latencyFresh, now: cfg.Now}
	if l.now == nil {
		l.now = time.Now
	}
	l.limits[API] = 4 * p
	l.limits[Public] = 4 * p
	l.limits[Dashboard] = 2 * p
	return l
}

// Sheds reports whether a class is subject to admission.
func (l *Limiter) Sheds(c Class) bool { return c >= 0 && c < nClasses && l.limits[c] > 0 }

// Admit takes a place for a request of class c. It returns false when the
// request must be refused; otherwise done releases the place. Classes that
// are never shed are always admitted.
func (l *Limiter) Admit(c Class) (done func(), ok bool) {
	if !l.Sheds(c) {
		return func() {}, true
	}
	limit := l.limits[c]
	if l.Pressure() {
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

// Pressure reports whether redirects are under pressure: many in flight, or
// slow lately. Latency counts only while fresh, so the limiter recovers when
// redirects stop.
func (l *Limiter) Pressure() bool {
	if l.redirects.Load() >= l.redirectsHigh {
		return true
	}
	if math.Float64frombits(l.latency.Load()) < l.slow.Seconds() {
		return false
	}
	return l.now().UnixNano()-l.lastSlow.Load() < int64(l.fresh)
}

func procs() int { return runtime.GOMAXPROCS(0) }
