package api

import (
	"cmp"
	"context"
	"hash/fnv"
	"net/http"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober"
)

// Probes is what the prober protocol needs from storage.
type Probes interface {
	Heartbeat(ctx context.Context, p linkwatch.ProberInfo) error
	Probers(ctx context.Context) ([]linkwatch.ProberInfo, error)
	StopProber(ctx context.Context, id, region string, at time.Time) error
	RetireProber(ctx context.Context, id string, at time.Time) error
	InsertResults(ctx context.Context, results []linkwatch.Result) error
	// ExistingTargets reports which of targets exist, in one query per kind.
	ExistingTargets(ctx context.Context, targets []linkwatch.Target) (map[linkwatch.Target]bool, error)
}

// maxResultBatch bounds one push.
const maxResultBatch = 1000

func (a *API) heartbeat() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var hb prober.Heartbeat
		if err := decodeJSON(r, &hb); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if err := validProber(hb.Prober, hb.Region); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if len(hb.Version) > prober.MaxProberVersion {
			writeError(w, r, a.log, linkwatch.FieldErrorf("version", "version is up to %d bytes", prober.MaxProberVersion))
			return
		}
		if err := mayReport(r, hb.Region); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		info := linkwatch.ProberInfo{ID: hb.Prober, Region: hb.Region, Version: hb.Version, LastSeen: a.now().UTC()}
		if err := a.probes.Heartbeat(r.Context(), info); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.hub.beat(hb.Prober, hb.Region, info.LastSeen, cmp.Or(a.cfg.Probers.Silence, linkwatch.DefaultProberSilence))
		w.WriteHeader(http.StatusNoContent)
	})
}

func validProber(id, region string) error {
	if id == "" || len(id) > prober.MaxProberID || strings.IndexByte(id, 0) >= 0 {
		return linkwatch.FieldErrorf("prober", "prober id is required, up to %d bytes", prober.MaxProberID)
	}
	return linkwatch.ValidateRegion("region", region)
}

// assignments shares the region's checks among its live probers (by the
// configured prober lifecycle) by rendezvous hashing: each check goes to the
// prober with the highest hash of (check, prober), so each runs once per
// region, and when a prober joins, stops or dies only its share moves. A
// prober that deregisters hands its share over at once; one that dies, once
// it is silent (1 min) and the others reload (probe_refresh). Each link
// carries its short URL and QR text from this control plane's public URL.
func (a *API) assignments() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		me, region := q.Get("prober"), q.Get("region")
		if err := validProber(me, region); err != nil {
			writeError(w, r, a.log, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: linkwatch.ErrorField(err), Message: linkwatch.ErrorMessage(err)})
			return
		}
		if err := mayReport(r, region); err != nil { // a region's share belongs to its probers
			writeError(w, r, a.log, err)
			return
		}
		live, err := a.liveProbers(r.Context(), region, me)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		c, err := a.full(r.Context(), &share{region: region, me: me, live: live})
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		out := prober.ChangeToStream(c).Full
		out.Region, out.Probers = region, live
		writeJSON(w, http.StatusOK, out)
	})
}

// owner picks the prober a check belongs to.
func owner(key string, probers []string) string {
	var best string
	var bestHash uint64
	for _, p := range probers {
		h := fnv.New64a()
		h.Write([]byte(key))
		h.Write([]byte{0})
		h.Write([]byte(p))
		if v := h.Sum64(); best == "" || v > bestHash {
			best, bestHash = p, v
		}
	}
	return best
}
