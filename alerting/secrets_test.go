package alerting_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/alerting/datadog"
	"github.com/linkwatch/linkwatch/alerting/slack"
	"github.com/linkwatch/linkwatch/alerting/webhook"
	"github.com/prometheus/client_golang/prometheus"
)

// The secrets of every notifier. URL secrets are checked whole and by their
// token part.
const (
	ddKey       = "dd7Qw3rTy9uI0pAsDfGhJkLzXcVbNm42"
	slackToken  = "xoxb-5l4ck-B0tT0k3n-qwertyuiop"
	slackHook   = "/services/T0AB/B0CD/sl4ckH00kT0k3nZXCVBNM"
	hookPath    = "/hooks/wh00kT0k3nPOIUYTREWQ"
	hookSecret  = "wh-s1gn1ng-S3cr3t-LKJHGFDSA"
	secretPiece = 6
)

// echo answers every request with status and a body that repeats the
// secrets at offset (after filler), so that cutting the body at any length
// could cut a secret in two.
func echo(status int, offset int, header http.Header) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		secrets := ddKey + " " + slackToken + " " + r.URL.String() + " " + hookSecret + " " + r.Header.Get("Authorization")
		body := strings.Repeat("x", offset) + secrets + " " + secrets
		_, _ = w.Write([]byte(body))
	}
}

// hang answers only when the client gives up or the test ends.
func hang(stop <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}
}

type notifierCase struct {
	name     string
	receiver string
	secrets  []string // checked whole and by every piece of secretPiece characters
	whole    []string // checked whole only (URLs, whose host is no secret)
	notifier alerting.Notifier
}

func notifiers(t *testing.T, base string, hc *http.Client) []notifierCase {
	t.Helper()
	dd, err := datadog.New(datadog.Config{APIKey: ddKey, APIURL: base + "/", HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dd.Close() })
	sh, err := slack.New(slack.Config{WebhookURL: linkwatch.Secret(base + slackHook), HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := slack.New(slack.Config{Token: slackToken, Channel: "#ops", APIURL: base + "/api/", HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	wh, err := webhook.New(webhook.Config{Name: "ops", URL: linkwatch.Secret(base + hookPath), Secret: hookSecret, HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	return []notifierCase{
		{"datadog", "datadog", []string{ddKey}, nil, dd},
		{"slack webhook", "slack", []string{"sl4ckH00kT0k3nZXCVBNM"}, []string{base + slackHook}, sh},
		{"slack bot", "slack", []string{slackToken}, nil, sb},
		{"webhook", "webhook:ops", []string{"wh00kT0k3nPOIUYTREWQ", hookSecret}, []string{base + hookPath}, wh},
	}
}

// TestNotifierErrorsHoldNoSecret provokes every error path of every HTTP
// notifier and checks the returned error, the delivery log and the stored
// last_error for the secrets and any piece of them.
func TestNotifierErrorsHoldNoSecret(t *testing.T) {
	type path struct {
		name    string
		handler http.Handler
		closed  bool // the server is gone: a network error quoting the URL
		timeout bool
	}
	var paths []path
	for _, status := range []int{400, 403, 404, 500, 503} {
		for _, off := range []int{0, 1, 100, 150, 180, 190, 195, 200, 250, 1000, 64<<10 - 20, 64<<10 - 5} {
			paths = append(paths, path{name: strconv.Itoa(status) + " at " + strconv.Itoa(off), handler: echo(status, off, nil)})
		}
	}
	paths = append(paths,
		path{name: "429 Retry-After", handler: echo(429, 190, http.Header{"Retry-After": {"7"}})},
		path{name: "302 to the secret", handler: echo(302, 0, http.Header{"Location": {"/x/" + ddKey + "/" + slackToken}})},
		path{name: "network error", handler: echo(200, 0, nil), closed: true},
		path{name: "timeout", handler: nil, timeout: true},
	)
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			stop := make(chan struct{})
			h := p.handler
			if p.timeout {
				h = hang(stop)
			}
			srv := httptest.NewServer(h)
			hc := srv.Client()
			if p.timeout {
				hc.Timeout = 50 * time.Millisecond // the server never answers: only the outcome matters
			}
			cases := notifiers(t, srv.URL, hc)
			if p.closed {
				srv.Close()
			} else {
				defer srv.Close()
				defer close(stop)
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					var logs bytes.Buffer
					store := &outbox{out: []alerting.Outgoing{{ID: 1, Receiver: c.receiver, Notification: notification()}}}
					now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
					d := alerting.NewDeliverer(alerting.DeliveryConfig{Now: func() time.Time { return now }, Holder: "t", MaxAttempts: 1},
						store, map[string]alerting.Notifier{c.receiver: c.notifier}, slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
					_, sendErr := c.notifier.Notify(context.Background(), notification(), "")
					if sendErr == nil {
						t.Fatal("Notify succeeded, want an error")
					}
					if _, err := d.RunOnce(context.Background()); err != nil {
						t.Fatal(err)
					}
					if store.lastErr == "" {
						t.Fatal("no last_error stored")
					}
					for what, text := range map[string]string{"error": sendErr.Error(), "log": logs.String(), "last_error": store.lastErr} {
						if leak := leaked(text, c.secrets, c.whole); leak != "" {
							t.Errorf("%s holds %q: %s", what, leak, text)
						}
					}
				})
			}
		})
	}
}

// leaked returns a secret, or a piece of one, that text holds.
func leaked(text string, secrets, whole []string) string {
	for _, w := range whole {
		if strings.Contains(text, w) {
			return w
		}
	}
	for _, s := range secrets {
		for i := 0; i+secretPiece <= len(s); i++ {
			if strings.Contains(text, s[i:i+secretPiece]) {
				return s[i : i+secretPiece]
			}
		}
	}
	return ""
}

func notification() alerting.Notification {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return alerting.Notification{ID: "n1", DedupeKey: "link_down/abc", Kind: "firing", Rule: "link_down",
		Severity: "critical", Summary: "abc is down", Labels: map[string]string{"link": "abc"}, Since: at, At: at}
}

// outbox is the delivery loop's view of storage: one pending notification,
// whose stored last_error the test reads.
type outbox struct {
	alerting.Store
	out     []alerting.Outgoing
	lastErr string
}

var _ alerting.Store = (*outbox)(nil)

func (o *outbox) Lease(context.Context, string, string, time.Duration, time.Time) (int64, bool, error) {
	return 1, true, nil
}
func (o *outbox) Due(context.Context, time.Time, int) ([]alerting.Outgoing, error) { return o.out, nil }
func (o *outbox) Ref(context.Context, string, string) (string, error)              { return "", nil }
func (o *outbox) Sent(context.Context, int64, string, time.Time) error             { return nil }
func (o *outbox) Retry(_ context.Context, _ int64, _ time.Time, lastErr string) error {
	o.lastErr = lastErr
	return nil
}
func (o *outbox) Abandon(_ context.Context, _ int64, lastErr string) error {
	o.lastErr = lastErr
	return nil
}
func (o *outbox) DelayReceiver(context.Context, string, time.Time) error { return nil }
