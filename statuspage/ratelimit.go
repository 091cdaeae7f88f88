package statuspage

import (
	"math"
	"sync"
	"time"
)

// limiter is a token bucket per key (a client address) and one for all
// keys together: each allows perMinute requests a minute, in bursts of up
// to perMinute. It remembers at most maxKeys keys; a full bucket is
// forgotten (it is as good as new), and when maxKeys keys all hold
// spent buckets a new key is refused until one refills — memory stays
// bounded whatever the number of addresses.
type limiter struct {
	mu        sync.Mutex
	perKey    float64 // tokens a minute, and the burst, per key
	global    bucket
	perMin    float64 // the global bucket's
	keys      map[string]*bucket
	maxKeys   int
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(perKey, global, maxKeys int) *limiter {
	return &limiter{perKey: float64(perKey), perMin: float64(global), global: bucket{tokens: float64(global)},
		keys: map[string]*bucket{}, maxKeys: maxKeys}
}

// refill adds what rate tokens a minute brought since b.at, up to rate.
func (b *bucket) refill(rate float64, now time.Time) {
	if d := now.Sub(b.at); d > 0 && !b.at.IsZero() {
		b.tokens = math.Min(rate, b.tokens+rate*d.Minutes())
	}
	b.at = now
}

// wait is how long until b holds a token.
func (b *bucket) wait(rate float64) time.Duration {
	return time.Duration((1 - b.tokens) / rate * float64(time.Minute))
}

// allow takes a token for key and one from the global bucket, or says how
// long to wait.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= l.maxKeys {
			l.sweep(now)
		}
		if len(l.keys) >= l.maxKeys {
			return false, time.Minute
		}
		b = &bucket{tokens: l.perKey, at: now}
		l.keys[key] = b
	}
	b.refill(l.perKey, now)
	if b.tokens < 1 {
		return false, b.wait(l.perKey)
	}
	l.global.refill(l.perMin, now)
	if l.global.tokens < 1 {
		return false, l.global.wait(l.perMin)
	}
	b.tokens--
	l.global.tokens--
	return true, 0
}

// sweep forgets the keys whose buckets refilled, at most once a second.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Second {
		return
	}
	l.lastSweep = now
	for k, b := range l.keys {
		if b.refill(l.perKey, now); b.tokens >= l.perKey {
			delete(l.keys, k)
		}
	}
}
