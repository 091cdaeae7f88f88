package api

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober"
)

// TestAssignmentsCarryShortURLs: each assigned link carries its short URL
// and QR text from the control plane's public URL, custom domains included,
// so a prober never builds them from its own settings.
func TestAssignmentsCarryShortURLs(t *testing.T) {
	e := newEnv(t)
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"spring","destination":"https://a.com/"}`, 201, nil)
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"promo","domain":"go.brand.com","destination":"https://a.com/"}`, 201, nil)
	var a prober.Assignments
	e.mustDo("GET", "/api/v1/probe/assignments?region=eu-west&prober=eu-west/a", e.probe, "", 200, &a)
	got := map[string][2]string{}
	for _, l := range a.Links {
		got[l.Slug] = [2]string{l.ShortURL, l.QRText}
	}
	q := "?" + linkwatch.QRMarker + "=" + linkwatch.QRMarkerValue
	want := map[string][2]string{
		"spring": {"https://lw.example.com/spring", "https://lw.example.com/spring" + q},
		"promo":  {"https://go.brand.com/promo", "https://go.brand.com/promo" + q},
	}
	if len(got) != 2 || got["spring"] != want["spring"] || got["promo"] != want["promo"] {
		t.Errorf("assigned links %v, want %v", got, want)
	}
	// What the prober rebuilds from the wire is what it checks.
	for _, l := range a.Links {
		if as := l.Assignment(); as.ShortURL != l.ShortURL || as.QRText != l.QRText || as.Link.Slug != l.Slug {
			t.Errorf("wire link %+v came back as %+v", l, as)
		}
	}
}

// TestProberLifecycleAPI: GET /probers shows each prober's state; a prober
// that deregisters is stopped and hands over its share at once; an admin
// retires one by ID (with its '/' as is or escaped); a heartbeat brings
// either back.
func TestProberLifecycleAPI(t *testing.T) {
	e := newEnv(t)
	for i := range 20 {
		e.mustDo("POST", "/api/v1/monitors", adminSecret, `{"name":"m`+string(rune('a'+i))+`","url":"https://a.com/"}`, 201, nil)
	}
	ctx := context.Background()
	beatAt := func(id, region string, at time.Time) {
		t.Helper()
		if err := e.store.Heartbeat(ctx, linkwatch.ProberInfo{ID: id, Region: region, Version: "t", LastSeen: at}); err != nil {
			t.Fatal(err)
		}
	}
	beatAt("eu-west/a", "eu-west", testNow)
	beatAt("eu-west/b", "eu-west", testNow.Add(-time.Second))
	beatAt("eu-west/silent", "eu-west", testNow.Add(-2*time.Minute))
	beatAt("eu-west/old", "eu-west", testNow.Add(-2*time.Hour))
	beatAt("us-east/a", "us-east", testNow)

	states := func() map[string]linkwatch.ProberState {
		t.Helper()
		var out struct {
			Regions []regionJSON
			Probers []proberJSON
		}
		e.mustDo("GET", "/api/v1/probers", e.read, "", 200, &out)
		m := map[string]linkwatch.ProberState{}
		for _, p := range out.Probers {
			m[p.ID] = p.State
			if p.Live != (p.State == linkwatch.ProberLive) {
				t.Errorf("%s: live %v with state %s", p.ID, p.Live, p.State)
			}
		}
		return m
	}
	assigned := func(id string) prober.Assignments {
		t.Helper()
		var a prober.Assignments
		e.mustDo("GET", "/api/v1/probe/assignments?region=eu-west&prober="+id, e.probe, "", 200, &a)
		return a
	}
	want := map[string]linkwatch.ProberState{"eu-west/a": "live", "eu-west/b": "live", "eu-west/silent": "silent", "eu-west/old": "retired", "us-east/a": "live"}
	if got := states(); !maps.Equal(got, want) {
		t.Fatalf("states %v, want %v", got, want)
	}
	if a := assigned("eu-west/a"); len(a.Probers) != 2 || len(a.Monitors) == 20 {
		t.Fatalf("a shares with the live probers only: probers %v, %d monitors", a.Probers, len(a.Monitors))
	}

	// b stops cleanly: a takes everything at its next pull.
	var body errorBody
	e.mustDo("POST", "/api/v1/probe/deregister", e.probe, `{"prober":"eu-west/b","region":"us-east"}`, 403, nil)
	e.mustDo("POST", "/api/v1/probe/deregister", e.probe, `{"prober":"eu-west/nobody","region":"eu-west"}`, 404, nil)
	e.mustDo("POST", "/api/v1/probe/deregister", e.probe, `{"prober":"","region":"eu-west"}`, 422, &body)
	if body.Error.Field != "prober" {
		t.Errorf("deregistering without an id: %+v", body)
	}
	e.mustDo("POST", "/api/v1/probe/deregister", e.read, `{"prober":"eu-west/b","region":"eu-west"}`, 403, nil)
	e.mustDo("POST", "/api/v1/probe/deregister", e.probe, `{"prober":"eu-west/b","region":"eu-west"}`, 204, nil)
	want["eu-west/b"] = "stopped"
	if got := states(); !maps.Equal(got, want) {
		t.Fatalf("after b deregistered: %v, want %v", got, want)
	}
	if a := assigned("eu-west/a"); len(a.Probers) != 1 || len(a.Monitors) != 20 {
		t.Fatalf("after b stopped, a has probers %v and %d monitors", a.Probers, len(a.Monitors))
	}

	// An admin retires the silent prober (ID as is) and a (escaped).
	e.mustDo("DELETE", "/api/v1/probers/eu-west/silent", e.read, "", 403, nil)
	e.mustDo("DELETE", "/api/v1/probers/eu-west/nobody", adminSecret, "", 404, nil)
	e.mustDo("DELETE", "/api/v1/probers/eu-west/silent", adminSecret, "", 204, nil)
	e.mustDo("DELETE", "/api/v1/probers/eu-west%2Fa", adminSecret, "", 204, nil)
	want["eu-west/silent"], want["eu-west/a"] = "retired", "retired"
	if got := states(); !maps.Equal(got, want) {
		t.Fatalf("after retiring: %v, want %v", got, want)
	}

	// Heartbeats bring stopped and retired probers back.
	for _, id := range []string{"eu-west/a", "eu-west/b"} {
		e.mustDo("POST", "/api/v1/probe/heartbeat", e.probe, `{"prober":"`+id+`","region":"eu-west","version":"t"}`, 204, nil)
		want[id] = "live"
	}
	if got := states(); !maps.Equal(got, want) {
		t.Fatalf("after new heartbeats: %v, want %v", got, want)
	}
}
