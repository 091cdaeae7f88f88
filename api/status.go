package api

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/statuspage"
)

// StatusPage is what the status-page endpoints need: its store, the
// components as the page sees them (the configuration's and the API's),
// and a way to have the page rebuilt at once after a change.
type StatusPage interface {
	statuspage.Store
	Components(ctx context.Context) ([]statuspage.Component, error)
	// Changed has the page rebuilt at once; the rebuild also queues new
	// incident updates for subscribers.
	Changed()
}

// componentRequest is a component as the API takes it.
type componentRequest struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Description        string `json:"description"`
	Position           int    `json:"position"`
	GroupID            string `json:"group_id"`
	Group              bool   `json:"group"`
	OnlyShowIfDegraded bool   `json:"only_show_if_degraded"`
	Showcase           bool   `json:"showcase"`
	Link               string `json:"link"`
	Tag                string `json:"tag"`
	Monitor            string `json:"monitor"`
	AutoIncident       string `json:"auto_incident"`
	StartDate          string `json:"start_date"` // 2006-01-02
}

func (req componentRequest) component() (statuspage.Component, error) {
	c := statuspage.Component{ID: req.ID, Name: req.Name, Description: req.Description, Position: req.Position, GroupID: req.GroupID,
		Group: req.Group, OnlyShowIfDegraded: req.OnlyShowIfDegraded, Showcase: req.Showcase, Link: req.Link, Tag: req.Tag,
		Monitor: req.Monitor, AutoIncident: req.AutoIncident}
	if req.StartDate != "" {
		d, err := time.Parse(time.DateOnly, req.StartDate)
		if err != nil {
			return c, linkwatch.FieldErrorf("start_date", "start_date must be a date such as 2026-11-23")
		}
		c.StartDate = d
	}
	return c, c.Validate()
}

func (a *API) listComponents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all, err := a.status.Components(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"components": all})
	})
}

// saveComponent creates (id "" in the URL) or replaces a component.
func (a *API) saveComponent(create bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req componentRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if !create {
			req.ID = chi.URLParam(r, "id")
		}
		c, err := req.component()
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		all, err := a.status.Components(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		i := slices.IndexFunc(all, func(x statuspage.Component) bool { return x.ID == c.ID })
		if i >= 0 && all[i].Source == "config" {
			writeError(w, r, a.log, linkwatch.Errorf(linkwatch.ECONFLICT, "component %q is declared in the configuration file; change it there", c.ID))
			return
		}
		next := slices.Clone(all)
		if i >= 0 {
			next[i] = c
		} else {
			next = append(next, c)
		}
		if err := statuspage.ValidateSet(next); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now().UTC().Truncate(time.Millisecond)
		status := http.StatusOK
		if create {
			c.CreatedAt, c.UpdatedAt, status = now, now, http.StatusCreated
			err = a.status.CreateComponent(r.Context(), &c)
		} else {
			var saved *statuspage.Component
			saved, err = a.status.UpdateComponent(r.Context(), c.ID, func(old *statuspage.Component) error {
				c.CreatedAt, c.UpdatedAt = old.CreatedAt, now
				*old = c
				return nil
			})
			if saved != nil {
				c = *saved
			}
		}
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		c.Source = "api"
		a.status.Changed()
		a.log.Info("status component saved", "component", c.ID, "by", tokenName(r))
		writeJSON(w, status, c)
	})
}

func (a *API) deleteComponent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		all, err := a.status.Components(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		for _, c := range all {
			if c.ID == id && c.Source == "config" {
				writeError(w, r, a.log, linkwatch.Errorf(linkwatch.ECONFLICT, "component %q is declared in the configuration file; remove it there", id))
				return
			}
			if c.GroupID == id {
				writeError(w, r, a.log, linkwatch.Errorf(linkwatch.ECONFLICT, "group %q still holds component %q", id, c.ID))
				return
			}
		}
		if err := a.status.DeleteComponent(r.Context(), id); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.status.Changed()
		w.WriteHeader(http.StatusNoContent)
	})
}

