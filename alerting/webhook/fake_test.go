package webhook

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

var (
	since = time.Date(2023, 11, 14, 22, 0, 0, 0, time.UTC)
	at    = since.Add(17 * time.Minute)
)

// firing is a grouped scan-drop alert for one campaign, with everything the
// payload must leave out: destinations, hops and the silence link.
func firing() alerting.Notification {
	return alerting.Notification{
		ID: "n1", DedupeKey: "link_down/tag:spring", Kind: alerting.KindFiring,
		Rule: "link_down", Severity: alerting.SeverityCritical,
		Summary: "2 links of campaign spring are down",
		Labels:  map[string]string{"team": "growth", "campaign": "spring"},
		Since:   since, At: at,
		Alerts: []alerting.Alert{{
			Link: "spring-sale", ShortURL: "https://lnk.example/spring-sale",
			Destination: "https://shop.example/private/spring?utm_source=print&utm_medium=qr",
			Tags:        []string{"spring", "print"}, Regions: []string{"eu-west", "us-east"},
			ErrorClass: "http_status", Error: "destination answered 503 Service Unavailable",
			Value: "2 of 3 regions failing", HealthURL: "https://lnk.example/api/v1/links/spring-sale/health",
			Hops: []alerting.Hop{
				{URL: "https://lnk.example/spring-sale", Status: 302},
				{URL: "https://shop.example/private/spring?utm_source=print&utm_medium=qr", Status: 503},
			},
		}, {
			Link: "spring-poster", ShortURL: "https://lnk.example/spring-poster",
			Destination: "https://shop.example/private/poster",
			ErrorClass:  "timeout", Error: "no answer within 10s",
			Value: "3 of 3 regions failing",
		}},
		Recovered:  []string{"spring-flyer"},
		RunbookURL: "https://runbooks.example/link_down",
		Runbook:    "Open the destination in a browser.",
		SilenceURL: "https://linkwatch.example/silences/new?matcher=tag%3Dspring",
		StatusURL:  "https://lnk.example/status",
	}
}

// request is what the fake receiver saw of one request.
type request struct {
	method string
	uri    string
	header http.Header
	body   []byte
}

// answer is how the fake receiver answers one request.
type answer struct {
	status     int
	retryAfter string
	location   string
	body       string
}

// receiver is a fake webhook receiver: it records every request and
// answers from a script, then 200 OK.
type receiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	got     []request
	answers []answer
}

func newReceiver(t *testing.T, answers ...answer) *receiver {
	t.Helper()
	r := &receiver{answers: answers}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, request{req.Method, req.RequestURI, req.Header.Clone(), body})
	a := answer{status: http.StatusOK}
	if len(r.answers) > 0 {
		a, r.answers = r.answers[0], r.answers[1:]
	}
	r.mu.Unlock()
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	if a.location != "" {
		w.Header().Set("Location", a.location)
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

// path is the part of a receiver URL that carries its token.
const path = "/hooks/acme/tok_8f14e45fceea167a9a36dedd4bea2543?key=qk_SEKRET-QUERY-VALUE"

func newNotifier(t *testing.T, url string, now func() time.Time) *Notifier {
	t.Helper()
	n, err := New(Config{Name: "acme", URL: linkwatch.Secret(url), Secret: testSecret, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }
