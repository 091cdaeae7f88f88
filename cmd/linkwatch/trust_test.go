package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/linkwatch/linkwatch/prober"
)

// regionalSite is a landing page whose answer depends on the checking
// region (read from the probers' User-Agent) and the page: each region can
// be made to see every page fail, or one page. It counts each region's
// requests of each page.
type regionalSite struct {
	*httptest.Server
	mu   sync.Mutex
	fail map[string]bool // "<region>" (every page) or "<region> <path>"
	hits map[string]int  // "<path> <region>"
}

func newRegionalSite(t *testing.T) *regionalSite {
	s := &regionalSite{fail: map[string]bool{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		region := "?"
		if _, after, ok := strings.Cut(r.UserAgent(), "region="); ok {
			region = strings.TrimSuffix(after, ")")
		}
		s.mu.Lock()
		s.hits[r.URL.Path+" "+region]++
		failing := s.fail[region] || s.fail[region+" "+r.URL.Path]
		s.mu.Unlock()
		if failing {
			http.Error(w, "upstream gone", http.StatusBadGateway)
			return
		}
		io.WriteString(w, "<html>spring sale</html>")
	}))
	t.Cleanup(s.Close)
	return s
}

// set makes key ("<region>" or "<region> <path>") fail or pass.
func (s *regionalSite) set(key string, failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[key] = failing
}

// count is how many requests region made of path.
func (s *regionalSite) count(path, region string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path+" "+region]
}

// startRemoteProber runs `linkwatch prober` exactly as the README starts
// one — --region, --control and --token, nothing else — with the test's
// environment: loopback destinations allowed, assignments reloaded fast, its
// own listener on a free port (three run in this process).
func startRemoteProber(t *testing.T, control, token, region string) func() error {
	t.Helper()
	env := map[string]string{"LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_REFRESH": "200ms",
		"LINKWATCH_ADDR": "127.0.0.1:0", "LINKWATCH_LOG_LEVEL": "error"}
	return runInBackground(t, []string{"prober", "--region", region, "--control", control, "--token", token}, env)
}

type linkHealth struct {
	State   string
	Reason  string
	Regions []struct {
		Region              string
		State               string
		CheckedAt           time.Time `json:"checked_at"`
		ConsecutiveFailures int       `json:"consecutive_failures"`
	}
}

