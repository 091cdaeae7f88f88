package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The abuse suite: real sockets against the real server, with a short
// client_timeout so that deadlines pass quickly. Every wait is on the
// server's state (it closed the connection) with a generous failure bound.

func startAbused(t *testing.T) *server {
	t.Helper()
	return startServer(t, map[string]string{"LINKWATCH_ADMIN_TOKEN": testAdminToken, "LINKWATCH_CLIENT_TIMEOUT": "1s"},
		"serve", "--db", filepath.Join(t.TempDir(), "linkwatch.db"))
}

func (s *server) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// serverCloses waits until the server has closed c: reading returns EOF or
// a reset, not the failure bound's timeout. It returns what was read.
func serverCloses(t *testing.T, c net.Conn, what string) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second)) // the failure bound
	b, err := io.ReadAll(c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s: the server kept the connection open for 30s (read %.200q)", what, b)
	}
	return string(b)
}

// TestAbuseSlowClients: a slow body on the anonymous routes is cut after
// the read deadline, as are headers that never end, a connection that
// sends nothing and a kept-alive connection left idle; the probers' change
// stream, which has no deadline, outlives them all and still delivers.
func TestAbuseSlowClients(t *testing.T) {
	s := startAbused(t)
	var tok struct{ Token string }
	s.apiJSON(t, "POST", "/api/v1/tokens", `{"name":"eu","scopes":["prober"],"regions":["eu-west"]}`, &tok)
	stream := s.dial(t)
	fmt.Fprintf(stream, "GET /api/v1/probe/stream?prober=eu-1&region=eu-west HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", tok.Token)
	events := bufio.NewReader(stream)
	stream.SetReadDeadline(time.Now().Add(30 * time.Second))
	if line, err := events.ReadString('\n'); err != nil || !strings.Contains(line, " 200 ") {
		t.Fatalf("stream: %q %v", line, err)
	}

	reqs := []string{
		"POST /status/subscribe HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=a",
		"POST /api/v1/links HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"destination\":",
		"GET /status HTTP/1.1\r\nHost: x\r\n", // headers that never end
		"",                                    // nothing at all
		"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", // answered, then left idle
	}
	conns := make([]net.Conn, len(reqs))
	for i, req := range reqs {
		conns[i] = s.dial(t)
		io.WriteString(conns[i], req)
	}
	for i, req := range reqs {
		got := serverCloses(t, conns[i], fmt.Sprintf("%.40q", req))
		if i == len(reqs)-1 && !strings.HasPrefix(got, "HTTP/1.1 200") {
			t.Errorf("idle connection's answer: %.100q", got)
		}
	}

	// Every deadline above has passed; the stream still delivers a change.
	s.apiJSON(t, "POST", "/api/v1/links", `{"slug":"after-the-deadlines","destination":"https://example.com/"}`, nil)
	stream.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		line, err := events.ReadString('\n')
		if err != nil {
			t.Fatalf("the probers' stream was cut: %v", err)
		}
		if strings.Contains(line, "after-the-deadlines") {
			break
		}
	}
}

var connectionsRE = regexp.MustCompile(`(?m)^linkwatch_http_connections (\d+)$`)

// openConnections is linkwatch_http_connections, scraped on a connection of
// its own (counted, hence the 1 taken off).
func (s *server) openConnections(t *testing.T) int {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	resp, err := c.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := connectionsRE.FindStringSubmatch(string(b))
	if m == nil {
		t.Fatal("no linkwatch_http_connections in /metrics")
	}
	n, _ := strconv.Atoi(m[1])
	return n - 1
}

// TestAbuseNeverReads: a client that asks for megabytes and never reads
// them is cut after the write deadline instead of holding the server's
// goroutine and buffers.
func TestAbuseNeverReads(t *testing.T) {
	s := startAbused(t)
	// /metrics is never shed, so every answer is the whole page.
	_, page := s.get("/metrics")
	if len(page) < 1000 {
		t.Fatalf("/metrics: %d bytes", len(page))
	}
	before := s.openConnections(t)
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	c, err := d.DialContext(context.Background(), "tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n := 16<<20/len(page) + 1 // far more than the socket buffers hold
	go func() {
		w := bufio.NewWriter(c)
		for range n {
			io.WriteString(w, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
		}
		w.Flush() // may block, then fail once the server closes
	}()
	waitUntil(t, 30*time.Second, func() bool { return s.openConnections(t) == before+1 })
	waitUntil(t, 30*time.Second, func() bool { return s.openConnections(t) == before })
	got := serverCloses(t, c, "never reads")
	if answers := strings.Count(got, "HTTP/1.1 200"); answers >= n {
		t.Errorf("all %d answers were written", answers)
	}
}

// TestAbuseBodyLimits: a body over its route's limit is answered 413 on
// every route that reads one, whether its length is declared or not.
func TestAbuseBodyLimits(t *testing.T) {
	s := startAbused(t)
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		path, contentType, auth string
		body                    io.Reader
	}{
		{"/api/v1/links", "application/json", testAdminToken,
			unknownLength{strings.NewReader(`{"destination":"https://example.com/","pad":"` + strings.Repeat("x", 64<<10) + `"}`)}},
		{"/api/v1/links", "application/json", "", strings.NewReader(`{"destination":"` + strings.Repeat("x", 64<<10) + `"}`)},
		{"/api/v1/probe/results", "application/json", testAdminToken, strings.NewReader("[" + strings.Repeat(" ", 8<<20) + "]")},
		{"/status/subscribe", form, "", unknownLength{strings.NewReader("email=a%40example.com&pad=" + strings.Repeat("x", 4<<10))}},
		{"/status/subscribe", "application/json", "", unknownLength{strings.NewReader(`{"email":"a@example.com","pad":"` + strings.Repeat("x", 4<<10) + `"}`)}},
		{"/dashboard/sign-in", form, "", unknownLength{strings.NewReader("token=" + strings.Repeat("x", 64<<10))}},
		{"/dashboard/import", "multipart/form-data; boundary=b", "", strings.NewReader(strings.Repeat("x", 10<<20+1))},
	} {
		req, _ := http.NewRequest("POST", s.url+tc.path, tc.body)
		req.Header.Set("Content-Type", tc.contentType)
		if tc.auth != "" {
			req.Header.Set("Authorization", "Bearer "+tc.auth)
		}
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Errorf("POST %s: %v", tc.path, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s (%d-byte body, declared %v): %d %.200s, want 413", tc.path, req.ContentLength, req.ContentLength >= 0, resp.StatusCode, b)
		}
	}
	// A body within the limit gets the route's own answer.
	req, _ := http.NewRequest("POST", s.url+"/status/subscribe", strings.NewReader("pad=x"))
	req.Header.Set("Content-Type", form)
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("subscribe without an address: %d, want 422", resp.StatusCode)
	}
}

// unknownLength hides a body's length, so the client sends it chunked and
// only reading it tells its size.
type unknownLength struct{ io.Reader }
