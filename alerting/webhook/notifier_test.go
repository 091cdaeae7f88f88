package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/alerting"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // error, "" for none
	}{
		{"no URL", Config{Name: "acme", Secret: testSecret}, "webhook acme: a URL is required"},
		{"relative URL", Config{Name: "acme", URL: "hooks/acme", Secret: testSecret}, "webhook acme: the URL is not an absolute http(s) URL"},
		{"no scheme", Config{Name: "acme", URL: "hooks.example/acme", Secret: testSecret}, "webhook acme: the URL is not an absolute http(s) URL"},
		{"ftp", Config{Name: "acme", URL: "ftp://hooks.example/acme", Secret: testSecret}, "webhook acme: the URL is not an absolute http(s) URL"},
		{"malformed", Config{Name: "acme", URL: "http://[::1/acme", Secret: testSecret}, "webhook acme: the URL is not an absolute http(s) URL"},
		{"no host", Config{Name: "acme", URL: "https:///acme", Secret: testSecret}, "webhook acme: the URL is not an absolute http(s) URL"},
		{"no secret", Config{Name: "acme", URL: "https://hooks.example/acme"}, "webhook acme: the signing secret must be at least 16 bytes"},
		{"15-byte secret", Config{Name: "acme", URL: "https://hooks.example/acme", Secret: "0123456789abcde"}, "webhook acme: the signing secret must be at least 16 bytes"},
		{"no name", Config{URL: "https://hooks.example/acme"}, "webhook: the signing secret must be at least 16 bytes"},
		{"16-byte secret", Config{URL: "https://hooks.example/acme", Secret: "0123456789abcdef"}, ""},
		{"http with a token", Config{Name: "acme", URL: "http://user:pw@hooks.example:8080/acme/tok?key=k", Secret: testSecret}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Fatalf("New: error %q, want %q", got, tt.want)
			}
		})
	}
}

