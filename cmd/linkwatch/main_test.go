package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is one in-process linkwatch server.
type server struct {
	url    string
	token  string // the admin token the banner printed, if any
	stdout *syncBuffer
	stderr *syncBuffer
	stop   func() error // SIGTERM: cancel and wait for run to return
}

var (
	listenRE = regexp.MustCompile(`listening on (http://\S+)`)
	tokenRE  = regexp.MustCompile(`Admin token \(shown once, keep it safe\): (\S+)`)
)

// startServer runs `linkwatch <args>` in-process and waits until it is ready.
func startServer(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	done := make(chan error, 1)
	getenv := func(k string) string { return env[k] }
	go func() { done <- run(ctx, append(args, "--addr", "127.0.0.1:0"), getenv, s.stdout, s.stderr) }()
	var stopped bool
	var stopErr error
	s.stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			stopErr = <-done
		}
		return stopErr
	}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := listenRE.FindStringSubmatch(s.stdout.String()); m != nil {
			s.url = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("server exited: %v\nstderr: %s", err, s.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start\nstderr: %s", s.stderr.String())
		}
	}
	if m := tokenRE.FindStringSubmatch(s.stdout.String()); m != nil {
		s.token = m[1]
	}
	waitUntil(t, 20*time.Second, func() bool { return s.status("/readyz") == 200 })
	return s
}

func waitUntil(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var noFollow = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

func (s *server) get(path string, header ...string) (*http.Response, string) {
	req, _ := http.NewRequest("GET", s.url+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		return &http.Response{StatusCode: 0}, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (s *server) status(path string) int {
	resp, _ := s.get(path)
	return resp.StatusCode
}

func (s *server) location(path string) string {
	resp, _ := s.get(path)
	return resp.Header.Get("Location")
}

// cli runs a client subcommand against s and returns its output.
func (s *server) cli(t *testing.T, token string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"LINKWATCH_SERVER": s.url, "LINKWATCH_TOKEN": token}
	if err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut); err != nil {
		t.Fatalf("linkwatch %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// TestServeQuickStart walks the README's quick start: start, read the banner,
// create a link with the CLI, follow it, watch the metrics, stop, restart,
// and find every scan.
func TestServeQuickStart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "linkwatch.db")
	// Scans stay queued until shutdown: the flush interval is longer than the test.
	env := map[string]string{"LINKWATCH_SCAN_FLUSH_INTERVAL": "1h", "LINKWATCH_PUBLIC_URL": "http://lw.test"}
	s := startServer(t, env, "serve", "--db", db)
	if s.token == "" {
		t.Fatalf("first start printed no admin token:\n%s", s.stdout.String())
	}
	if !strings.Contains(s.stdout.String(), "curl -sS -X POST "+s.url+"/api/v1/links") {
		t.Fatalf("banner lacks the curl line:\n%s", s.stdout.String())
	}
	if strings.Contains(s.stderr.String(), s.token) {
		t.Fatal("the admin token reached the log")
	}

	out := s.cli(t, s.token, "links", "create", "--json", "--destination", "https://example.com/landing?c=1", "--slug", "launch", "--tag", "spring,eu")
	var created struct {
		ShortURL string `json:"short_url"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.ShortURL != "http://lw.test/launch" {
		t.Fatalf("links create printed %s", out)
	}
	if out := s.cli(t, s.token, "links", "list", "--tag", "spring"); !strings.Contains(out, "launch") || !strings.Contains(out, "https://example.com/landing?c=1") {
		t.Fatalf("links list printed %s", out)
	}
	if out := s.cli(t, s.token, "links", "get", "launch", "--json"); !strings.Contains(out, `"slug": "launch"`) {
		t.Fatalf("links get printed %s", out)
	}

	waitUntil(t, 20*time.Second, func() bool { return s.location("/launch") == "https://example.com/landing?c=1" })
	for i := range 9 {
		want := 302
		resp, _ := s.get("/launch?lw=qr&i="+string(rune('0'+i)), "User-Agent", "Mozilla/5.0 (iPhone) Mobile")
		if resp.StatusCode != want {
			t.Fatalf("redirect %d: %d", i, resp.StatusCode)
		}
	}
	if code := s.status("/nothing-here"); code != 404 {
		t.Fatalf("unknown slug: %d", code)
	}
	if code := s.status("/healthz"); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	// A scan being taken from the queue into the batch in hand is briefly
	// in neither: wait for the depth to settle.
	var metrics string
	waitUntil(t, 10*time.Second, func() bool {
		_, metrics = s.get("/metrics")
		return strings.Contains(metrics, "linkwatch_scan_queue_depth 10\n")
	})
	for _, m := range []string{
		"linkwatch_scan_queue_depth 10", `linkwatch_redirects_total{code="302"} 10`, "linkwatch_link_cache_hits_total 10",
		"linkwatch_db_pool_max_connections", "linkwatch_http_request_duration_seconds_bucket{code=\"302\",route=\"/{slug}\"",
		"linkwatch_scans_dropped_total 0", "linkwatch_link_cache_misses_total ", // ≥ 1: polls before the new link reached the cache miss too
	} {
		if !strings.Contains(metrics, m) {
			t.Errorf("metrics lack %q", m)
		}
	}
	for _, line := range strings.Split(metrics, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "linkwatch_") {
			t.Errorf("metric not named linkwatch_…: %s", line)
		}
	}

	if err := s.stop(); err != nil {
		t.Fatalf("shutdown: %v\n%s", err, s.stderr.String())
	}

	// Restart on the same database: the token is not shown again, and the
	// ten scans queued at shutdown were written.
	s2 := startServer(t, env, "serve", "--db", db)
	if s2.token != "" || !strings.Contains(s2.stdout.String(), "printed on first start") {
		t.Fatalf("second start banner:\n%s", s2.stdout.String())
	}
	req, _ := http.NewRequest("GET", s2.url+"/api/v1/links/launch/scans", nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats struct{ Total, QR, Link int }
	json.NewDecoder(resp.Body).Decode(&stats)
	if stats.Total != 10 || stats.QR != 9 || stats.Link != 1 {
		t.Fatalf("after restart: %+v, want 10 scans (9 qr, 1 link)", stats)
	}
}

func TestBadConfigIsOneClearLine(t *testing.T) {
	var out, errOut bytes.Buffer
	env := map[string]string{"LINKWATCH_PUBLIC_URL": "not a url"}
	err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, &out, &errOut)
	if err == nil || !strings.HasPrefix(err.Error(), "config: LINKWATCH_PUBLIC_URL must be") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
	err = run(context.Background(), []string{"check-config", "--db", filepath.Join(t.TempDir(), "x.db")}, func(string) string { return "" }, &out, &errOut)
	if err != nil || !strings.Contains(out.String(), "configuration is valid") {
		t.Fatalf("check-config: %v %s", err, out.String())
	}
}

func TestMigrateCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	db := filepath.Join(t.TempDir(), "m.db")
	for range 2 { // the second run finds nothing to do
		out.Reset()
		if err := run(context.Background(), []string{"migrate", "--db", db}, func(string) string { return "" }, &out, &errOut); err != nil {
			t.Fatal(err, errOut.String())
		}
		if !strings.Contains(out.String(), "up to date") {
			t.Fatalf("migrate printed %q", out.String())
		}
	}
}
