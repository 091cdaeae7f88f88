package webhook

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// closedURL is the base URL of a server that no longer listens.
func closedURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

// TestErrorsNeverContainSecrets drives every failure mode we know of,
// including receivers that echo what they were sent, and checks that no
// error, from New or Notify, contains the URL, its token-bearing parts or
// the signing secret.
func TestErrorsNeverContainSecrets(t *testing.T) {
	const odd = "/hooks/SEKRÉT-\"QUOTED\"-tok_8f14e45fceea167a" // needs escaping and %q-quoting
	secrets := []string{
		"tok_8f14e45fceea167a", "qk_SEKRET-QUERY-VALUE", "SEKRET", "SEKRÉT", url.PathEscape("SEKRÉT"),
		"QUOTED", "USERPASSWORD", testSecret, "SIGNINGKEY", "/hooks/acme",
	}
	dead := closedURL(t)
	echo := func(status int, body string, header map[string]string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			expand := strings.NewReplacer("$URI", r.RequestURI, "$PATH", r.URL.Path, "$QUERY", r.URL.RawQuery,
				"$TOKEN", "tok_8f14e45fceea167a9a36dedd4bea2543", "$HOST", r.Host)
			for k, v := range header {
				w.Header().Set(k, expand.Replace(v))
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, expand.Replace(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	// garbled answers with the request URI in its status line, which
	// net/http quotes in its error.
	garbled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 " + r.RequestURI + "\r\n\r\n")
		_ = buf.Flush()
		_, _ = bufio.NewReader(conn).ReadByte() // until the client hangs up
	}))
	t.Cleanup(garbled.Close)
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

	// noDNS fails every lookup the way the resolver does, without a network.
	noDNS := &http.Client{Transport: &http.Transport{
		DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
	}}
	cfg := func(base, p string) Config {
		return Config{Name: "acme", URL: linkwatch.Secret(base + p), Secret: testSecret}
	}
	withPassword := func(base string) string { return strings.Replace(base, "http://", "http://acme:USERPASSWORD@", 1) }
	tests := []struct {
		name   string
		cfg    Config
		ctx    func(*testing.T) context.Context
		http   *http.Client
		newErr bool // New itself must fail
	}{
		{name: "malformed URL", cfg: cfg("http://[::1", path), newErr: true},
		{name: "URL without scheme", cfg: cfg("127.0.0.1", path), newErr: true},
		{name: "short secret", cfg: Config{URL: linkwatch.Secret(dead + path), Secret: "SEKRET-SHORT"}, newErr: true},
		{name: "connection refused", cfg: cfg(dead, path)},
		{name: "connection refused, odd URL", cfg: cfg(dead, odd)},
		{name: "connection refused, password", cfg: cfg(withPassword(dead), path)},
		{name: "unknown host", cfg: cfg("http://tok-8f14e45fceea167a.invalid", path), http: noDNS},
		{name: "500 echoing the URI", cfg: cfg(echo(500, "$URI", nil), path)},
		{name: "404 echoing the query", cfg: cfg(echo(404, "$QUERY", nil), path)},
		{name: "400 echoing the token alone", cfg: cfg(echo(400, "$TOKEN", nil), path)},
		{name: "401 echoing the query value", cfg: cfg(echo(401, "qk_SEKRET-QUERY-VALUE", nil), path)},
		{name: "403 echoing the secret", cfg: cfg(echo(403, testSecret, nil), path)},
		{name: "403 echoing the odd path", cfg: cfg(echo(403, "$PATH", nil), odd)},
		{name: "redirect to the same URL elsewhere", cfg: cfg(echo(307, "$URI", map[string]string{"Location": dead + "$URI"}), path)},
		{name: "429 with an echoing Retry-After", cfg: cfg(echo(429, "", map[string]string{"Retry-After": "$URI"}), path)},
		{name: "garbled status line echoing the URI", cfg: cfg(garbled.URL, path)},
		{name: "garbled status line, password", cfg: cfg(withPassword(garbled.URL), odd)},
		{name: "timeout", cfg: cfg(hanging.URL, path), http: &http.Client{Timeout: 50 * time.Millisecond}},
		{name: "cancelled", cfg: cfg(hanging.URL, path), ctx: cancelled},
		{name: "deadline", cfg: cfg(hanging.URL, path), ctx: expiring},
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
				ctx = tt.ctx(t)
			}
			_, err = n.Notify(ctx, firing(), "")
			if err == nil {
				t.Fatal("Notify succeeded, want an error")
			}
			assertNoSecret(t, "Notify", err, append(secrets, tt.cfg.URL.Reveal()))
		})
	}
}

func cancelled(*testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func expiring(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	t.Cleanup(cancel)
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

func TestClassify(t *testing.T) {
	tests := []struct {
		status int
		err    error
		retry  bool
	}{
		{status: 200}, {status: 201}, {status: 204},
		{status: 301}, {status: 302}, {status: 304}, {status: 307}, {status: 308},
		{status: 400}, {status: 401}, {status: 403}, {status: 404}, {status: 409}, {status: 410}, {status: 413}, {status: 422},
		{status: 408, retry: true}, {status: 429, retry: true},
		{status: 500, retry: true}, {status: 502, retry: true}, {status: 503, retry: true}, {status: 504, retry: true},
		{status: 600},
		{err: errors.New("connection reset by peer"), retry: true},
		{err: context.DeadlineExceeded, retry: true},
	}
	for _, tt := range tests {
		var resp *http.Response
		if tt.err == nil {
			resp = &http.Response{StatusCode: tt.status, Header: http.Header{}}
		}
		if retry, _ := classify(resp, tt.err, signedAt); retry != tt.retry {
			t.Errorf("classify(%d, %v): retry = %v, want %v", tt.status, tt.err, retry, tt.retry)
		}
	}
}
