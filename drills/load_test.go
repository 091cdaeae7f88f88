package drills

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// visitorAgent is a phone's browser: scans of it are recorded (a probe's
// User-Agent would not be).
const visitorAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"

// load sends requests at a fixed rate, spread over targets in turn, and
// counts every outcome. It is open-loop up to maxInFlight requests in
// flight: a slow server does not slow the generator down until then, and
// what it could not send on time is counted, not hidden.
type load struct {
	rate        int      // requests per second
	targets     []string // URLs, used in turn
	ok          func(*http.Response) bool
	observe     func(at time.Time, target string, resp *http.Response) // optional, called concurrently
	maxInFlight int

	client *http.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu                  sync.Mutex
	sent                int
	late                int // sends that found maxInFlight requests in flight
	okCount             int
	codes               map[int]int
	errs                map[string]int
	firstFail, lastFail time.Time
	lat                 []time.Duration
	started             time.Time
	stopped             time.Time
}

// loadResult is what a load run saw.
type loadResult struct {
	Sent, OK, Failed, Late int
	Codes                  map[int]int
	Errors                 map[string]int
	P50, P99, Max          time.Duration
	Rate                   float64 // achieved requests per second
	FirstFail, LastFail    time.Time
}

// startLoad starts sending rate requests per second to targets; ok decides
// a success (nil: any 2xx or 3xx). Redirects are never followed.
func startLoad(rate int, targets []string, ok func(*http.Response) bool) *load {
	if ok == nil {
		ok = func(r *http.Response) bool { return r.StatusCode >= 200 && r.StatusCode < 400 }
	}
	l := &load{rate: rate, targets: targets, ok: ok, maxInFlight: 512,
		codes: map[int]int{}, errs: map[string]int{}}
	l.client = &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 512, IdleConnTimeout: 90 * time.Second,
			DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return l
}

// withObserver sets a callback seeing every response (before Run).
func (l *load) withObserver(fn func(at time.Time, target string, resp *http.Response)) *load {
	l.observe = fn
	return l
}

// Run starts the generator in the background.
func (l *load) Run() *load {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	l.started = time.Now()
	go l.loop(ctx)
	return l
}

func (l *load) loop(ctx context.Context) {
	defer close(l.done)
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, l.maxInFlight)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			due := int(now.Sub(l.started).Seconds() * float64(l.rate))
			for ; n < due; n++ {
				target := l.targets[n%len(l.targets)]
				select {
				case sem <- struct{}{}:
				default:
					l.mu.Lock()
					l.late++
					l.mu.Unlock()
					select {
					case sem <- struct{}{}:
					case <-ctx.Done():
						return
					}
				}
				wg.Go(func() {
					defer func() { <-sem }()
					l.one(target)
				})
			}
		}
	}
}

func (l *load) one(target string) {
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("User-Agent", visitorAgent)
	start := time.Now()
	resp, err := l.client.Do(req)
	took := time.Since(start)
	good := false
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		good = l.ok(resp)
		if l.observe != nil {
			l.observe(start, target, resp)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent++
	l.lat = append(l.lat, took)
	switch {
	case err != nil:
		l.errs[shortErr(err)]++
	default:
		l.codes[resp.StatusCode]++
	}
	if good {
		l.okCount++
		return
	}
	if l.firstFail.IsZero() {
		l.firstFail = start
	}
	l.lastFail = start
}

// shortErr is an error without the URL (one key per kind in the counts).
func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// Stop stops sending, waits for the requests in flight and returns the
// result.
func (l *load) Stop() loadResult {
	l.cancel()
	<-l.done
	l.mu.Lock()
	l.stopped = time.Now()
	l.mu.Unlock()
	l.client.CloseIdleConnections()
	return l.Snapshot()
}

// Snapshot is the result so far.
func (l *load) Snapshot() loadResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := loadResult{Sent: l.sent, OK: l.okCount, Failed: l.sent - l.okCount, Late: l.late,
		Codes: maps.Clone(l.codes), Errors: maps.Clone(l.errs), FirstFail: l.firstFail, LastFail: l.lastFail}
	end := l.stopped
	if end.IsZero() {
		end = time.Now()
	}
	if el := end.Sub(l.started).Seconds(); el > 0 {
		r.Rate = float64(l.sent) / el
	}
	lat := slices.Clone(l.lat)
	slices.Sort(lat)
	if len(lat) > 0 {
		r.P50 = lat[len(lat)*50/100]
		r.P99 = lat[len(lat)*99/100]
		r.Max = lat[len(lat)-1]
	}
	return r
}

// String summarises a result for the table and the log.
func (r loadResult) String() string {
	var codes []string
	for c, n := range r.Codes {
		codes = append(codes, fmt.Sprintf("%d×%s", c, thousands(n)))
	}
	for e, n := range r.Errors {
		codes = append(codes, fmt.Sprintf("%q×%d", e, n))
	}
	sort.Strings(codes)
	s := fmt.Sprintf("%s requests at %.0f/s, %s failed (%s); latency p50 %s, p99 %s, max %s",
		thousands(r.Sent), r.Rate, thousands(r.Failed), strings.Join(codes, ", "), ms(r.P50), ms(r.P99), ms(r.Max))
	if r.Late > 0 {
		s += fmt.Sprintf("; %d sent late (generator at its in-flight cap)", r.Late)
	}
	return s
}

func ms(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

// thousands writes n with thousands separators: 12,345.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
