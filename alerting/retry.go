package alerting

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps a receiver's Retry-After, so a buggy or hostile value
// cannot hold its notifications for days.
const MaxRetryAfter = time.Hour

// RetryableStatus reports whether an HTTP answer with this status may succeed
// later: rate limiting, timeouts and server errors. Every other 4xx will
// fail again. Notifiers decide retries here, in one place.
func RetryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status/100 == 5
}

// RetryAfter reads a Retry-After header, in seconds or as an HTTP date,
// capped at MaxRetryAfter; 0 when absent, past or unreadable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, int64(MaxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), MaxRetryAfter)
	}
	return 0
}

// RetryableSMTPReply reports whether a mail server's refusal with this reply
// code may pass later: 4xx replies are transient (RFC 5321 §4.2.1), 5xx are
// not. Network errors and timeouts, with no reply, retry like HTTP ones.
func RetryableSMTPReply(code int) bool {
	return code < 500
}
