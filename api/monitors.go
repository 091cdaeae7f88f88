package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober/schedule"
)

// Monitors is what the monitor API needs from storage.
type Monitors interface {
	CreateMonitor(ctx context.Context, m *linkwatch.Monitor) error
	MonitorByID(ctx context.Context, id int64) (*linkwatch.Monitor, error)
	ListMonitors(ctx context.Context) ([]*linkwatch.Monitor, error)
	UpdateMonitor(ctx context.Context, id int64, fn func(*linkwatch.Monitor) error) (*linkwatch.Monitor, error)
	DeleteMonitor(ctx context.Context, id int64) error
}

type monitorJSON struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	URL           string `json:"url"`
	CheckInterval string `json:"check_interval"`
	Cron          string `json:"cron"`
	expectJSON
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newMonitorJSON(m *linkwatch.Monitor) monitorJSON {
	return monitorJSON{ID: m.ID, Name: m.Name, URL: m.URL, CheckInterval: m.Interval.String(), Cron: m.Cron,
		expectJSON: newExpectJSON(m.Expect), CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

type createMonitorRequest struct {
	Name          string   `json:"name"`
	URL           string   `json:"url"`
	CheckInterval duration `json:"check_interval"`
	Cron          string   `json:"cron"`
	expectRequest
}

type patchMonitorRequest struct {
	Name          optional[string]   `json:"name"`
	URL           optional[string]   `json:"url"`
	CheckInterval optional[duration] `json:"check_interval"`
	Cron          optional[string]   `json:"cron"`
	expectPatch
}

// validateMonitor checks a monitor, its cron specification included.
func validateMonitor(m *linkwatch.Monitor) error {
	if m.Interval == 0 {
		m.Interval = linkwatch.DefaultInterval
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if m.Cron != "" {
		if _, err := schedule.ParseCron(m.Cron); err != nil {
			return linkwatch.FieldErrorf("cron", "%v", err)
		}
	}
	return nil
}

func (a *API) createMonitor() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req createMonitorRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now().UTC()
		m := &linkwatch.Monitor{Name: req.Name, URL: req.URL, Interval: time.Duration(req.CheckInterval), Cron: req.Cron,
			Expect: req.expectation(), CreatedAt: now, UpdatedAt: now}
		if err := validateMonitor(m); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if err := a.monitors.CreateMonitor(r.Context(), m); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("monitor created", "id", m.ID, "name", m.Name, "by", tokenName(r))
		a.signal(r.Context(), linkwatch.MonitorSignal(m.ID))
		w.Header().Set("Location", "/api/v1/monitors/"+strconv.FormatInt(m.ID, 10))
		writeJSON(w, http.StatusCreated, newMonitorJSON(m))
	})
}

// monitorID reads {id}; a malformed id is a 404, as no monitor has it.
func monitorID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, linkwatch.Errorf(linkwatch.ENOTFOUND, "no monitor %q", chi.URLParam(r, "id"))
	}
	return id, nil
}

// monitorParam loads the monitor {id} names.
func (a *API) monitorParam(r *http.Request) (*linkwatch.Monitor, error) {
	id, err := monitorID(r)
	if err != nil {
		return nil, err
	}
	return a.monitors.MonitorByID(r.Context(), id)
}

func (a *API) getMonitor() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := a.monitorParam(r)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		writeJSON(w, http.StatusOK, newMonitorJSON(m))
	})
}

func (a *API) listMonitors() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms, err := a.monitors.ListMonitors(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		out := struct {
			Monitors []monitorJSON `json:"monitors"`
		}{Monitors: []monitorJSON{}}
		for _, m := range ms {
			out.Monitors = append(out.Monitors, newMonitorJSON(m))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (a *API) updateMonitor() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req patchMonitorRequest
		id, err := monitorID(r)
		if err == nil {
			err = decodeJSON(r, &req)
		}
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now().UTC()
		m, err := a.monitors.UpdateMonitor(r.Context(), id, func(m *linkwatch.Monitor) error {
			if req.Name.Set {
				m.Name = req.Name.V
			}
			if req.URL.Set {
				m.URL = req.URL.V
			}
			if req.CheckInterval.Set {
				m.Interval = time.Duration(req.CheckInterval.V) // null: back to the default
			}
			if req.Cron.Set {
				m.Cron = req.Cron.V
			}
			req.expectPatch.apply(&m.Expect)
			m.UpdatedAt = now
			return validateMonitor(m)
		})
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("monitor updated", "id", m.ID, "by", tokenName(r))
		a.signal(r.Context(), linkwatch.MonitorSignal(m.ID))
		writeJSON(w, http.StatusOK, newMonitorJSON(m))
	})
}

func (a *API) deleteMonitor() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := monitorID(r)
		if err == nil {
			err = a.monitors.DeleteMonitor(r.Context(), id)
		}
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("monitor deleted", "id", id, "by", tokenName(r))
		a.signal(r.Context(), linkwatch.MonitorDeletedSignal(id))
		w.WriteHeader(http.StatusNoContent)
	})
}