// pendingNotifications counts the outbox rows not yet delivered.
func pendingNotifications(t *testing.T, dsn string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND abandoned_at IS NULL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSignalsYouCanTrust is issue 9's proof, on PostgreSQL with a
// redirector, a control plane and three remote probers started only with
// --region, --control and --token: all links up → the control plane and a
// prober restart → one region sees every destination fail → a forged push
// (a foreign region, a result dated 2099) → two regions fail for one link →
// recovery. Slack must receive one page (link_down, for that link) and its
// resolution with the right counts and duration, and nothing for the
// restarts, the lone region or the forged push.
func TestSignalsYouCanTrust(t *testing.T) {
	dsn := postgresDSN(t)
	t.Chdir(t.TempDir()) // the probers' default spool directories
	site := newRegionalSite(t)
	slackSrv := newFakeSlack(t)

	redirAddr, controlAddr := freeAddr(t), freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": dsn, "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + redirAddr, "LINKWATCH_LOG_LEVEL": "error"}
	startAt(t, env, redirAddr, "redirector")
	controlEnv := withFastLoops(map[string]string{"LINKWATCH_SLACK_WEBHOOK_URL": slackSrv.URL + "/services/T000/B000/secret"})
	for k, v := range env {
		controlEnv[k] = v
	}
	control := startAt(t, controlEnv, controlAddr, "control")
	controlURL := "http://" + controlAddr

	regions := []string{"ap-south", "eu-west", "us-east"}
	tokens := map[string]string{}
	for _, r := range regions {
		var tok struct{ Token string }
		control.apiJSON(t, "POST", "/api/v1/tokens", fmt.Sprintf(`{"name":"%s prober","scopes":["prober"],"regions":[%q]}`, r, r), &tok)
		tokens[r] = tok.Token
	}
	ids := map[string]int64{}
	for _, slug := range []string{"a", "b", "c"} {
		var l struct{ ID int64 }
		control.apiJSON(t, "POST", "/api/v1/links", fmt.Sprintf(`{"slug":%q,"destination":%q,"check_interval":"1s"}`, slug, site.URL+"/"+slug), &l)
		ids[slug] = l.ID
	}
	stops := map[string]func() error{}
	for _, r := range regions {
		stops[r] = startRemoteProber(t, controlURL, tokens[r], r)
	}

	health := func(slug string) (h linkHealth) {
		control.apiJSON(t, "GET", "/api/v1/links/"+slug+"/health", "", &h)
		return h
	}
	// every waits until each link's health satisfies ok.
	every := func(what string, ok func(h linkHealth) bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for _, slug := range []string{"a", "b", "c"} {
			for h := health(slug); !ok(h); h = health(slug) {
				if time.Now().After(deadline) {
					t.Fatalf("%s: link %s is %+v", what, slug, h)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	upEverywhere := func(h linkHealth) bool {
		if h.State != "up" || len(h.Regions) != 3 {
			return false
		}
		for _, r := range h.Regions {
			if r.State != "up" {
				return false
			}
		}
		return true
	}
	every("all up", upEverywhere)

	// Restarts: the control plane, then one prober. Same prober IDs; both
	// come back and report.
	if err := control.stop(); err != nil {
		t.Fatal(err)
	}
	control = startAt(t, controlEnv, controlAddr, "control")
	if err := stops["eu-west"](); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	stops["eu-west"] = startRemoteProber(t, controlURL, tokens["eu-west"], "eu-west")
	every("up after the restarts", func(h linkHealth) bool {
		if !upEverywhere(h) {
			return false
		}
		for _, r := range h.Regions {
			if r.Region == "eu-west" && r.CheckedAt.Before(restarted) {
				return false
			}
		}
		return true
	})
	var probers struct {
		Probers []struct{ ID, Region, State string }
	}
	control.apiJSON(t, "GET", "/api/v1/probers", "", &probers)
	if len(probers.Probers) != 3 {
		t.Fatalf("probers after a restart: %+v, want the same three", probers.Probers)
	}
	for _, p := range probers.Probers {
		if p.State != "live" || !strings.HasPrefix(p.ID, p.Region+"/") {
			t.Errorf("prober %+v, want live with the ID region/hostname", p)
		}
	}

	// One region sees every destination fail: degraded, never down.
	site.set("us-east", true)
	every("us-east failing", func(h linkHealth) bool {
		for _, r := range h.Regions {
			if r.Region == "us-east" {
				return h.State == "degraded" && r.State == "down" && r.ConsecutiveFailures >= 3
			}
		}
		return false
	})
	control.waitEvaluations(t, 10)

	// A forged push with the eu-west token: a foreign region, and a failure
	// dated 2099. Both are rejected, with reasons; neither is stored.
	forged := []prober.WireResult{
		{ID: "forged-foreign-region", Kind: "link", TargetID: ids["a"], Region: "us-east", Prober: "eu-west/x",
			At: time.Now().UTC(), Step: "destination", Class: "http_status", Error: "forged", Status: 503, Hops: []prober.WireHop{}},
		{ID: "forged-from-the-future", Kind: "link", TargetID: ids["a"], Region: "eu-west", Prober: "eu-west/x",
			At: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), Step: "destination", Class: "http_status", Error: "forged", Status: 503, Hops: []prober.WireHop{}},
	}
	body, _ := json.Marshal(prober.ResultBatch{Results: forged})
	req, _ := http.NewRequest("POST", controlURL+"/api/v1/probe/results", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tokens["eu-west"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var pushed prober.ResultsResponse
	json.NewDecoder(resp.Body).Decode(&pushed)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus || pushed.Accepted != 0 || len(pushed.Rejected) != 2 ||
		pushed.Rejected[0].Field != "region" || pushed.Rejected[1].Field != "at" {
		t.Fatalf("forged push: %d %+v, want both rejected (region, at)", resp.StatusCode, pushed)
	}
	for _, r := range health("a").Regions {
		if r.Region == "eu-west" && (r.State != "up" || r.CheckedAt.Year() == 2099) {
			t.Fatalf("after the forged push eu-west says %+v", r)
		}
	}

	// Two regions fail for one link: link_down pages, once.
	site.set("eu-west /b", true)
	broke := time.Now()
	waitUntil(t, 60*time.Second, func() bool { return slackSrv.messages("link_down", "FIRING") > 0 })
	t.Logf("link_down reached Slack %s after b broke in a second region", time.Since(broke).Round(100*time.Millisecond))

	// Recovery: b in eu-west (link_down resolves: one region failing is
	// not down), then us-east.
	control.waitEvaluations(t, 20) // down for a couple of seconds at least
	site.set("eu-west /b", false)
	recovered := time.Now()
	waitUntil(t, 60*time.Second, func() bool { return slackSrv.messages("link_down", "RESOLVED") > 0 })
	downFor := recovered.Sub(broke)
	site.set("us-east", false)
	every("all up again", upEverywhere)
	control.waitEvaluations(t, 20)
	waitUntil(t, 30*time.Second, func() bool { return pendingNotifications(t, dsn) == 0 })

	slackSrv.mu.Lock()
	bodies := append([]string(nil), slackSrv.bodies...)
	slackSrv.mu.Unlock()
	var pages, resolutions []string
	for _, b := range bodies {
		switch {
		case strings.Contains(b, "regional_degradation"):
			// the lone failing region: a warning, never a page
			if strings.Contains(b, "critical") {
				t.Errorf("a regional degradation message reads as critical: %s", b)
			}
		case strings.Contains(b, "link_down") && strings.Contains(b, "FIRING"):
			pages = append(pages, b)
		case strings.Contains(b, "link_down") && strings.Contains(b, "RESOLVED"):
			resolutions = append(resolutions, b)
		default:
			t.Errorf("unexpected Slack message (restart, forged push or other): %s", b)
		}
	}
	if len(pages) != 1 || !strings.Contains(pages[0], "b is down in 2 of 3 regions (eu-west, us-east)") {
		t.Errorf("pages %q, want one link_down for b in 2 of 3 regions", pages)
	}
	durationRE := regexp.MustCompile(`"RESOLVED: link_down \(critical\): b is up again in 2 of 3 regions after (\d+) s"`)
	if len(resolutions) != 1 {
		t.Fatalf("resolutions %q, want one", resolutions)
	}
	if m := durationRE.FindStringSubmatch(resolutions[0]); m == nil {
		t.Errorf("resolution %s, want b up again in 2 of 3 regions after how long", resolutions[0])
	} else if n, _ := strconv.Atoi(m[1]); n < 1 || time.Duration(n)*time.Second > downFor+2*time.Second {
		t.Errorf("resolution says down for %s s; it was down about %s", m[1], downFor.Round(time.Second))
	}

	var silent struct {
		Events []json.RawMessage
	}
	control.apiJSON(t, "GET", "/api/v1/alerts/history?rule=prober_silent", "", &silent)
	if len(silent.Events) != 0 {
		t.Errorf("prober_silent history after restarts: %s", silent.Events)
	}
}

// counts is a copy of every path and region's request count, for a failing
// test's log.
func (s *regionalSite) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.hits)
}
