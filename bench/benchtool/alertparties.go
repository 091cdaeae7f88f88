package main

// The parties alertlatency talks to: the links' destination, a fake Slack
// incoming webhook, and the linkwatch API.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
)

// switchTarget answers 200 with a small page on /landing/<slug>, or 503
// while the slug is broken (for every region alike), and remembers when it
// answered what to which region.
type switchTarget struct {
	mu     sync.Mutex
	broken map[string]bool
	hits   map[string][]hit // per slug, every answer since the last set
}

type hit struct {
	at     time.Time
	status int
	region string // from the prober's User-Agent, "" if it names none
}

func newSwitchTarget() *switchTarget {
	return &switchTarget{broken: map[string]bool{}, hits: map[string][]hit{}}
}

// userAgentRegion reads the region a Linkwatch prober names at the end of
// its User-Agent: "… (region=eu-west)".
func userAgentRegion(ua string) string {
	_, after, ok := strings.Cut(ua, "(region=")
	if !ok {
		return ""
	}
	region, _, _ := strings.Cut(after, ")")
	return region
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
	t.hits[slug] = append(t.hits[slug], hit{time.Now(), status, userAgentRegion(r.UserAgent())})
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

// failures returns the first 503 answered for slug since the last set, how
// many were answered up to until, and to how many regions.
func (t *switchTarget) failures(slug string, until time.Time) (first time.Time, n, regions int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	seen := map[string]bool{}
	for _, h := range t.hits[slug] {
		if h.status == http.StatusOK || h.at.After(until) {
			continue
		}
		if n == 0 {
			first = h.at
		}
		n++
		seen[h.region] = true
	}
	return first, n, len(seen)
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

// linkHealth is the part of /api/v1/links/{slug}/health the benchmark reads.
type linkHealth struct {
	State   string `json:"state"`
	Regions []struct {
		Region string `json:"region"`
		State  string `json:"state"`
	} `json:"regions"`
}

// upIn reports whether the link is up and at least n regions see it up.
func (h linkHealth) upIn(n int) bool {
	up := 0
	for _, r := range h.Regions {
		if r.State == "up" {
			up++
		}
	}
	return h.State == "up" && up >= n
}

// describe says what the health shows, for an error.
func (h linkHealth) describe() string {
	var rs []string
	for _, r := range h.Regions {
		rs = append(rs, r.Region+"="+r.State)
	}
	return fmt.Sprintf("state %q, regions [%s]", h.State, strings.Join(rs, " "))
}

// waitUp polls the link's health until it is up and n regions see it up.
func (a apiClient) waitUp(slug string, n int, deadline time.Time) error {
	for {
		var h linkHealth
		err := a.do("GET", "/api/v1/links/"+slug+"/health", nil, http.StatusOK, &h)
		if err == nil && h.upIn(n) {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("link %s is not up in %d regions: %v", slug, n, err)
			}
			return fmt.Errorf("link %s is not up in %d regions: %s", slug, n, h.describe())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
