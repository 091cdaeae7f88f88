// Package webhook delivers alert notifications to campaign owners' own
// systems: an HTTP POST of a JSON Payload, signed with HMAC-SHA256 over a
// timestamp and the body, through the same outbox and retries as every
// other receiver.
//
// A request carries these headers:
//
//	Content-Type: application/json
//	User-Agent: Linkwatch-Webhook/1
//	Linkwatch-Webhook-Id: <notification id, the same on every retry>
//	Linkwatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// Receivers check the signature with Verify (or its few lines in their own
// language, see Sign), reject stale timestamps, and deduplicate on the id:
// a notification may arrive more than once when an answer is lost.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// Request headers.
const (
	HeaderID        = "Linkwatch-Webhook-Id"
	HeaderSignature = "Linkwatch-Signature"
	UserAgent       = "Linkwatch-Webhook/1"
)

// MinSecretLen is the shortest signing secret New accepts, in bytes.
const MinSecretLen = 16

// Config configures one webhook receiver.
type Config struct {
	// Name names the receiver in errors ("webhook:<name>" in the outbox).
	Name string
	// URL is where notifications are posted: an absolute http(s) URL. It
	// may carry a token (in its path, query or user info), so it is a
	// secret and never appears in errors.
	URL linkwatch.Secret
	// Secret is the HMAC-SHA256 key shared with the receiver, at least
	// MinSecretLen bytes.
	Secret linkwatch.Secret
	// HTTP is the client for all requests; nil means one with a 30 s
	// timeout. Its redirect policy is replaced: redirects are never
	// followed.
	HTTP *http.Client
	// Now is the clock for signature timestamps and Retry-After dates; nil
	// means time.Now.
	Now func() time.Time
}

// Notifier posts signed notifications to one webhook. It is safe for
// concurrent use.
type Notifier struct {
	prefix   string // "webhook <name>", for errors
	url      string // revealed
	secret   []byte // revealed
	http     *http.Client
	now      func() time.Time
	scrubber alerting.Scrubber // removes the URL and the secret from errors
}

var _ alerting.Notifier = (*Notifier)(nil)

// New validates cfg and returns a notifier. Its errors never contain the URL
// or the secret.
func New(cfg Config) (*Notifier, error) {
	n := &Notifier{
		prefix: "webhook",
		url:    cfg.URL.Reveal(),
		secret: []byte(cfg.Secret.Reveal()),
		now:    cfg.Now,
	}
	if cfg.Name != "" {
		n.prefix += " " + cfg.Name
	}
	switch {
	case n.url == "":
		return nil, errors.New(n.prefix + ": a URL is required")
	case !isAbsoluteURL(n.url):
		return nil, errors.New(n.prefix + ": the URL is not an absolute http(s) URL")
	case len(n.secret) < MinSecretLen:
		return nil, errors.New(n.prefix + ": the signing secret must be at least " + strconv.Itoa(MinSecretLen) + " bytes")
	}
	if n.now == nil {
		n.now = time.Now
	}
	n.http = &http.Client{Timeout: 30 * time.Second}
	if cfg.HTTP != nil {
		hc := *cfg.HTTP
		n.http = &hc
	}
	// A redirect would carry the signed notification, and perhaps the URL's
	// credentials, somewhere nobody configured.
	n.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	n.scrubber = alerting.Scrubber{}.WithURL(n.url).With(string(n.secret))
	return n, nil
}

func isAbsoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Notify posts notif's Payload, signed now. ref is unused: a webhook cannot
// edit what it was sent, so the receiver correlates by dedupe_key, and the
// returned Ref is "". Every attempt at one notification sends the same body
// and the same Linkwatch-Webhook-Id; only the signature's timestamp changes.
//
// A 2xx answer is success. Whether a failure is retried is decided by
// classify; the error never contains the URL or the secret.
func (n *Notifier) Notify(ctx context.Context, notif alerting.Notification, _ string) (alerting.Delivery, error) {
	if notif.ID == "" {
		// Receivers deduplicate on the ID: without one, retries would look new.
		return alerting.Delivery{}, errors.New(n.prefix + ": the notification has no ID")
	}
	body, err := marshal(notif)
	if err != nil {
		return alerting.Delivery{}, n.failure("encoding the payload", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return alerting.Delivery{}, n.failure("building the request", err)
	}
	ts := n.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderID, notif.ID)
	req.Header.Set(HeaderSignature, "t="+strconv.FormatInt(ts, 10)+","+Sign(n.secret, ts, body))

	resp, err := n.http.Do(req)
	if err != nil {
		retry, after := classify(nil, err, n.now())
		return alerting.Delivery{Retry: retry, RetryAfter: after}, n.failure("POST", err)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxQuotedBody+1))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	retry, after := classify(resp, nil, n.now())
	if resp.StatusCode/100 == 2 {
		return alerting.Delivery{}, nil
	}
	return alerting.Delivery{Retry: retry, RetryAfter: after}, n.statusError(resp.StatusCode, after, head)
}
