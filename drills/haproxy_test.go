package drills

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// HAProxyRequiredEnv, when set to anything but "" or "0", fails a drill that
// needs HAProxy and cannot find it, rather than skipping it (.ci/run sets it
// and installs Debian's haproxy).
const HAProxyRequiredEnv = "LINKWATCH_TEST_HAPROXY_REQUIRED"

// haproxyBinary finds Debian's haproxy, or skips t (fails it when required).
func haproxyBinary(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"haproxy", "/usr/sbin/haproxy"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "haproxy is not installed (apt-get install haproxy)"
	if r := os.Getenv(HAProxyRequiredEnv); r != "" && r != "0" {
		t.Fatal(msg + "; " + HAProxyRequiredEnv + " is set, so this drill must run")
	}
	t.Skip(msg)
	return ""
}

// haproxy is a load balancer in front of replicas, as a Kubernetes Service
// with readiness would be: it health-checks /readyz every second, takes a
// replica out of rotation on its first 503 and back on its first 200, and
// retries a request that failed to connect or got no answer on another
// replica (option redispatch).
type haproxy struct {
	addr string
	cmd  *exec.Cmd
	log  string
}

// startHAProxy runs haproxy in the foreground in front of backends
// (host:port each); it is stopped when t ends.
func startHAProxy(t *testing.T, backends []string) *haproxy {
	t.Helper()
	bin := haproxyBinary(t)
	dir := t.TempDir()
	h := &haproxy{addr: freeAddr(t), log: filepath.Join(dir, "haproxy.log")}
	var servers strings.Builder
	for i, b := range backends {
		fmt.Fprintf(&servers, "    server r%d %s check\n", i+1, b)
	}
	cfg := fmt.Sprintf(`global
    maxconn 4096
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 30s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
frontend drills
    bind %s
    default_backend redirectors
backend redirectors
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 1s fastinter 500ms downinter 500ms fall 1 rise 1
%s`, h.addr, servers.String())
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-q", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s\n%s", err, out, cfg)
	}
	f, err := os.Create(h.log)
	if err != nil {
		t.Fatal(err)
	}
	h.cmd = exec.Command(bin, "-db", "-f", path)
	h.cmd.Stdout, h.cmd.Stderr = f, f
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- h.cmd.Wait(); f.Close() }()
	t.Cleanup(func() {
		h.cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			h.cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(h.log)
			t.Logf("--- haproxy's log:\n%s", b)
		}
	})
	waitFor(t, 30*time.Second, "haproxy to listen", func() bool {
		c, err := net.DialTimeout("tcp", h.addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return h
}

// URL is the load balancer's base URL.
func (h *haproxy) URL() string { return "http://" + h.addr }
