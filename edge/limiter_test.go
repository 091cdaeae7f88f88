package edge

import (
	"context"
	"math"
	"net"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// admitted takes places of class c until one is refused, and returns them.
func admitted(t *testing.T, l *Limiter, c Class) []func() {
	t.Helper()
	var dones []func()
	for range 1000 {
		done, ok := l.Admit(c)
		if !ok {
			return dones
		}
		dones = append(dones, done)
	}
	t.Fatalf("class %s: 1000 admitted, no bound", c)
	return nil
}

func TestLimiterBoundsPerClass(t *testing.T) {
	l := NewLimiter(LimiterConfig{Procs: 2})
	for c, want := range map[Class]int{API: 2 * apiPerProc, Public: 2 * publicPerProc, Dashboard: 2 * dashboardPerProc} {
		dones := admitted(t, l, c)
		if len(dones) != want {
			t.Errorf("%s: %d admitted, want %d", c, len(dones), want)
		}
		dones[0]()
		dones[0]() // a second release frees nothing more
		if _, ok := l.Admit(c); !ok {
			t.Errorf("%s: refused after a release", c)
		}
		if _, ok := l.Admit(c); ok {
			t.Errorf("%s: a double release freed two places", c)
		}
	}
	// The classes are independent, and some are never shed.
	for _, c := range []Class{Redirect, Stream, Ops, Probe} {
		if l.Sheds(c) {
			t.Errorf("%s is shed", c)
		}
		for range 1000 {
			if _, ok := l.Admit(c); !ok {
				t.Fatalf("%s refused", c)
			}
		}
	}
}

func TestLimiterRedirectsInFlight(t *testing.T) {
	l := NewLimiter(LimiterConfig{Procs: 1}) // pressure at 32 redirects in flight
	var ends []func(time.Duration)
	for range 31 {
		ends = append(ends, l.StartRedirect())
	}
	if l.Pressure() {
		t.Fatal("pressure at 31 redirects in flight")
	}
	ends = append(ends, l.StartRedirect())
	if !l.Pressure() {
		t.Fatal("no pressure at 32 redirects in flight")
	}
	if n := len(admitted(t, l, API)); n != 1 {
		t.Errorf("under pressure %d API requests admitted, want 1", n)
	}
	for _, end := range ends {
		end(time.Millisecond)
	}
	if l.Pressure() {
		t.Fatal("pressure after every redirect ended")
	}
	if n := len(admitted(t, l, Public)); n != publicPerProc {
		t.Errorf("after pressure %d public requests admitted, want %d", n, publicPerProc)
	}
}

func TestLimiterSlowRedirects(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(LimiterConfig{Procs: 1, Now: func() time.Time { return now }})
	l.StartRedirect()(100 * time.Microsecond)
	if l.Pressure() {
		t.Fatal("pressure after a fast redirect")
	}
	l.StartRedirect()(time.Second) // one outlier moves the average past the bound
	if !l.Pressure() {
		t.Fatal("no pressure after a slow redirect")
	}
	// Fast redirects bring the average down again.
	for range 30 {
		l.StartRedirect()(100 * time.Microsecond)
	}
	if l.Pressure() {
		t.Fatal("pressure after many fast redirects")
	}
	// With no redirects after slow ones, the pressure ends when the last
	// slow observation is stale: the limiter recovers by itself.
	for range 5 {
		l.StartRedirect()(time.Second)
	}
	if !l.Pressure() {
		t.Fatal("no pressure after slow redirects")
	}
	now = now.Add(latencyFresh - time.Nanosecond)
	if !l.Pressure() {
		t.Fatal("pressure ended before the observation was stale")
	}
	now = now.Add(time.Nanosecond)
	if l.Pressure() {
		t.Fatal("pressure outlives the last slow redirect by more than latencyFresh")
	}
}

// chanListener's Accept returns the connections sent on conns and records
// how many the limit listener held open at each call.
type chanListener struct {
	conns  chan net.Conn
	open   prometheus.Gauge
	mu     sync.Mutex
	seen   []float64
	closed chan struct{}
}

func (l *chanListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	l.seen = append(l.seen, testutil.ToFloat64(l.open))
	l.mu.Unlock()
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}
func (l *chanListener) Close() error   { close(l.closed); return nil }
func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{} }