// TestNotifySignsRequest checks the request as the receiver sees it, and
// verifies its signature the way a receiver would.
func TestNotifySignsRequest(t *testing.T) {
	r := newReceiver(t)
	n := newNotifier(t, r.srv.URL+path, fixed(signedAt))
	d, err := n.Notify(context.Background(), firing(), "")
	if err != nil {
		t.Fatal(err)
	}
	if d != (alerting.Delivery{}) {
		t.Errorf("Delivery = %+v, want the zero value", d)
	}
	got := r.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	req := got[0]
	if req.method != http.MethodPost || req.uri != path {
		t.Errorf("request %s %s, want POST %s", req.method, req.uri, path)
	}
	for k, want := range map[string]string{
		"Content-Type":         "application/json",
		"User-Agent":           "Linkwatch-Webhook/1",
		"Linkwatch-Webhook-Id": "n1",
	} {
		if v := req.header.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	sig := req.header.Get("Linkwatch-Signature")
	if !strings.HasPrefix(sig, "t=1700000000,v1=") {
		t.Errorf("Linkwatch-Signature = %q, want t=1700000000,v1=…", sig)
	}
	if err := Verify([]byte(testSecret), sig, req.body, signedAt.Add(2*time.Second), 0); err != nil {
		t.Errorf("the receiver cannot verify the request: %v", err)
	}
	if err := Verify([]byte("the-wrong-secret-1234"), sig, req.body, signedAt, 0); err == nil {
		t.Error("a receiver with the wrong secret verified the request")
	}
	var p Payload
	if err := json.Unmarshal(req.body, &p); err != nil {
		t.Fatal(err)
	}
	if want := payload(firing()); !reflect.DeepEqual(p, want) {
		t.Errorf("payload decodes to\n%+v\nwant\n%+v", p, want)
	}
}

// TestPayloadGolden pins the JSON schema receivers depend on. It records the
// body actually sent (indented for reading: the wire format is compact).
func TestPayloadGolden(t *testing.T) {
	r := newReceiver(t)
	n := newNotifier(t, r.srv.URL+path, fixed(signedAt))
	if _, err := n.Notify(context.Background(), firing(), ""); err != nil {
		t.Fatal(err)
	}
	body := r.requests()[0].body
	if bytes.ContainsAny(body, "\n\t") {
		t.Errorf("the body is not compact JSON: %s", body)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte('\n')
	got := buf.Bytes()
	path := filepath.Join("testdata", "payload.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the payload differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}

// TestPayloadLeavesOutPrivateFields checks that what only on-call engineers
// may see never reaches a receiver, whatever the kind or grouping.
func TestPayloadLeavesOutPrivateFields(t *testing.T) {
	for _, kind := range []string{alerting.KindFiring, alerting.KindRepeat, alerting.KindResolved} {
		notif := firing()
		notif.Kind = kind
		body, err := marshal(notif)
		if err != nil {
			t.Fatal(err)
		}
		for _, private := range []string{"shop.example", "/private/", "destination\"", "hops", "silence", "linkwatch.example"} {
			if bytes.Contains(body, []byte(private)) {
				t.Errorf("%s payload contains %q: %s", kind, private, body)
			}
		}
	}
}

func TestPayloadOfEmptyNotification(t *testing.T) {
	body, err := marshal(alerting.Notification{ID: "n0", Alerts: []alerting.Alert{{Link: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"labels":{}`, `"tags":[]`, `"regions":[]`, `"runbook_url":""`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("payload %s lacks %s: fields must always be present", body, want)
		}
	}
	body, _ = marshal(alerting.Notification{ID: "n0"})
	if !bytes.Contains(body, []byte(`"alerts":[]`)) {
		t.Errorf("payload %s lacks \"alerts\":[]", body)
	}
}

// TestRetryDecisions checks how each answer is classified.
func TestRetryDecisions(t *testing.T) {
	now := signedAt
	tests := []struct {
		name      string
		answer    answer
		closed    bool // the server is gone
		ok        bool
		retry     bool
		after     time.Duration
		errSubstr string
	}{
		{name: "200", answer: answer{status: 200}, ok: true},
		{name: "204", answer: answer{status: 204}, ok: true},
		{name: "202 with a body", answer: answer{status: 202, body: `{"queued":true}`}, ok: true},
		{name: "301", answer: answer{status: 301}, errSubstr: "HTTP 301 Moved Permanently: redirects are not followed"},
		{name: "307", answer: answer{status: 307}, errSubstr: "HTTP 307"},
		{name: "400", answer: answer{status: 400, body: `{"error":"unknown campaign"}`}, errSubstr: `HTTP 400 Bad Request: {"error":"unknown campaign"}`},
		{name: "401", answer: answer{status: 401, body: "invalid signature"}, errSubstr: "HTTP 401 Unauthorized: invalid signature"},
		{name: "404", answer: answer{status: 404, body: "<html>not found</html>"}, errSubstr: "HTTP 404 Not Found"},
		{name: "408", answer: answer{status: 408}, retry: true, errSubstr: "HTTP 408"},
		{name: "429 with Retry-After seconds", answer: answer{status: 429, retryAfter: "7"}, retry: true, after: 7 * time.Second, errSubstr: "HTTP 429 Too Many Requests (retry after 7s)"},
		{name: "429 with an HTTP date", answer: answer{status: 429, retryAfter: "Tue, 14 Nov 2023 22:14:00 GMT"}, retry: true, after: 40 * time.Second, errSubstr: "429"},
		{name: "429 without Retry-After", answer: answer{status: 429}, retry: true, errSubstr: "429"},
		{name: "500", answer: answer{status: 500, body: "boom"}, retry: true, errSubstr: "HTTP 500 Internal Server Error: boom"},
		{name: "503 with Retry-After", answer: answer{status: 503, retryAfter: "30"}, retry: true, after: 30 * time.Second, errSubstr: "HTTP 503"},
		{name: "closed server", closed: true, retry: true, errSubstr: "webhook acme: POST: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t, tt.answer)
			n := newNotifier(t, r.srv.URL+path, fixed(now))
			if tt.closed {
				r.srv.Close()
			}
			d, err := n.Notify(context.Background(), firing(), "")
			if tt.ok {
				if err != nil || d != (alerting.Delivery{}) {
					t.Fatalf("Notify: %+v, %v; want success", d, err)
				}
				return
			}
			if err == nil {
				t.Fatal("Notify succeeded, want an error")
			}
			if d.Retry != tt.retry || d.RetryAfter != tt.after || d.Ref != "" {
				t.Errorf("Delivery = %+v, want Retry %v RetryAfter %v", d, tt.retry, tt.after)
			}
			if !strings.Contains(err.Error(), tt.errSubstr) {
				t.Errorf("error %q does not contain %q", err, tt.errSubstr)
			}
		})
	}
}

// TestRedirectsAreNotFollowed checks that a redirect, temporary or
// permanent, never carries the signed notification elsewhere.
func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere := newReceiver(t)
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			r := newReceiver(t, answer{status: status, location: elsewhere.srv.URL + "/collect"})
			n := newNotifier(t, r.srv.URL+path, fixed(signedAt))
			d, err := n.Notify(context.Background(), firing(), "")
			if err == nil || d.Retry {
				t.Errorf("Notify: %+v, %v; want an error without retry", d, err)
			}
			if err != nil && strings.Contains(err.Error(), elsewhere.srv.URL) {
				t.Errorf("error %q quotes the Location", err)
			}
		})
	}
	if got := elsewhere.requests(); len(got) != 0 {
		t.Errorf("the redirect target received %d requests, want 0", len(got))
	}
}

// TestRetriesReuseTheID retries through a burst of errors like the delivery
// worker does: every attempt must carry the same ID and body, and a fresh,
// verifiable signature.
func TestRetriesReuseTheID(t *testing.T) {
	r := newReceiver(t, answer{status: 503}, answer{status: 429, retryAfter: "1"}, answer{status: 500})
	clock := signedAt
	n := newNotifier(t, r.srv.URL+path, func() time.Time { return clock })
	notif := firing()
	attempts := 0
	for ; attempts < 10; attempts++ {
		d, err := n.Notify(context.Background(), notif, "")
		if err == nil {
			break
		}
		if !d.Retry {
			t.Fatalf("attempt %d: %v without retry", attempts+1, err)
		}
		clock = clock.Add(time.Minute)
	}
	got := r.requests()
	if len(got) != 4 {
		t.Fatalf("%d requests, want 4 (three failures, one success)", len(got))
	}
	for i, req := range got {
		if id := req.header.Get(HeaderID); id != notif.ID {
			t.Errorf("attempt %d: %s = %q, want %q", i+1, HeaderID, id, notif.ID)
		}
		if !bytes.Equal(req.body, got[0].body) {
			t.Errorf("attempt %d sent another body:\n%s\nthan the first:\n%s", i+1, req.body, got[0].body)
		}
		sentAt := signedAt.Add(time.Duration(i) * time.Minute)
		if err := Verify([]byte(testSecret), req.header.Get(HeaderSignature), req.body, sentAt, time.Second); err != nil {
			t.Errorf("attempt %d: signature does not verify at its send time: %v", i+1, err)
		}
	}

	next := firing()
	next.ID = "n2"
	if _, err := n.Notify(context.Background(), next, ""); err != nil {
		t.Fatal(err)
	}
	if id := r.requests()[4].header.Get(HeaderID); id != "n2" {
		t.Errorf("another notification's %s = %q, want n2", HeaderID, id)
	}
}

func TestNotificationWithoutID(t *testing.T) {
	r := newReceiver(t)
	n := newNotifier(t, r.srv.URL+path, nil)
	notif := firing()
	notif.ID = ""
	if d, err := n.Notify(context.Background(), notif, ""); err == nil || d.Retry {
		t.Errorf("Notify: %+v, %v; want an error without retry", d, err)
	}
	if got := r.requests(); len(got) != 0 {
		t.Errorf("%d requests sent, want 0", len(got))
	}
}

func TestCancelledNotifyRetries(t *testing.T) {
	r := newReceiver(t)
	n := newNotifier(t, r.srv.URL+path, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := n.Notify(ctx, firing(), "")
	if !d.Retry || !errors.Is(err, context.Canceled) {
		t.Errorf("Notify: %+v, %v; want a retry and context.Canceled", d, err)
	}
}

func TestConcurrentNotify(t *testing.T) {
	r := newReceiver(t)
	n := newNotifier(t, r.srv.URL+path, nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			notif := firing()
			notif.ID = fmt.Sprint("n", i)
			if _, err := n.Notify(context.Background(), notif, ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, req := range r.requests() {
		if err := Verify([]byte(testSecret), req.header.Get(HeaderSignature), req.body, time.Now(), 0); err != nil {
			t.Error(err)
		}
		ids[req.header.Get(HeaderID)] = true
	}
	if len(ids) != 8 {
		t.Errorf("%d distinct IDs received, want 8", len(ids))
	}
}
