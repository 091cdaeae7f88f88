package dashboard

import (
	"sync"
	"time"
)

// maxLimiterEntries bounds the sign-in limiter's memory: the addresses it
// remembers at once.
const maxLimiterEntries = 10_000

// limiter is a token bucket per client address: burst attempts at once, then
// perMinute a minute. Its memory is bounded: when it is full, addresses
// whose bucket has refilled (they are as good as new) are forgotten first,
// then the one with the most attempts left.
type limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens a second
	burst   float64
	max     int
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(perMinute, burst, max int) *limiter {
	return &limiter{rate: float64(perMinute) / 60, burst: float64(burst), max: max, buckets: map[string]*bucket{}}
}

// allow takes a token from addr's bucket; when there is none it says how
// long until there is.
func (l *limiter) allow(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[addr]
	if !ok {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[addr] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

// evict makes room for one more address: it forgets every address whose
// bucket has refilled (as good as new), or else the one closest to refilled,
// so an address that used up its attempts is forgotten last — flooding the
// limiter with new addresses does not give one back its attempts.
func (l *limiter) evict(now time.Time) {
	var fullest string
	most := -1.0
	for addr, b := range l.buckets {
		tokens := b.tokens + now.Sub(b.last).Seconds()*l.rate
		if tokens >= l.burst {
			delete(l.buckets, addr)
			continue
		}
		if tokens > most {
			fullest, most = addr, tokens
		}
	}
	if len(l.buckets) >= l.max && fullest != "" {
		delete(l.buckets, fullest)
	}
}

// size is how many addresses the limiter remembers.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
