package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The push tests give every link a one-hour interval and every prober a
// one-hour refresh: a check within seconds can only come from a push.

func startPushProber(t *testing.T, control, token, region, spool string) func() error {
	return runInBackground(t, []string{"prober", "--region", region, "--control", control, "--token", token,
		"--spool", spool, "--addr", "127.0.0.1:0", "--probe-allow-private", "true", "--probe-refresh", "1h",
		"--probe-confirm", "0s", "--probe-timeout", "2s", "--id", region + "/p", "--log-level", "error"}, nil)
}

type pushHealth struct {
	Regions []struct {
		Region    string
		State     string
		CheckedAt time.Time `json:"checked_at"`
		Current   *bool
	}
}

type checkNow struct {
	Regions []struct {
		Region, State string
		Result        struct {
			Region  string
			Current *bool
			Status  int
		}
	}
	Missing []string
}

// checkAll is POST /links/{slug}/check.
func (s *server) checkAll(t *testing.T, slug string) checkNow {
	t.Helper()
	var c checkNow
	s.apiJSON(t, "POST", "/api/v1/links/"+slug+"/check", "", &c)
	return c
}

// currentRegions lists the regions whose latest check of slug saw it as it is.
func (s *server) currentRegions(t *testing.T, slug string) []string {
	var h pushHealth
	s.apiJSON(t, "GET", "/api/v1/links/"+slug+"/health", "", &h)
	var out []string
	for _, r := range h.Regions {
		if r.Current != nil && *r.Current {
			out = append(out, r.Region)
		}
	}
	slices.Sort(out)
	return out
}

// TestRemoteProbersHearChangesByPush: three remote probers on a control
// plane (serve, whose redirector answers the short links and whose own
// prober is a fourth region, local). "Check now" is answered by every region; a new link has a result
// from every region, and an edit is current in every region, within 5 s; a
// failure in one region gets second opinions from the others at once; a
// live region whose prober does not answer is listed missing; after a
// control plane restart the probers' streams come back with the whole list.
func TestRemoteProbersHearChangesByPush(t *testing.T) {
	dest := newRegionalSite(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": filepath.Join(dir, "c.db"), "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + addr, "LINKWATCH_PROBE_TIMEOUT": "2s", "LINKWATCH_PROBE_ALLOW_PRIVATE": "true",
		"LINKWATCH_PROBE_REFRESH": "1h", "LINKWATCH_PROBE_CONFIRM": "0s"}
	control := startAt(t, env, addr, "serve")
	t.Cleanup(func() {
		if t.Failed() {
			for _, slug := range []string{"fresh", "blip", "after-restart"} {
				t.Logf("%s at the end: %s\nits health: %s", slug, control.rawJSON(t, "/api/v1/links/"+slug), control.rawJSON(t, "/api/v1/links/"+slug+"/health"))
			}
			t.Logf("destination hits: %v", dest.counts())
		}
	})
	var tok struct{ Token string }
	control.apiJSON(t, "POST", "/api/v1/tokens", `{"name":"p","scopes":["prober"],"regions":["us-east","eu-west","ap-south","dead"]}`, &tok)
	regions := []string{"ap-south", "eu-west", "local", "us-east"}
	for _, r := range []string{"ap-south", "eu-west", "us-east"} {
		startPushProber(t, control.url, tok.Token, r, filepath.Join(dir, "spool-"+r))
	}
	link := func(slug string) {
		control.apiJSON(t, "POST", "/api/v1/links", fmt.Sprintf(`{"slug":%q,"destination":%q,"check_interval":"1h"}`, slug, dest.URL+"/"+slug), nil)
	}
	allAnswer := func(slug string) bool {
		c := control.checkAll(t, slug)
		var got []string
		for _, r := range c.Regions {
			got = append(got, r.Region)
		}
		return len(c.Missing) == 0 && slices.Equal(got, regions)
	}

	// Check now: once the probers' streams are up, every region answers.
	link("warmup")
	waitUntil(t, 30*time.Second, func() bool { return allAnswer("warmup") })
	c := control.checkAll(t, "warmup")
	for _, r := range c.Regions {
		if r.State != "up" || r.Result.Status != 200 || r.Result.Current == nil || !*r.Result.Current {
			t.Errorf("check now, region %s: %+v", r.Region, r)
		}
	}

	// A new link is checked by every region within 5 s.
	link("fresh")
	waitPushed(t, "a new link checked by every region", 5*time.Second, func() bool { return slices.Equal(control.currentRegions(t, "fresh"), regions) })

	// An edit is current in every region within 5 s.
	control.apiJSON(t, "PATCH", "/api/v1/links/fresh", fmt.Sprintf(`{"destination":%q}`, dest.URL+"/fresh-v2"), nil)
	waitPushed(t, "an edit current in every region", 5*time.Second, func() bool {
		return slices.Equal(control.currentRegions(t, "fresh"), regions) && dest.count("/fresh-v2", "us-east") > 0
	})

	// Second opinion: us-east alone fails a new link; the other regions
	// re-check it at once, long before their slot (1h).
	dest.set("us-east", true)
	link("blip")
	control.waitSecondOpinions(t, "blip", "us-east", regions)
	dest.set("us-east", false)

	// A live region whose prober holds no stream is listed missing.
	req, _ := http.NewRequest("POST", control.url+"/api/v1/probe/heartbeat", strings.NewReader(`{"prober":"dead/p","region":"dead","version":"x"}`))
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := control.checkAll(t, "warmup"); !slices.Equal(c.Missing, []string{"dead"}) || len(c.Regions) != 4 {
		t.Errorf("check now with a dead region: %+v, want 4 regions and dead missing", c)
	}
	dr, _ := http.NewRequest("POST", control.url+"/api/v1/probe/deregister", strings.NewReader(`{"prober":"dead/p","region":"dead"}`))
	dr.Header.Set("Authorization", "Bearer "+tok.Token)
	if resp, err := http.DefaultClient.Do(dr); err == nil {
		resp.Body.Close()
	}

	// A control plane restart: the streams come back with the whole list,
	// and a link created afterwards is checked everywhere within 5 s.
	if err := control.stop(); err != nil {
		t.Fatal(err)
	}
	control = startAt(t, env, addr, "serve")
	waitUntil(t, 30*time.Second, func() bool { return allAnswer("warmup") })
	link("after-restart")
	waitPushed(t, "a link created after the restart checked by every region", 5*time.Second, func() bool { return slices.Equal(control.currentRegions(t, "after-restart"), regions) })
}

