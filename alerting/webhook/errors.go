package webhook

import (
	"context"
	"errors"
	"github.com/linkwatch/linkwatch/alerting"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// classify maps the outcome of one request to a delivery decision: whether
// it may succeed later, and how long the receiver asked us to wait. It is
// the one place where retry decisions are made.
//
// Without an answer (refused or reset connections, timeouts, DNS and TLS
// failures, cancellation) it retries: the request may never have arrived,
// and if it did the receiver deduplicates on the ID. A 2xx is success. 429
// retries after Retry-After; 408 and 5xx retry, after Retry-After when
// given. Everything else, redirects included, needs a human: resending
// cannot fix a wrong URL or a receiver that rejects the payload.
func classify(resp *http.Response, err error, now time.Time) (retry bool, after time.Duration) {
	if err != nil || resp == nil {
		return true, 0
	}
	switch s := resp.StatusCode; {
	case s/100 == 2:
		return false, 0
	case alerting.RetryableStatus(s):
		return true, alerting.RetryAfter(resp.Header, now)
	}
	return false, 0
}

// notifyError is an error whose message has been scrubbed of secrets. It
// deliberately does not wrap the original error, whose message may hold the
// URL; it unwraps only to context errors, which hold none.
type notifyError struct {
	msg   string
	cause error
}

func (e *notifyError) Error() string { return e.msg }
func (e *notifyError) Unwrap() error { return e.cause }

// failure builds the scrubbed error for a request that got no answer.
func (n *Notifier) failure(op string, err error) error {
	var cause error
	switch {
	case errors.Is(err, context.Canceled):
		cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error's own message starts with the URL
	}
	return &notifyError{msg: n.prefix + ": " + op + ": " + n.scrubber.Scrub(err.Error()), cause: cause}
}

// maxQuotedBody is the longest answer body quoted in an error.
const maxQuotedBody = 120

// quotable matches answer bodies short and plain enough to quote in an
// error ("invalid signature", {"error":"unknown campaign"}). It has no "/",
// "?", "=", "&", "%" or "@", so an echo of the URL is never quoted, even a
// cut-off one that scrubbing would not recognise; a bare token that passes
// it is scrubbed.
var quotable = regexp.MustCompile(`^[A-Za-z0-9 _.,:;'"(){}\[\]!-]+$`)

// statusError builds the scrubbed error for a non-2xx answer. It never
// quotes a redirect's Location.
func (n *Notifier) statusError(status int, after time.Duration, body []byte) error {
	msg := "HTTP " + strconv.Itoa(status)
	if text := http.StatusText(status); text != "" {
		msg += " " + text
	}
	switch {
	case status/100 == 3:
		msg += ": redirects are not followed, the signed notification goes only to the configured URL"
	case after > 0:
		msg += " (retry after " + after.String() + ")"
	}
	if b := strings.TrimSpace(string(body)); len(body) <= maxQuotedBody && quotable.MatchString(b) {
		msg += ": " + b
	}
	return &notifyError{msg: n.prefix + ": " + n.scrubber.Scrub(msg)}
}
