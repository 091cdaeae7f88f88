package deploy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestQueriedMetricsExist builds the real binary, runs `linkwatch serve`
// on SQLite and a remote `linkwatch prober` against it, creates a link,
// follows it and lets it be checked, and checks that every metric the
// PrometheusRule and the Grafana dashboard query is on their /metrics: a
// renamed metric fails here, not on a dashboard in production.
func TestQueriedMetricsExist(t *testing.T) {
	want := queriedMetrics(t)
	if len(want) < 25 {
		t.Fatalf("only %d metrics queried: %v", len(want), want)
	}
	bin := buildLinkwatch(t)
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") }))
	t.Cleanup(dest.Close)

	dir := t.TempDir()
	const admin = "deploy-test-admin-token-0123456789"
	serve := start(t, bin, []string{"serve", "--addr", "127.0.0.1:0"}, []string{
		"LINKWATCH_DB=" + filepath.Join(dir, "linkwatch.db"),
		"LINKWATCH_ADMIN_TOKEN=" + admin,
		"LINKWATCH_PROBE_ALLOW_PRIVATE=true",
		"LINKWATCH_PROBE_REFRESH=1s",
		"LINKWATCH_PROBE_CONFIRM=0s",
	}, regexp.MustCompile(`listening on (http://\S+)`))

	api := func(method, path, body string, status int, out any) {
		t.Helper()
		req, _ := http.NewRequest(method, serve+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, status)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatal(err)
			}
		}
	}
	api("POST", "/api/v1/links", fmt.Sprintf(`{"slug":"grafana","destination":%q,"check_interval":"10s"}`, dest.URL+"/"), http.StatusCreated, nil)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The redirector's cache takes the new link within its refresh.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := noFollow.Get(serve + "/grafana")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /grafana: %s, want a redirect", resp.Status)
		}
	}
	if resp, err := noFollow.Get(serve + "/not-a-link"); err == nil {
		resp.Body.Close()
	}
	var tok struct {
		Token string `json:"token"`
	}
	api("POST", "/api/v1/tokens", `{"name":"deploy-test-prober","scopes":["prober"],"regions":["eu-west"]}`, http.StatusCreated, &tok)
	prober := start(t, bin, []string{"prober", "--addr", "127.0.0.1:0", "--region", "eu-west", "--control", serve,
		"--spool", filepath.Join(dir, "spool")}, []string{
		"LINKWATCH_PROBER_TOKEN=" + tok.Token,
		"LINKWATCH_PROBE_ALLOW_PRIVATE=true",
	}, regexp.MustCompile(`health and metrics on (http://\S+)`))

	// Labelled series appear with their first sample (a redirect, a
	// check): wait for them, bounded only to fail.
	var missing []string
	for deadline := time.Now().Add(90 * time.Second); ; {
		got := exposed(t, serve+"/metrics")
		for k := range exposed(t, prober+"/metrics") {
			got[k] = true
		}
		missing = slices.DeleteFunc(slices.Clone(want), func(m string) bool { return got[m] })
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(missing) > 0 {
		t.Errorf("the PrometheusRule or the dashboard queries metrics the binary does not expose: %v", missing)
	}
}

// exposed are the metric names on a /metrics page, with a histogram's or
// summary's _bucket, _sum and _count series.
func exposed(t *testing.T, url string) map[string]bool {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = true
			if f[3] == "histogram" || f[3] == "summary" {
				out[f[2]+"_bucket"], out[f[2]+"_sum"], out[f[2]+"_count"] = true, true, true
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// buildLinkwatch builds ../cmd/linkwatch into a temporary directory.
func buildLinkwatch(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "linkwatch")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/linkwatch")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/linkwatch: %v\n%s", err, out)
	}
	return bin
}

// start runs the binary until the test ends (then SIGTERM, and waits) and
// returns the URL its banner prints, matched by banner.
func start(t *testing.T, bin string, args, env []string, banner *regexp.Regexp) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), append([]string{"LINKWATCH_LOG_LEVEL=warn"}, env...)...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := banner.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", args[0], stderr.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	select {
	case u := <-urls:
		return u
	case err := <-exited:
		exited <- err
		t.Fatalf("%s exited before it listened: %v\n%s", args[0], err, stderr.String())
	case <-ctx.Done():
		t.Fatalf("%s printed no address\n%s", args[0], stderr.String())
	}
	return ""
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
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
