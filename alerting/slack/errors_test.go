package slack

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

func errorsIsCanceled(err error) bool { return errors.Is(err, context.Canceled) }

// closedURL is the base URL of a server that no longer listens.
func closedURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

// TestErrorsNeverContainSecrets drives every failure mode we know of,
// including servers that echo what they were sent, and checks that no
// error, from New or Notify, contains the token or any form of the webhook
// URL.
func TestErrorsNeverContainSecrets(t *testing.T) {
	const odd = "/services/T000/B000/SEKRÉT-\"QUOTED\"-WEBHOOK" // needs escaping and %q-quoting
	secrets := []string{testToken, "TOKENSECRET", testWebhookPath, "WEBHOOKSECRET",
		"SEKRÉT", url.PathEscape("SEKRÉT"), "QUOTED", "APIPASSWORD"}
	dead := closedURL(t)
	echo := func(status int, body string, header map[string]string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			if status == http.StatusTemporaryRedirect {
				w.Header().Set("Location", dead+r.URL.Path)
			}
			if strings.HasPrefix(body, "{") {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(status)
			_, _ = w.Write([]byte(strings.ReplaceAll(body, "$PATH", r.URL.Path)))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	bot := func(apiURL string) Config { return Config{Token: testToken, Channel: "C1", APIURL: apiURL} }
	hook := func(base, path string) Config { return Config{WebhookURL: linkwatch.Secret(base + path)} }
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for handlers

	tests := []struct {
		name   string
		cfg    Config
		ctx    func() context.Context
		http   *http.Client
		newErr bool // New itself must fail
	}{
		{name: "malformed webhook URL", cfg: hook("http://[::1", testWebhookPath), newErr: true},
		{name: "webhook URL without scheme", cfg: hook("127.0.0.1", testWebhookPath), newErr: true},
		{name: "malformed API URL", cfg: bot("http://[::1/api/"), newErr: true},
		{name: "webhook connection refused", cfg: hook(closedURL(t), testWebhookPath)},
		{name: "webhook connection refused, odd URL", cfg: hook(closedURL(t), odd)},
		{name: "bot connection refused", cfg: bot(closedURL(t) + "/api/")},
		{name: "bot API URL with a password", cfg: bot(strings.Replace(closedURL(t), "http://", "http://user:APIPASSWORD@", 1) + "/api/")},
		{name: "webhook 500", cfg: hook(echo(500, "$PATH", nil), testWebhookPath)},
		{name: "webhook 404 echoing the secret", cfg: hook(echo(404, "WEBHOOKSECRET", nil), testWebhookPath)},
		{name: "webhook 400 echoing the path", cfg: hook(echo(400, "$PATH", nil), testWebhookPath)},
		{name: "webhook redirected to a dead host", cfg: hook(echo(http.StatusTemporaryRedirect, "", nil), testWebhookPath)},
		{name: "webhook 429 with an echoing Retry-After", cfg: hook(echo(429, "", map[string]string{"Retry-After": testWebhookPath}), testWebhookPath)},
		{name: "bot 429 with the token as Retry-After", cfg: bot(echo(429, "", map[string]string{"Retry-After": testToken}) + "/api/")},
		{name: "bot error echoing the token", cfg: bot(echo(200, apiError("invalid_auth "+testToken), nil) + "/api/")},
		{name: "bot 500", cfg: bot(echo(500, testToken, nil) + "/api/")},
		{name: "bot not JSON", cfg: bot(echo(200, "<html>"+testToken, nil) + "/api/")},
		{name: "webhook timeout", cfg: hook(hanging.URL, testWebhookPath), http: &http.Client{Timeout: 50 * time.Millisecond}},
		{name: "bot timeout", cfg: bot(hanging.URL + "/api/"), http: &http.Client{Timeout: 50 * time.Millisecond}},
		{name: "webhook cancelled", cfg: hook(hanging.URL, testWebhookPath), ctx: cancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.HTTP = tt.http
			n, err := New(tt.cfg)
			if tt.newErr {
				if err == nil {
					t.Fatal("New succeeded, want an error")
				}
				assertNoSecret(t, "New", err, secrets)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			for _, ref := range []string{"", "C1:1.1"} {
				notif := firing()
				if ref != "" {
					notif.Kind = alerting.KindResolved
				}
				_, err := n.Notify(ctx, notif, ref)
				if err == nil {
					t.Fatal("Notify succeeded, want an error")
				}
				assertNoSecret(t, "Notify", err, secrets)
			}
		})
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func assertNoSecret(t *testing.T, op string, err error, secrets []string) {
	t.Helper()
	msg := err.Error()
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			t.Errorf("%s error %q contains the secret %q", op, msg, s)
		}
	}
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		for _, s := range secrets {
			if strings.Contains(e.Error(), s) {
				t.Errorf("%s error wraps %q, which contains the secret %q", op, e, s)
			}
		}
	}
	t.Logf("%s: %s", op, msg)
}

func TestClassifyWithoutResponse(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		retry bool
	}{
		{"nil", nil, false},
		{"network", &url.Error{Op: "Post", URL: "x", Err: errors.New("connection reset")}, true},
		{"unparsable URL", &url.Error{Op: "parse", URL: "x", Err: errors.New("bad")}, false},
		{"deadline", context.DeadlineExceeded, true},
		{"other", errors.New("json: cannot unmarshal"), false},
	}
	for _, tt := range tests {
		if retry, _ := classify(tt.err, response{}, time.Now()); retry != tt.retry {
			t.Errorf("%s: retry = %v, want %v", tt.name, retry, tt.retry)
		}
	}
}
