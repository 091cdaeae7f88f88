package drills

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestDrill8Overload: `serve` is offered a mix of redirects (80 %), control
// API requests (10 %) and public status page requests (10 %) at twice the
// capacity measured for that mix in a closed loop. Redirects must all be
// answered (302), the API and the public pages shed with 503 and
// Retry-After, memory stays bounded, and once the overload ends the process
// recovers by itself: the API answers again and a half-capacity phase sheds
// less than the overload did. The load generator shares the machine's
// cores with the server, so redirect latency is reported both as the
// clients saw it (their own queueing included) and as the server measured
// it (linkwatch_http_request_duration_seconds{route="/{slug}"}).
func TestDrill8Overload(t *testing.T) {
	r := newReport(t, "8. overload")
	token := newToken()
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(dest.Close)
	srv := startProc(t, "serve", map[string]string{
		"LINKWATCH_DB": filepath.Join(t.TempDir(), "overload.db"), "LINKWATCH_ADMIN_TOKEN": token,
		"LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_LOG_LEVEL": "warn",
	}, "serve")
	api := newAPI(srv.URL(), token)
	const nLinks = 50
	for i := range nLinks {
		api.createLink(t, map[string]any{"slug": fmt.Sprintf("o%d", i), "destination": dest.URL + "/", "check_interval": "1h"})
	}
	m := &mix{base: srv.URL(), token: token, links: nLinks, client: &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{MaxIdleConns: 2048, MaxIdleConnsPerHost: 1024, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	waitFor(t, 30*time.Second, "the last link to redirect", func() bool {
		return m.one(m.redirect(nLinks-1)).code == http.StatusFound
	})

	capacity := m.closedLoop(64, scaled(10*time.Second, 3*time.Second))
	r.info("capacity of the mix, closed loop over 64 connections", fmt.Sprintf("%.0f requests/s", capacity))
	phase := scaled(20*time.Second, 4*time.Second)
	rss := func() float64 { return metricOf(t, srv.URL(), "linkwatch_process_resident_memory_bytes") }
	rssBefore := rss()

	run := func(name string, factor float64) phaseResult {
		before, _ := scrape(srv.URL())
		p := m.openLoop(int(capacity*factor), phase)
		after, _ := scrape(srv.URL())
		p.serverP99 = histogramQuantile(before, after, "linkwatch_http_request_duration_seconds", 0.99, `route="/{slug}"`)
		r.info(name, p.String())
		return p
	}
	half := run("0.5x capacity, before", 0.5)
	double := run("2x capacity", 2)
	rssPeak := rss()
	// Recovery by itself: the API answers again, then half the capacity
	// sheds less than the overload did.
	waitFor(t, 30*time.Second, "the API to answer after the overload", func() bool {
		status, _, err := api.try(http.MethodGet, "/links?limit=1", nil)
		return err == nil && status == http.StatusOK
	})
	after := run("0.5x capacity, after", 0.5)

	r.row("redirects under 2x the capacity", fmt.Sprintf("%d answered 302, %d failed; server-side p99 %s at 2x vs %s at 0.5x",
		double.redirectOK, double.redirectFailed, ms(double.serverP99), ms(half.serverP99)),
		double.redirectFailed == 0 && half.redirectFailed == 0 && after.redirectFailed == 0 && double.redirectOK > 0)
	r.row("memory bounded", fmt.Sprintf("RSS %.0f MB before, %.0f MB after the overload", rssBefore/1e6, rssPeak/1e6),
		rssPeak-rssBefore < 256e6)
	shedding := fmt.Sprintf("%s of API and public requests answered 503 (every one with Retry-After: %v), %d other failures; 503 answers p50 %s as the clients saw them",
		pct(double.shed, double.shedable), double.shed == double.retryAfter, double.shedableFailed, ms(double.shedP50))
	recovery := fmt.Sprintf("after the overload, half the capacity: %s of API and public requests shed (%s before the overload, %s during it)",
		pct(after.shed, after.shedable), pct(half.shed, half.shedable), pct(double.shed, double.shedable))
	if !full() {
		// Within make test the other packages' tests share the 2 cores:
		// the closed loop's capacity is then the generator's, not the
		// server's, and twice it may not overload the server at all.
		// Shedding is asserted by the full drill, run on its own.
		r.info("the API and public pages shed under 2x", shedding)
		r.info("recovery by itself", recovery)
		if double.shedableFailed > 0 || double.shed != double.retryAfter {
			r.row("API and public answers under 2x", shedding, false)
		}
		return
	}
	r.row("the API and public pages shed under 2x", shedding,
		double.shed > 0 && double.shed == double.retryAfter && double.shedableFailed == 0)
	r.row("recovery by itself", recovery, after.shedable > 0 && after.shed*double.shedable < double.shed*after.shedable)
}

// mix is the drill's traffic: every tenth request the control API, every
// tenth the public status page's JSON, the rest redirects over the links.
type mix struct {
	base, token string
	links       int
	client      *http.Client
}

const (
	kindRedirect = iota
	kindAPI
	kindPublic
)

type mixReq struct {
	kind int
	req  *http.Request
}

func (m *mix) redirect(i int) mixReq {
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/o%d", m.base, i%m.links), nil)
	req.Header.Set("User-Agent", visitorAgent)
	return mixReq{kindRedirect, req}
}

func (m *mix) nth(n int) mixReq {
	switch n % 10 {
	case 0:
		req, _ := http.NewRequest(http.MethodGet, m.base+"/api/v1/links?limit=20", nil)
		req.Header.Set("Authorization", "Bearer "+m.token)
		return mixReq{kindAPI, req}
	case 5:
		req, _ := http.NewRequest(http.MethodGet, m.base+"/api/v2/summary.json", nil)
		return mixReq{kindPublic, req}
	}
	return m.redirect(n)
}

// outcome is one answer: its status (0: no answer), whether it carried
// Retry-After, and how long the client waited from the request's slot.
type outcome struct {
	kind       int
	code       int
	retryAfter bool
	took       time.Duration
}

func (m *mix) one(q mixReq) outcome {
	start := time.Now()
	resp, err := m.client.Do(q.req)
	o := outcome{kind: q.kind}
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		o.code, o.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After") != ""
	}
	o.took = time.Since(start)
	return o
}

// closedLoop runs workers sending the mix back to back for d and returns
// the requests per second answered.
func (m *mix) closedLoop(workers int, d time.Duration) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var n int
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i += workers {
				if m.one(m.nth(i)).code != 0 {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// phaseResult counts one open-loop phase's outcomes.
type phaseResult struct {
	rate, sent, unsent               int
	redirectOK, redirectFailed       int
	shedable, shed, retryAfter       int
	shedableFailed                   int
	redirectP99, shedP50, serverP99  time.Duration
	redirectLatencies, shedLatencies []time.Duration
	elapsed                          time.Duration
}

func (p phaseResult) String() string {
	return fmt.Sprintf("offered %d/s for %s: %d sent (%d not sent: the generator's 2,048 in flight were taken); redirects %d ok, %d failed, p99 %s as the clients saw them, %s in the server; API and public %s shed",
		p.rate, p.elapsed.Round(time.Second), p.sent, p.unsent, p.redirectOK, p.redirectFailed, ms(p.redirectP99), ms(p.serverP99), pct(p.shed, p.shedable))
}

// openLoop offers the mix at rate requests per second for d, whatever the
// answers, up to 2,048 in flight (beyond, a request is not sent and
// counted so).
func (m *mix) openLoop(rate int, d time.Duration) phaseResult {
	p := phaseResult{rate: rate}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2048)
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	n := 0
	for now := range tick.C {
		if now.Sub(start) >= d {
			break
		}
		for due := int(now.Sub(start).Seconds() * float64(rate)); n < due; n++ {
			select {
			case sem <- struct{}{}:
			default:
				p.unsent++
				continue
			}
			p.sent++
			q := m.nth(n)
			wg.Go(func() {
				defer func() { <-sem }()
				o := m.one(q)
				mu.Lock()
				defer mu.Unlock()
				p.add(o)
			})
		}
	}
	tick.Stop()
	wg.Wait()
	p.elapsed = time.Since(start)
	p.redirectP99 = quantile(p.redirectLatencies, 0.99)
	p.shedP50 = quantile(p.shedLatencies, 0.5)
	return p
}

func (p *phaseResult) add(o outcome) {
	if o.kind == kindRedirect {
		if o.code == http.StatusFound {
			p.redirectOK++
		} else {
			p.redirectFailed++
		}
		p.redirectLatencies = append(p.redirectLatencies, o.took)
		return
	}
	p.shedable++
	switch o.code {
	case http.StatusOK:
	case http.StatusServiceUnavailable:
		p.shed++
		p.shedLatencies = append(p.shedLatencies, o.took)
		if o.retryAfter {
			p.retryAfter++
		}
	default:
		p.shedableFailed++
	}
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[int(q*float64(len(ds)-1))]
}

func pct(n, of int) string {
	if of == 0 {
		return "none of 0"
	}
	return fmt.Sprintf("%.1f %% (%d of %d)", 100*float64(n)/float64(of), n, of)
}

// histogramQuantile is the q quantile, by bucket upper bound, of the
// observations a histogram gained between two scrapes (series matching
// labels, summed).
func histogramQuantile(before, after []byte, name string, q float64, labels ...string) time.Duration {
	bounds := []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
	count := func(b []byte, le string) float64 {
		v, _ := metric(b, name+"_bucket", append(slices.Clone(labels), `le="`+le+`"`)...)
		return v
	}
	total := count(after, "+Inf") - count(before, "+Inf")
	if total <= 0 {
		return 0
	}
	for _, ub := range bounds {
		le := strconv.FormatFloat(ub, 'g', -1, 64)
		if count(after, le)-count(before, le) >= q*total {
			return time.Duration(ub * float64(time.Second))
		}
	}
	return 5 * time.Second
}
