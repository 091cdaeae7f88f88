package main

// alertlatency measures how long a broken destination takes to reach Slack
// as a link_down alert, end to end through a running `linkwatch serve`: it
// serves the links' destination (a target that can be switched to 503 per
// link) and a fake Slack incoming webhook that timestamps and parses every
// message, creates one link per check interval through the API, and repeats
// trials: break the destination, wait for the FIRING link_down message that
// names the link, fix it, wait for the RESOLVED one. bench/alerting.sh
// starts linkwatch with its Slack webhook pointing here.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// alertConfig says what alertlatency measures.
type alertConfig struct {
	server, token         string
	targetAddr, slackAddr string
	intervals             []time.Duration
	trials                []int
	tag                   string
	ready                 time.Duration // how long a new link may take to be seen up
	messages              string        // file to write every Slack message to, one JSON line each
}

// alertTarget is the detection target: two check intervals plus 5 s.
func alertTarget(interval time.Duration) time.Duration { return 2*interval + 5*time.Second }

func alertLatency(args []string) error {
	fs := flag.NewFlagSet("alertlatency", flag.ContinueOnError)
	var c alertConfig
	fs.StringVar(&c.server, "server", "http://127.0.0.1:18111", "the linkwatch serve base URL")
	fs.StringVar(&c.token, "token", os.Getenv("LINKWATCH_ADMIN_TOKEN"), "admin token")
	fs.StringVar(&c.targetAddr, "target-addr", "127.0.0.1:18112", "listen address of the links' destination")
	fs.StringVar(&c.slackAddr, "slack-addr", "127.0.0.1:18113", "listen address of the fake Slack webhook")
	intervals := fs.String("intervals", "1s,10s", "check intervals to measure, comma-separated")
	trials := fs.String("trials", "10,5", "trials per interval, comma-separated (one number: for every interval)")
	fs.StringVar(&c.tag, "tag", "bench-alerting", "campaign tag of the links, suffixed with the interval (empty: none)")
	fs.StringVar(&c.messages, "messages", "", "write every message Slack received to this file (JSON lines)")
	fs.DurationVar(&c.ready, "ready", 90*time.Second, "how long a new link may take to be checked and up")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, s := range strings.Split(*intervals, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d < time.Second {
			return fmt.Errorf("alertlatency: bad interval %q", s)
		}
		c.intervals = append(c.intervals, d)
	}
	for _, s := range strings.Split(*trials, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("alertlatency: bad trial count %q", s)
		}
		c.trials = append(c.trials, n)
	}
	switch {
	case len(c.trials) == 1:
		for len(c.trials) < len(c.intervals) {
			c.trials = append(c.trials, c.trials[0])
		}
	case len(c.trials) != len(c.intervals):
		return fmt.Errorf("alertlatency: %d trial counts for %d intervals", len(c.trials), len(c.intervals))
	}
	if c.token == "" {
		return errors.New("alertlatency: --token (or LINKWATCH_ADMIN_TOKEN) is required")
	}
	pass, err := runAlertLatency(c, os.Stdout)
	if err != nil {
		return err
	}
	if !pass {
		return errors.New("alertlatency: detection latency target not met")
	}
	return nil
}

// switchTarget answers 200 with a small page on /landing/<slug>, or 503
// while the slug is broken, and remembers when it answered what.
type switchTarget struct {
	mu     sync.Mutex
	broken map[string]bool
	hits   map[string][]hit // per slug, every answer since the last reset
}

type hit struct {
	at     time.Time
	status int
}

