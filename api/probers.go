package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober"
)

// proberJSON is a prober in GET /probers.
type proberJSON struct {
	ID        string                `json:"id"`
	Region    string                `json:"region"`
	Version   string                `json:"version"`
	LastSeen  time.Time             `json:"last_seen"`
	State     linkwatch.ProberState `json:"state"`
	Live      bool                  `json:"live"`
	StoppedAt *time.Time            `json:"stopped_at,omitempty"`
	RetiredAt *time.Time            `json:"retired_at,omitempty"`
}

type regionJSON struct {
	Region   string    `json:"region"`
	Live     int       `json:"live_probers"`
	LastSeen time.Time `json:"last_seen"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// listProbers shows every prober that ever sent a heartbeat with its state
// (live, silent, stopped or retired, by the configured lifecycle) and, per
// region, how many are live: a region whose probers fell silent shows zero.
func (a *API) listProbers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all, err := a.probes.Probers(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now()
		out := struct {
			Regions []regionJSON `json:"regions"`
			Probers []proberJSON `json:"probers"`
		}{Regions: []regionJSON{}, Probers: []proberJSON{}}
		index := map[string]int{}
		for _, p := range all {
			state := a.cfg.Probers.State(p, now)
			live := state == linkwatch.ProberLive
			out.Probers = append(out.Probers, proberJSON{ID: p.ID, Region: p.Region, Version: p.Version, LastSeen: p.LastSeen,
				State: state, Live: live, StoppedAt: timePtr(p.StoppedAt), RetiredAt: timePtr(p.RetiredAt)})
			i, ok := index[p.Region]
			if !ok {
				i = len(out.Regions)
				index[p.Region] = i
				out.Regions = append(out.Regions, regionJSON{Region: p.Region})
			}
			rg := &out.Regions[i]
			if live {
				rg.Live++
			}
			if p.LastSeen.After(rg.LastSeen) {
				rg.LastSeen = p.LastSeen
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// deregister is POST /probe/deregister: a prober stopping cleanly says so,
// and is stopped (no share of the checks, no prober_silent) until it beats
// again. The token must be allowed to report for the prober's region.
func (a *API) deregister() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d prober.Deregister
		if err := decodeJSON(r, &d); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if err := validProber(d.Prober, d.Region); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if err := mayReport(r, d.Region); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		defer a.hub.stopped(d.Prober, d.Region)
		if err := a.probes.StopProber(r.Context(), d.Prober, d.Region, a.now().UTC()); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// retireProber is DELETE /probers/{id…} (admin): the prober is retired at
// once, so its prober_silent alert resolves; it is kept for display, and a
// heartbeat brings it back. Its ID, which holds '/', is the rest of the path,
// as it is (DELETE /api/v1/probers/eu-west/host-a) or escaped
// (…/probers/eu-west%2Fhost-a).
func (a *API) retireProber() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "*")
		if r.URL.RawPath != "" {
			var err error
			if id, err = url.PathUnescape(id); err != nil {
				writeError(w, r, a.log, linkwatch.FieldErrorf("id", "the prober id is not a valid escaped path"))
				return
			}
		}
		if id == "" || len(id) > prober.MaxProberID {
			writeError(w, r, a.log, linkwatch.FieldErrorf("id", "prober id is required, up to %d bytes", prober.MaxProberID))
			return
		}
		if err := a.probes.RetireProber(r.Context(), id, a.now().UTC()); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
