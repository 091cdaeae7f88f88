package api

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/alerting"
)

func TestSilencesAndMaintenances(t *testing.T) {
	e := newEnv(t)
	var s SilenceDoc
	e.mustDo("POST", "/api/v1/silences", adminSecret,
		`{"matchers":"{campaign=\"spring\", severity=~\"critical|warning\"}","end":"2026-11-23T14:00:00Z","author":"ana","comment":"billboard swap"}`, 201, &s)
	if s.ID == "" || !s.Active || len(s.Matchers) != 2 || !s.Start.Equal(testNow) || s.Author != "ana" {
		t.Fatalf("created %+v", s)
	}
	var body errorBody
	for _, tt := range []struct{ body, field string }{
		{`{"matchers":"campaign=spring","end":"2026-11-23T14:00:00Z","author":"a"}`, "matchers"},
		{`{"matchers":"{campaign=~\".*\"}","end":"2026-11-23T14:00:00Z","author":"a"}`, ""}, // matches everything
		{`{"matchers":"{severity=~\".+\"}","end":"2026-11-23T14:00:00Z","author":"a"}`, ""}, // every alert has a severity
		{`{"matchers":"{rule!=\"\"}","end":"2026-11-23T14:00:00Z","author":"a"}`, ""},       // and a rule
		{`{"matchers":"{campaign=\"x\"}","author":"a"}`, ""},                                // no end
		{`{"matchers":"{campaign=\"x\"}","end":"tomorrow"}`, "end"},
	} {
		resp, b := e.do("POST", "/api/v1/silences", adminSecret, tt.body)
		if resp.StatusCode != 422 && resp.StatusCode != 400 {
			t.Errorf("%s: %d %s", tt.body, resp.StatusCode, b)
		}
	}
	var list struct{ Silences []SilenceDoc }
	e.mustDo("GET", "/api/v1/silences", e.read, "", 200, &list)
	if len(list.Silences) != 1 {
		t.Fatalf("list %+v", list)
	}
	e.mustDo("DELETE", "/api/v1/silences/"+s.ID, adminSecret, "", 204, nil)
	e.mustDo("GET", "/api/v1/silences", e.read, "", 200, &list)
	if len(list.Silences) != 1 || list.Silences[0].Active || !list.Silences[0].End.Equal(testNow) {
		t.Fatalf("expired silence %+v", list.Silences)
	}
	e.mustDo("DELETE", "/api/v1/silences/nope", adminSecret, "", 404, &body)

	var m maintenanceJSON
	e.mustDo("POST", "/api/v1/maintenances", adminSecret,
		`{"name":"weekly deploy","matchers":"{campaign=\"spring\"}","cron":"0 2 * * 0","duration":"2h"}`, 201, &m)
	if m.ID == "" || m.Duration != "2h0m0s" || m.Cron != "0 2 * * 0" || m.Active {
		t.Fatalf("maintenance %+v (Monday noon is outside Sunday 02:00-04:00)", m)
	}
	e.mustDo("POST", "/api/v1/maintenances", adminSecret,
		`{"name":"now","matchers":"{link=\"promo\"}","start":"2026-11-23T11:00:00Z","end":"2026-11-23T13:00:00Z"}`, 201, &m)
	if !m.Active {
		t.Fatalf("one-off window spanning now is not active: %+v", m)
	}
	e.mustDo("POST", "/api/v1/maintenances", adminSecret, `{"name":"bad","matchers":"{link=\"x\"}","cron":"61 * * * *","duration":"1h"}`, 422, &body)
	var ml struct{ Maintenances []maintenanceJSON }
	e.mustDo("GET", "/api/v1/maintenances", e.read, "", 200, &ml)
	if len(ml.Maintenances) != 2 {
		t.Fatalf("maintenances %+v", ml)
	}
	e.mustDo("DELETE", "/api/v1/maintenances/"+m.ID, adminSecret, "", 204, nil)
	e.mustDo("DELETE", "/api/v1/maintenances/"+m.ID, adminSecret, "", 404, &body)
}

// TestSilenceUntilResolved: a silence tied to a pending or firing alert
// takes the alert's labels as matchers unless given ones (which must match
// it), ends by default after alerting.UntilResolvedBound, and is listed
// with its alert's key; an unknown or resolved alert, a start, or
// matchers that miss the alert are refused.
func TestSilenceUntilResolved(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	fence, ok, err := e.store.Lease(ctx, alerting.EvaluatorLease, "t", time.Minute, testNow)
	if err != nil || !ok {
		t.Fatal(err)
	}
	save := func(key string, phase alerting.Phase) {
		a := alerting.StoredAlert{Key: key, Rule: "link_down", Severity: "critical", Scope: "link/promo",
			Labels:  map[string]string{"rule": "link_down", "severity": "critical", "link": "promo"},
			Summary: key, UpdatedAt: testNow, State: alerting.AlertState{Phase: phase, Since: testNow.Add(-time.Minute)}}
		if err := e.store.SaveAlerts(ctx, fence, []alerting.StoredAlert{a}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	save("link_down|link/1", alerting.PhaseFiring)
	save("link_down|link/2", alerting.PhaseResolved)

	var s SilenceDoc
	e.mustDo("POST", "/api/v1/silences", adminSecret, `{"until_resolved":"link_down|link/1","comment":"on it"}`, 201, &s)
	want := []string{`link="promo"`, `rule="link_down"`, `severity="critical"`}
	if s.UntilResolved != "link_down|link/1" || !slices.Equal(s.Matchers, want) || !s.Start.Equal(testNow) ||
		!s.End.Equal(testNow.Add(alerting.UntilResolvedBound)) || !s.Active {
		t.Fatalf("created %+v, want matchers %v until %s", s, want, testNow.Add(alerting.UntilResolvedBound))
	}
	e.mustDo("POST", "/api/v1/silences", adminSecret,
		`{"until_resolved":"link_down|link/1","matchers":"{link=\"promo\"}","end":"2026-11-24T12:00:00Z"}`, 201, &s)
	if len(s.Matchers) != 1 || !s.End.Equal(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("created with matchers and end %+v", s)
	}

	for _, tt := range []struct{ name, body, field string }{
		{"unknown alert", `{"until_resolved":"link_down|link/9"}`, "until_resolved"},
		{"resolved alert", `{"until_resolved":"link_down|link/2"}`, "until_resolved"},
		{"matchers miss the alert", `{"until_resolved":"link_down|link/1","matchers":"{link=\"other\"}"}`, "matchers"},
		{"a start", `{"until_resolved":"link_down|link/1","start":"2026-11-23T13:00:00Z"}`, "start"},
	} {
		var body errorBody
		e.mustDo("POST", "/api/v1/silences", adminSecret, tt.body, 422, &body)
		if body.Error.Field != tt.field {
			t.Errorf("%s: error %+v, want field %q", tt.name, body, tt.field)
		}
	}

	var list struct{ Silences []SilenceDoc }
	e.mustDo("GET", "/api/v1/silences", e.read, "", 200, &list)
	if len(list.Silences) != 2 || list.Silences[0].UntilResolved != "link_down|link/1" {
		t.Fatalf("list %+v", list.Silences)
	}
}
