package storagetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/storage"
)

// evaluator takes the evaluator lease for holder at noon and returns its
// fence.
func evaluator(t *testing.T, s Store, holder string) int64 {
	t.Helper()
	fence, ok, err := s.Lease(t.Context(), storage.EvaluatorLease, holder, time.Minute, noon())
	if err != nil || !ok {
		t.Fatalf("Lease(%q) = %d, %v, %v; want it taken", holder, fence, ok, err)
	}
	return fence
}

// storedState is what a store returns for s: times in UTC to the
// millisecond.
func storedState(s alerting.AlertState) alerting.AlertState {
	s.Since, s.PendingSince, s.LastBreach = ms(s.Since), ms(s.PendingSince), ms(s.LastBreach)
	s.FiredAt, s.ResolvedAt = ms(s.FiredAt), ms(s.ResolvedAt)
	return s
}

// storedAlert is what a store returns for a: times in UTC to the
// millisecond, no labels as nil.
func storedAlert(a alerting.StoredAlert) alerting.StoredAlert {
	a.UpdatedAt, a.State = ms(a.UpdatedAt), storedState(a.State)
	if len(a.Labels) == 0 {
		a.Labels = nil
	}
	return a
}

func alerts(t *testing.T, s Store) []alerting.StoredAlert {
	t.Helper()
	as, err := s.Alerts(t.Context())
	if err != nil {
		t.Fatalf("Alerts: %v", err)
	}
	return as
}

func equalAlerts(t *testing.T, what string, got []alerting.StoredAlert, want ...alerting.StoredAlert) {
	t.Helper()
	for i := range want {
		want[i] = storedAlert(want[i])
	}
	if want == nil {
		want = []alerting.StoredAlert{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// firing returns a firing alert of rule link_down over link slug.
func firing(slug string) alerting.StoredAlert {
	at := created() // in zone(), with nanoseconds
	return alerting.StoredAlert{
		Key: "link_down/link:" + slug, Rule: "link_down", Severity: alerting.SeverityCritical, Scope: "link:" + slug,
		Labels: map[string]string{"team": "growth", "campaign": "spring-\"24\""}, Summary: slug + " is down in 2 of 3 regions",
		State: alerting.AlertState{Phase: alerting.PhaseFiring, Since: at, PendingSince: at.Add(-time.Minute),
			ConsecutiveBreaches: 3, LastBreach: at.Add(time.Second), FiredAt: at},
		UpdatedAt: at.Add(time.Second),
	}
}

func testAlertsRoundTrip(t *testing.T, s Store) {
	if got := alerts(t, s); got == nil || len(got) != 0 {
		t.Errorf("Alerts without alerts = %#v, want an empty, non-nil list", got)
	}
	fence := evaluator(t, s, "control-1")
	if err := s.SaveAlerts(t.Context(), fence, nil, nil, nil); err != nil {
		t.Errorf("SaveAlerts of nothing: %v", err)
	}
	b, a := firing("b"), firing("a")
	bare := alerting.StoredAlert{Key: "pool_saturation", Rule: "pool_saturation", Labels: map[string]string{}}
	if err := s.SaveAlerts(t.Context(), fence, []alerting.StoredAlert{b, a, bare}, nil, nil); err != nil {
		t.Fatal(err)
	}
	equalAlerts(t, "Alerts", alerts(t, s), a, b, bare)
	for _, got := range alerts(t, s) {
		if !got.UpdatedAt.IsZero() && got.UpdatedAt.Location() != time.UTC || !got.State.Since.IsZero() && got.State.Since.Location() != time.UTC {
			t.Errorf("alert %s: times in %v and %v, want UTC", got.Key, got.UpdatedAt.Location(), got.State.Since.Location())
		}
	}

	// An upsert replaces every field; of a key twice in a batch, the last wins.
	resolved := a
	resolved.Severity, resolved.Summary, resolved.Labels = alerting.SeverityWarning, "a recovered", nil
	resolved.State.Phase, resolved.State.ResolvedAt = alerting.PhaseResolved, a.UpdatedAt.Add(time.Hour)
	resolved.UpdatedAt = a.UpdatedAt.Add(time.Hour)
	stale := a
	stale.Summary = "overwritten in the same batch"
	if err := s.SaveAlerts(t.Context(), fence, []alerting.StoredAlert{stale, resolved}, nil, nil); err != nil {
		t.Fatal(err)
	}
	equalAlerts(t, "Alerts after an upsert", alerts(t, s), resolved, b, bare)

	err := s.SaveAlerts(t.Context(), fence, []alerting.StoredAlert{{Rule: "keyless"}}, nil, nil)
	wantCode(t, "SaveAlerts of an alert without a key", err, linkwatch.EINVALID)
	err = s.SaveAlerts(t.Context(), fence, nil, []alerting.Outgoing{{Notification: alerting.Notification{ID: "n"}}}, nil)
	wantCode(t, "SaveAlerts of a notification without a receiver", err, linkwatch.EINVALID)
	equalAlerts(t, "Alerts after refused saves", alerts(t, s), resolved, b, bare)
}

// testAlertsFence: SaveAlerts writes only with the evaluator lease's current
// fence, and a refused save writes neither alerts nor notifications.
func testAlertsFence(t *testing.T, s Store) {
	save := func(fence int64, slug string) error {
		out := []alerting.Outgoing{outgoing("slack", slug, 1)}
		return s.SaveAlerts(t.Context(), fence, []alerting.StoredAlert{firing(slug)}, out, nil)
	}
	wantCode(t, "SaveAlerts before anyone took the lease", save(0, "none"), linkwatch.ECONFLICT)
	wantCode(t, "SaveAlerts before anyone took the lease", save(1, "none"), linkwatch.ECONFLICT)
	// Another lease's fence is no evaluator fence.
	if _, ok, err := s.Lease(t.Context(), "prune", "control-1", time.Minute, noon()); err != nil || !ok {
		t.Fatalf("Lease(prune) = %v, %v", ok, err)
	}
	wantCode(t, "SaveAlerts with another lease's fence", save(1, "other"), linkwatch.ECONFLICT)
	fence := evaluator(t, s, "control-1")
	for _, bad := range []int64{0, fence - 1, fence + 1, -fence} {
		wantCode(t, fmt.Sprintf("SaveAlerts with fence %d when it is %d", bad, fence), save(bad, "bad"), linkwatch.ECONFLICT)
	}
	equalAlerts(t, "Alerts after refused saves", alerts(t, s))
	if due := due(t, s, end, 0); len(due) != 0 {
		t.Errorf("refused saves enqueued %+v", due)
	}
	if err := save(fence, "good"); err != nil {
		t.Errorf("SaveAlerts with the current fence: %v", err)
	}
	equalAlerts(t, "Alerts after a save with the current fence", alerts(t, s), firing("good"))
	if due := due(t, s, end, 0); len(due) != 1 {
		t.Errorf("after a save with the current fence, %d notifications due, want 1", len(due))
	}
}
