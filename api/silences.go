package api

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// Silences is what the silence and maintenance endpoints need from storage.
type Silences interface {
	CreateSilence(ctx context.Context, s *alerting.Silence) error
	ListSilences(ctx context.Context) ([]alerting.Silence, error)
	ExpireSilence(ctx context.Context, id string, at time.Time) error
	CreateMaintenance(ctx context.Context, m *alerting.Maintenance) error
	ListMaintenances(ctx context.Context) ([]alerting.Maintenance, error)
	DeleteMaintenance(ctx context.Context, id string) error
}

// SilenceDoc is a silence as GET /silences lists it.
type SilenceDoc struct {
	ID        string    `json:"id"`
	Matchers  []string  `json:"matchers"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Author    string    `json:"author"`
	Comment   string    `json:"comment"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	// UntilResolved is the key of the alert whose resolution ends the
	// silence early; absent for an ordinary silence.
	UntilResolved string `json:"until_resolved,omitempty"`
}

func newSilenceJSON(s alerting.Silence, now time.Time) SilenceDoc {
	return SilenceDoc{s.ID, matcherStrings(s.Matchers), s.Start, s.End, s.Author, s.Comment, s.Active(now), s.CreatedAt, s.UntilResolved}
}

func matcherStrings(ms []alerting.Matcher) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out
}

// matchers are label matchers in the compact form, parsed while decoding.
type matchers []alerting.Matcher

func (m *matchers) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &fieldError{"matchers", `must be a string such as "{campaign=\"spring\"}"`}
	}
	ms, err := alerting.ParseMatchers(s)
	if err != nil {
		return &fieldError{"matchers", linkwatch.ErrorMessage(err)}
	}
	*m = ms
	return nil
}

// createSilenceRequest: matchers in the compact form
// {campaign="spring", severity=~"critical|warning"}; start defaults to now.
// With until_resolved (the key of a pending or firing alert) the silence
// starts now and also ends when that alert resolves; matchers default to
// every label of the alert, and given ones must match it; end defaults to
// alerting.UntilResolvedBound from now.
type createSilenceRequest struct {
	Matchers      matchers   `json:"matchers"`
	Start         *startTime `json:"start"`
	End           *endTime   `json:"end"`
	Author        string     `json:"author"`
	Comment       string     `json:"comment"`
	UntilResolved string     `json:"until_resolved"`
}

func (a *API) createSilence() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req createSilenceRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now().UTC().Truncate(time.Millisecond)
		s := &alerting.Silence{ID: linkwatch.NewID(), Matchers: req.Matchers, Start: now, Author: req.Author, Comment: req.Comment, CreatedAt: now}
		if req.Author == "" {
			s.Author = tokenName(r)
		}
		if req.Start != nil {
			s.Start = req.Start.T
		}
		if req.End != nil {
			s.End = req.End.T
		}
		if req.UntilResolved != "" {
			if err := a.untilResolved(r.Context(), s, req.Start != nil, req.End != nil, req.UntilResolved); err != nil {
				writeError(w, r, a.log, err)
				return
			}
		}
		if err := s.Validate(); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if err := a.silences.CreateSilence(r.Context(), s); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("silence created", "id", s.ID, "matchers", matcherStrings(s.Matchers), "end", s.End,
			"until_resolved", s.UntilResolved, "by", tokenName(r))
		writeJSON(w, http.StatusCreated, newSilenceJSON(*s, now))
	})
}

