package api

import (
	"context"
	"net/http"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
)

// Health is what the health endpoints need from storage.
type Health interface {
	LatestResults(ctx context.Context, t linkwatch.Target) ([]linkwatch.Latest, error)
	Rollups(ctx context.Context, t linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error)
	ClearLatest(ctx context.Context, t linkwatch.Target, region string) error
}

// maxClearRegion bounds the region an admin may clear. It is not checked
// against the region rules: a forged result's invented region must be
// clearable too.
const maxClearRegion = 256

// HealthDoc is GET /links/{slug}/health and /monitors/{id}/health: the
// documents' one definition, which the dashboard decodes too.
type HealthDoc struct {
	State   string              `json:"state"`
	Reason  string              `json:"reason"`
	Regions []RegionHealthDoc   `json:"regions"`
	Uptime  map[string]*float64 `json:"uptime"`
	// Failover is what a link serves and why; monitors have none.
	Failover *FailoverDoc `json:"failover,omitempty"`
}

// RegionHealthDoc is one region's latest check in a HealthDoc.
type RegionHealthDoc struct {
	Region              string     `json:"region"`
	State               string     `json:"state"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	CheckedAt           time.Time  `json:"checked_at"`
	DurationMS          int64      `json:"duration_ms"`
	Step                string     `json:"step"`
	ErrorClass          string     `json:"error_class"`
	Error               string     `json:"error"`
	Status              int        `json:"status"`
	CertExpiry          *time.Time `json:"cert_expiry,omitempty"`
	Hops                []HopDoc   `json:"hops"`
	// Current says, for a link, whether this check began after the link's
	// last change, so it saw the link as it is now; monitors omit it.
	Current *bool `json:"current,omitempty"`
}

// Duration is the check's total time.
func (r RegionHealthDoc) Duration() time.Duration {
	return time.Duration(r.DurationMS) * time.Millisecond
}

// IsCurrent reports whether the check saw the link as it is now.
func (r RegionHealthDoc) IsCurrent() bool { return r.Current != nil && *r.Current }

// HopDoc is one hop of a region's redirect chain.
type HopDoc struct {
	URL        string `json:"url"`
	Status     int    `json:"status"`
	DurationMS int64  `json:"duration_ms"`
}

// uptimeWindows are the uptime figures the health document shows.
var uptimeWindows = []struct {
	name string
	span time.Duration
}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}}

// health builds the health document of a target: its state by health.Assess
// (the same rule link_down and the status page follow) and its uptime by
// health's formula over hourly rollups (no maintenance is excluded here).
func (a *API) health(ctx context.Context, t linkwatch.Target, interval time.Duration) (*HealthDoc, error) {
	now := a.now().UTC()
	latest, err := a.healthStore.LatestResults(ctx, t)
	if err != nil {
		return nil, err
	}
	as := health.Assess(latest, interval, now)
	h := &HealthDoc{State: string(as.State), Reason: as.Reason, Regions: []RegionHealthDoc{}, Uptime: map[string]*float64{}}
	for _, r := range as.Regions {
		h.Regions = append(h.Regions, regionHealth(r))
	}
	longest := uptimeWindows[len(uptimeWindows)-1].span
	from := now.Add(-longest).Truncate(time.Hour)
	rollups, err := a.healthStore.Rollups(ctx, t, linkwatch.Hourly, from, now.Add(time.Nanosecond))
	if err != nil {
		return nil, err
	}
	hours := health.Hours(map[linkwatch.Target][]linkwatch.Rollup{t: rollups}, nil, from, now)
	for _, w := range uptimeWindows {
		if u, ok := health.Window(hours, now.Add(-w.span), now); ok {
			h.Uptime[w.name] = &u
		} else {
			h.Uptime[w.name] = nil // no data is not 100%
		}
	}
	return h, nil
}

// regionHealth is one region's health as the API shows it.
func regionHealth(r health.Region) RegionHealthDoc {
	rh := RegionHealthDoc{Region: r.Region, State: string(r.State), ConsecutiveFailures: r.Failures, CheckedAt: r.At,
		DurationMS: r.Phases.Total.Milliseconds(), Step: r.Step, ErrorClass: r.Class, Error: r.Error, Status: r.Status,
		Hops: []HopDoc{}}
	if !r.CertExpiry.IsZero() {
		exp := r.CertExpiry
		rh.CertExpiry = &exp
	}
	for _, hop := range r.Hops {
		rh.Hops = append(rh.Hops, HopDoc{hop.URL, hop.Status, hop.Duration.Milliseconds()})
	}
	return rh
}

// currentFor marks each region's check current or not (health.Current).
func currentFor(h *HealthDoc, l *linkwatch.Link) {
	for i := range h.Regions {
		cur := health.Current(h.Regions[i].CheckedAt, l.UpdatedAt)
		h.Regions[i].Current = &cur
	}
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
		h.Failover = newFailoverJSON(l, a.now())
		currentFor(h, l)
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
		h, err := a.health(r.Context(), linkwatch.Target{Kind: linkwatch.KindMonitor, ID: m.ID}, health.MonitorInterval(m))
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		writeJSON(w, http.StatusOK, h)
	})
}

// regionParam is the ?region= of a clear: required and bounded.
func regionParam(r *http.Request) (string, error) {
	region := r.URL.Query().Get("region")
	switch {
	case region == "":
		return "", linkwatch.FieldErrorf("region", "region is required: ?region=<the region to clear>")
	case len(region) > maxClearRegion:
		return "", linkwatch.FieldErrorf("region", "region is longer than %d bytes", maxClearRegion)
	}
	return region, nil
}

// clearHealth forgets the latest result of a link's or monitor's region (a
// stuck or forged one); its results and rollups stay.
func (a *API) clearHealth(target func(r *http.Request) (linkwatch.Target, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		region, err := regionParam(r)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		t, err := target(r)
		if err == nil {
			err = a.healthStore.ClearLatest(r.Context(), t, region)
		}
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (a *API) clearLinkHealth() http.Handler {
	return a.clearHealth(func(r *http.Request) (linkwatch.Target, error) {
		l, err := a.links.LinkBySlug(r.Context(), domainParam(r), slugParam(r))
		if err != nil {
			return linkwatch.Target{}, err
		}
		return linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}, nil
	})
}

func (a *API) clearMonitorHealth() http.Handler {
	return a.clearHealth(func(r *http.Request) (linkwatch.Target, error) {
		m, err := a.monitorParam(r)
		if err != nil {
			return linkwatch.Target{}, err
		}
		return linkwatch.Target{Kind: linkwatch.KindMonitor, ID: m.ID}, nil
	})
}
