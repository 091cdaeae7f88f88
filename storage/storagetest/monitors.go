package storagetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// newMonitor returns a valid monitor as the API would hand it to the store.
func newMonitor(name string) *linkwatch.Monitor {
	return &linkwatch.Monitor{
		Name: name, URL: "https://status.example.com/" + name, Interval: time.Minute,
		CreatedAt: created(), UpdatedAt: created(),
	}
}

// storedMonitor is what a store returns for m.
func storedMonitor(m linkwatch.Monitor) linkwatch.Monitor {
	m.CreatedAt, m.UpdatedAt = ms(m.CreatedAt), ms(m.UpdatedAt)
	m.Expect = storedExpect(m.Expect)
	return m
}

func createMonitor(t *testing.T, s Store, m *linkwatch.Monitor) *linkwatch.Monitor {
	t.Helper()
	if err := s.CreateMonitor(t.Context(), m); err != nil {
		t.Fatalf("CreateMonitor(%q): %v", m.Name, err)
	}
	return m
}

func equalMonitor(t *testing.T, what string, got *linkwatch.Monitor, want linkwatch.Monitor) {
	t.Helper()
	want = storedMonitor(want)
	if got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testMonitorRoundTrip(t *testing.T, s Store) {
	if ms, err := s.ListMonitors(t.Context()); err != nil || ms == nil || len(ms) != 0 {
		t.Errorf("ListMonitors of an empty store = %#v, %v; want an empty, non-nil list", ms, err)
	}
	m := newMonitor("api")
	m.Interval = 30 * time.Second
	m.Cron = "*/5 * * * *"
	m.Expect = linkwatch.Expectation{Statuses: []int{200, 204}, Keyword: "healthy", MaxLatency: 750*time.Millisecond + 999*time.Microsecond}
	m.UpdatedAt = created().Add(time.Hour)
	given := *m
	createMonitor(t, s, m)
	if m.ID <= 0 {
		t.Fatalf("CreateMonitor set ID %d, want > 0", m.ID)
	}
	given.ID = m.ID
	equalMonitor(t, "CreateMonitor leaves the monitor as stored", m, given)
	got, err := s.MonitorByID(t.Context(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	equalMonitor(t, "MonitorByID", got, given)
	if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
		t.Errorf("times are in %v and %v, want UTC", got.CreatedAt.Location(), got.UpdatedAt.Location())
	}

	plain := createMonitor(t, s, newMonitor("plain"))
	if plain.ID <= m.ID {
		t.Errorf("IDs %d then %d, want increasing", m.ID, plain.ID)
	}
	list, err := s.ListMonitors(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("ListMonitors returned %d monitors, want 2", len(list))
	}
	equalMonitor(t, "first listed", list[0], given)
	wantPlain := *newMonitor("plain")
	wantPlain.ID = plain.ID
	equalMonitor(t, "second listed", list[1], wantPlain)
	if list[1].Expect.Statuses != nil {
		t.Errorf("a monitor without expected statuses reads back %#v, want nil", list[1].Expect.Statuses)
	}
}

func testMonitorUpdate(t *testing.T, s Store) {
	m := createMonitor(t, s, newMonitor("edit"))
	later := created().Add(36 * time.Hour)
	change := func(m *linkwatch.Monitor) {
		m.Name = "edited"
		m.URL = "https://example.org/health"
		m.Interval = 5 * time.Minute
		m.Cron = "@hourly"
		m.Expect = linkwatch.Expectation{Statuses: []int{301}, Keyword: "moved", MaxLatency: 3 * time.Second}
		m.UpdatedAt = later
	}
	want := *m
	change(&want)
	got, err := s.UpdateMonitor(t.Context(), m.ID, func(m *linkwatch.Monitor) error {
		change(m)
		m.ID, m.CreatedAt = 999, created().Add(time.Hour) // cannot be changed
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	equalMonitor(t, "UpdateMonitor result", got, want)
	got, err = s.MonitorByID(t.Context(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	equalMonitor(t, "after UpdateMonitor", got, want)

	// Clearing fields clears them in the store.
	got, err = s.UpdateMonitor(t.Context(), m.ID, func(m *linkwatch.Monitor) error {
		m.Cron, m.Expect = "", linkwatch.Expectation{}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want.Cron, want.Expect = "", linkwatch.Expectation{}
	equalMonitor(t, "cleared by UpdateMonitor", got, want)
	got, _ = s.MonitorByID(t.Context(), m.ID)
	equalMonitor(t, "after clearing", got, want)
}

func testMonitorUpdateRollback(t *testing.T, s Store) {
	m := createMonitor(t, s, newMonitor("keep"))
	refused := linkwatch.FieldErrorf("url", "no")
	got, err := s.UpdateMonitor(t.Context(), m.ID, func(m *linkwatch.Monitor) error {
		m.URL = "https://example.com/half-done"
		return refused
	})
	if err != refused {
		t.Errorf("UpdateMonitor returned %v (%T), want fn's error unchanged", err, err)
	}
	if got != nil {
		t.Errorf("UpdateMonitor returned monitor %+v with an error", got)
	}
	after, err := s.MonitorByID(t.Context(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	equalMonitor(t, "after a refused update", after, *m)
}

func testMonitorNotFound(t *testing.T, s Store) {
	m := createMonitor(t, s, newMonitor("only"))
	_, err := s.MonitorByID(t.Context(), m.ID+1)
	wantCode(t, "MonitorByID of a missing monitor", err, linkwatch.ENOTFOUND)
	called := false
	_, err = s.UpdateMonitor(t.Context(), m.ID+1, func(*linkwatch.Monitor) error {
		called = true
		return nil
	})
	wantCode(t, "UpdateMonitor of a missing monitor", err, linkwatch.ENOTFOUND)
	if called {
		t.Error("UpdateMonitor called fn for a missing monitor")
	}
	wantCode(t, "DeleteMonitor of a missing monitor", s.DeleteMonitor(t.Context(), m.ID+1), linkwatch.ENOTFOUND)
}

// testMonitorDeleteCascade: deleting a monitor deletes its results, rollups
// and latest results, and nothing of other monitors or of the link with the
// same ID.
func testMonitorDeleteCascade(t *testing.T, s Store) {
	gone := createMonitor(t, s, newMonitor("gone"))
	kept := createMonitor(t, s, newMonitor("kept"))
	targets := []linkwatch.Target{
		{Kind: linkwatch.KindMonitor, ID: gone.ID},
		{Kind: linkwatch.KindMonitor, ID: kept.ID},
		{Kind: linkwatch.KindLink, ID: gone.ID}, // same number, other kind
	}
	var batch []linkwatch.Result
	for i, tg := range targets {
		for j, region := range []string{"eu", "us"} {
			batch = append(batch, result(tg, region, noon().Add(time.Duration(i*2+j)*time.Minute)))
		}
	}
	insertResults(t, s, batch)
	if err := s.DeleteMonitor(t.Context(), gone.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.MonitorByID(t.Context(), gone.ID)
	wantCode(t, "MonitorByID after DeleteMonitor", err, linkwatch.ENOTFOUND)
	wantCode(t, "DeleteMonitor twice", s.DeleteMonitor(t.Context(), gone.ID), linkwatch.ENOTFOUND)
	for i, tg := range targets {
		want := 2
		if i == 0 {
			want = 0
		}
		if n := len(results(t, s, tg)); n != want {
			t.Errorf("%v has %d results after deleting monitor %d, want %d", tg, n, gone.ID, want)
		}
		if n := len(latest(t, s, tg)); n != want {
			t.Errorf("%v has %d latest results after deleting monitor %d, want %d", tg, n, gone.ID, want)
		}
		for _, res := range []time.Duration{linkwatch.Hourly, linkwatch.Daily} {
			if n := len(rollups(t, s, tg, res)); n != want {
				t.Errorf("%v has %d rollups of %v after deleting monitor %d, want %d", tg, n, res, gone.ID, want)
			}
		}
	}
	if list, _ := s.ListMonitors(t.Context()); len(list) != 1 || list[0].ID != kept.ID {
		t.Errorf("ListMonitors after DeleteMonitor = %v, want only monitor %d", list, kept.ID)
	}
}
