package drills

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a process may take to become ready: a failure
// bound on a busy machine, not a target.
const startTimeout = 60 * time.Second

// proc is one linkwatch process (a "pod"), started from the drill's binary
// with only the LINKWATCH_* settings given, listening on a fixed loopback
// address so that it comes back on the same one after a restart, as a
// Service's endpoint would.
type proc struct {
	t     *testing.T
	name  string
	args  []string
	env   map[string]string
	addr  string // host:port of its HTTP listener
	ready string // path answering 200 once it is ready
	log   string // stdout and stderr of every run, appended

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // of the last run, once exited
	starts int
}

// startProc starts `linkwatch args...` with env (LINKWATCH_ADDR is chosen
// when absent) and waits until it is ready. It is stopped when t ends, and
// its log is shown if t failed.
func startProc(t *testing.T, name string, env map[string]string, args ...string) *proc {
	t.Helper()
	p := newProc(t, name, env, args...)
	p.start()
	return p
}

// newProc prepares a process without starting it.
func newProc(t *testing.T, name string, env map[string]string, args ...string) *proc {
	t.Helper()
	e := map[string]string{"LINKWATCH_LOG_FORMAT": "json", "LINKWATCH_LOG_LEVEL": "info"}
	for k, v := range env {
		e[k] = v
	}
	if e["LINKWATCH_ADDR"] == "" {
		e["LINKWATCH_ADDR"] = freeAddr(t)
	}
	p := &proc{t: t, name: name, args: args, env: e, addr: e["LINKWATCH_ADDR"], ready: "/readyz",
		log: filepath.Join(t.TempDir(), name+".log")}
	if len(args) > 0 && args[0] == "prober" {
		p.ready = "/healthz"
	}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("--- last lines of %s's log (%s):\n%s", name, p.log, p.tail(40))
		}
	})
	return p
}

// URL is the process's base URL.
func (p *proc) URL() string { return "http://" + p.addr }

// start runs the process and waits until it is ready.
func (p *proc) start() {
	p.t.Helper()
	if err := p.spawn(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	if err := p.waitReady(startTimeout); err != nil {
		p.t.Fatalf("%s: %v\n%s", p.name, err, p.tail(40))
	}
}

func (p *proc) spawn() error {
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(binary(p.t), p.args...)
	cmd.Env = processEnv(p.env)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return err
	}
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.starts++
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(exited)
	}()
	return nil
}

// processEnv is the environment of a drill's process: the test's own,
// without any LINKWATCH_ setting (a developer's shell must not change a
// drill), plus env.
func processEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LINKWATCH_") {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// waitReady waits until the ready path answers 200, failing early if the
// process exits.
func (p *proc) waitReady(d time.Duration) error {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("exited before it was ready: %v", p.exitErr())
		default:
		}
		if resp, err := hc.Get(p.URL() + p.ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready on %s%s after %s", p.URL(), p.ready, d)
}

func (p *proc) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// terminate sends SIGTERM, as Kubernetes does after the preStop hook, and
// waits for the process to exit; it returns how long the exit took and the
// exit error (nil for a clean exit).
func (p *proc) terminate(bound time.Duration) (time.Duration, error) {
	p.t.Helper()
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	select {
	case <-exited:
		return time.Since(start), p.exitErr()
	case <-time.After(bound):
		cmd.Process.Kill()
		<-exited
		return time.Since(start), fmt.Errorf("%s did not exit within %s of SIGTERM: killed", p.name, bound)
	}
}

// restart terminates the process and starts it again on the same address:
// a rolled pod.
func (p *proc) restart(bound time.Duration) time.Duration {
	p.t.Helper()
	took, err := p.terminate(bound)
	if err != nil {
		p.t.Fatalf("%s: stop: %v\n%s", p.name, err, p.tail(20))
	}
	p.start()
	return took
}

func (p *proc) kill() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

// logs is everything the process wrote, every run.
func (p *proc) logs() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func (p *proc) tail(n int) string {
	lines := strings.Split(strings.TrimRight(p.logs(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// newToken is a fresh admin token for a drill's control plane.
func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return "lw_drill_" + hex.EncodeToString(b[:])
}

// waitFor polls cond until it holds; d is a failure bound, never a target.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sleepCtx waits d or until ctx ends; the drills' phases (an outage's
// length, a steady load before a restart) are durations of the scenario,
// never something a result depends on.
func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errNoMetric = errors.New("metric not found")

// metric reads one sample of a Prometheus text exposition: name with the
// given label matchers ("code=\"302\""), summed over the series that match.
func metric(exposition []byte, name string, labels ...string) (float64, error) {
	var sum float64
	found := false
	for _, line := range bytes.Split(exposition, []byte("\n")) {
		s := string(line)
		if !strings.HasPrefix(s, name) || strings.HasPrefix(s, "#") {
			continue
		}
		rest := s[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(rest, l) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(rest[strings.LastIndexByte(rest, ' ')+1:], &v); err != nil {
			return 0, fmt.Errorf("%s: %q: %v", name, s, err)
		}
		sum += v
		found = true
	}
	if !found {
		return 0, fmt.Errorf("%s%v: %w", name, labels, errNoMetric)
	}
	return sum, nil
}
