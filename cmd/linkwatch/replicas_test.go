package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestSignalsReachEveryReplica: two control replicas and a redirector on
// one PostgreSQL database; us-east's prober streams from replica A, eu-west's
// and ap-south's from replica B. Links have a one-hour interval and probers
// a one-hour refresh, so a check within seconds can only come from a push.
// "Check now" on either replica is answered by every region; a monitor
// created through A is checked by B's probers within 5 s; a failure seen by
// us-east (pushed to A) brings second opinions from B's probers within 5 s.
func TestSignalsReachEveryReplica(t *testing.T) {
	dsn := postgresDSN(t)
	dest := newRegionalSite(t)
	dir := t.TempDir()
	redir, addrA, addrB := freeAddr(t), freeAddr(t), freeAddr(t)
	env := map[string]string{"LINKWATCH_DB": dsn, "LINKWATCH_ADMIN_TOKEN": testAdminToken,
		"LINKWATCH_PUBLIC_URL": "http://" + redir, "LINKWATCH_LOG_LEVEL": "error", "LINKWATCH_PROBE_TIMEOUT": "2s"}
	startAt(t, env, redir, "redirector")
	a := startAt(t, env, addrA, "control")
	b := startAt(t, env, addrB, "control")

	var tok struct{ Token string }
	a.apiJSON(t, "POST", "/api/v1/tokens", `{"name":"p","scopes":["prober"],"regions":["us-east","eu-west","ap-south"]}`, &tok)
	regions := []string{"ap-south", "eu-west", "us-east"}
	on := map[string]*server{"us-east": a, "eu-west": b, "ap-south": b}
	for _, r := range regions {
		startPushProber(t, on[r].url, tok.Token, r, filepath.Join(dir, "spool-"+r))
	}
	link := func(slug string) {
		a.apiJSON(t, "POST", "/api/v1/links", fmt.Sprintf(`{"slug":%q,"destination":%q,"check_interval":"1h"}`, slug, dest.URL+"/"+slug), nil)
	}
	// Until the probers' first heartbeats no region is live, and check now
	// answers 503.
	allAnswer := func(s *server, slug string) bool {
		req, _ := http.NewRequest("POST", s.url+"/api/v1/links/"+slug+"/check", nil)
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var c checkNow
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&c) != nil {
			return false
		}
		var got []string
		for _, r := range c.Regions {
			got = append(got, r.Region)
		}
		return len(c.Missing) == 0 && slices.Equal(got, regions)
	}

	// Check now through A is answered by B's probers too (their request
	// went through the store, their results were pushed to B), and the other
	// way round.
	link("warmup")
	waitUntil(t, 30*time.Second, func() bool { return allAnswer(a, "warmup") })
	for _, s := range []*server{a, b} {
		c := s.checkAll(t, "warmup")
		var got []string
		for _, r := range c.Regions {
			got = append(got, r.Region)
			if r.State != "up" || r.Result.Status != 200 || r.Result.Current == nil || !*r.Result.Current {
				t.Errorf("check now on %s, region %s: %+v", s.url, r.Region, r)
			}
		}
		if !slices.Equal(got, regions) || len(c.Missing) != 0 {
			t.Errorf("check now on %s: regions %v, missing %v; want %v and none", s.url, got, c.Missing, regions)
		}
	}

	// A monitor created through A is checked by the probers streaming from B.
	var m struct{ ID int64 }
	a.apiJSON(t, "POST", "/api/v1/monitors", fmt.Sprintf(`{"name":"api","url":%q,"check_interval":"1h"}`, dest.URL+"/mon"), &m)
	waitPushed(t, "a monitor created through A checked by B's probers", 5*time.Second, func() bool { return dest.count("/mon", "eu-west") > 0 || dest.count("/mon", "ap-south") > 0 })
	// An edit through B reaches every region's prober, A's included.
	b.apiJSON(t, "PATCH", fmt.Sprintf("/api/v1/monitors/%d", m.ID), fmt.Sprintf(`{"url":%q}`, dest.URL+"/mon-v2"), nil)
	waitPushed(t, "a monitor edit through B checked in every region", 5*time.Second, func() bool {
		return dest.count("/mon-v2", "us-east") > 0 && dest.count("/mon-v2", "eu-west") > 0 && dest.count("/mon-v2", "ap-south") > 0
	})

	// Second opinion: us-east (on A) alone fails a new link; B's probers
	// re-check it at once, long before their slot (1h).
	dest.set("us-east", true)
	link("blip")
	a.waitSecondOpinions(t, "blip", "us-east", regions)
}
