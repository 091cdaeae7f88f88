package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/alerting"
)

// saveAlert stores an alert as the engine would.
func (e *frameEnv) saveAlert(a alerting.StoredAlert) {
	e.t.Helper()
	ctx := context.Background()
	fence, ok, err := e.store.Lease(ctx, alerting.EvaluatorLease, "test", time.Minute, e.clock.now())
	if err != nil || !ok {
		e.t.Fatalf("lease: %v %v", ok, err)
	}
	a.UpdatedAt = e.clock.now()
	if err := e.store.SaveAlerts(ctx, fence, []alerting.StoredAlert{a}, nil, nil); err != nil {
		e.t.Fatal(err)
	}
}

var endForm = regexp.MustCompile(`action="(/dashboard/alerts/silences/[^/"]+/end)"`)

func TestAlertsAndSilences(t *testing.T) {
	e := newD3Env(t)
	now := e.clock.now()
	e.saveAlert(alerting.StoredAlert{Key: "link_down/link/1", Rule: "link_down", Severity: "critical", Scope: "link/1",
		Labels:  map[string]string{"rule": "link_down", "severity": "critical", "link": "spring", "campaign": "spring,print"},
		Summary: "spring is down in 2 of 3 regions", State: alerting.AlertState{Phase: alerting.PhaseFiring, Since: now.Add(-time.Hour), FiredAt: now.Add(-time.Hour)}})
	e.saveAlert(alerting.StoredAlert{Key: "link_down/link/2", Rule: "link_down", Severity: "critical", Scope: "link/2",
		Labels:  map[string]string{"rule": "link_down", "severity": "critical", "link": "autumn"},
		Summary: "autumn recovered", State: alerting.AlertState{Phase: alerting.PhaseOK, Since: now.Add(-time.Hour), FiredAt: now.Add(-3 * time.Hour), ResolvedAt: now.Add(-time.Hour)}})
	e.saveAlert(alerting.StoredAlert{Key: "link_down/link/3", Rule: "link_down", Severity: "critical", Scope: "link/3",
		Labels:  map[string]string{"rule": "link_down", "link": "ancient"},
		Summary: "ancient recovered long ago", State: alerting.AlertState{Phase: alerting.PhaseOK, Since: now.Add(-48 * time.Hour), FiredAt: now.Add(-50 * time.Hour), ResolvedAt: now.Add(-48 * time.Hour)}})

	// A read session sees the alerts and no control, and may not silence.
	r := e.browser()
	rcsrf := r.mustSignIn(e.read)
	code, _, page := r.get("/dashboard/alerts")
	if code != http.StatusOK {
		t.Fatalf("alerts: %d\n%s\n%s", code, page, e.logs)
	}
	if !increasing(order(t, page, "Firing now", "spring is down in 2 of 3 regions", "Resolved in the last 24 hours", "autumn recovered")) {
		t.Errorf("alerts page out of order:\n%s", page)
	}
	if strings.Contains(page, "ancient") {
		t.Error("an alert resolved two days ago is listed")
	}
	if strings.Contains(page, "/dashboard/alerts/silence") {
		t.Error("a read session sees the silence controls")
	}
	silence := url.Values{"key": {"link_down/link/1"}, "for": {"1h"}}
	silence.Set("csrf", rcsrf)
	if resp, _ := r.post("/dashboard/alerts/silence", silence); resp.StatusCode != http.StatusForbidden {
		t.Errorf("read session's silence: %d, want 403", resp.StatusCode)
	}

	b := e.browser()
	csrf := b.mustSignIn(e.admin)
	silence.Del("csrf")
	if resp, _ := b.post("/dashboard/alerts/silence", silence); resp.StatusCode != http.StatusForbidden {
		t.Errorf("silence without CSRF: %d, want 403", resp.StatusCode)
	}
	if list, _ := e.store.ListSilences(context.Background()); len(list) != 0 {
		t.Fatalf("refused requests created silences: %+v", list)
	}
	if resp, _ := b.post("/dashboard/alerts/silence", url.Values{"csrf": {csrf}, "key": {"link_down/link/2"}, "for": {"1h"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("silencing a resolved alert: %d, want 422", resp.StatusCode)
	}

	for _, tt := range []struct {
		length string
		end    time.Duration
	}{{"4h", 4 * time.Hour}, {"resolved", alerting.UntilResolvedBound}} {
		resp, body := b.post("/dashboard/alerts/silence", url.Values{"csrf": {csrf}, "key": {"link_down/link/1"}, "for": {tt.length}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("silence %s: %d\n%s", tt.length, resp.StatusCode, body)
		}
	}
	list, err := e.store.ListSilences(context.Background())
	if err != nil || len(list) != 2 {
		t.Fatalf("silences = %+v, %v; want 2", list, err)
	}
	labels := map[string]string{"rule": "link_down", "severity": "critical", "link": "spring", "campaign": "spring,print"}
	other := map[string]string{"rule": "link_down", "severity": "critical", "link": "autumn"}
	ends, tied := map[time.Duration]bool{}, map[string]bool{}
	for _, s := range list {
		tied[s.UntilResolved] = true
		if !s.Matches(labels) || s.Matches(other) {
			t.Errorf("silence %v does not select exactly the alert", s.Matchers)
		}
		ends[s.End.Sub(now)] = true
		if s.Author != "editor <b>bold</b>" {
			t.Errorf("silence author %q, want the session's token", s.Author)
		}
	}
	if !ends[4*time.Hour] || !ends[alerting.UntilResolvedBound] {
		t.Errorf("silence ends %v, want 4h and %v from now", ends, alerting.UntilResolvedBound)
	}
	// "Until resolved" is the engine's: the silence names its alert, and
	// the engine ends it when the alert resolves.
	if !tied[""] || !tied["link_down/link/1"] {
		t.Errorf("silences tied to alerts %v, want one to link_down/link/1 and one to none", tied)
	}
	_, _, page = b.get("/dashboard/alerts?silenced=link_down%2Flink%2F1")
	for _, want := range []string{"Silenced link_down/link/1.", "silenced</span> until", "until it resolves", "when its alert resolves, at the latest", "editor &lt;b&gt;bold&lt;/b&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("alerts page lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>bold</b>") {
		t.Error("a token name is not escaped")
	}

	// Either silence can be ended now.
	forms := endForm.FindAllStringSubmatch(page, -1)
	if len(forms) != 2 {
		t.Fatalf("%d end controls, want 2", len(forms))
	}
	if resp, _ := b.post(forms[0][1], url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("end silence: %d", resp.StatusCode)
	}
	list, _ = e.store.ListSilences(context.Background())
	active := 0
	for _, s := range list {
		if s.Active(e.clock.now()) {
			active++
		}
	}
	if active != 1 {
		t.Errorf("%d silences active after ending one of 2", active)
	}
}
