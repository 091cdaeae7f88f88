package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMFlushesQueuedScans builds the real binary, queues scans (the
// flush interval outlasts the test), sends SIGTERM, and finds every scan in
// the database after a restart. While draining, /readyz answers 503.
func TestSIGTERMFlushesQueuedScans(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "linkwatch")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "lw.db")
	env := append(os.Environ(), "LINKWATCH_DB="+db, "LINKWATCH_ADMIN_TOKEN="+testAdminToken,
		"LINKWATCH_SCAN_FLUSH_INTERVAL=1h", "LINKWATCH_DRAIN_DELAY=10s", "LINKWATCH_ADDR=127.0.0.1:0")

	start := func() (*exec.Cmd, string) {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				go func() {
					for sc.Scan() {
					}
				}()
				return cmd, m[1]
			}
		}
		t.Fatal("no banner")
		return nil, ""
	}
	cmd, url := start()
	s := &server{url: url}
	waitUntil(t, 10*time.Second, func() bool { return s.status("/readyz") == 200 })
	if code := s.api(t, "POST", "/api/v1/links", `{"slug":"bye","destination":"https://example.com/"}`); code != 201 {
		t.Fatalf("create: %d", code)
	}
	waitUntil(t, 20*time.Second, func() bool { return s.status("/bye") == 302 })
	for range 49 {
		if code := s.status("/bye"); code != 302 {
			t.Fatalf("redirect: %d", code)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	waitUntil(t, 9*time.Second, func() bool { return s.status("/readyz") == 503 }) // well inside the 10 s drain
	if code := s.status("/bye"); code != 302 {
		t.Fatalf("redirects must keep working while draining: %d", code)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}

	_, url = start()
	s = &server{url: url}
	waitUntil(t, 10*time.Second, func() bool { return s.status("/readyz") == 200 })
	req, _ := http.NewRequestWithContext(context.Background(), "GET", url+"/api/v1/links/bye/scans", nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats struct{ Total int }
	json.NewDecoder(resp.Body).Decode(&stats)
	if stats.Total != 51 {
		t.Fatalf("scans after restart: %d, want 51 (every redirect before and during the drain)", stats.Total)
	}
}