// incidentRequest opens an incident, or a scheduled maintenance when
// scheduled_for is set.
type incidentRequest struct {
	Name           string                `json:"name"`
	Status         string                `json:"status"`
	Impact         string                `json:"impact"`
	Body           string                `json:"body"`
	Components     []statuspage.Affected `json:"components"`
	Draft          bool                  `json:"draft"`
	Notify         *bool                 `json:"deliver_notifications"`
	ScheduledFor   *time.Time            `json:"scheduled_for"`
	ScheduledUntil *time.Time            `json:"scheduled_until"`
}

func (a *API) knownComponents(ctx context.Context) (func(string) bool, []statuspage.Component, error) {
	all, err := a.status.Components(ctx)
	if err != nil {
		return nil, nil, err
	}
	return func(id string) bool {
		return slices.ContainsFunc(all, func(c statuspage.Component) bool { return c.ID == id })
	}, all, nil
}

func (a *API) createIncident() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req incidentRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now().UTC().Truncate(time.Millisecond)
		in := &statuspage.Incident{ID: linkwatch.NewID(), Name: req.Name, Impact: req.Impact, Draft: req.Draft,
			CreatedAt: now, UpdatedAt: now, StartedAt: now, Components: []statuspage.Affected{}}
		if in.Impact == "" {
			in.Impact = statuspage.ImpactMinor
		}
		status := req.Status
		if req.ScheduledFor != nil || req.ScheduledUntil != nil {
			in.Maintenance = true
			if req.ScheduledFor != nil {
				in.ScheduledFor, in.StartedAt = req.ScheduledFor.UTC(), req.ScheduledFor.UTC()
			}
			if req.ScheduledUntil != nil {
				in.ScheduledUntil = req.ScheduledUntil.UTC()
			}
			if status == "" {
				status = statuspage.Scheduled
			}
			if req.Impact == "" {
				in.Impact = statuspage.ImpactMaintenance
			}
		} else if status == "" {
			status = statuspage.Investigating
		}
		in.Status = status
		in.AddUpdate(statuspage.Update{Status: status, Body: req.Body, Components: req.Components, Notify: req.Notify == nil || *req.Notify}, now)
		known, comps, err := a.knownComponents(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if err := in.Validate(known); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if err := a.status.CreateIncident(r.Context(), in); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if in.Maintenance {
			a.silenceMaintenance(r.Context(), in, comps)
		}
		a.status.Changed()
		a.log.Info("incident opened", "incident", in.ID, "maintenance", in.Maintenance, "by", tokenName(r))
		writeJSON(w, http.StatusCreated, in)
	})
}

// silenceMaintenance makes the alert engine treat a scheduled maintenance
// as a silence: a one-off alert maintenance window over its affected
// components' links, tags and monitors.
func (a *API) silenceMaintenance(ctx context.Context, in *statuspage.Incident, comps []statuspage.Component) {
	if a.silences == nil {
		return
	}
	for _, af := range in.Components {
		i := slices.IndexFunc(comps, func(c statuspage.Component) bool { return c.ID == af.ComponentID })
		if i < 0 {
			continue
		}
		c := comps[i]
		var m alerting.Matcher
		switch {
		case c.Link != "":
			m = alerting.Matcher{Name: "link", Op: alerting.MatchEqual, Value: c.Link}
		case c.Tag != "":
			q := regexp.QuoteMeta(c.Tag)
			m = alerting.Matcher{Name: "campaign", Op: alerting.MatchRegexp, Value: "(.*,)?" + q + "(,.*)?"}
		case c.Monitor != "":
			m = alerting.Matcher{Name: "monitor", Op: alerting.MatchEqual, Value: c.Monitor}
		default:
			continue
		}
		w := &alerting.Maintenance{ID: "status-" + in.ID + "-" + c.ID, Name: "status page: " + in.Name,
			Matchers: []alerting.Matcher{m}, Start: in.ScheduledFor, End: in.ScheduledUntil}
		if err := a.silences.CreateMaintenance(ctx, w); err != nil {
			a.log.Warn("could not mute alerts during a scheduled maintenance", "incident", in.ID, "component", c.ID, "err", err)
		}
	}
}

type updateRequest struct {
	Status     string                `json:"status"`
	Body       string                `json:"body"`
	Components []statuspage.Affected `json:"components"`
	Notify     *bool                 `json:"deliver_notifications"`
}

