package edge

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		class        Class
		bulk         bool
		limit        int64
	}{
		{"GET", "/spring-sale", Redirect, false, SubscribeBodyLimit},
		{"GET", "/api/v1/links", API, false, APIBodyLimit},
		{"POST", "/api/v1/links/x/check", API, true, APIBodyLimit},
		{"POST", "/api/v1/probe/results", Probe, true, ProbeResultsBodyLimit},
		{"POST", "/api/v1/probe/heartbeat", Probe, false, APIBodyLimit},
		{"GET", "/api/v1/probe/assignments", Probe, false, APIBodyLimit},
		{"GET", "/api/v1/probe/stream", Stream, false, APIBodyLimit},
		{"GET", "/api/v2/summary.json", Public, false, SubscribeBodyLimit},
		{"GET", "/status", Public, false, SubscribeBodyLimit},
		{"POST", "/status/subscribe", Public, false, SubscribeBodyLimit},
		{"GET", "/", Public, false, SubscribeBodyLimit},
		{"POST", "/dashboard/import", Dashboard, true, ImportBodyLimit},
		{"POST", "/dashboard/sign-in", Dashboard, false, FormBodyLimit},
		{"GET", "/metrics", Ops, false, SubscribeBodyLimit},
		{"GET", "/readyz", Ops, false, SubscribeBodyLimit},
	} {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		got := Classify(r)
		if got != (Route{Class: tc.class, Bulk: tc.bulk, BodyLimit: tc.limit}) {
			t.Errorf("%s %s: %+v", tc.method, tc.path, got)
		}
	}
}

// serve runs next behind an Edge on a real socket.
func serve(t *testing.T, cfg Config, next http.Handler) (*Edge, *prometheus.Registry, string) {
	t.Helper()
	reg := prometheus.NewRegistry()
	e := New(cfg, reg)
	srv := httptest.NewUnstartedServer(e.Handler(next))
	srv.Listener = e.Listener(srv.Listener, 0)
	srv.Config.ReadHeaderTimeout = e.ReadHeaderTimeout()
	srv.Config.IdleTimeout = e.IdleTimeout()
	srv.Start()
	t.Cleanup(srv.Close)
	return e, reg, srv.URL
}

// unknownLength hides a body's length, so the client sends it chunked and
// only reading it tells its size.
type unknownLength struct{ io.Reader }

func TestBodyOverLimitIs413(t *testing.T) {
	var handled atomic.Int64
	// Like the API: reads with its own limit (never below the edge's) and
	// answers 400 for a body it cannot read. Like the subscribe form: ignores
	// the error and answers 422 for the fields it did not get.
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1)
		if strings.HasPrefix(r.URL.Path, "/status/") {
			if r.FormValue("email") == "" {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusUnprocessableEntity)
				io.WriteString(w, "<p>Give an email address</p>")
				return
			}
			io.WriteString(w, "subscribed")
			return
		}
		limit := int64(APIBodyLimit)
		if r.URL.Path == "/api/v1/probe/results" { // bulk: streamed to the handler
			limit = ProbeResultsBodyLimit
		}
		if _, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit)); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "ok")
	})
	e, _, url := serve(t, Config{}, next)
	post := func(path, contentType string, body io.Reader) (int, string, *http.Response) {
		t.Helper()
		resp, err := http.Post(url+path, contentType, body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp
	}
	big := strings.Repeat("x", APIBodyLimit+1)
	for _, tc := range []struct {
		name, path, contentType string
		body                    io.Reader
		code                    int
		says                    string
	}{
		{"api at the limit", "/api/v1/links", "application/json", unknownLength{strings.NewReader(big[1:])}, 200, "ok"},
		{"api chunked over", "/api/v1/links", "application/json", unknownLength{strings.NewReader(big)}, 413, `"code":"too_large"`},
		{"api length over", "/api/v1/links", "application/json", strings.NewReader(big), 413, "64 KiB"},
		{"form chunked over", "/status/subscribe", "application/x-www-form-urlencoded",
			unknownLength{strings.NewReader("email=a%40example.com&pad=" + strings.Repeat("x", SubscribeBodyLimit))}, 413, "4 KiB"},
		{"bulk chunked over", "/api/v1/probe/results", "application/json",
			unknownLength{strings.NewReader(strings.Repeat(" ", ProbeResultsBodyLimit+1))}, 413, "8 MiB"},
		{"bulk at the limit", "/api/v1/probe/results", "application/json",
			unknownLength{strings.NewReader(strings.Repeat(" ", ProbeResultsBodyLimit))}, 200, "ok"},
		{"form under", "/status/subscribe", "application/x-www-form-urlencoded", strings.NewReader("email=a%40example.com"), 200, "subscribed"},
		{"form missing field", "/status/subscribe", "application/x-www-form-urlencoded", strings.NewReader("x=1"), 422, "Give"},
	} {
		code, body, resp := post(tc.path, tc.contentType, tc.body)
		if code != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, code, body, tc.code, tc.says)
		}
		if code == 413 && (!resp.Close || strings.Contains(resp.Header.Get("Content-Type"), "html")) {
			t.Errorf("%s: 413 with close %v, headers %v", tc.name, resp.Close, resp.Header)
		}
	}
	handledBefore := handled.Load()
	if code, _, _ := post("/api/v1/links", "application/json", strings.NewReader(big)); code != 413 {
		t.Fatalf("declared length over the limit: %d", code)
	}
	if handled.Load() != handledBefore {
		t.Error("a body declared over the limit reached the handler")
	}
	if v := testutil.ToFloat64(e.tooLarge[API]); v != 3 {
		t.Errorf("linkwatch_http_body_too_large_total{class=api} = %v, want 3", v)
	}
	if v := testutil.ToFloat64(e.tooLarge[Probe]); v != 1 {
		t.Errorf("linkwatch_http_body_too_large_total{class=probe} = %v, want 1 (the result push)", v)
	}
}

