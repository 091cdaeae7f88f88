package slack

import (
	"bytes"
	"context"
	"errors"
	"github.com/linkwatch/linkwatch/alerting"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// response is what a recorder saw of the last HTTP response of one Slack
// call; status 0 means no response arrived.
type response struct {
	status int
	header http.Header
	body   string // the start of a non-2xx body, e.g. a webhook's "no_service"
}

// recorder is an http.RoundTripper that remembers the last response, because
// slack-go's errors keep neither the status of an ok:false answer nor the
// Retry-After of a 429 it could not parse. One recorder serves one call.
type recorder struct {
	base http.RoundTripper
	last response
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.last = response{} // a failed redirect must not look like the 3xx before it
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	r.last = response{status: resp.StatusCode, header: resp.Header.Clone()}
	if resp.StatusCode/100 != 2 {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		r.last.body = strings.TrimSpace(string(head))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	}
	return resp, nil
}

// retryableAPIErrors are Slack Web API error codes (HTTP 200, ok:false) that
// say "try again later"; every other code (channel_not_found, invalid_auth,
// not_in_channel, …) needs a human.
var retryableAPIErrors = map[string]bool{
	"ratelimited":         true,
	"rate_limited":        true,
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
}

// classify maps the outcome of one Slack call to a delivery decision: whether
// it may succeed later, and how long the receiver asked us to wait. It is the
// one place where retry decisions are made.
//
// HTTP 429 retries after Retry-After; what alerting.RetryableStatus calls
// transient (408, 5xx), network errors and timeouts retry;
// other HTTP statuses (a webhook's 400 invalid_payload, 403, 404 no_service)
// and Slack API errors other than the transient ones above do not. A 200
// whose body is not Slack's JSON (a misconfigured proxy) does not either:
// the message may have been posted, and resending cannot fix the setup.
func classify(err error, resp response, now time.Time) (retry bool, after time.Duration) {
	if err == nil {
		return false, 0
	}
	var (
		limited *slack.RateLimitedError
		apiErr  slack.SlackErrorResponse
		urlErr  *url.Error
		netErr  net.Error
	)
	switch {
	case resp.status == http.StatusTooManyRequests:
		after = alerting.RetryAfter(resp.header, now)
		if after == 0 && errors.As(err, &limited) {
			after = min(limited.RetryAfter, alerting.MaxRetryAfter)
		}
		return true, after
	case errors.As(err, &limited):
		return true, min(limited.RetryAfter, alerting.MaxRetryAfter)
	case alerting.RetryableStatus(resp.status):
		return true, alerting.RetryAfter(resp.header, now)
	case resp.status != 0 && resp.status != http.StatusOK:
		return false, 0
	case errors.As(err, &apiErr):
		return retryableAPIErrors[apiErr.Err], 0
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return true, 0
	case errors.As(err, &urlErr): // before net.Error, which *url.Error implements
		return urlErr.Op != "parse", 0
	case errors.As(err, &netErr):
		return true, 0
	}
	return false, 0
}

// apiErrorCode is the Slack API error code of err ("channel_not_found"), or
// "" when err is not an ok:false answer.
func apiErrorCode(err error) string {
	var apiErr slack.SlackErrorResponse
	if errors.As(err, &apiErr) {
		return apiErr.Err
	}
	return ""
}

// notifyError is an error whose message has been scrubbed of secrets. It
// deliberately does not wrap the original error, whose message may hold the
// token or webhook URL; it unwraps only to context errors, which hold none.
type notifyError struct {
	msg   string
	cause error
}

func (e *notifyError) Error() string { return e.msg }
func (e *notifyError) Unwrap() error { return e.cause }

// scrub removes the notifier's secrets from msg. In webhook mode the URL of
// every url.Error in err's chain is a secret too: net/http reports the URL it
// sent to (or was redirected to), in whatever form it re-encoded it.
func (n *Notifier) scrub(msg string, err error) string {
	sc := n.scrubber
	if n.webhook != "" {
		for e := err; e != nil; e = errors.Unwrap(e) {
			if ue, ok := e.(*url.Error); ok {
				sc = sc.WithURL(ue.URL)
			}
		}
	}
	return sc.Scrub(msg)
}

// errorCode matches the short bodies Slack's webhooks answer errors with
// ("invalid_payload", "no_service"); other bodies stay out of messages,
// where a cut-off echo of the request could leak part of a secret.
var errorCode = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// failure builds the scrubbed error for a failed Slack call.
func (n *Notifier) failure(op string, err error, resp response) error {
	msg := "slack: " + op + ": " + err.Error()
	if errorCode.MatchString(resp.body) && !strings.Contains(msg, resp.body) {
		msg += ": " + resp.body
	}
	if status := strconv.Itoa(resp.status); resp.status/100 != 2 && resp.status != 0 && !strings.Contains(msg, status) {
		msg += " (HTTP " + status + ")"
	}
	var cause error
	switch {
	case errors.Is(err, context.Canceled):
		cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	}
	return &notifyError{msg: n.scrub(msg, err), cause: cause}
}
