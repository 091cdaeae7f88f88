package storagetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/statuspage"
)

// The status page's store: components, incidents and maintenances,
// subscribers and closed months.

// storedComponent is what a store returns for c: times in UTC to the
// millisecond.
func storedComponent(c statuspage.Component) statuspage.Component {
	c.StartDate, c.CreatedAt, c.UpdatedAt = ms(c.StartDate), ms(c.CreatedAt), ms(c.UpdatedAt)
	return c
}

// storedIncident is what a store returns for in: times in UTC to the
// millisecond, Components and Updates never nil, an update's Components
// nil when empty.
func storedIncident(in statuspage.Incident) statuspage.Incident {
	in.ScheduledFor, in.ScheduledUntil = ms(in.ScheduledFor), ms(in.ScheduledUntil)
	in.CreatedAt, in.UpdatedAt, in.StartedAt = ms(in.CreatedAt), ms(in.UpdatedAt), ms(in.StartedAt)
	in.MonitoringAt, in.ResolvedAt = ms(in.MonitoringAt), ms(in.ResolvedAt)
	in.Components = append([]statuspage.Affected{}, in.Components...)
	updates := make([]statuspage.Update, len(in.Updates))
	for i, u := range in.Updates {
		u.CreatedAt, u.UpdatedAt, u.DisplayAt = ms(u.CreatedAt), ms(u.UpdatedAt), ms(u.DisplayAt)
		if len(u.Components) == 0 {
			u.Components = nil
		} else {
			u.Components = append([]statuspage.Affected(nil), u.Components...)
		}
		updates[i] = u
	}
	in.Updates = updates
	return in
}

func components(t *testing.T, s Store) []statuspage.Component {
	t.Helper()
	cs, err := s.ListComponents(t.Context())
	if err != nil {
		t.Fatalf("ListComponents: %v", err)
	}
	return cs
}

