// Command overload is the overload benchmark (make bench-overload). It starts
// `linkwatch serve` on a fresh database, seeds links, measures the capacity
// of a mix of redirects, control API and public page requests in a closed
// loop, then offers that mix open-loop at 0.5x, 1x and 2x the capacity, then
// at 0.5x again to see it recover. For each phase it reports redirect p50/p99 (from
// each request's scheduled time, so queueing counts), the API's and the
// public pages' 503 share, and the server's RSS.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "overload:", err)
		os.Exit(1)
	}
}

type options struct {
	bin, db, addr, label string
	fragment             string
	logLevel             string
	links, conns         int
	openConns            int
	warm, capacity, step time.Duration
	overload, recovery   time.Duration
	apiShare, pageShare  float64
	maxOutstanding       int
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("overload", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", ".bench/linkwatch", "linkwatch binary")
	fs.StringVar(&o.db, "db", "", "LINKWATCH_DB of the server (empty: a fresh SQLite file)")
	fs.StringVar(&o.label, "label", "sqlite", "name of the run in the report")
	fs.StringVar(&o.fragment, "fragment", "", "also write the figures as a bench/out fragment (TSV, see benchtool summary) to this file")
	fs.StringVar(&o.logLevel, "log-level", "warn", "the server's log level (info shows each change of the overload pressure); its log goes to stderr")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:18121", "the server's listen address")
	fs.IntVar(&o.links, "links", 200, "links seeded")
	fs.IntVar(&o.conns, "conns", 64, "closed-loop connections while measuring capacity")
	fs.IntVar(&o.openConns, "open-conns", 128, "connections of the open-loop client (requests beyond wait in its queue)")
	fs.DurationVar(&o.warm, "warm", 3*time.Second, "warm-up before measuring")
	fs.DurationVar(&o.capacity, "capacity", 10*time.Second, "closed-loop capacity measurement")
	fs.DurationVar(&o.step, "step", 10*time.Second, "length of the 1x phase")
	fs.DurationVar(&o.overload, "overload", 15*time.Second, "length of the 2x phase")
	fs.DurationVar(&o.recovery, "recovery", 10*time.Second, "length of each 0.5x phase, before and after the overload")
	fs.Float64Var(&o.apiShare, "api", 0.1, "share of control API requests (GET /api/v1/links)")
	fs.Float64Var(&o.pageShare, "pages", 0.1, "share of public requests (/status, /api/v2/summary.json)")
	fs.IntVar(&o.maxOutstanding, "max-outstanding", 100000, "requests the open-loop client queues (more are counted as client drops)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return bench(o)
}

const token = "overload-bench-admin-token-0123456789"

func bench(o options) error {
	dir, err := os.MkdirTemp("", "linkwatch-overload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.db == "" {
		o.db = filepath.Join(dir, "linkwatch.db")
	}
	// A destination that answers at once, for the in-process prober.
	target := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go target.Serve(tln)
	defer target.Close()

	cmd := exec.Command(o.bin, "serve")
	cmd.Env = append(os.Environ(), "LINKWATCH_ADDR="+o.addr, "LINKWATCH_DB="+o.db, "LINKWATCH_ADMIN_TOKEN="+token,
		"LINKWATCH_LOG_LEVEL="+o.logLevel, "LINKWATCH_LOG_FORMAT=text", "LINKWATCH_PROBE_ALLOW_PRIVATE=true", "LINKWATCH_PUBLIC_URL=http://"+o.addr)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	base := "http://" + o.addr
	if err := waitReady(base); err != nil {
		return err
	}
	for i := range o.links {
		body := fmt.Sprintf(`{"slug":"o%d","destination":"http://%s/landing/%d"}`, i, tln.Addr(), i)
		code, err := call(http.DefaultClient, "POST", base+"/api/v1/links", body)
		for tries := 0; err == nil && code == http.StatusServiceUnavailable && tries < 50; tries++ { // shed: retry after a while
			time.Sleep(100 * time.Millisecond)
			code, err = call(http.DefaultClient, "POST", base+"/api/v1/links", body)
		}
		if err != nil || code != 201 {
			return fmt.Errorf("seeding link %d: %d %v", i, code, err)
		}
	}
	mix := newMix(base, o)
	closed := newPool(o.addr, mix, o.conns, o.conns)
	closed.closedLoop(o.warm)
	capStats := closed.closedLoop(o.capacity)
	closed.close()
	open := newPool(o.addr, mix, o.openConns, o.maxOutstanding)
	defer open.close()
	capacity := float64(capStats.ok()) / o.capacity.Seconds() // answered, not shed
	rssBefore := rss(cmd.Process.Pid)
	fmt.Printf("## %s: capacity %.0f req/s answered (closed loop, %d connections, %.0f%% redirects, %.0f%% API, %.0f%% public pages)\n\n",
		o.label, capacity, o.conns, 100*(1-o.apiShare-o.pageShare), 100*o.apiShare, 100*o.pageShare)
	fmt.Println("| phase | offered req/s | served req/s | redirect p50 | redirect p99 | redirect errors | API 503 share | public 503 share | client drops | RSS |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	report := func(name string, rate float64, s *stats, pid int) {
		r := s.class[classRedirect]
		fmt.Printf("| %s | %.0f | %.0f | %s | %s | %d | %s | %s | %d | %s |\n", name, rate, float64(s.ok())/s.elapsed.Seconds(),
			ms(r.quantile(0.5)), ms(r.quantile(0.99)), r.failed+r.shed, share(s.class[classAPI]), share(s.class[classPage]),
			s.dropped.Load(), mb(rss(pid)))
	}
	report("closed loop", 0, capStats, cmd.Process.Pid)
	s0 := open.openLoop(capacity/2, o.recovery)
	report("0.5x before", capacity/2, s0, cmd.Process.Pid)
	s1 := open.openLoop(capacity, o.step)
	report("1x", capacity, s1, cmd.Process.Pid)
	s2 := open.openLoop(2*capacity, o.overload)
	report("2x", 2*capacity, s2, cmd.Process.Pid)
	s3 := open.openLoop(capacity/2, o.recovery)
	report("0.5x after", capacity/2, s3, cmd.Process.Pid)
	fmt.Printf("\nRSS before the 1x phase %s, peak %s, after recovery %s; sheds by class: %s\n", mb(rssBefore),
		mb(hwm(cmd.Process.Pid)), mb(rss(cmd.Process.Pid)), sheds(base))
	fmt.Printf("Recovery: before the overload, at 0.5x, %s; after it %s\n\n", recoveryLine(s0), recoveryLine(s3))
	if o.fragment != "" {
		return writeFragment(o, capacity, s0, s2, s3)
	}
	return nil
}

// writeFragment leaves the run's figures for benchtool summary: redirect
// p99 at 2x and after against 0.5x before (the in-run baseline), and the
// API's and public pages' 503 shares at 2x.
func writeFragment(o options, capacity float64, before, overload, after *stats) error {
	p99 := func(s *stats) float64 { return float64(s.class[classRedirect].quantile(0.99).Microseconds()) / 1000 }
	shed := func(c *classStats) float64 {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.lat) == 0 {
			return 0
		}
		return 100 * float64(c.shed) / float64(len(c.lat))
	}
	l := o.label
	var b strings.Builder
	fmt.Fprintf(&b, "# title\tOverload (%s): a mix of redirects, control API and status page requests at 0.5x, 2x and 0.5x again of its closed-loop capacity\n", l)
	fmt.Fprintf(&b, "# note\tThe load generator shares the machine's cores with the server: client-side redirect latency includes its own queue.\n")
	fmt.Fprintf(&b, "%s capacity\trequests/s\t%.0f\treq/s\t\t\tclosed loop, %d connections\n", l, capacity, o.conns)
	fmt.Fprintf(&b, "%s redirect p99, 0.5x before\tp99\t%.2f\tms\t\t\t\n", l, p99(before))
	fmt.Fprintf(&b, "%s redirect p99, 2x\tp99\t%.2f\tms\t%s redirect p99, 0.5x before\t\tredirect errors %d\n", l, p99(overload), l,
		overload.class[classRedirect].failed)
	fmt.Fprintf(&b, "%s redirect p99, 0.5x after\tp99\t%.2f\tms\t%s redirect p99, 0.5x before\t\t\n", l, p99(after), l)
	fmt.Fprintf(&b, "%s API shed at 2x\t503 share\t%.1f\t%%\t\t\t\n", l, shed(overload.class[classAPI]))
	fmt.Fprintf(&b, "%s public pages shed at 2x\t503 share\t%.1f\t%%\t\t\t\n", l, shed(overload.class[classPage]))
	return os.WriteFile(o.fragment, []byte(b.String()), 0o644)
}

func waitReady(base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the server did not become ready in 30s")
}

func call(c *http.Client, method, url, body string) (int, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

const (
	classRedirect = iota
	classAPI
	classPage
	nClasses
)

// mix picks the i-th request of a run: a fixed, interleaved pattern so that
// every phase offers the same shares.
type mix struct {
	base      string
	links     int
	api, page int // per 1000
}

func newMix(base string, o options) *mix {
	return &mix{base: base, links: o.links, api: int(o.apiShare * 1000), page: int(o.pageShare * 1000)}
}

func (m *mix) request(i int) (int, string) {
	k := (i * 7919) % 1000 // spreads each class over the sequence
	switch {
	case k < m.api:
		return classAPI, "GET /api/v1/links?limit=20 HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + token + "\r\n\r\n"
	case k < m.api+m.page:
		p := "/status"
		if i%2 == 1 {
			p = "/api/v2/summary.json"
		}
		return classPage, "GET " + p + " HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: gzip\r\n\r\n"
	}
	return classRedirect, "GET /o" + strconv.Itoa(i%m.links) + " HTTP/1.1\r\nHost: bench\r\n\r\n"
}

// job is one request of a run, sent at its scheduled time or as soon as a
// connection is free.
type job struct {
	i         int
	scheduled time.Time
}

// pool sends jobs over conns persistent connections, each a goroutine that
// writes a request and reads its answer: far cheaper than net/http's client,
// so that the load generator leaves the processors to the server.
type pool struct {
	addr  string
	mix   *mix
	jobs  chan job
	wg    sync.WaitGroup
	stats atomic.Pointer[stats]
}

func newPool(addr string, m *mix, conns, queue int) *pool {
	p := &pool{addr: addr, mix: m, jobs: make(chan job, queue)}
	for range conns {
		p.wg.Go(p.work)
	}
	return p
}

func (p *pool) close() { close(p.jobs); p.wg.Wait() }

func (p *pool) work() {
	var c net.Conn
	var br *bufio.Reader
	for j := range p.jobs {
		s := p.stats.Load()
		class, req := p.mix.request(j.i)
		if c == nil {
			var err error
			if c, err = net.DialTimeout("tcp", p.addr, 10*time.Second); err != nil {
				s.class[class].add(time.Since(j.scheduled), false, false)
				c = nil
				continue
			}
			br = bufio.NewReaderSize(c, 16<<10)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		code, err := roundTrip(c, br, req)
		if err != nil {
			c.Close()
			c = nil
		}
		s.class[class].add(time.Since(j.scheduled), err == nil && code < 400, code == http.StatusServiceUnavailable)
	}
	if c != nil {
		c.Close()
	}
}

func roundTrip(c net.Conn, br *bufio.Reader, req string) (int, error) {
	if _, err := io.WriteString(c, req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		err = errors.New("closed")
	}
	return resp.StatusCode, err
}

// closedLoop keeps every connection busy for d.
func (p *pool) closedLoop(d time.Duration) *stats {
	s := newStats()
	p.stats.Store(s)
	start := time.Now()
	end := start.Add(d)
	i := 0
	for now := time.Now(); now.Before(end); now = time.Now() {
		p.jobs <- job{i, now}
		i++
	}
	p.drain()
	s.elapsed = time.Since(start)
	return s
}

// openLoop offers rate requests a second for d, each scheduled whatever
// happened to the ones before (latency counts from the schedule, so
// queueing counts), and waits for them all. A job that finds the queue full
// is a client drop.
func (p *pool) openLoop(rate float64, d time.Duration) *stats {
	s := newStats()
	p.stats.Store(s)
	start := time.Now()
	total := int(rate * d.Seconds())
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for sent := 0; sent < total; {
		now := <-tick.C
		due := min(total, int(now.Sub(start).Seconds()*rate))
		for ; sent < due; sent++ {
			select {
			case p.jobs <- job{sent, start.Add(time.Duration(float64(sent) / rate * float64(time.Second)))}:
			default:
				s.dropped.Add(1)
			}
		}
	}
	p.drain()
	s.elapsed = time.Since(start)
	return s
}

// drain waits until the queue is empty and every connection is idle.
func (p *pool) drain() {
	for len(p.jobs) > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	// The last jobs taken are answered within the connections' deadline.
	s := p.stats.Load()
	for {
		before := s.total()
		time.Sleep(200 * time.Millisecond)
		if s.total() == before {
			return
		}
	}
}

type stats struct {
	class   [nClasses]*classStats
	dropped atomic.Int64
	elapsed time.Duration // from the first request to the last answer
}

func newStats() *stats {
	s := &stats{}
	for i := range s.class {
		s.class[i] = &classStats{}
	}
	return s
}

func (s *stats) total() int {
	n := 0
	for _, c := range s.class {
		c.mu.Lock()
		n += len(c.lat)
		c.mu.Unlock()
	}
	return n
}

func (s *stats) ok() int {
	n := 0
	for _, c := range s.class {
		c.mu.Lock()
		n += c.ok
		c.mu.Unlock()
	}
	return n
}

type classStats struct {
	mu               sync.Mutex
	lat              []time.Duration // of every request, answered or not
	ok, shed, failed int
}

func (c *classStats) add(d time.Duration, ok, shed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lat = append(c.lat, d)
	switch {
	case ok:
		c.ok++
	case shed:
		c.shed++
	default:
		c.failed++
	}
}

func (c *classStats) quantile(q float64) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.lat) == 0 {
		return 0
	}
	l := slices.Clone(c.lat)
	slices.Sort(l)
	return l[min(len(l)-1, int(q*float64(len(l))))]
}

func share(c *classStats) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.lat) == 0 {
		return "-"
	}
	s := fmt.Sprintf("%.1f%%", 100*float64(c.shed)/float64(len(c.lat)))
	if c.failed > 0 {
		s += fmt.Sprintf(" (+%d failed)", c.failed)
	}
	return s
}

func recoveryLine(s *stats) string {
	r := s.class[classRedirect]
	r.mu.Lock()
	fails := r.failed + r.shed
	r.mu.Unlock()
	return fmt.Sprintf("redirect p99 %s with %d redirect errors, API 503 share %s, public 503 share %s",
		ms(r.quantile(0.99)), fails, share(s.class[classAPI]), share(s.class[classPage]))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mb(kb int) string { return fmt.Sprintf("%.0f MB", float64(kb)/1024) }

// rss and hwm are the process's resident set size and its peak, in kB.
func rss(pid int) int { return procStatus(pid, "VmRSS:") }
func hwm(pid int) int { return procStatus(pid, "VmHWM:") }

func procStatus(pid int, key string) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

var shedRE = regexp.MustCompile(`(?m)^linkwatch_http_shed_total\{class="(\w+)"\} (\S+)$`)

func sheds(base string) string {
	c := &http.Client{Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	resp, err := c.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var parts []string
	for _, m := range shedRE.FindAllStringSubmatch(string(b), -1) {
		parts = append(parts, m[1]+" "+m[2])
	}
	return strings.Join(parts, ", ")
}
