package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// visitors requests a short link through several redirectors until
// stopped, and keeps what each answer was.
type visitors struct {
	mu       sync.Mutex
	errors   []string
	last     map[string]answer         // by redirector base URL
	seen     map[string]map[string]int // base URL → Location → answers since the last tally
	requests int
	stop     chan struct{}
	done     chan struct{}
}

type answer struct {
	code         int
	location     string
	cacheControl string
}

// visit starts requesting path through each of bases in turn, as fast as
// the redirectors answer.
func visit(t *testing.T, path string, bases ...string) *visitors {
	v := &visitors{last: map[string]answer{}, seen: map[string]map[string]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       5 * time.Second,
	}
	go func() {
		defer close(v.done)
		for i := 0; ; i++ {
			select {
			case <-v.stop:
				return
			default:
			}
			base := bases[i%len(bases)]
			req, _ := http.NewRequest("GET", base+path, nil)
			req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile")
			resp, err := client.Do(req)
			v.mu.Lock()
			v.requests++
			switch {
			case err != nil:
				v.errors = append(v.errors, fmt.Sprintf("%s: %v", base, err))
			case resp.StatusCode < 300 || resp.StatusCode > 399:
				v.errors = append(v.errors, fmt.Sprintf("%s: %d", base, resp.StatusCode))
			default:
				v.last[base] = answer{resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Cache-Control")}
				if v.seen[base] == nil {
					v.seen[base] = map[string]int{}
				}
				v.seen[base][v.last[base].location]++
			}
			v.mu.Unlock()
			if resp != nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()
	t.Cleanup(v.end)
	return v
}

func (v *visitors) end() {
	select {
	case <-v.stop:
	default:
		close(v.stop)
	}
	<-v.done
}

// sentTo reports whether every redirector last sent visitors to location.
func (v *visitors) sentTo(location string, bases ...string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, b := range bases {
		if v.last[b].location != location {
			return false
		}
	}
	return true
}

// tally returns where base sent visitors since the last tally, and starts
// a new one.
func (v *visitors) tally(base string) map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	seen := v.seen[base]
	delete(v.seen, base)
	return seen
}

func (v *visitors) answerOf(base string) answer {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.last[base]
}

// TestFailoverEndToEnd is issue 10's proof, on PostgreSQL: two redirector
// replicas and a control plane, three remote probers, a link with a
// fallback checked every second, and visitors requesting the short link
// through both replicas the whole time. The destination goes down: every
// replica sends visitors to the fallback (302, no-store, whatever the
// link's 301); it comes back: they return to the primary. No visitor
// request fails, and Slack gets the link_down page, one failover, one
// return and the resolution.
func TestFailoverEndToEnd(t *testing.T) {
	dsn := postgresDSN(t)
	t.Chdir(t.TempDir()) // the probers' default spool directories
	site := newRegionalSite(t)
	backup := newRegionalSite(t) // never fails
	slackSrv := newFakeSlack(t)

	redirA, redirB, controlAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": dsn, "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + redirA, "LINKWATCH_LOG_LEVEL": "error"}
	startAt(t, env, redirA, "redirector")
	// Replica B reaches the database through a proxy the test can cut.
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if u.Port() == "" {
		u.Host += ":5432"
	}
	dbProxy := newProxy(t, u.Host)
	u.Host = dbProxy.ln.Addr().String()
	envB := map[string]string{}
	for k, v := range env {
		envB[k] = v
	}
	envB["LINKWATCH_DB"] = u.String()
	startAt(t, envB, redirB, "redirector")
	controlEnv := withFastLoops(map[string]string{"LINKWATCH_SLACK_WEBHOOK_URL": slackSrv.URL + "/services/T000/B000/secret"})
	for k, v := range env {
		controlEnv[k] = v
	}
	control := startAt(t, controlEnv, controlAddr, "control")
	controlURL := "http://" + controlAddr

	regions := []string{"ap-south", "eu-west", "us-east"}
	for _, r := range regions {
		var tok struct{ Token string }
		control.apiJSON(t, "POST", "/api/v1/tokens", fmt.Sprintf(`{"name":"%s prober","scopes":["prober"],"regions":[%q]}`, r, r), &tok)
		startRemoteProber(t, controlURL, tok.Token, r)
	}
	primary, fallback := site.URL+"/spring", backup.URL+"/spring"
	control.apiJSON(t, "POST", "/api/v1/links", fmt.Sprintf(`{"slug":"spring","destination":%q,"fallback_url":%q,"redirect_code":301,"check_interval":"1s"}`,
		primary, fallback), nil)
	health := func() (h struct {
		State    string
		Regions  []struct{ Region, State string }
		Failover struct {
			Active bool
			Mode   string
			Reason string
		}
	}) {
		control.apiJSON(t, "GET", "/api/v1/links/spring/health", "", &h)
		return h
	}
	waitUntil(t, 30*time.Second, func() bool { h := health(); return h.State == "up" && len(h.Regions) == 3 })
	// The fallback has been checked too before anything breaks.
	waitUntil(t, 30*time.Second, func() bool {
		for _, r := range regions {
			if backup.count("/spring", r) < 1 {
				return false
			}
		}
		return true
	})
	control.waitEvaluations(t, 10)

	bases := []string{"http://" + redirA, "http://" + redirB}
	v := visit(t, "/spring", bases...)
	waitUntil(t, 10*time.Second, func() bool { return v.sentTo(primary, bases...) })

	// The destination goes down in every region.
	for _, r := range regions {
		site.set(r+" /spring", true)
	}
	down := time.Now()
	waitUntil(t, 30*time.Second, func() bool { return v.sentTo(fallback, bases...) })
	t.Logf("every replica sent visitors to the fallback %s after the destination went down (interval 1s)", time.Since(down).Round(10*time.Millisecond))
	for _, b := range bases {
		if a := v.answerOf(b); a.code != http.StatusFound || a.cacheControl != "no-store" {
			t.Errorf("%s while failed over answers %+v, want 302 with no-store", b, a)
		}
	}
	if h := health(); !h.Failover.Active || h.Failover.Mode != "auto" || !strings.Contains(h.Failover.Reason, "3 of 3 regions failing") {
		t.Errorf("health while failed over: %+v", h.Failover)
	}

	// Replica B loses its database: it keeps the failover state it last
	// knew, and every visitor still gets the fallback from it.
	dbProxy.cut(true)
	v.tally(bases[1])
	waitUntil(t, 30*time.Second, func() bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		return v.seen[bases[1]][fallback] >= 500
	})
	if seen := v.tally(bases[1]); len(seen) != 1 {
		t.Errorf("replica B without its database sent visitors to %v, want only the fallback", seen)
	}
	dbProxy.cut(false)

	// It comes back: visitors return to the primary, with its own 301.
	for _, r := range regions {
		site.set(r+" /spring", false)
	}
	up := time.Now()
	waitUntil(t, 30*time.Second, func() bool { return v.sentTo(primary, bases...) })
	t.Logf("every replica sent visitors back to the primary %s after it came back", time.Since(up).Round(10*time.Millisecond))
	for _, b := range bases {
		if a := v.answerOf(b); a.code != http.StatusMovedPermanently {
			t.Errorf("%s after the return answers %+v, want the link's 301", b, a)
		}
	}
	v.end()
	v.mu.Lock()
	if len(v.errors) > 0 {
		t.Errorf("%d of %d visitor requests failed: %v", len(v.errors), v.requests, v.errors[:min(len(v.errors), 5)])
	}
	t.Logf("%d visitor requests, every one redirected", v.requests)
	v.mu.Unlock()

	control.waitEvaluations(t, 20)
	waitUntil(t, 30*time.Second, func() bool { return pendingNotifications(t, dsn) == 0 })
	count := func(rule, kind string) int { return slackSrv.messages(kind + ": " + rule + " (") }
	for _, want := range []struct {
		rule, kind string
	}{{"link_down", "FIRING"}, {"link_down", "RESOLVED"}, {"link_failover", "FIRING"}, {"link_failover", "RESOLVED"}} {
		if n := count(want.rule, want.kind); n != 1 {
			t.Errorf("%s %s sent %d times, want once", want.rule, want.kind, n)
		}
	}
	if n := slackSrv.messages("spring now sends visitors to " + fallback); n != 1 {
		t.Errorf("failover messages naming the fallback: %d, want 1", n)
	}
	slackSrv.mu.Lock()
	for _, b := range slackSrv.bodies {
		if !strings.Contains(b, "link_down") && !strings.Contains(b, "link_failover") && !strings.Contains(b, "regional_degradation") {
			t.Errorf("unexpected Slack message: %.300s", b)
		}
	}
	slackSrv.mu.Unlock()
}