func equalComponents(t *testing.T, what string, got []statuspage.Component, want ...statuspage.Component) {
	t.Helper()
	for i := range want {
		want[i] = storedComponent(want[i])
	}
	if want == nil {
		want = []statuspage.Component{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func createComponent(t *testing.T, s Store, c statuspage.Component) statuspage.Component {
	t.Helper()
	if err := s.CreateComponent(t.Context(), &c); err != nil {
		t.Fatalf("CreateComponent(%q): %v", c.ID, err)
	}
	return c
}

// fullComponent returns a component with every field set, its times in
// zone() with nanoseconds.
func fullComponent(id string) statuspage.Component {
	at := created()
	return statuspage.Component{
		ID: id, Name: `API "v2" \ é <b>`, Description: "The public API.\nSecond line.", Position: 3,
		GroupID: "backend", OnlyShowIfDegraded: true, Showcase: true, Monitor: "api",
		AutoIncident: statuspage.AutoDraft, StartDate: at.Add(-72 * time.Hour), Source: "api",
		CreatedAt: at, UpdatedAt: at.Add(time.Second),
	}
}

// errRefused is what the update functions of the tests fail with.
var errRefused = errors.New("refused by fn")

// testStatusComponentsCRUD: components round-trip every field, are listed by
// position, name and ID, and report ECONFLICT, EINVALID and ENOTFOUND.
func testStatusComponentsCRUD(t *testing.T, s Store) {
	if got := components(t, s); got == nil || len(got) != 0 {
		t.Errorf("ListComponents without components = %#v, want an empty, non-nil list", got)
	}
	at := created()
	api := fullComponent("api")
	caller := api
	if err := s.CreateComponent(t.Context(), &caller); err != nil {
		t.Fatalf("CreateComponent: %v", err)
	}
	if want := storedComponent(api); !reflect.DeepEqual(caller, want) || caller.CreatedAt.Location() != time.UTC {
		t.Errorf("after CreateComponent, the caller's component is\n %+v\nwant it as stored\n %+v", caller, want)
	}
	// By position, then name, then ID, bytewise: upper case first.
	group := createComponent(t, s, statuspage.Component{ID: "backend", Name: "Backend", Position: 3, Group: true,
		CreatedAt: at, UpdatedAt: at})
	first := createComponent(t, s, statuspage.Component{ID: "z-first", Name: "Zeta", Position: -1, Link: "spring",
		CreatedAt: at, UpdatedAt: at})
	b := createComponent(t, s, statuspage.Component{ID: "b", Name: "Same", Position: 7, Tag: "summer", GroupID: "backend"})
	a := createComponent(t, s, statuspage.Component{ID: "a", Name: "Same", Position: 7, Tag: "summer"})
	upper := createComponent(t, s, statuspage.Component{ID: "c", Name: "SAME", Position: 7, Tag: "winter"})
	equalComponents(t, "ListComponents", components(t, s), first, api, group, upper, a, b)

	taken := fullComponent("api")
	taken.Name, taken.Position = "Another", 100
	wantCode(t, "CreateComponent of a taken ID", s.CreateComponent(t.Context(), &taken), linkwatch.ECONFLICT)
	wantCode(t, "CreateComponent without an ID", s.CreateComponent(t.Context(), &statuspage.Component{Name: "x"}),
		linkwatch.EINVALID)
	equalComponents(t, "ListComponents after refused creations", components(t, s), first, api, group, upper, a, b)

	// Updating changes every field but the ID and the creation time, and
	// the order.
	var seen statuspage.Component
	got, err := s.UpdateComponent(t.Context(), "api", func(c *statuspage.Component) error {
		seen = *c
		c.ID, c.CreatedAt = "hacked", at.Add(time.Hour)
		c.Name, c.Description, c.Position, c.GroupID = "Public API", "", 0, ""
		c.OnlyShowIfDegraded, c.Showcase, c.Monitor, c.Link = false, false, "", "api-link"
		c.AutoIncident, c.StartDate, c.Source = statuspage.AutoPublish, time.Time{}, "config"
		c.UpdatedAt = at.Add(2 * time.Hour)
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateComponent: %v", err)
	}
	if want := storedComponent(api); !reflect.DeepEqual(seen, want) {
		t.Errorf("UpdateComponent's fn got\n %+v\nwant the stored component\n %+v", seen, want)
	}
	updated := statuspage.Component{ID: "api", Name: "Public API", Link: "api-link", AutoIncident: statuspage.AutoPublish,
		Source: "config", CreatedAt: api.CreatedAt, UpdatedAt: at.Add(2 * time.Hour)}
	if want := storedComponent(updated); got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("UpdateComponent returned\n %+v\nwant\n %+v", got, want)
	}
	equalComponents(t, "ListComponents after an update", components(t, s), first, updated, group, upper, a, b)

	// fn's error is returned as it is, and nothing changes.
	got, err = s.UpdateComponent(t.Context(), "api", func(c *statuspage.Component) error {
		c.Name, c.Position = "Changed", 50
		return errRefused
	})
	if err != errRefused || got != nil {
		t.Errorf("UpdateComponent with a failing fn = %v, %v; want nil and fn's error as it is", got, err)
	}
	equalComponents(t, "ListComponents after a failed update", components(t, s), first, updated, group, upper, a, b)

	called := false
	_, err = s.UpdateComponent(t.Context(), "absent", func(*statuspage.Component) error { called = true; return nil })
	wantCode(t, "UpdateComponent of an absent component", err, linkwatch.ENOTFOUND)
	if called {
		t.Error("UpdateComponent of an absent component called fn")
	}
	_, err = s.UpdateComponent(t.Context(), "API", func(*statuspage.Component) error { return nil })
	wantCode(t, "UpdateComponent of another case", err, linkwatch.ENOTFOUND)

	if err := s.DeleteComponent(t.Context(), "b"); err != nil {
		t.Fatalf("DeleteComponent: %v", err)
	}
	wantCode(t, "DeleteComponent of a deleted component", s.DeleteComponent(t.Context(), "b"), linkwatch.ENOTFOUND)
	wantCode(t, "DeleteComponent of an absent component", s.DeleteComponent(t.Context(), "absent"), linkwatch.ENOTFOUND)
	equalComponents(t, "ListComponents after a deletion", components(t, s), first, updated, group, upper, a)
	// The ID is free again.
	b = createComponent(t, s, statuspage.Component{ID: "b", Name: "Again", Position: 8})
	equalComponents(t, "ListComponents after creating a deleted ID", components(t, s), first, updated, group, upper, a, b)
}

// testStatusComponentsConcurrent: concurrent updates of a component are
// atomic: none is lost.
func testStatusComponentsConcurrent(t *testing.T, s Store) {
	const workers, rounds = 16, 10
	createComponent(t, s, statuspage.Component{ID: "busy", Name: "Busy"})
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for range workers {
		wg.Go(func() {
			for range rounds {
				_, err := s.UpdateComponent(t.Context(), "busy", func(c *statuspage.Component) error {
					c.Position++
					return nil
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("UpdateComponent: %v", err)
	}
	if got := components(t, s); len(got) != 1 || got[0].Position != workers*rounds {
		t.Errorf("after %d increments of the position from 0, components %+v: updates were lost", workers*rounds, got)
	}
}

func incidentByID(t *testing.T, s Store, id string) *statuspage.Incident {
	t.Helper()
	in, err := s.IncidentByID(t.Context(), id)
	if err != nil {
		t.Fatalf("IncidentByID(%q): %v", id, err)
	}
	return in
}

func equalIncident(t *testing.T, what string, got *statuspage.Incident, want statuspage.Incident) {
	t.Helper()
	want = storedIncident(want)
	if got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func createIncident(t *testing.T, s Store, in statuspage.Incident) statuspage.Incident {
	t.Helper()
	if err := s.CreateIncident(t.Context(), &in); err != nil {
		t.Fatalf("CreateIncident(%q): %v", in.ID, err)
	}
	return in
}

// fullIncident returns an unresolved draft incident with affected
// components and two updates, newest first, its times in zone() with
// nanoseconds, some optional ones zero.
func fullIncident(id string) statuspage.Incident {
	at := created()
	return statuspage.Incident{
		ID: id, Name: `Scans "lost" \ é <i>`, Status: statuspage.Monitoring, Impact: statuspage.ImpactMajor, Draft: true,
		Components: []statuspage.Affected{
			{ComponentID: "api", Status: statuspage.MajorOutage},
			{ComponentID: "web", Status: statuspage.PartialOutage},
		},
		Updates: []statuspage.Update{
			{ID: id + "-2", IncidentID: id, Status: statuspage.Monitoring, Body: "A fix is out.\nWatching.",
				Components: []statuspage.Affected{{ComponentID: "api", Status: statuspage.DegradedPerformance}},
				Notify:     true, CreatedAt: at.Add(time.Hour), UpdatedAt: at.Add(time.Hour + time.Minute),
				DisplayAt: at.Add(time.Hour)},
			{ID: id + "-1", IncidentID: id, Status: statuspage.Investigating, Body: "Looking into it.",
				Components: []statuspage.Affected{}, // stored as none
				CreatedAt:  at, UpdatedAt: at, DisplayAt: at.Add(-time.Minute)},
		},
		AlertKey:  "link_down/link/42",
		CreatedAt: at, UpdatedAt: at.Add(time.Hour + time.Minute), StartedAt: at.Add(-5 * time.Minute),
		MonitoringAt: at.Add(time.Hour),
	}
}

// plannedMaintenance returns a scheduled maintenance, not started yet,
// without components or updates (nil).
func plannedMaintenance(id string) statuspage.Incident {
	at := created()
	return statuspage.Incident{
		ID: id, Name: "Database upgrade", Status: statuspage.Scheduled, Impact: statuspage.ImpactNone, Maintenance: true,
		ScheduledFor: at.Add(48 * time.Hour), ScheduledUntil: at.Add(50 * time.Hour), CreatedAt: at, UpdatedAt: at,
	}
}

// testStatusIncidentsRoundTrip: incidents and maintenances round-trip as
// JSON with their components, updates and optional times, and report
// ECONFLICT, EINVALID and ENOTFOUND.
func testStatusIncidentsRoundTrip(t *testing.T, s Store) {
	_, err := s.IncidentByID(t.Context(), "absent")
	wantCode(t, "IncidentByID of an absent incident", err, linkwatch.ENOTFOUND)

	full := fullIncident("inc-1")
	caller := full
	if err := s.CreateIncident(t.Context(), &caller); err != nil {
		t.Fatalf("CreateIncident: %v", err)
	}
	if want := storedIncident(full); !reflect.DeepEqual(caller, want) || caller.StartedAt.Location() != time.UTC {
		t.Errorf("after CreateIncident, the caller's incident is\n %+v\nwant it as stored\n %+v", caller, want)
	}
	got := incidentByID(t, s, "inc-1")
	equalIncident(t, "IncidentByID", got, full)
	if !got.ScheduledFor.IsZero() || !got.ResolvedAt.IsZero() || got.MonitoringAt.IsZero() {
		t.Errorf("IncidentByID: optional times %v, %v, %v; want zero, zero, set", got.ScheduledFor, got.ResolvedAt,
			got.MonitoringAt)
	}

	planned := plannedMaintenance("maint-1")
	createIncident(t, s, planned)
	got = incidentByID(t, s, "maint-1")
	equalIncident(t, "IncidentByID of a maintenance", got, planned)
	if got.Components == nil || got.Updates == nil || !got.StartedAt.IsZero() {
		t.Errorf("IncidentByID of a maintenance created without components and updates = %+v; "+
			"want empty, non-nil lists and a zero start", got)
	}

	over := fullIncident("inc-2")
	over.Status, over.Draft, over.ResolvedAt = statuspage.Postmortem, false, over.CreatedAt.Add(3*time.Hour)
	createIncident(t, s, over)
	equalIncident(t, "IncidentByID of a resolved incident", incidentByID(t, s, "inc-2"), over)

	taken := plannedMaintenance("inc-1")
	wantCode(t, "CreateIncident of a taken ID", s.CreateIncident(t.Context(), &taken), linkwatch.ECONFLICT)
	wantCode(t, "CreateIncident without an ID", s.CreateIncident(t.Context(), &statuspage.Incident{Name: "x"}),
		linkwatch.EINVALID)
	equalIncident(t, "IncidentByID after a refused creation", incidentByID(t, s, "inc-1"), full)
	_, err = s.IncidentByID(t.Context(), "INC-1")
	wantCode(t, "IncidentByID of another case", err, linkwatch.ENOTFOUND)

	if err := s.DeleteIncident(t.Context(), "inc-1"); err != nil {
		t.Fatalf("DeleteIncident: %v", err)
	}
	_, err = s.IncidentByID(t.Context(), "inc-1")
	wantCode(t, "IncidentByID of a deleted incident", err, linkwatch.ENOTFOUND)
	wantCode(t, "DeleteIncident of a deleted incident", s.DeleteIncident(t.Context(), "inc-1"), linkwatch.ENOTFOUND)
	equalIncident(t, "IncidentByID of another incident after a deletion", incidentByID(t, s, "inc-2"), over)
	createIncident(t, s, full) // the ID is free again
	equalIncident(t, "IncidentByID after creating a deleted ID", incidentByID(t, s, "inc-1"), full)
}

// testStatusIncidentsUpdate: UpdateIncident changes everything but the ID
// and creation time, atomically; a failing fn changes nothing.
func testStatusIncidentsUpdate(t *testing.T, s Store) {
	full := createIncident(t, s, fullIncident("inc-1"))
	at := created()
	var seen statuspage.Incident
	resolve := func(in *statuspage.Incident) error {
		seen = *in
		in.ID, in.CreatedAt = "hacked", at.Add(time.Hour)
		in.Status, in.Draft, in.Impact = statuspage.Resolved, false, statuspage.ImpactCritical
		in.Components = in.Components[:1]
		in.Updates = append([]statuspage.Update{{ID: "inc-1-3", IncidentID: "inc-1", Status: statuspage.Resolved,
			Body: "Fixed.", CreatedAt: at.Add(2 * time.Hour), UpdatedAt: at.Add(2 * time.Hour),
			DisplayAt: at.Add(2 * time.Hour)}}, in.Updates...)
		in.MonitoringAt, in.ResolvedAt, in.UpdatedAt = time.Time{}, at.Add(2*time.Hour), at.Add(2*time.Hour)
		return nil
	}
	got, err := s.UpdateIncident(t.Context(), "inc-1", resolve)
	if err != nil {
		t.Fatalf("UpdateIncident: %v", err)
	}
	equalIncident(t, "UpdateIncident's fn got", &seen, full)
	want := storedIncident(full)
	want.Components = want.Components[:1]
	_ = resolve(&want) // what fn does to the stored incident
	want.ID, want.CreatedAt = "inc-1", full.CreatedAt
	equalIncident(t, "UpdateIncident returned", got, want)
	equalIncident(t, "IncidentByID after an update", incidentByID(t, s, "inc-1"), want)
	if _, err := s.IncidentByID(t.Context(), "hacked"); linkwatch.ErrorCode(err) != linkwatch.ENOTFOUND {
		t.Errorf("IncidentByID(hacked) after an update setting the ID: %v, want ENOTFOUND", err)
	}
	// The columns follow the body: it is resolved and published now.
	equalIncidents(t, "ListIncidents after resolving", listIncidents(t, s, statuspage.IncidentFilter{}), want)
	equalIncidents(t, "ListIncidents(Unresolved) after resolving",
		listIncidents(t, s, statuspage.IncidentFilter{Unresolved: true, Drafts: true}))

	// fn's error is returned as it is, and nothing changes.
	got, err = s.UpdateIncident(t.Context(), "inc-1", func(in *statuspage.Incident) error {
		in.Name, in.Status, in.Updates = "Changed", statuspage.Investigating, nil
		return errRefused
	})
	if err != errRefused || got != nil {
		t.Errorf("UpdateIncident with a failing fn = %v, %v; want nil and fn's error as it is", got, err)
	}
	equalIncident(t, "IncidentByID after a failed update", incidentByID(t, s, "inc-1"), want)
	equalIncidents(t, "ListIncidents(Unresolved) after a failed update",
		listIncidents(t, s, statuspage.IncidentFilter{Unresolved: true, Drafts: true}))

	called := false
	_, err = s.UpdateIncident(t.Context(), "absent", func(*statuspage.Incident) error { called = true; return nil })
	wantCode(t, "UpdateIncident of an absent incident", err, linkwatch.ENOTFOUND)
	if called {
		t.Error("UpdateIncident of an absent incident called fn")
	}

	// Concurrent updates: none is lost.
	const workers, rounds = 16, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				_, err := s.UpdateIncident(t.Context(), "inc-1", func(in *statuspage.Incident) error {
					in.Updates = append([]statuspage.Update{{ID: fmt.Sprintf("c-%d-%d", w, r), Body: "more"}}, in.Updates...)
					return nil
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("UpdateIncident: %v", err)
	}
	if got := incidentByID(t, s, "inc-1"); len(got.Updates) != len(want.Updates)+workers*rounds {
		t.Errorf("after %d concurrent updates adding one update each to %d, %d updates: updates were lost",
			workers*rounds, len(want.Updates), len(got.Updates))
	}
}

func listIncidents(t *testing.T, s Store, f statuspage.IncidentFilter) []statuspage.Incident {
	t.Helper()
	got, err := s.ListIncidents(t.Context(), f)
	if err != nil {
		t.Fatalf("ListIncidents(%+v): %v", f, err)
	}
	return got
}

func equalIncidents(t *testing.T, what string, got []statuspage.Incident, want ...statuspage.Incident) {
	t.Helper()
	for i := range want {
		want[i] = storedIncident(want[i])
	}
	if want == nil {
		want = []statuspage.Incident{}
	}
	if !reflect.DeepEqual(got, want) {
		ids := func(ins []statuspage.Incident) []string {
			out := make([]string, len(ins))
			for i, in := range ins {
				out[i] = in.ID
			}
			return out
		}
		t.Errorf("%s: got %v, want %v", what, ids(got), ids(want))
		if reflect.DeepEqual(ids(got), ids(want)) {
			t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
		}
	}
}

// testStatusIncidentsFilters: ListIncidents selects incidents or
// maintenances, unresolved ones, drafts, by start, and pages newest first.
func testStatusIncidentsFilters(t *testing.T, s Store) {
	if got := listIncidents(t, s, statuspage.IncidentFilter{}); got == nil || len(got) != 0 {
		t.Errorf("ListIncidents without incidents = %#v, want an empty, non-nil list", got)
	}
	now := created()
	day := 24 * time.Hour
	incident := func(id, status string, started time.Time, draft bool) statuspage.Incident {
		in := statuspage.Incident{ID: id, Name: "Incident " + id, Status: status, Impact: statuspage.ImpactMinor,
			Draft: draft, StartedAt: started, CreatedAt: started, UpdatedAt: started,
			Components: []statuspage.Affected{{ComponentID: "api", Status: statuspage.PartialOutage}}}
		if in.Resolved() {
			in.ResolvedAt = started.Add(time.Hour)
		}
		return createIncident(t, s, in)
	}
	maintenance := func(id, status string, started time.Time) statuspage.Incident {
		m := plannedMaintenance(id)
		m.Status, m.StartedAt = status, started
		return createIncident(t, s, m)
	}
	a := incident("a", statuspage.Resolved, now.Add(-10*day), false)
	b := incident("b", statuspage.Investigating, now.Add(-5*day), false)
	c := incident("c", statuspage.Postmortem, now.Add(-2*day), false)
	d := incident("d", statuspage.Identified, now.Add(-day), true)
	e := incident("e", statuspage.Resolved, now.Add(-day), false) // same start as d: by ID descending
	f := incident("f", statuspage.Monitoring, now.Add(-100*day), false)
	m1 := maintenance("m1", statuspage.Scheduled, time.Time{})
	m2 := maintenance("m2", statuspage.Completed, now.Add(-3*day))
	m3 := maintenance("m3", statuspage.InProgress, now.Add(-time.Hour))
	m4 := maintenance("m4", statuspage.Verifying, now.Add(-time.Hour))
	m4.Draft = true
	if _, err := s.UpdateIncident(t.Context(), "m4", func(in *statuspage.Incident) error {
		in.Draft = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		f    statuspage.IncidentFilter
		want []statuspage.Incident
	}{
		{"published", statuspage.IncidentFilter{}, []statuspage.Incident{e, c, b, a, f}},
		{"with drafts", statuspage.IncidentFilter{Drafts: true}, []statuspage.Incident{e, d, c, b, a, f}},
		{"unresolved", statuspage.IncidentFilter{Unresolved: true}, []statuspage.Incident{b, f}},
		{"unresolved with drafts", statuspage.IncidentFilter{Unresolved: true, Drafts: true}, []statuspage.Incident{d, b, f}},
		// Since: started at or after it, or unresolved.
		{"since", statuspage.IncidentFilter{Since: now.Add(-6 * day)}, []statuspage.Incident{e, c, b, f}},
		{"since a start", statuspage.IncidentFilter{Since: c.StartedAt.In(zone())}, []statuspage.Incident{e, c, b, f}},
		{"since just after a start", statuspage.IncidentFilter{Since: ms(c.StartedAt).Add(time.Millisecond)},
			[]statuspage.Incident{e, b, f}},
		{"since, unresolved", statuspage.IncidentFilter{Since: now, Unresolved: true, Drafts: true},
			[]statuspage.Incident{d, b, f}},
		// Before: started before it.
		{"before a start", statuspage.IncidentFilter{Before: c.StartedAt}, []statuspage.Incident{b, a, f}},
		{"before just after a start", statuspage.IncidentFilter{Before: ms(c.StartedAt).Add(time.Millisecond)},
			[]statuspage.Incident{c, b, a, f}},
		{"since and before", statuspage.IncidentFilter{Since: now.Add(-6 * day), Before: now.Add(-2 * day)},
			[]statuspage.Incident{b, f}},
		{"limit", statuspage.IncidentFilter{Limit: 2}, []statuspage.Incident{e, c}},
		// Maintenances; one not started yet comes last.
		{"maintenances", statuspage.IncidentFilter{Maintenance: true}, []statuspage.Incident{m3, m2, m1}},
		{"maintenances with drafts", statuspage.IncidentFilter{Maintenance: true, Drafts: true},
			[]statuspage.Incident{m4, m3, m2, m1}},
		{"unresolved maintenances", statuspage.IncidentFilter{Maintenance: true, Unresolved: true},
			[]statuspage.Incident{m3, m1}},
		{"maintenances since", statuspage.IncidentFilter{Maintenance: true, Since: now.Add(-2 * day)},
			[]statuspage.Incident{m3, m1}},
		{"maintenances before", statuspage.IncidentFilter{Maintenance: true, Before: now.Add(-2 * day)},
			[]statuspage.Incident{m2, m1}},
	} {
		equalIncidents(t, "ListIncidents("+tc.name+")", listIncidents(t, s, tc.f), tc.want...)
	}

	// Paging: each page before the previous page's last start.
	var pages [][]statuspage.Incident
	page := statuspage.IncidentFilter{Drafts: true, Limit: 2}
	for range 5 {
		got := listIncidents(t, s, page)
		if len(got) == 0 {
			break
		}
		pages = append(pages, got)
		page.Before = got[len(got)-1].StartedAt
	}
	want := [][]statuspage.Incident{{e, d}, {c, b}, {a, f}}
	if len(pages) != len(want) {
		t.Fatalf("ListIncidents in pages of 2: %d pages, want %d", len(pages), len(want))
	}
	for i := range want {
		equalIncidents(t, fmt.Sprintf("ListIncidents, page %d", i+1), pages[i], want[i]...)
	}
}

// testStatusIncidentsLimits: Limit defaults to 100 and is at most 1000.
func testStatusIncidentsLimits(t *testing.T, s Store) {
	at := created()
	const n = 1003
	for i := range n {
		createIncident(t, s, statuspage.Incident{ID: fmt.Sprintf("inc-%04d", i), Status: statuspage.Resolved,
			StartedAt: at.Add(time.Duration(i) * time.Minute)})
	}
	for _, tc := range []struct{ limit, want int }{{0, 100}, {-1, 100}, {3, 3}, {1000, 1000}, {1001, 1000}, {5000, 1000}} {
		if got := listIncidents(t, s, statuspage.IncidentFilter{Limit: tc.limit}); len(got) != tc.want {
			t.Errorf("ListIncidents(Limit: %d) = %d incidents, want %d", tc.limit, len(got), tc.want)
		}
	}
	got := listIncidents(t, s, statuspage.IncidentFilter{Limit: 1000})
	if got[0].ID != fmt.Sprintf("inc-%04d", n-1) || got[999].ID != fmt.Sprintf("inc-%04d", n-1000) {
		t.Errorf("ListIncidents(Limit: 1000) from %s to %s, want the newest 1000", got[0].ID, got[999].ID)
	}
}

func subscribers(t *testing.T, s Store) []statuspage.Subscriber {
	t.Helper()
	subs, err := s.ListSubscribers(t.Context())
	if err != nil {
		t.Fatalf("ListSubscribers: %v", err)
	}
	return subs
}

func equalSubscribers(t *testing.T, what string, got []statuspage.Subscriber, want ...statuspage.Subscriber) {
	t.Helper()
	for i := range want {
		want[i].ConfirmedAt, want[i].CreatedAt = ms(want[i].ConfirmedAt), ms(want[i].CreatedAt)
	}
	if want == nil {
		want = []statuspage.Subscriber{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func createSubscriber(t *testing.T, s Store, sub statuspage.Subscriber) statuspage.Subscriber {
	t.Helper()
	if err := s.CreateSubscriber(t.Context(), &sub); err != nil {
		t.Fatalf("CreateSubscriber(%q): %v", sub.ID, err)
	}
	return sub
}

// testStatusSubscribers: subscribers keep their token, are listed by
// creation, are unique by ID and URL, and confirm only with their token,
// once. Email subscribers are tested after, in the same store.
func testStatusSubscribers(t *testing.T, s Store) {
	if got := subscribers(t, s); got == nil || len(got) != 0 {
		t.Errorf("ListSubscribers without subscribers = %#v, want an empty, non-nil list", got)
	}
	at := created()
	one := statuspage.Subscriber{ID: "sub-1", URL: "https://hooks.example.com/a?x=1&y=2", Token: "s3cr3t-token-1",
		CreatedAt: at.Add(time.Minute)}
	caller := one
	if err := s.CreateSubscriber(t.Context(), &caller); err != nil {
		t.Fatalf("CreateSubscriber: %v", err)
	}
	if caller.CreatedAt != ms(one.CreatedAt) || caller.Token != one.Token {
		t.Errorf("after CreateSubscriber, the caller's subscriber is %+v, want its time as stored (%v)", caller, ms(one.CreatedAt))
	}
	two := createSubscriber(t, s, statuspage.Subscriber{ID: "sub-2", URL: "https://hooks.example.com/b",
		Token: "s3cr3t-token-2", CreatedAt: at})
	three := createSubscriber(t, s, statuspage.Subscriber{ID: "sub-3", URL: "https://hooks.example.com/c",
		Token: "s3cr3t-token-3", CreatedAt: at.Add(2 * time.Minute), ConfirmedAt: at.Add(3 * time.Minute)})
	equalSubscribers(t, "ListSubscribers", subscribers(t, s), two, one, three)

	dupID := statuspage.Subscriber{ID: "sub-1", URL: "https://hooks.example.com/other", Token: "t", CreatedAt: at}
	err := s.CreateSubscriber(t.Context(), &dupID)
	wantCode(t, "CreateSubscriber of a taken ID", err, linkwatch.ECONFLICT)
	if f := linkwatch.ErrorField(err); f != "id" {
		t.Errorf("CreateSubscriber of a taken ID: error about %q, want id", f)
	}
	dupURL := statuspage.Subscriber{ID: "sub-4", URL: one.URL, Token: "t", CreatedAt: at}
	err = s.CreateSubscriber(t.Context(), &dupURL)
	wantCode(t, "CreateSubscriber of a taken URL", err, linkwatch.ECONFLICT)
	if f := linkwatch.ErrorField(err); f != "url" {
		t.Errorf("CreateSubscriber of a taken URL: error about %q, want url", f)
	}
	wantCode(t, "CreateSubscriber without an ID",
		s.CreateSubscriber(t.Context(), &statuspage.Subscriber{URL: "https://hooks.example.com/d", Token: "t"}), linkwatch.EINVALID)
	wantCode(t, "CreateSubscriber without a URL",
		s.CreateSubscriber(t.Context(), &statuspage.Subscriber{ID: "sub-5", Token: "t"}), linkwatch.EINVALID)
	equalSubscribers(t, "ListSubscribers after refused creations", subscribers(t, s), two, one, three)

	// Confirmation: only with the subscriber's own token.
	confirmed := at.Add(time.Hour)
	wantCode(t, "ConfirmSubscriber of an absent subscriber",
		s.ConfirmSubscriber(t.Context(), "absent", one.Token, confirmed), linkwatch.ENOTFOUND)
	for _, token := range []string{"", "s3cr3t-token-2", "s3cr3t-token-", "s3cr3t-token-11", "S3CR3T-TOKEN-1"} {
		wantCode(t, fmt.Sprintf("ConfirmSubscriber with token %q", token),
			s.ConfirmSubscriber(t.Context(), "sub-1", token, confirmed), linkwatch.EFORBIDDEN)
	}
	equalSubscribers(t, "ListSubscribers after refused confirmations", subscribers(t, s), two, one, three)
	if err := s.ConfirmSubscriber(t.Context(), "sub-1", one.Token, confirmed.In(zone())); err != nil {
		t.Fatalf("ConfirmSubscriber: %v", err)
	}
	one.ConfirmedAt = confirmed
	equalSubscribers(t, "ListSubscribers after a confirmation", subscribers(t, s), two, one, three)
	// Confirming again keeps the first time.
	if err := s.ConfirmSubscriber(t.Context(), "sub-1", one.Token, confirmed.Add(time.Hour)); err != nil {
		t.Errorf("ConfirmSubscriber again: %v", err)
	}
	if err := s.ConfirmSubscriber(t.Context(), "sub-3", three.Token, confirmed); err != nil {
		t.Errorf("ConfirmSubscriber of a subscriber created confirmed: %v", err)
	}
	wantCode(t, "ConfirmSubscriber of a confirmed subscriber with a wrong token",
		s.ConfirmSubscriber(t.Context(), "sub-1", two.Token, confirmed), linkwatch.EFORBIDDEN)
	equalSubscribers(t, "ListSubscribers after confirming again", subscribers(t, s), two, one, three)

	if err := s.DeleteSubscriber(t.Context(), "sub-1"); err != nil {
		t.Fatalf("DeleteSubscriber: %v", err)
	}
	wantCode(t, "DeleteSubscriber of a deleted subscriber", s.DeleteSubscriber(t.Context(), "sub-1"), linkwatch.ENOTFOUND)
	wantCode(t, "ConfirmSubscriber of a deleted subscriber",
		s.ConfirmSubscriber(t.Context(), "sub-1", one.Token, confirmed), linkwatch.ENOTFOUND)
	equalSubscribers(t, "ListSubscribers after a deletion", subscribers(t, s), two, three)
	// The URL is free again.
	again := createSubscriber(t, s, statuspage.Subscriber{ID: "sub-6", URL: one.URL, Token: "new", CreatedAt: at.Add(time.Hour)})
	equalSubscribers(t, "ListSubscribers after subscribing a URL again", subscribers(t, s), two, three, again)

	t.Run("Email", func(t *testing.T) {
		for _, sub := range subscribers(t, s) {
			if err := s.DeleteSubscriber(t.Context(), sub.ID); err != nil {
				t.Fatalf("DeleteSubscriber(%q): %v", sub.ID, err)
			}
		}
		testStatusEmailSubscribers(t, s)
	})
}

// testStatusEmailSubscribers: a subscriber has a URL or an email address,
// never both; email addresses are unique as URLs are, and subscribers of
// one kind never collide with the other's empty value.
func testStatusEmailSubscribers(t *testing.T, s Store) {
	at := created()
	hook := createSubscriber(t, s, statuspage.Subscriber{ID: "hook-1", URL: "https://hooks.example.com/a", Token: "t-hook-1", CreatedAt: at})
	mail1 := createSubscriber(t, s, statuspage.Subscriber{ID: "mail-1", Email: "ops@example.com", Token: "t-mail-1",
		CreatedAt: at.Add(time.Minute)})
	// Several email subscribers (empty URLs) and several webhook ones
	// (empty addresses) coexist.
	mail2 := createSubscriber(t, s, statuspage.Subscriber{ID: "mail-2", Email: "Dev+status@Example.org", Token: "t-mail-2",
		CreatedAt: at.Add(2 * time.Minute), ConfirmedAt: at.Add(3 * time.Minute)})
	hook2 := createSubscriber(t, s, statuspage.Subscriber{ID: "hook-2", URL: "https://hooks.example.com/b", Token: "t-hook-2",
		CreatedAt: at.Add(4 * time.Minute)})
	equalSubscribers(t, "ListSubscribers", subscribers(t, s), hook, mail1, mail2, hook2)

	dup := statuspage.Subscriber{ID: "mail-3", Email: mail1.Email, Token: "t", CreatedAt: at}
	err := s.CreateSubscriber(t.Context(), &dup)
	wantCode(t, "CreateSubscriber of a taken email address", err, linkwatch.ECONFLICT)
	if f := linkwatch.ErrorField(err); f != "email" {
		t.Errorf("CreateSubscriber of a taken email address: error about %q, want email", f)
	}
	dupURL := statuspage.Subscriber{ID: "hook-3", URL: hook.URL, Token: "t", CreatedAt: at}
	err = s.CreateSubscriber(t.Context(), &dupURL)
	wantCode(t, "CreateSubscriber of a taken URL beside email subscribers", err, linkwatch.ECONFLICT)
	if f := linkwatch.ErrorField(err); f != "url" {
		t.Errorf("CreateSubscriber of a taken URL: error about %q, want url", f)
	}
	dupID := statuspage.Subscriber{ID: "mail-1", Email: "other@example.com", Token: "t", CreatedAt: at}
	err = s.CreateSubscriber(t.Context(), &dupID)
	wantCode(t, "CreateSubscriber of a taken ID", err, linkwatch.ECONFLICT)
	if f := linkwatch.ErrorField(err); f != "id" {
		t.Errorf("CreateSubscriber of a taken ID: error about %q, want id", f)
	}
	wantCode(t, "CreateSubscriber with both a URL and an email address",
		s.CreateSubscriber(t.Context(), &statuspage.Subscriber{ID: "both", URL: "https://hooks.example.com/c",
			Email: "both@example.com", Token: "t", CreatedAt: at}), linkwatch.EINVALID)
	equalSubscribers(t, "ListSubscribers after refused creations", subscribers(t, s), hook, mail1, mail2, hook2)

	// Confirmation and deletion work alike; the address is free again.
	if err := s.ConfirmSubscriber(t.Context(), "mail-1", mail1.Token, at.Add(time.Hour)); err != nil {
		t.Fatalf("ConfirmSubscriber: %v", err)
	}
	mail1.ConfirmedAt = at.Add(time.Hour)
	equalSubscribers(t, "ListSubscribers after a confirmation", subscribers(t, s), hook, mail1, mail2, hook2)
	if err := s.DeleteSubscriber(t.Context(), "mail-1"); err != nil {
		t.Fatalf("DeleteSubscriber: %v", err)
	}
	again := createSubscriber(t, s, statuspage.Subscriber{ID: "mail-4", Email: mail1.Email, Token: "new", CreatedAt: at.Add(time.Hour)})
	equalSubscribers(t, "ListSubscribers after subscribing an address again", subscribers(t, s), hook, mail2, hook2, again)
}

func months(t *testing.T, s Store, component string) []statuspage.Month {
	t.Helper()
	got, err := s.Months(t.Context(), component)
	if err != nil {
		t.Fatalf("Months(%q): %v", component, err)
	}
	return got
}

func saveMonth(t *testing.T, s Store, m statuspage.Month) {
	t.Helper()
	if err := s.SaveMonth(t.Context(), m); err != nil {
		t.Fatalf("SaveMonth(%q, %v): %v", m.ComponentID, m.Month, err)
	}
}

// testStatusMonths: months are kept per component, oldest first, to the
// nanosecond, and frozen once saved.
func testStatusMonths(t *testing.T, s Store) {
	if got := months(t, s, "api"); got == nil || len(got) != 0 {
		t.Errorf("Months without months = %#v, want an empty, non-nil list", got)
	}
	month := func(component string, m time.Month, observed time.Duration) statuspage.Month {
		return statuspage.Month{ComponentID: component, Month: time.Date(2024, m, 1, 0, 0, 0, 0, time.UTC),
			Observed: observed, Major: 90*time.Minute + 1, Partial: 3*time.Hour + 7, Maintenance: 2*time.Hour + 999}
	}
	mar := month("api", time.March, 31*24*time.Hour-1)
	jan := month("api", time.January, 31*24*time.Hour)
	feb := month("api", time.February, 29*24*time.Hour)
	feb.Major, feb.Partial, feb.Maintenance = 0, 0, 0
	web := month("web", time.March, time.Hour)
	// In another zone: the same instant.
	marZoned := mar
	marZoned.Month = mar.Month.In(zone())
	saveMonth(t, s, marZoned)
	saveMonth(t, s, jan)
	saveMonth(t, s, web)
	saveMonth(t, s, feb)
	want := []statuspage.Month{jan, feb, mar}
	if got := months(t, s, "api"); !reflect.DeepEqual(got, want) {
		t.Errorf("Months(api):\n got %+v\nwant %+v", got, want)
	}
	// Frozen: saving a month again changes nothing.
	changed := mar
	changed.Observed, changed.Major = time.Hour, time.Hour
	saveMonth(t, s, changed)
	if got := months(t, s, "api"); !reflect.DeepEqual(got, want) {
		t.Errorf("Months(api) after saving March again:\n got %+v\nwant %+v", got, want)
	}
	if got := months(t, s, "web"); !reflect.DeepEqual(got, []statuspage.Month{web}) {
		t.Errorf("Months(web):\n got %+v\nwant %+v", got, []statuspage.Month{web})
	}
	if got := months(t, s, "API"); len(got) != 0 {
		t.Errorf("Months(API) = %+v, want none", got)
	}
	wantCode(t, "SaveMonth without a component", s.SaveMonth(t.Context(), month("", time.March, time.Hour)),
		linkwatch.EINVALID)
}

// testStatusSubscribersByTokenAndExpiry: a subscriber is found by its exact
// token, and unconfirmed subscribers created before a time are deleted,
// confirmed ones and newer ones kept.
func testStatusSubscribersByTokenAndExpiry(t *testing.T, s Store) {
	at := created()
	old := createSubscriber(t, s, statuspage.Subscriber{ID: "sub-old", URL: "https://hooks.example.com/old", Token: "tok-old", CreatedAt: at})
	kept := createSubscriber(t, s, statuspage.Subscriber{ID: "sub-kept", Email: "kept@example.com", Token: "tok-kept",
		CreatedAt: at, ConfirmedAt: at.Add(time.Minute)})
	fresh := createSubscriber(t, s, statuspage.Subscriber{ID: "sub-fresh", URL: "https://hooks.example.com/new", Token: "tok-fresh",
		CreatedAt: at.Add(24 * time.Hour)})

	for _, want := range []statuspage.Subscriber{old, kept, fresh} {
		got, err := s.SubscriberByToken(t.Context(), want.Token)
		if err != nil {
			t.Fatalf("SubscriberByToken(%q): %v", want.Token, err)
		}
		equalSubscribers(t, "SubscriberByToken("+want.Token+")", []statuspage.Subscriber{*got}, want)
	}
	for _, token := range []string{"", "tok-", "tok-old2", "TOK-OLD", "sub-old"} {
		_, err := s.SubscriberByToken(t.Context(), token)
		wantCode(t, fmt.Sprintf("SubscriberByToken(%q)", token), err, linkwatch.ENOTFOUND)
	}

	n, err := s.DeleteUnconfirmedSubscribers(t.Context(), at.Add(time.Hour).In(zone()))
	if err != nil || n != 1 {
		t.Fatalf("DeleteUnconfirmedSubscribers = %d, %v; want 1", n, err)
	}
	equalSubscribers(t, "ListSubscribers after pruning", subscribers(t, s), kept, fresh)
	_, err = s.SubscriberByToken(t.Context(), old.Token)
	wantCode(t, "SubscriberByToken of a pruned subscriber", err, linkwatch.ENOTFOUND)
	if n, err := s.DeleteUnconfirmedSubscribers(t.Context(), at.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("DeleteUnconfirmedSubscribers again = %d, %v; want 0", n, err)
	}
}