// TestServeHearsChangesInProcess: serve's own prober checks a new link, and
// an edit, within 2 s, and answers "check now".
func TestServeHearsChangesInProcess(t *testing.T) {
	dest := newRegionalSite(t)
	addr := freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": filepath.Join(t.TempDir(), "s.db"), "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + addr, "LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_REFRESH": "1h",
		"LINKWATCH_PROBE_TIMEOUT": "2s"}
	s := startAt(t, env, addr, "serve")
	// The in-process prober is live once it has sent its first heartbeat.
	waitUntil(t, 20*time.Second, func() bool {
		var ps struct{ Probers []struct{ State string } }
		s.apiJSON(t, "GET", "/api/v1/probers", "", &ps)
		return len(ps.Probers) == 1 && ps.Probers[0].State == "live"
	})
	s.apiJSON(t, "POST", "/api/v1/links", fmt.Sprintf(`{"slug":"spring","destination":%q,"check_interval":"1h"}`, dest.URL+"/a"), nil)
	waitPushed(t, "serve checks a new link", 2*time.Second, func() bool { return slices.Equal(s.currentRegions(t, "spring"), []string{"local"}) })
	s.apiJSON(t, "PATCH", "/api/v1/links/spring", fmt.Sprintf(`{"destination":%q}`, dest.URL+"/b"), nil)
	waitPushed(t, "serve checks an edited link", 2*time.Second, func() bool { return slices.Equal(s.currentRegions(t, "spring"), []string{"local"}) })
	if dest.count("/b", "local") == 0 {
		t.Error("the edited destination was not checked")
	}
	c := s.checkAll(t, "spring")
	if len(c.Regions) != 1 || c.Regions[0].Region != "local" || c.Regions[0].State != "up" || len(c.Missing) != 0 {
		t.Errorf("check now on serve: %+v", c)
	}
}

// waitSecondOpinions waits until region failing reports slug down, then
// until every other region's latest check of it began at or after that
// failing check: the others were asked for their opinion of a failure
// their hour-long slots could not explain. (A region's check already
// queued, or a link still on its way to it, when the request arrives
// counts: its check too runs after the failure.)
func (s *server) waitSecondOpinions(t *testing.T, slug, failing string, regions []string) {
	t.Helper()
	type region struct {
		Region    string
		State     string
		CheckedAt time.Time `json:"checked_at"`
	}
	latest := func() map[string]region {
		var h struct{ Regions []region }
		s.apiJSON(t, "GET", "/api/v1/links/"+slug+"/health", "", &h)
		out := map[string]region{}
		for _, r := range h.Regions {
			out[r.Region] = r
		}
		return out
	}
	var failed time.Time
	waitUntil(t, pushDeadline, func() bool {
		r, ok := latest()[failing]
		failed = r.CheckedAt
		return ok && r.State == "down"
	})
	waitPushed(t, "second opinions from the other regions", 5*time.Second, func() bool {
		l := latest()
		for _, name := range regions {
			if r, ok := l[name]; name != failing && (!ok || r.CheckedAt.Before(failed)) {
				return false
			}
		}
		return true
	})
}