func TestShedWith503(t *testing.T) {
	entered := make(chan struct{}, 100)
	release := make(chan struct{})
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/slow" {
			entered <- struct{}{}
			<-release
		}
		io.WriteString(w, "ok")
	})
	lim := NewLimiter(LimiterConfig{Procs: 1}) // apiPerProc API requests in flight
	_, reg, url := serve(t, Config{Limiter: lim}, next)
	results := make(chan int, apiPerProc)
	for range apiPerProc {
		go func() {
			resp, err := http.Get(url + "/api/v1/slow")
			if err != nil {
				results <- 0
				return
			}
			resp.Body.Close()
			results <- resp.StatusCode
		}()
	}
	for range apiPerProc {
		<-entered
	}
	resp, err := http.Get(url + "/api/v1/links")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != RetryAfter || !strings.Contains(string(b), `"code":"unavailable"`) {
		t.Errorf("API request over the bound: %d %v %s", resp.StatusCode, resp.Header, b)
	}
	// Redirects, the public pages and operations go on.
	for _, p := range []string{"/spring-sale", "/status", "/healthz"} {
		if resp, err := http.Get(url + p); err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s while the API is full: %v %v", p, resp, err)
		} else {
			resp.Body.Close()
		}
	}
	close(release)
	for range apiPerProc {
		if code := <-results; code != 200 {
			t.Errorf("admitted request: %d", code)
		}
	}
	// It recovers by itself.
	if resp, err := http.Get(url + "/api/v1/links"); err != nil || resp.StatusCode != 200 {
		t.Errorf("after the load: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if n, err := testutil.GatherAndCount(reg, "linkwatch_http_shed_total"); err != nil || n != 3 {
		t.Errorf("shed series: %d %v, want one per shed class", n, err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP linkwatch_http_shed_total Requests refused with 503 under overload, by route class.
# TYPE linkwatch_http_shed_total counter
linkwatch_http_shed_total{class="api"} 1
linkwatch_http_shed_total{class="dashboard"} 0
linkwatch_http_shed_total{class="public"} 0
`), "linkwatch_http_shed_total"); err != nil {
		t.Error(err)
	}
}

// TestSlowBodiesHoldNoPlace: bodies trickled to the subscription form hold
// connections, not the public class's places: the status page is served.
func TestSlowBodiesHoldNoPlace(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		io.WriteString(w, "ok")
	})
	lim := NewLimiter(LimiterConfig{Procs: 1}) // 8 public requests in flight
	_, _, url := serve(t, Config{Limiter: lim, Timeout: time.Minute}, next)
	addr := strings.TrimPrefix(url, "http://")
	for range 9 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /status/subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n")
		// 100 Continue: the server has begun reading the body.
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.Contains(line, " 100 ") {
			t.Fatalf("slow body: %q %v", line, err)
		}
		io.WriteString(c, "email=")
	}
	resp, err := http.Get(url + "/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status page with 9 slow subscriptions: %d", resp.StatusCode)
	}
}

// closedByServer waits until the server has closed c: a read returns EOF
// or a reset, not the failure bound's timeout. Whatever the server answered
// first is returned.
func closedByServer(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second)) // the failure bound
	b, err := io.ReadAll(c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept the connection open (read %q)", b)
	}
	return string(b)
}

func TestDeadlinesByClass(t *testing.T) {
	streamWrite := make(chan struct{})
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/probe/stream" {
			w.WriteHeader(200)
			http.NewResponseController(w).Flush()
			select {
			case <-streamWrite:
			case <-r.Context().Done():
				return
			}
			io.WriteString(w, "data: still here\n\n")
			return
		}
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "could not read the body", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "ok")
	})
	_, _, url := serve(t, Config{Timeout: 100 * time.Millisecond}, next)
	addr := strings.TrimPrefix(url, "http://")
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	stream := dial()
	fmt.Fprintf(stream, "GET /api/v1/probe/stream HTTP/1.1\r\nHost: x\r\n\r\n")
	sr := bufio.NewReader(stream)
	if line, err := sr.ReadString('\n'); err != nil || !strings.Contains(line, "200") {
		t.Fatalf("stream: %q %v", line, err)
	}

	// A slow body is cut after the read deadline.
	slow := dial()
	fmt.Fprintf(slow, "POST /status/subscribe HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=")
	closedByServer(t, slow)
	// Headers that never end are cut, and so is a connection that sends
	// nothing.
	for _, partial := range []string{"GET /spring-sale HTTP/1.1\r\nHost: x\r\n", ""} {
		c := dial()
		io.WriteString(c, partial)
		closedByServer(t, c)
	}
	// A kept-alive connection is closed when idle.
	idle := dial()
	fmt.Fprintf(idle, "GET /spring-sale HTTP/1.1\r\nHost: x\r\n\r\n")
	if got := closedByServer(t, idle); !strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Errorf("idle connection's answer: %q", got)
	}

	// The stream outlived every deadline above and still works.
	close(streamWrite)
	stream.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		line, err := sr.ReadString('\n')
		if err != nil {
			t.Fatalf("stream cut: %v", err)
		}
		if strings.Contains(line, "still here") {
			break
		}
	}
}

func TestMeasureRoutePatterns(t *testing.T) {
	durations := NewDurations()
	mux := chi.NewRouter()
	mux.Use(Measure(durations))
	api := chi.NewRouter()
	api.Get("/links/{slug}", func(w http.ResponseWriter, r *http.Request) {})
	api.NotFound(func(w http.ResponseWriter, r *http.Request) { Unmatched(r); http.NotFound(w, r) })
	mux.Mount("/api/v1", api)
	board := chi.NewRouter() // routes on the full path, mounted with Handle
	board.Get("/dashboard/links/{slug}", func(w http.ResponseWriter, r *http.Request) {})
	mux.Handle("/dashboard/*", board)
	mux.Get("/status", func(w http.ResponseWriter, r *http.Request) {})
	for _, p := range []string{"/api/v1/links/a", "/api/v1/links/b", "/api/v1/nope", "/dashboard/links/c", "/status", "/elsewhere/x"} {
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	if got := testutil.CollectAndCount(durations); got != 4 {
		t.Errorf("%d series, want 4", got)
	}
	for _, tc := range []struct {
		route, code string
		n           uint64
	}{
		{"/api/v1/links/{slug}", "200", 2}, {"/dashboard/links/{slug}", "200", 1}, {"/status", "200", 1}, {"unmatched", "404", 2},
	} {
		m := &dto.Metric{}
		if err := durations.WithLabelValues(tc.route, tc.code).(prometheus.Histogram).Write(m); err != nil {
			t.Fatal(err)
		}
		if n := m.GetHistogram().GetSampleCount(); n != tc.n {
			t.Errorf("%s %s: %d observations, want %d", tc.route, tc.code, n, tc.n)
		}
	}
}