func (t *switchTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	slug, ok := strings.CutPrefix(r.URL.Path, "/landing/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	t.mu.Lock()
	status := http.StatusOK
	if t.broken[slug] {
		status = http.StatusServiceUnavailable
	}
	t.hits[slug] = append(t.hits[slug], hit{time.Now(), status})
	t.mu.Unlock()
	if status != http.StatusOK {
		http.Error(w, "down for the benchmark", status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, targetPage)
}

// set breaks or fixes slug and forgets its earlier answers.
func (t *switchTarget) set(slug string, broken bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.broken[slug] = broken
	t.hits[slug] = nil
}

// failures returns the first 503 answered for slug since the last set and
// how many were answered up to until.
func (t *switchTarget) failures(slug string, until time.Time) (first time.Time, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, h := range t.hits[slug] {
		if h.status == http.StatusOK || h.at.After(until) {
			continue
		}
		if n == 0 {
			first = h.at
		}
		n++
	}
	return first, n
}

// slackMessage is one message the fake Slack received.
type slackMessage struct {
	at          time.Time
	state, rule string // FIRING or RESOLVED, and the rule, from the fallback text
	text        string
	body        string // the raw JSON, where the link appears as `slug`
}

func (m slackMessage) names(slug string) bool { return strings.Contains(m.body, "`"+slug+"`") }

// about reports whether m is about slug: it names the link, or is its
// campaign group's message (a group's resolution lists no links; the
// benchmark's campaign holds only the link under trial).
func (m slackMessage) about(slug, campaign string) bool {
	return m.names(slug) || campaign != "" && strings.Contains(m.body, "campaign="+campaign)
}

// fakeSlack is an incoming webhook that timestamps and keeps every message.
type fakeSlack struct {
	mu       sync.Mutex
	msgs     []slackMessage
	bad      []string // bodies that did not parse
	arrived  chan struct{}
	fallback *regexp.Regexp
}

func newFakeSlack() *fakeSlack {
	return &fakeSlack{arrived: make(chan struct{}), fallback: regexp.MustCompile(`^(FIRING|RESOLVED): ([a-z0-9_]+)`)}
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	b, err := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	var p struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	m := slackMessage{at: at, body: string(b)}
	if err := json.Unmarshal(b, &p); err == nil {
		m.text = p.Text
		if sm := f.fallback.FindStringSubmatch(p.Text); sm != nil {
			m.state, m.rule = sm[1], sm[2]
		}
	}
	f.mu.Lock()
	if m.state == "" {
		f.bad = append(f.bad, string(b))
	}
	f.msgs = append(f.msgs, m)
	close(f.arrived)
	f.arrived = make(chan struct{})
	f.mu.Unlock()
	io.WriteString(w, "ok")
}

// await returns the first message after since matching want, or false at
// the deadline.
func (f *fakeSlack) await(since, deadline time.Time, want func(slackMessage) bool) (slackMessage, bool) {
	for {
		f.mu.Lock()
		for _, m := range f.msgs {
			if !m.at.Before(since) && want(m) {
				f.mu.Unlock()
				return m, true
			}
		}
		arrived := f.arrived
		f.mu.Unlock()
		left := time.Until(deadline)
		if left <= 0 {
			return slackMessage{}, false
		}
		select {
		case <-arrived:
		case <-time.After(left):
		}
	}
}

// serveOn serves h on addr until the process ends.
func serveOn(addr string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// trial is one break-and-fix of a link.
type trial struct {
	detect      time.Duration // break → FIRING link_down received; 0: never
	firstFail   time.Duration // break → the first 503 answered to the prober
	failedCheck int           // 503s answered before the alert arrived
	resolve     time.Duration // fix → RESOLVED received; 0: never
}

func runAlertLatency(c alertConfig, out io.Writer) (bool, error) {
	tgt := &switchTarget{broken: map[string]bool{}, hits: map[string][]hit{}}
	targetURL, err := serveOn(c.targetAddr, tgt)
	if err != nil {
		return false, fmt.Errorf("target: %w", err)
	}
	slack := newFakeSlack()
	if _, err := serveOn(c.slackAddr, slack); err != nil {
		return false, fmt.Errorf("fake slack: %w", err)
	}
	api := apiClient{server: strings.TrimSuffix(c.server, "/"), token: c.token}
	if err := api.waitReady(30 * time.Second); err != nil {
		return false, err
	}

	// Every link is created up front, so the slower intervals' links are
	// scheduled and up by the time their trials start.
	run := strconv.FormatInt(time.Now().Unix()%100000, 10)
	slugs, campaigns := make([]string, len(c.intervals)), make([]string, len(c.intervals))
	created := time.Now()
	for i, iv := range c.intervals {
		name := strings.ReplaceAll(iv.String(), "m0s", "m")
		slugs[i] = "alert" + name + "-" + run
		body := map[string]any{"slug": slugs[i], "destination": targetURL + "/landing/" + slugs[i], "check_interval": iv.String()}
		if c.tag != "" {
			// A campaign per link: its group messages are about it alone.
			campaigns[i] = c.tag + "-" + name
			body["tags"] = []string{campaigns[i]}
		}
		if err := api.do("POST", "/api/v1/links", body, http.StatusCreated, nil); err != nil {
			return false, err
		}
	}

	results := make([][]trial, len(c.intervals))
	for i, iv := range c.intervals {
		slug := slugs[i]
		deadline := created.Add(c.ready)
		if d := time.Now().Add(3*iv + 15*time.Second); d.After(deadline) {
			deadline = d
		}
		if _, err := api.waitUp(slug, deadline); err != nil {
			return false, err
		}
		fmt.Fprintf(out, "check interval %s: link %s is up; %d trials, target %s\n", iv, slug, c.trials[i], alertTarget(iv))
		limit := max(30*time.Second, 3*alertTarget(iv))
		for k := range c.trials[i] {
			// Break at a random moment of the check cycle, as real
			// outages do.
			time.Sleep(rand.N(iv))
			var tr trial
			broke := time.Now()
			tgt.set(slug, true)
			m, ok := slack.await(broke, broke.Add(limit), func(m slackMessage) bool {
				return m.state == "FIRING" && m.rule == "link_down" && m.names(slug)
			})
			until := m.at
			if !ok {
				until = time.Now()
			}
			first, n := tgt.failures(slug, until)
			if !first.IsZero() {
				tr.firstFail = first.Sub(broke)
			}
			tr.failedCheck = n
			fixed := time.Now()
			tgt.set(slug, false)
			line := fmt.Sprintf("  trial %2d: no link_down FIRING within %s", k+1, limit)
			if ok {
				tr.detect = m.at.Sub(broke)
				line = fmt.Sprintf("  trial %2d: FIRING after %6.2fs (first failing check at +%.2fs, %d failing checks)",
					k+1, tr.detect.Seconds(), tr.firstFail.Seconds(), tr.failedCheck)
				if r, ok := slack.await(fixed, fixed.Add(limit), func(m slackMessage) bool {
					return m.state == "RESOLVED" && m.rule == "link_down" && m.about(slug, campaigns[i])
				}); ok {
					tr.resolve = r.at.Sub(fixed)
					line += fmt.Sprintf("; RESOLVED %.2fs after the fix", tr.resolve.Seconds())
				} else {
					line += fmt.Sprintf("; no RESOLVED within %s", limit)
				}
			}
			fmt.Fprintln(out, line)
			results[i] = append(results[i], tr)
			if !ok || tr.resolve == 0 {
				// Start the next trial from a link that is up again.
				if _, err := api.waitUp(slug, time.Now().Add(limit)); err != nil {
					return false, err
				}
			}
		}
		if err := api.do("DELETE", "/api/v1/links/"+slug, nil, http.StatusNoContent, nil); err != nil {
			fmt.Fprintf(out, "  (could not delete %s: %v)\n", slug, err)
		}
		fmt.Fprintln(out)
	}
	if c.messages != "" {
		if err := slack.dump(c.messages); err != nil {
			return false, err
		}
	}
	return alertSummary(out, c, results, slack), nil
}

// dump writes every message received, with the time it arrived, to path.
func (f *fakeSlack) dump(path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b bytes.Buffer
	for _, m := range f.msgs {
		var body any = json.RawMessage(m.body)
		if !json.Valid([]byte(m.body)) {
			body = m.body
		}
		line, _ := json.Marshal(map[string]any{"at": m.at.Format(time.RFC3339Nano), "state": m.state, "rule": m.rule,
			"text": m.text, "body": body})
		b.Write(line)
		b.WriteByte('\n')
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// alertSummary prints min/median/max per interval against the target.
func alertSummary(out io.Writer, c alertConfig, results [][]trial, slack *fakeSlack) bool {
	fmt.Fprintln(out, "detection latency: destination broken → FIRING link_down received by Slack")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "interval\tdetected\tmin\tmedian\tmax\ttarget (2 intervals + 5s)\tresult\tresolve median")
	pass := true
	for i, iv := range c.intervals {
		var det, res []time.Duration
		for _, t := range results[i] {
			if t.detect > 0 {
				det = append(det, t.detect)
			}
			if t.resolve > 0 {
				res = append(res, t.resolve)
			}
		}
		slices.Sort(det)
		slices.Sort(res)
		ok := len(det) == len(results[i]) && len(det) > 0 && det[len(det)-1] <= alertTarget(iv)
		pass = pass && ok
		verdict := "PASS"
		if !ok {
			verdict = "FAIL"
		}
		mn, md, mx := "-", "-", "-"
		if len(det) > 0 {
			mn, md, mx = secs(det[0]), secs(median(det)), secs(det[len(det)-1])
		}
		rs := "-"
		if len(res) > 0 {
			rs = secs(median(res))
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%s\t<= %s\t%s\t%s\n", iv, len(det), len(results[i]), mn, md, mx, secs(alertTarget(iv)), verdict, rs)
	}
	tw.Flush()

	// Everything Slack was sent, so stray or duplicate messages show.
	slack.mu.Lock()
	defer slack.mu.Unlock()
	counts := map[string]int{}
	for _, m := range slack.msgs {
		counts[strings.TrimSpace(m.state+" "+m.rule)]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", orElse(k, "unparsed"), counts[k]))
	}
	fmt.Fprintf(out, "Slack received %d messages: %s\n", len(slack.msgs), strings.Join(parts, ", "))
	shown := 0
	for _, m := range slack.msgs {
		if m.rule != "link_down" && shown < 5 {
			fmt.Fprintf(out, "  not link_down, at %s: %.200s\n", m.at.Format("15:04:05.000"), m.text)
			shown++
		}
	}
	if len(slack.bad) > 0 {
		fmt.Fprintf(out, "  %d did not parse (no FIRING/RESOLVED text), the first: %.300s\n", len(slack.bad), slack.bad[0])
	}
	return pass
}

func orElse(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// median of sorted durations.
func median(d []time.Duration) time.Duration {
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

// apiClient calls the linkwatch API.
type apiClient struct{ server, token string }

func (a apiClient) do(method, path string, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.server+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (a apiClient) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(a.server + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("linkwatch at %s not ready after %s (last error: %v)", a.server, limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitUp polls the link's health until it is up, and returns when it was.
func (a apiClient) waitUp(slug string, deadline time.Time) (time.Time, error) {
	var h struct {
		State string `json:"state"`
	}
	for {
		err := a.do("GET", "/api/v1/links/"+slug+"/health", nil, http.StatusOK, &h)
		if err == nil && h.State == "up" {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("link %s is not up (state %q, error %v)", slug, h.State, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
