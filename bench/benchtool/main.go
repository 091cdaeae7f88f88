// Command benchtool supports the benchmarks. For the redirect benchmark it
// runs the baseline (a bare net/http handler redirecting from a map, the
// fastest a Go redirector can be) and seeds links into a running linkwatch
// through its API. For the prober benchmark it also runs a fast target
// server, creates a prober token, and watches a running prober, printing
// what it achieved each minute. Its summary command renders
// bench/results.md from what every benchmark left in bench/out/.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

const usage = "usage: benchtool baseline|seed|target|token|probewatch|alertlatency|statuspage|summary [flags]"

func run(args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	if args[0] == "alertlatency" { // its own flags: see alertlatency.go
		return alertLatency(args[1:])
	}
	if args[0] == "statuspage" { // its own flags: see statuspage.go
		return statusPage(args[1:])
	}
	if args[0] == "summary" { // its own flags: see summary.go
		return summaryCmd(args[1:], os.Stdout)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18081", "listen address (baseline, target)")
	server := fs.String("server", "http://127.0.0.1:18082", "linkwatch API to seed or to create the token on")
	token := fs.String("token", os.Getenv("LINKWATCH_ADMIN_TOKEN"), "admin token for seeding and token creation")
	n := fs.Int("links", 1000, "number of links s0…s<n-1>")
	dest := fs.String("dest", "https://example.com", "seed: base URL of the destinations (<dest>/landing/<i>?utm_source=bench)")
	interval := fs.String("interval", "", "seed: check_interval of the links (empty: the API's default)")
	name := fs.String("name", "bench-prober", "token: name of the new token")
	scope := fs.String("scope", "prober", "token: scope of the new token")
	region := fs.String("region", "bench", "token: the region a prober token may report for")
	var w watchConfig
	fs.StringVar(&w.prober, "prober", "http://127.0.0.1:18094", "probewatch: the prober's metrics base URL")
	fs.IntVar(&w.pid, "pid", 0, "probewatch: the prober's process id")
	fs.StringVar(&w.target, "target", "http://127.0.0.1:18091", "probewatch: the target server's base URL")
	fs.StringVar(&w.redirector, "redirector", "http://127.0.0.1:18093", "probewatch: the redirector's base URL")
	fs.DurationVar(&w.duration, "duration", 3*time.Minute, "probewatch: how long to measure")
	fs.DurationVar(&w.period, "period", time.Minute, "probewatch: sampling period (the links' check interval)")
	fs.IntVar(&w.clkTck, "clk-tck", 100, "probewatch: clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK)")
	fs.StringVar(&w.fragment, "fragment", "", "probewatch: write the figures, with a bare client's CPU per request as baseline, to this file for benchtool summary")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "baseline":
		return baseline(*addr, *n)
	case "seed":
		return seed(*server, *token, *n, strings.TrimSuffix(*dest, "/"), *interval)
	case "target":
		return target(*addr)
	case "token":
		return createToken(*server, *token, *name, *scope, *region)
	case "probewatch":
		w.links = *n
		return probewatch(w, os.Stdout)
	}
	return fmt.Errorf("unknown command %q; %s", args[0], usage)
}

func destination(base string, i int) string {
	return base + "/landing/" + strconv.Itoa(i) + "?utm_source=bench"
}

// serveUntilSignal runs srv until SIGINT or SIGTERM, then shuts it down.
func serveUntilSignal(srv *http.Server) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// baseline serves GET /{slug} from a map: no router, no metrics, no scans.
func baseline(addr string, n int) error {
	links := make(map[string]string, n)
	for i := range n {
		links["s"+strconv.Itoa(i)] = destination("https://example.com", i)
	}
	return serveUntilSignal(&http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dest, ok := links[r.URL.Path[1:]]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header()["Location"] = []string{dest}
		w.WriteHeader(http.StatusFound)
	})})
}

// seed creates the links through the API, 16 at a time. A request the
// server sheds (503 or 429, as an overloaded control plane answers) is sent
// again after its Retry-After (at most 2 s; 100 ms without one), up to
// seedAttempts times.
func seed(server, token string, n int, dest, interval string) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			body := fmt.Sprintf(`{"slug":"s%d","destination":%q`, i, destination(dest, i))
			if interval != "" {
				body += fmt.Sprintf(`,"check_interval":%q`, interval)
			}
			body += "}"
			resp, err := postRetrying(server, token, "/api/v1/links", body)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b, _ := io.ReadAll(resp.Body)
				errs <- fmt.Errorf("create s%d: %s %s", i, resp.Status, b)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// createToken creates an API token and prints its secret.
func createToken(server, token, name, scope, region string) error {
	req := map[string]any{"name": name, "scopes": []string{scope}}
	if scope == "prober" {
		req["regions"] = []string{region}
	}
	body, _ := json.Marshal(req)
	resp, err := apiPost(server, token, "/api/v1/tokens", string(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("create token: %s %s", resp.Status, b)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Token == "" {
		return fmt.Errorf("create token: no secret in the answer %s", b)
	}
	fmt.Println(out.Token)
	return nil
}

const seedAttempts = 50

// postRetrying is apiPost, sent again while the server sheds it.
func postRetrying(server, token, path, body string) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := apiPost(server, token, path, body)
		if err != nil || attempt == seedAttempts ||
			(resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusTooManyRequests) {
			return resp, err
		}
		wait := 100 * time.Millisecond
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = min(time.Duration(s)*time.Second, 2*time.Second)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		time.Sleep(wait)
	}
}

func apiPost(server, token, path, body string) (*http.Response, error) {
	req, err := http.NewRequest("POST", server+path, bytes.NewBufferString(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return http.DefaultClient.Do(req)
}
