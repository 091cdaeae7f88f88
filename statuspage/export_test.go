package statuspage

import "time"

// LimiterForTest exposes the subscription rate limiter to tests.
type LimiterForTest struct{ l *limiter }

func NewLimiterForTest(perKey, global, maxKeys int) LimiterForTest {
	return LimiterForTest{newLimiter(perKey, global, maxKeys)}
}

func (t LimiterForTest) Allow(key string, now time.Time) (bool, time.Duration) {
	return t.l.allow(key, now)
}

func (t LimiterForTest) Keys() int { t.l.mu.Lock(); defer t.l.mu.Unlock(); return len(t.l.keys) }
