package datadog

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

const apiKey = "0123456789abcdef0123456789abcdef"

// fakeAPI is DataDog's events API: it records requests and answers with the
// status and headers of the test.
type fakeAPI struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   [][]byte
	status   int
	header   http.Header
	body     string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r)
	f.bodies = append(f.bodies, b)
	for k, v := range f.header {
		w.Header()[k] = v
	}
	w.WriteHeader(f.status)
	io.WriteString(w, f.body)
}

func newAPIClient(t *testing.T, f *fakeAPI) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(Config{APIKey: apiKey, APIURL: srv.URL + "/", HTTP: srv.Client(), Tags: []string{"service:linkwatch"}})
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return notifiedAt.Add(time.Minute) }
	return c
}

func TestNotifyHTTP(t *testing.T) {
	f := &fakeAPI{status: http.StatusAccepted, body: `{"status":"ok","event":{"id":8001,"id_str":"8001","url":"https://app.datadoghq.com/event/event?id=8001"}}`}
	c := newAPIClient(t, f)
	n := notification(alerting.KindResolved, alerting.SeverityCritical)
	d, err := c.Notify(context.Background(), n, "")
	if err != nil || d != (alerting.Delivery{Ref: "8001"}) {
		t.Fatalf("Notify = %+v, %v", d, err)
	}
	if len(f.requests) != 1 {
		t.Fatalf("%d requests", len(f.requests))
	}
	r := f.requests[0]
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/events" {
		t.Errorf("%s %s, want POST /api/v1/events", r.Method, r.URL.Path)
	}
	if r.Header.Get("DD-API-KEY") != apiKey || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.Header)
	}
	var got struct {
		Title          string   `json:"title"`
		Text           string   `json:"text"`
		AlertType      string   `json:"alert_type"`
		AggregationKey string   `json:"aggregation_key"`
		DateHappened   int64    `json:"date_happened"`
		Tags           []string `json:"tags"`
	}
	if err := json.Unmarshal(f.bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.Title != "[RESOLVED] link_down: spring-sale is down in 2 of 3 regions" || got.AlertType != "success" ||
		got.AggregationKey != n.DedupeKey || got.DateHappened != notifiedAt.Unix() {
		t.Errorf("payload %+v", got)
	}
	if !strings.Contains(got.Text, "resolved after 8 min") || !strings.Contains(got.Text, "regions eu-west, us-east") {
		t.Errorf("text %q", got.Text)
	}
	want := []string{"link:spring-sale", "owner:growth_ops", "rule:link_down", "severity:critical", "tag:print", "tag:spring_2025", "team:payments"}
	if !slices.Equal(got.Tags, want) {
		t.Errorf("tags %v, want %v", got.Tags, want)
	}

	// A notification older than the API accepts is dated now.
	n.At = notifiedAt.Add(-20 * time.Hour)
	if _, err := c.Notify(context.Background(), n, ""); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(f.bodies[1], &got); err != nil || got.DateHappened != c.now().Unix() {
		t.Errorf("date_happened %d, want now %d (%v)", got.DateHappened, c.now().Unix(), err)
	}
}

func TestNotifyHTTPFailures(t *testing.T) {
	now := notifiedAt.Add(time.Minute)
	tests := []struct {
		name   string
		status int
		header http.Header
		want   alerting.Delivery
	}{
		{"429 Retry-After seconds", 429, http.Header{"Retry-After": {"7"}}, alerting.Delivery{Retry: true, RetryAfter: 7 * time.Second}},
		{"429 Retry-After date", 429, http.Header{"Retry-After": {now.Add(30 * time.Second).Format(http.TimeFormat)}}, alerting.Delivery{Retry: true, RetryAfter: 30 * time.Second}},
		{"429 X-RateLimit-Reset", 429, http.Header{"X-Ratelimit-Reset": {"12"}}, alerting.Delivery{Retry: true, RetryAfter: 12 * time.Second}},
		{"429 without a delay", 429, nil, alerting.Delivery{Retry: true}},
		{"500", 500, nil, alerting.Delivery{Retry: true}},
		{"503 Retry-After", 503, http.Header{"Retry-After": {"3"}}, alerting.Delivery{Retry: true, RetryAfter: 3 * time.Second}},
		{"400", 400, nil, alerting.Delivery{}},
		{"403", 403, http.Header{"Retry-After": {"7"}}, alerting.Delivery{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The body echoes the key, as a misbehaving proxy might.
			f := &fakeAPI{status: tt.status, header: tt.header, body: `{"errors":["Forbidden: bad key ` + apiKey + `"]}`}
			c := newAPIClient(t, f)
			d, err := c.Notify(context.Background(), notification(alerting.KindFiring, alerting.SeverityCritical), "")
			if err == nil {
				t.Fatal("no error")
			}
			if d != tt.want {
				t.Errorf("Delivery %+v, want %+v", d, tt.want)
			}
			assertNoKey(t, err)
			if !strings.Contains(err.Error(), "Forbidden: bad key <redacted>") {
				t.Errorf("error %q does not show the response", err)
			}
		})
	}
}

// A redirect must not carry the key to another host.
func TestNotifyHTTPRedirect(t *testing.T) {
	elsewhere := &fakeAPI{status: http.StatusAccepted}
	other := httptest.NewServer(elsewhere)
	defer other.Close()
	f := &fakeAPI{status: http.StatusTemporaryRedirect, header: http.Header{"Location": {other.URL + "/api/v1/events"}}}
	c := newAPIClient(t, f)
	d, err := c.Notify(context.Background(), notification(alerting.KindFiring, alerting.SeverityCritical), "")
	if err == nil || d.Retry {
		t.Errorf("Notify = %+v, %v; want a final error", d, err)
	}
	if len(elsewhere.requests) != 0 {
		t.Errorf("the redirect was followed with headers %v", elsewhere.requests[0].Header)
	}
}

func TestNotifyHTTPNetworkErrors(t *testing.T) {
	// A port nobody listens on: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	for _, tt := range []struct {
		name string
		url  string
		ctx  func() context.Context
	}{
		{"connection refused", closed, context.Background},
		// An API URL that holds the key (a misconfiguration) is scrubbed too.
		{"key in the URL", closed + "/" + apiKey, context.Background},
		{"cancelled", closed, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Config{APIKey: apiKey, APIURL: tt.url})
			if err != nil {
				t.Fatal(err)
			}
			d, err := c.Notify(tt.ctx(), notification(alerting.KindFiring, alerting.SeverityCritical), "")
			if err == nil || !d.Retry {
				t.Fatalf("Notify = %+v, %v; want a retryable error", d, err)
			}
			assertNoKey(t, err)
		})
	}
}

// The key must not leak through the Config or Client either.
func TestSecretNotPrinted(t *testing.T) {
	cfg := Config{APIKey: linkwatch.Secret(apiKey), APIURL: "ftp://nowhere"}
	_, err := New(cfg)
	assertNoKey(t, err)
	b, _ := json.Marshal(cfg)
	if strings.Contains(string(b), apiKey) {
		t.Errorf("Config marshals the key: %s", b)
	}
}

func assertNoKey(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), apiKey) {
		t.Errorf("error contains the API key: %v", err)
	}
}
