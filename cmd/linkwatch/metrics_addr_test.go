package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMetricsAddr: with metrics_addr set, /metrics is also served on its own
// listener, which serves nothing else; the main port keeps /metrics.
func TestMetricsAddr(t *testing.T) {
	maddr := freeAddr(t)
	s := startServer(t, map[string]string{"LINKWATCH_DB": filepath.Join(t.TempDir(), "m.db"), "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_METRICS_ADDR": maddr}, "serve")
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var body string
	waitUntil(t, 30*time.Second, func() bool {
		resp, err := http.Get("http://" + maddr + "/metrics")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		return resp.StatusCode == http.StatusOK
	})
	for _, want := range []string{"linkwatch_redirects_total", "linkwatch_go_goroutines", "linkwatch_db_pool"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics listener: no %s in /metrics", want)
		}
	}
	for _, path := range []string{"/", "/healthz", "/api/v1/links", "/status", "/metrics/x"} {
		if code, _ := get("http://" + maddr + path); code != http.StatusNotFound {
			t.Errorf("metrics listener: GET %s = %d, want 404 (it serves only /metrics)", path, code)
		}
	}
	if code, _ := get(s.url + "/metrics"); code != http.StatusOK {
		t.Errorf("main listener: GET /metrics = %d", code)
	}
}

// TestNoAdminTokenFromAFailedStart: a start that fails (here metrics_addr is
// taken) creates no bootstrap admin token, so the next start still prints
// one: a token printed by a process that then exits would be lost.
func TestNoAdminTokenFromAFailedStart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	db := filepath.Join(t.TempDir(), "b.db")
	env := func(k string) string {
		return map[string]string{"LINKWATCH_DB": db, "LINKWATCH_METRICS_ADDR": busy.Addr().String()}[k]
	}
	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, env, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "metrics_addr") {
		t.Fatalf("start with a busy metrics_addr: err = %v, want one naming metrics_addr", err)
	}
	if strings.Contains(out.String(), "Admin token") {
		t.Errorf("a failed start printed an admin token:\n%s", out.String())
	}
	if _, err := os.Stat(db); err == nil { // opened (and migrated) before failing
		if n := len(adminTokens(t, db)); n != 0 {
			t.Fatalf("a failed start left %d admin tokens", n)
		}
	}
	busy.Close()
	s := startServer(t, map[string]string{"LINKWATCH_DB": db}, "serve")
	waitUntil(t, 30*time.Second, func() bool { return adminTokenLine.MatchString(s.stdout.String()) })
}
