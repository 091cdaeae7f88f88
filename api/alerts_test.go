package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/alerting"
)

// TestAlertsResolved: ?state=resolved lists alerts resolved in the last
// 24 hours, though the engine settles them to ok seconds after; older
// resolutions are ok, and an alert firing again is firing.
func TestAlertsResolved(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	fence, ok, err := e.store.Lease(ctx, alerting.EvaluatorLease, "t", time.Minute, testNow)
	if err != nil || !ok {
		t.Fatal(err)
	}
	save := func(key string, s alerting.AlertState) {
		a := alerting.StoredAlert{Key: key, Rule: "link_down", Severity: "critical", Scope: "link/" + key,
			Summary: key, UpdatedAt: testNow, State: s}
		if err := e.store.SaveAlerts(ctx, fence, []alerting.StoredAlert{a}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	h := time.Hour
	save("settled", alerting.AlertState{Phase: alerting.PhaseOK, Since: testNow.Add(-h), FiredAt: testNow.Add(-2 * h), ResolvedAt: testNow.Add(-h)})
	save("resolved", alerting.AlertState{Phase: alerting.PhaseResolved, Since: testNow.Add(-time.Second),
		FiredAt: testNow.Add(-h), ResolvedAt: testNow.Add(-time.Second)})
	save("old", alerting.AlertState{Phase: alerting.PhaseOK, Since: testNow.Add(-25 * h), FiredAt: testNow.Add(-26 * h), ResolvedAt: testNow.Add(-25 * h)})
	save("again", alerting.AlertState{Phase: alerting.PhaseFiring, Since: testNow.Add(-time.Minute), FiredAt: testNow.Add(-time.Minute),
		ResolvedAt: time.Time{}})
	save("never", alerting.AlertState{Phase: alerting.PhaseOK, Since: testNow.Add(-h)})
	list := func(query string) []string {
		var out struct{ Alerts []AlertDoc }
		e.mustDo("GET", "/api/v1/alerts"+query, e.read, "", 200, &out)
		var keys []string
		for _, a := range out.Alerts {
			keys = append(keys, a.Key+"="+a.State)
		}
		return keys
	}
	for query, want := range map[string]string{
		"?state=resolved": "resolved=resolved settled=resolved",
		"":                "again=firing resolved=resolved settled=resolved",
		"?state=ok":       "never=ok old=ok",
	} {
		if got := list(query); strings.Join(got, " ") != want {
			t.Errorf("GET /alerts%s = %v, want %s", query, got, want)
		}
	}
}