// TestServeFailsOverByItself: the SQLite path. `serve` alone (its own
// prober, region local) fails a link over when its destination goes down
// and back when it returns, in-process, with both switches announced.
func TestServeFailsOverByItself(t *testing.T) {
	site, backup := newRegionalSite(t), newRegionalSite(t)
	slackSrv := newFakeSlack(t)
	addr := freeAddr(t)
	env := withFastLoops(map[string]string{"LINKWATCH_DB": t.TempDir() + "/s.db", "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + addr, "LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_LOG_LEVEL": "error",
		"LINKWATCH_SLACK_WEBHOOK_URL": slackSrv.URL + "/services/T000/B000/secret"})
	s := startAt(t, env, addr, "serve")
	primary, fallback := site.URL+"/spring", backup.URL+"/spring"
	s.apiJSON(t, "POST", "/api/v1/links", fmt.Sprintf(`{"slug":"spring","destination":%q,"fallback_url":%q,"check_interval":"1s"}`,
		primary, fallback), nil)
	waitUntil(t, 20*time.Second, func() bool { return backup.count("/spring", "local") > 0 && s.location("/spring") == primary })
	s.waitEvaluations(t, 5)

	site.set("local /spring", true)
	waitUntil(t, 30*time.Second, func() bool { return s.location("/spring") == fallback })
	if resp, _ := s.get("/spring"); resp.StatusCode != http.StatusFound || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("failed over: %d %q, want 302 no-store", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	site.set("local /spring", false)
	waitUntil(t, 30*time.Second, func() bool { return s.location("/spring") == primary })
	waitUntil(t, 30*time.Second, func() bool { return slackSrv.messages("RESOLVED: link_failover") == 1 })
	if n := slackSrv.messages("FIRING: link_failover"); n != 1 {
		t.Errorf("failover announced %d times, want once", n)
	}
}