func (a *API) addIncidentUpdate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req updateRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		known, _, err := a.knownComponents(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now()
		in, err := a.status.UpdateIncident(r.Context(), chi.URLParam(r, "id"), func(in *statuspage.Incident) error {
			if req.Status == "" {
				req.Status = in.Status
			}
			in.AddUpdate(statuspage.Update{Status: req.Status, Body: req.Body, Components: req.Components, Notify: req.Notify == nil || *req.Notify}, now)
			return in.Validate(known)
		})
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.status.Changed()
		a.log.Info("incident updated", "incident", in.ID, "status", in.Status, "by", tokenName(r))
		writeJSON(w, http.StatusCreated, in)
	})
}

// patchIncident renames, changes the impact, or publishes a draft.
func (a *API) patchIncident() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Name   *string `json:"name"`
			Impact *string `json:"impact"`
			Draft  *bool   `json:"draft"`
		}
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		known, _, err := a.knownComponents(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now().UTC().Truncate(time.Millisecond)
		in, err := a.status.UpdateIncident(r.Context(), chi.URLParam(r, "id"), func(in *statuspage.Incident) error {
			if req.Name != nil {
				in.Name = *req.Name
			}
			if req.Impact != nil {
				in.Impact = *req.Impact
			}
			if req.Draft != nil {
				in.Draft = *req.Draft
			}
			in.UpdatedAt = now
			return in.Validate(known)
		})
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.status.Changed()
		writeJSON(w, http.StatusOK, in)
	})
}

func (a *API) getIncident() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := a.status.IncidentByID(r.Context(), chi.URLParam(r, "id"))
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		writeJSON(w, http.StatusOK, in)
	})
}

// listIncidents lists incidents (or ?maintenance=true scheduled
// maintenances), drafts included, newest first; ?unresolved=true,
// ?limit=, ?before= (RFC 3339) pages.
func (a *API) listIncidents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := statuspage.IncidentFilter{Drafts: true, Maintenance: q.Get("maintenance") == "true", Unresolved: q.Get("unresolved") == "true", Limit: 100}
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				writeError(w, r, a.log, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: "limit", Message: "limit must be from 1 to 1000"})
				return
			}
			f.Limit = n
		}
		if v := q.Get("before"); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, r, a.log, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: "before", Message: "before must be an RFC 3339 time"})
				return
			}
			f.Before = t
		}
		all, err := a.status.ListIncidents(r.Context(), f)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if all == nil {
			all = []statuspage.Incident{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"incidents": all})
	})
}

func (a *API) deleteIncident() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		in, err := a.status.IncidentByID(r.Context(), id)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if err := a.status.DeleteIncident(r.Context(), id); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if in.Maintenance && a.silences != nil {
			for _, c := range in.Components {
				a.silences.DeleteMaintenance(r.Context(), "status-"+in.ID+"-"+c.ComponentID)
			}
		}
		a.status.Changed()
		w.WriteHeader(http.StatusNoContent)
	})
}

// componentMonths lists a component's closed months, whose figures are
// frozen when the month ends.
func (a *API) componentMonths() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		months, err := a.status.Months(r.Context(), chi.URLParam(r, "id"))
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		type monthJSON struct {
			Month  string   `json:"month"`
			Uptime *float64 `json:"uptime"` // null: no data
			// Hours observed, in outage (major, partial) and in maintenance.
			Observed    float64 `json:"observed_hours"`
			Major       float64 `json:"major_outage_hours"`
			Partial     float64 `json:"partial_outage_hours"`
			Maintenance float64 `json:"maintenance_hours"`
		}
		out := []monthJSON{}
		for _, m := range months {
			j := monthJSON{Month: m.Month.Format("2006-01"), Observed: m.Observed.Hours(), Major: m.Major.Hours(),
				Partial: m.Partial.Hours(), Maintenance: m.Maintenance.Hours()}
			if u, ok := m.Uptime(); ok {
				j.Uptime = &u
			}
			out = append(out, j)
		}
		writeJSON(w, http.StatusOK, map[string]any{"months": out})
	})
}