func (a *API) listSilences() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all, err := a.silences.ListSilences(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now()
		out := struct {
			Silences []SilenceDoc `json:"silences"`
		}{Silences: []SilenceDoc{}}
		for _, s := range all {
			out.Silences = append(out.Silences, newSilenceJSON(s, now))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// untilResolved ties s to the alert key names: the alert must be pending
// or firing, the silence starts now (start may not be given), its matchers
// default to every label of the alert and must match it, and its end
// defaults to alerting.UntilResolvedBound after its start.
func (a *API) untilResolved(ctx context.Context, s *alerting.Silence, start, end bool, key string) error {
	if start {
		return linkwatch.FieldErrorf("start", "a silence until an alert resolves starts now: leave start out")
	}
	alerts, err := a.alerts.Alerts(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(alerts, func(al alerting.StoredAlert) bool { return al.Key == key })
	if i < 0 || alerts[i].State.Phase != alerting.PhasePending && alerts[i].State.Phase != alerting.PhaseFiring {
		return linkwatch.FieldErrorf("until_resolved", "alert %q is not pending or firing", key)
	}
	labels := alerts[i].Labels
	if len(s.Matchers) == 0 {
		names := slices.Sorted(maps.Keys(labels))
		for _, n := range names {
			s.Matchers = append(s.Matchers, alerting.Matcher{Name: n, Op: alerting.MatchEqual, Value: labels[n]})
		}
	} else if !s.Matches(labels) {
		return linkwatch.FieldErrorf("matchers", "the matchers do not match alert %q", key)
	}
	if !end {
		s.End = s.Start.Add(alerting.UntilResolvedBound)
	}
	s.UntilResolved = key
	return nil
}

// expireSilence ends a silence now; it stays listed for history.
func (a *API) expireSilence() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if err := a.silences.ExpireSilence(r.Context(), id, a.now().UTC()); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("silence expired", "id", id, "by", tokenName(r))
		w.WriteHeader(http.StatusNoContent)
	})
}

type maintenanceJSON struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Matchers []string   `json:"matchers"`
	Start    *time.Time `json:"start,omitempty"`
	End      *time.Time `json:"end,omitempty"`
	Cron     string     `json:"cron,omitempty"`
	Duration string     `json:"duration,omitempty"`
	Active   bool       `json:"active"`
}

func newMaintenanceJSON(m alerting.Maintenance, now time.Time) maintenanceJSON {
	j := maintenanceJSON{ID: m.ID, Name: m.Name, Matchers: matcherStrings(m.Matchers), Cron: m.Cron, Active: m.Active(now),
		Start: optTime(m.Start), End: optTime(m.End)}
	if m.Duration > 0 {
		j.Duration = m.Duration.String()
	}
	return j
}

// createMaintenanceRequest is one-off (start, end) or recurring (cron,
// duration).
type createMaintenanceRequest struct {
	Name     string     `json:"name"`
	Matchers matchers   `json:"matchers"`
	Start    *startTime `json:"start"`
	End      *endTime   `json:"end"`
	Cron     string     `json:"cron"`
	Duration latency    `json:"duration"`
}

func (a *API) createMaintenance() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req createMaintenanceRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		m := &alerting.Maintenance{ID: linkwatch.NewID(), Name: req.Name, Matchers: req.Matchers, Cron: req.Cron, Duration: time.Duration(req.Duration)}
		if req.Start != nil {
			m.Start = req.Start.T
		}
		if req.End != nil {
			m.End = req.End.T
		}
		if err := m.Validate(); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if err := a.silences.CreateMaintenance(r.Context(), m); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("maintenance created", "id", m.ID, "name", m.Name, "by", tokenName(r))
		writeJSON(w, http.StatusCreated, newMaintenanceJSON(*m, a.now()))
	})
}

func (a *API) listMaintenances() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all, err := a.silences.ListMaintenances(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now()
		out := struct {
			Maintenances []maintenanceJSON `json:"maintenances"`
		}{Maintenances: []maintenanceJSON{}}
		for _, m := range all {
			out.Maintenances = append(out.Maintenances, newMaintenanceJSON(m, now))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (a *API) deleteMaintenance() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if err := a.silences.DeleteMaintenance(r.Context(), id); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("maintenance deleted", "id", id, "by", tokenName(r))
		w.WriteHeader(http.StatusNoContent)
	})
}
