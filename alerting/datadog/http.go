package datadog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/alerting"
)

// post sends ev to the events API. Every error it returns is scrubbed of the
// API key.
func (c *Client) post(ctx context.Context, ev event) (alerting.Delivery, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return alerting.Delivery{}, c.errorf("datadog: encode event: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.eventsURL, bytes.NewReader(body))
	if err != nil {
		return alerting.Delivery{}, c.errorf("datadog: event request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("DD-API-KEY", c.apiKey)

	resp, err := c.http.Do(req)
	if err != nil {
		// Network errors, timeouts and cancellation may all pass later.
		return alerting.Delivery{Retry: true}, c.errorf("datadog: post event: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))

	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		var created struct {
			Event struct {
				ID string `json:"id_str"`
			} `json:"event"`
		}
		// The event is posted whether or not the answer parses; the ID only
		// helps operators find it.
		_ = json.Unmarshal(data, &created)
		return alerting.Delivery{Ref: created.Event.ID}, nil
	}
	d := alerting.Delivery{Retry: alerting.RetryableStatus(resp.StatusCode)}
	if d.Retry {
		d.RetryAfter = retryAfter(resp.Header, c.now())
	}
	return d, c.errorf("datadog: post event: %s: %s", resp.Status, c.scrub.Snippet(data, 200))
}

// retryAfter is how long the API asked us to wait: Retry-After or, failing
// that, DataDog's X-RateLimit-Reset (seconds until the rate-limit period
// resets); 0 when it did not say.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d := alerting.RetryAfter(h, now); d > 0 {
		return d
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Reset"))); err == nil && s > 0 {
		return min(time.Duration(s)*time.Second, alerting.MaxRetryAfter)
	}
	return 0
}

// errorf formats an error with the API key replaced by "<redacted>", wherever
// it came from (a URL, a proxy's message, a response body echoing it). The
// cause is not wrapped, as unwrapping would expose it unscrubbed.
func (c *Client) errorf(format string, args ...any) error {
	return errors.New(c.scrub.Scrub(fmt.Sprintf(format, args...)))
}
