package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/statuspage"
	"github.com/linkwatch/linkwatch/storage/sqlite"
)

// testStatus is the status page over a store, without a builder.
type testStatus struct{ *sqlite.Store }

func (s testStatus) Components(ctx context.Context) ([]statuspage.Component, error) {
	cs, err := s.ListComponents(ctx)
	for i := range cs {
		cs[i].Source = "api"
	}
	return cs, err
}
func (testStatus) Changed() {}

func TestStatusComponentsAndIncidentsAPI(t *testing.T) {
	e := newEnv(t)
	var body errorBody
	e.mustDo("POST", "/api/v1/status/components", adminSecret, `{"id":"shop","name":"Shop","group":true}`, 201, nil)
	e.mustDo("POST", "/api/v1/status/components", adminSecret, `{"id":"checkout","name":"Checkout","group_id":"shop","link":"checkout"}`, 201, nil)
	for _, c := range []struct{ body, field string }{
		{`{"id":"Bad Id","name":"x","link":"a"}`, "id"},
		{`{"id":"x","name":"","link":"a"}`, "name"},
		{`{"id":"x","name":"X","link":"a","tag":"b"}`, "link"},
		{`{"id":"x","name":"X","link":"a","group_id":"checkout"}`, "group_id"},
		{`{"id":"x","name":"X","link":"a","auto_incident":"always"}`, "auto_incident"},
	} {
		resp, b := e.do("POST", "/api/v1/status/components", adminSecret, c.body)
		if resp.StatusCode != 422 || !strings.Contains(string(b), `"field":"`+c.field+`"`) {
			t.Errorf("%s: %d %s", c.body, resp.StatusCode, b)
		}
	}
	e.mustDo("POST", "/api/v1/status/components", adminSecret, `{"id":"checkout","name":"Again","link":"x"}`, 409, &body)
	e.mustDo("DELETE", "/api/v1/status/components/shop", adminSecret, "", 409, &body) // still holds checkout

	var in statuspage.Incident
	e.mustDo("POST", "/api/v1/incidents", adminSecret, `{"name":"Checkout errors","impact":"major","body":"Investigating",
		"components":[{"component_id":"checkout","status":"partial_outage"}]}`, 201, &in)
	if in.Status != "investigating" || len(in.Updates) != 1 || in.Components[0].Status != "partial_outage" {
		t.Fatalf("incident %+v", in)
	}
	e.mustDo("POST", "/api/v1/incidents", adminSecret, `{"name":"x","components":[{"component_id":"nope","status":"major_outage"}]}`, 422, &body)
	e.mustDo("POST", "/api/v1/incidents", adminSecret, `{"name":"x","status":"scheduled"}`, 422, &body) // not a maintenance
	e.mustDo("POST", "/api/v1/incidents/"+in.ID+"/updates", adminSecret, `{"status":"monitoring","body":"A fix is out"}`, 201, &in)
	e.mustDo("POST", "/api/v1/incidents/"+in.ID+"/updates", adminSecret, `{"status":"resolved","body":"Fixed"}`, 201, &in)
	if in.Status != "resolved" || in.MonitoringAt.IsZero() || in.ResolvedAt.IsZero() || len(in.Updates) != 3 ||
		in.Updates[0].Body != "Fixed" || in.Components[0].Status != "operational" {
		t.Fatalf("after resolving %+v", in)
	}

	// A maintenance mutes the alert engine over its components.
	var m statuspage.Incident
	e.mustDo("POST", "/api/v1/incidents", adminSecret, `{"name":"DB upgrade","scheduled_for":"2026-11-23T11:00:00Z",
		"scheduled_until":"2026-11-23T13:00:00Z","components":[{"component_id":"checkout","status":"under_maintenance"}]}`, 201, &m)
	if !m.Maintenance || m.Status != "scheduled" || m.Impact != "maintenance" {
		t.Fatalf("maintenance %+v", m)
	}
	windows, err := e.store.ListMaintenances(context.Background())
	if err != nil || len(windows) != 1 || !windows[0].Active(testNow) ||
		!windows[0].Matches(map[string]string{"link": "checkout"}) || windows[0].Matches(map[string]string{"link": "other"}) {
		t.Fatalf("alert maintenance windows %+v %v", windows, err)
	}
	e.mustDo("DELETE", "/api/v1/incidents/"+m.ID, adminSecret, "", 204, nil)
	if windows, _ := e.store.ListMaintenances(context.Background()); len(windows) != 0 {
		t.Fatalf("the mute outlived its maintenance: %+v", windows)
	}

	var list struct{ Incidents []statuspage.Incident }
	e.mustDo("GET", "/api/v1/incidents", e.read, "", 200, &list)
	if len(list.Incidents) != 1 {
		t.Fatalf("incidents %+v", list)
	}
	e.mustDo("POST", "/api/v1/incidents", e.read, `{"name":"x"}`, 403, &body)

	month := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	e.store.SaveMonth(context.Background(), statuspage.Month{ComponentID: "checkout", Month: month,
		Observed: 744 * time.Hour, Major: time.Hour})
	var months struct {
		Months []struct {
			Month  string
			Uptime *float64
		}
	}
	e.mustDo("GET", "/api/v1/status/components/checkout/months", e.read, "", 200, &months)
	if len(months.Months) != 1 || months.Months[0].Month != "2026-10" || *months.Months[0].Uptime < 0.998 {
		t.Fatalf("months %+v", months)
	}
}