func TestLimitListener(t *testing.T) {
	open := prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"})
	inner := &chanListener{conns: make(chan net.Conn, 3), open: open, closed: make(chan struct{})}
	ln := LimitListener(inner, 2, open)
	accepted := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	for range 3 {
		c, peer := net.Pipe()
		defer peer.Close()
		inner.conns <- c
	}
	first, second := <-accepted, <-accepted
	if v := testutil.ToFloat64(open); v != 2 {
		t.Fatalf("open connections %v, want 2", v)
	}
	first.Close()
	first.Close() // closing twice releases one place
	third := <-accepted
	second.Close()
	third.Close()
	if v := testutil.ToFloat64(open); v != 0 {
		t.Errorf("open connections %v after all closed, want 0", v)
	}
	ln.Close() // a waiting Accept returns
	if _, ok := <-accepted; ok {
		t.Fatal("accepted after close")
	}
	inner.mu.Lock()
	defer inner.mu.Unlock()
	// The inner Accept is called only with a place free: never with 2 open.
	for i, v := range inner.seen {
		if v >= 2 {
			t.Errorf("inner Accept %d called with %v connections open", i+1, v)
		}
	}
	if len(inner.seen) < 3 {
		t.Errorf("inner Accept called %d times, want >= 3", len(inner.seen))
	}
}

func TestLimiterScheduling(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(LimiterConfig{Procs: 2, Now: func() time.Time { return now }})
	l.ObserveScheduling(time.Millisecond)
	if l.Pressure() {
		t.Fatal("pressure at 1ms of scheduling latency")
	}
	l.ObserveScheduling(10 * time.Millisecond)
	if n := len(admitted(t, l, API)); n != 1 {
		t.Errorf("processors short: %d API requests admitted, want 1", n)
	}
	l.ObserveScheduling(time.Millisecond) // one quiet sample does not end it
	if !l.Pressure() {
		t.Error("pressure ended with one quiet sample")
	}
	l2 := NewLimiter(LimiterConfig{Procs: 2, Now: func() time.Time { return now }})
	l2.ObserveScheduling(50 * time.Millisecond)
	if n := len(admitted(t, l2, Dashboard)); n != 0 {
		t.Errorf("processors very short: %d dashboard requests admitted, want 0", n)
	}
	if _, ok := l2.Admit(Redirect); !ok {
		t.Error("a redirect refused")
	}
	l2.ObserveScheduling(10 * time.Millisecond) // a lesser one does not lower a severe one
	if _, ok := l2.Admit(Dashboard); ok {
		t.Error("severe pressure lowered by a lesser observation")
	}
	now = now.Add(latencyFresh)
	if l2.Pressure() {
		t.Error("pressure outlives a stale observation")
	}
}

func TestQuantileSince(t *testing.T) {
	buckets := []float64{0, 0.001, 0.01, 0.1, math.Inf(1)}
	prev := &metrics.Float64Histogram{Buckets: buckets, Counts: []uint64{10, 5, 0, 0}}
	if _, n := quantileSince(prev, prev, 0.99); n != 0 {
		t.Error("a quantile of no observations")
	}
	// Since prev: 98 under 1ms, 2 between 10ms and 100ms.
	cur := &metrics.Float64Histogram{Buckets: buckets, Counts: []uint64{108, 5, 0, 2}}
	if d, n := quantileSince(prev, cur, 0.5); n != 100 || d != time.Millisecond {
		t.Errorf("p50 %v of %d, want 1ms of 100", d, n)
	}
	if d, n := quantileSince(prev, cur, 0.99); n != 100 || d != 100*time.Millisecond {
		t.Errorf("p99 %v of %d, want 100ms of 100", d, n)
	}
	last := &metrics.Float64Histogram{Buckets: []float64{0, 1, math.Inf(1)}, Counts: []uint64{0, 3}}
	if d, n := quantileSince(&metrics.Float64Histogram{Buckets: last.Buckets, Counts: []uint64{0, 0}}, last, 0.99); n != 3 || d != time.Second {
		t.Errorf("open last bucket: %v of %d, want its lower bound 1s of 3", d, n)
	}
}

func TestLimiterQuiet(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(LimiterConfig{Procs: 1, Now: func() time.Time { return now }})
	l.setQuiet(true)
	l.ObserveScheduling(time.Second)
	l.StartRedirect()(time.Second)
	if l.Pressure() {
		t.Error("pressure from latencies while quiet")
	}
	var ends []func(time.Duration)
	for range 32 {
		ends = append(ends, l.StartRedirect())
	}
	if !l.Pressure() {
		t.Error("no pressure at 32 redirects in flight while quiet")
	}
	for _, end := range ends {
		end(time.Millisecond)
	}
	l.setQuiet(false)
	if n := len(admitted(t, l, API)); n != 0 {
		t.Errorf("busy again: %d API requests admitted under severe latencies, want 0", n)
	}
}

// TestRunObservesScheduling: Run feeds the runtime's scheduling latencies
// to the limiter once the process is busy.
func TestRunObservesScheduling(t *testing.T) {
	lim := NewLimiter(LimiterConfig{Procs: 1})
	e := New(Config{Limiter: lim}, prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for lim.sched.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no scheduling latency observed in 30s")
		}
		var wg sync.WaitGroup // a busy process: many goroutines to schedule
		for range 100 {
			wg.Go(func() {})
		}
		wg.Wait()
	}
	cancel()
	<-done
}
