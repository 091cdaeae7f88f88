package api

import (
	"context"
	"net/http"
	"time"

	"github.com/linkwatch/linkwatch"
)

// Health is what the health endpoints need from storage.
type Health interface {
	LatestResults(ctx context.Context, t linkwatch.Target) ([]linkwatch.Result, error)
	Rollups(ctx context.Context, t linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error)
}

// Health states.
const (
	stateUp       = "up"
	stateDegraded = "degraded"
	stateDown     = "down"
	stateUnknown  = "unknown"
)

type healthJSON struct {
	State    string              `json:"state"`
	Regions  []regionHealthJSON  `json:"regions"`
	Uptime   map[string]*float64 `json:"uptime"`
	Failover bool                `json:"failover"`
}

type regionHealthJSON struct {
	Region     string     `json:"region"`
	State      string     `json:"state"`
	CheckedAt  time.Time  `json:"checked_at"`
	DurationMS int64      `json:"duration_ms"`
	Step       string     `json:"step"`
	ErrorClass string     `json:"error_class"`
	Error      string     `json:"error"`
	Status     int        `json:"status"`
	CertExpiry *time.Time `json:"cert_expiry,omitempty"`
	Hops       []hopJSON  `json:"hops"`
}

type hopJSON struct {
	URL        string `json:"url"`
	Status     int    `json:"status"`
	DurationMS int64  `json:"duration_ms"`
}

// regionState is one region's state from its latest result: unknown once
// it is older than three intervals (the region stopped reporting).
func regionState(r *linkwatch.Result, interval time.Duration, now time.Time) string {
	switch {
	case now.Sub(r.At) > 3*interval+30*time.Second:
		return stateUnknown
	case !r.OK():
		return stateDown
	case r.Degraded:
		return stateDegraded
	}
	return stateUp
}

// overallState summarises regions: down when a majority of the regions that
// report is down, degraded when any is down or degraded, unknown when none
// reports. The alert engine's quorum rules refine this; this is the at-a-
// glance view.
func overallState(states []string) string {
	fresh, down, degraded := 0, 0, 0
	for _, s := range states {
		switch s {
		case stateUnknown:
			continue
		case stateDown:
			down++
		case stateDegraded:
			degraded++
		}
		fresh++
	}
	switch {
	case fresh == 0:
		return stateUnknown
	case down*2 > fresh:
		return stateDown
	case down > 0 || degraded > 0:
		return stateDegraded
	}
	return stateUp
}

// health builds the health document of a target.
func (a *API) health(ctx context.Context, t linkwatch.Target, interval time.Duration) (*healthJSON, error) {
	now := a.now().UTC()
	latest, err := a.healthStore.LatestResults(ctx, t)
	if err != nil {
		return nil, err
	}
	h := &healthJSON{Regions: []regionHealthJSON{}, Uptime: map[string]*float64{}}
	var states []string
	for i := range latest {
		r := &latest[i]
		st := regionState(r, interval, now)
		states = append(states, st)
		rh := regionHealthJSON{Region: r.Region, State: st, CheckedAt: r.At, DurationMS: r.Phases.Total.Milliseconds(),
			Step: r.Step, ErrorClass: r.Class, Error: r.Error, Status: r.Status, Hops: []hopJSON{}}
		if !r.CertExpiry.IsZero() {
			exp := r.CertExpiry
			rh.CertExpiry = &exp
		}
		for _, hop := range r.Hops {
			rh.Hops = append(rh.Hops, hopJSON{hop.URL, hop.Status, hop.Duration.Milliseconds()})
		}
		h.Regions = append(h.Regions, rh)
	}
	h.State = overallState(states)
	for _, w := range []struct {
		name      string
		span, res time.Duration
	}{{"24h", 24 * time.Hour, linkwatch.Hourly}, {"7d", 7 * 24 * time.Hour, linkwatch.Hourly}, {"30d", 30 * 24 * time.Hour, linkwatch.Daily}} {
		from := now.Add(-w.span).Truncate(w.res)
		rollups, err := a.healthStore.Rollups(ctx, t, w.res, from, now.Add(time.Nanosecond))
		if err != nil {
			return nil, err
		}
		h.Uptime[w.name] = uptime(rollups)
	}
	return h, nil
}

// uptime is the share of passing checks, or nil when there were none: no
// data is not 100%.
func uptime(rollups []linkwatch.Rollup) *float64 {
	var checks, failures int64
	for _, r := range rollups {
		checks += r.Checks
		failures += r.Failures
	}
	if checks == 0 {
		return nil
	}
	u := 1 - float64(failures)/float64(checks)
	return &u
}

func (a *API) linkHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, err := a.links.LinkBySlug(r.Context(), domainParam(r), slugParam(r))
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		h, err := a.health(r.Context(), linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}, l.CheckInterval)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		h.Failover = l.FailedOver
		writeJSON(w, http.StatusOK, h)
	})
}

func (a *API) monitorHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := a.monitorParam(r)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		interval := m.Interval
		if m.Cron != "" {
			interval = 24 * time.Hour // a cron monitor may run rarely
		}
		h, err := a.health(r.Context(), linkwatch.Target{Kind: linkwatch.KindMonitor, ID: m.ID}, interval)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		writeJSON(w, http.StatusOK, h)
	})
}
