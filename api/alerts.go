package api

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// Alerts is what the alerts endpoint needs from storage.
type Alerts interface {
	Alerts(ctx context.Context) ([]alerting.StoredAlert, error)
}

// AlertDoc is an alert as GET /alerts lists it; the dashboard reads it too.
type AlertDoc struct {
	Key        string            `json:"key"`
	Rule       string            `json:"rule"`
	Severity   string            `json:"severity"`
	Scope      string            `json:"scope"`
	Summary    string            `json:"summary"`
	Labels     map[string]string `json:"labels"`
	State      string            `json:"state"`
	Since      time.Time         `json:"since"`
	FiredAt    *time.Time        `json:"fired_at"`
	ResolvedAt *time.Time        `json:"resolved_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// resolvedFor is how long a resolved alert is listed as resolved: the
// engine settles it to ok at its next clear evaluation, seconds later.
const resolvedFor = 24 * time.Hour

// listAlerts shows alerts that are pending, firing or resolved in the last
// 24 hours (ok ones only with ?state=ok), filtered by state, severity and
// campaign tag, firing and critical first.
func (a *API) listAlerts() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		state, severity, tag := q.Get("state"), q.Get("severity"), q.Get("tag")
		if state != "" && !slices.Contains([]string{"ok", "pending", "firing", "resolved"}, state) {
			writeError(w, r, a.log, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: "state", Message: "state must be ok, pending, firing or resolved"})
			return
		}
		all, err := a.alerts.Alerts(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		out := struct {
			Alerts []AlertDoc `json:"alerts"`
		}{Alerts: []AlertDoc{}}
		now := a.now()
		for _, al := range all {
			phase := string(al.State.Phase)
			if phase == "" {
				phase = string(alerting.PhaseOK)
			}
			if phase == string(alerting.PhaseOK) && recentlyResolved(al.State, now) {
				phase = string(alerting.PhaseResolved)
			}
			switch {
			case state != "" && phase != state, state == "" && phase == string(alerting.PhaseOK),
				severity != "" && al.Severity != severity,
				tag != "" && !slices.Contains(strings.Split(al.Labels["campaign"], ","), tag):
				continue
			}
			out.Alerts = append(out.Alerts, AlertDoc{Key: al.Key, Rule: al.Rule, Severity: al.Severity, Scope: al.Scope,
				Summary: al.Summary, Labels: al.Labels, State: phase, Since: al.State.Since,
				FiredAt: optTime(al.State.FiredAt), ResolvedAt: optTime(al.State.ResolvedAt), UpdatedAt: al.UpdatedAt})
		}
		rank := map[string]int{"firing": 0, "pending": 1, "resolved": 2, "ok": 3}
		sev := map[string]int{alerting.SeverityCritical: 0, alerting.SeverityWarning: 1, alerting.SeverityInfo: 2}
		sort.SliceStable(out.Alerts, func(i, j int) bool {
			x, y := out.Alerts[i], out.Alerts[j]
			if rank[x.State] != rank[y.State] {
				return rank[x.State] < rank[y.State]
			}
			if sev[x.Severity] != sev[y.Severity] {
				return sev[x.Severity] < sev[y.Severity]
			}
			return x.Key < y.Key
		})
		writeJSON(w, http.StatusOK, out)
	})
}

// recentlyResolved reports that s's last firing resolved within
// resolvedFor of now.
func recentlyResolved(s alerting.AlertState, now time.Time) bool {
	return !s.ResolvedAt.IsZero() && !s.ResolvedAt.Before(s.FiredAt) && now.Sub(s.ResolvedAt) < resolvedFor
}
