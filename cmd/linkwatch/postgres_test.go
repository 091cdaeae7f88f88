package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/linkwatch/linkwatch/storage/postgres/pgtest"
)

// postgresDSN returns a DSN for a fresh schema; pgtest decides whether the
// test skips or fails when the suite is not enabled.
func postgresDSN(t *testing.T) string {
	t.Helper()
	return pgtest.DSN(t)
}

func (s *server) api(t *testing.T, method, path, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

const testAdminToken = "integration-admin-token-0123456789"

// TestCacheInvalidationAcrossReplicas: two servers share one PostgreSQL; a
// change made through one reaches the other's cache through LISTEN/NOTIFY.
func TestCacheInvalidationAcrossReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	env := map[string]string{"LINKWATCH_DB": dsn, "LINKWATCH_ADMIN_TOKEN": testAdminToken}
	a := startServer(t, env, "serve")
	b := startServer(t, env, "redirector")

	propagation := func(what string, cond func() bool) {
		t.Helper()
		start := time.Now()
		waitUntil(t, 20*time.Second, cond)
		t.Logf("%s reached the other replica in %s", what, time.Since(start).Round(time.Millisecond))
	}
	if code := a.api(t, "POST", "/api/v1/links", `{"slug":"shared","destination":"https://one.example.com/"}`); code != 201 {
		t.Fatalf("create: %d", code)
	}
	propagation("create", func() bool { return b.location("/shared") == "https://one.example.com/" })
	if code := a.api(t, "PATCH", "/api/v1/links/shared", `{"destination":"https://two.example.com/"}`); code != 200 {
		t.Fatalf("patch: %d", code)
	}
	propagation("edit", func() bool { return b.location("/shared") == "https://two.example.com/" })
	if code := a.api(t, "DELETE", "/api/v1/links/shared", ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	propagation("delete", func() bool { return b.status("/shared") == 404 })
}

// proxy is a TCP proxy to PostgreSQL that the test can cut, as a network
// partition or a database restart would.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	done := make(chan struct{})
	go func() { defer close(done); p.serve() }()
	t.Cleanup(func() { ln.Close(); p.cut(false); <-done })
	return p
}

func (p *proxy) serve() {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		wg.Go(func() { io.Copy(up, c); up.Close() })
		wg.Go(func() { io.Copy(c, up); c.Close() })
	}
}

// cut closes every connection; while down, new ones are refused.
func (p *proxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDatabaseOutage cuts the database connection while serving: cached links
// keep redirecting, readiness stays up, scans are held and written after the
// database returns, none lost.
func TestDatabaseOutage(t *testing.T) {
	dsn := postgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if !strings.Contains(target, ":") {
		target += ":5432"
	}
	p := newProxy(t, target)
	proxied := *u
	proxied.Host = p.ln.Addr().String()

	env := map[string]string{"LINKWATCH_DB": proxied.String(), "LINKWATCH_ADMIN_TOKEN": testAdminToken, "LINKWATCH_SCAN_FLUSH_INTERVAL": "20ms"}
	s := startServer(t, env, "serve")
	if code := s.api(t, "POST", "/api/v1/links", `{"slug":"sale","destination":"https://shop.example.com/"}`); code != 201 {
		t.Fatalf("create: %d", code)
	}
	waitUntil(t, 20*time.Second, func() bool { return s.status("/sale") == 302 })

	p.cut(true)
	const during = 300
	for i := range during {
		resp, _ := s.get("/sale?n=" + strconv.Itoa(i))
		if resp.StatusCode != 302 {
			t.Fatalf("redirect %d during the outage: %d", i, resp.StatusCode)
		}
	}
	if code := s.status("/readyz"); code != 200 {
		t.Fatalf("readyz during outage: %d", code)
	}
	waitUntil(t, 10*time.Second, func() bool {
		_, m := s.get("/metrics")
		return !strings.Contains(m, "linkwatch_scan_write_failures_total 0")
	})
	if code := s.api(t, "GET", "/api/v1/links/sale", ""); code != 503 {
		t.Errorf("API during outage: %d, want 503", code)
	}

	p.cut(false)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	want := during + 1
	var n int
	waitUntil(t, 30*time.Second, func() bool {
		err := conn.QueryRow(context.Background(), "SELECT coalesce(sum(count), 0) FROM scans").Scan(&n)
		return err == nil && n >= want
	})
	if n != want {
		t.Fatalf("%d scans in the database, want exactly %d", n, want)
	}
	if _, m := s.get("/metrics"); !strings.Contains(m, "linkwatch_scans_dropped_total 0") {
		t.Error("scans were dropped")
	}
	if err := s.stop(); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
