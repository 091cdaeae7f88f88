package api

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
)

// resultWaiter collects, per region, the first result for target that
// began at or after since.
type resultWaiter struct {
	target linkwatch.Target
	since  time.Time
	mu     sync.Mutex
	got    map[string]linkwatch.Result
	wake   chan struct{}
}

func (h *hub) wait(t linkwatch.Target, since time.Time) *resultWaiter {
	w := &resultWaiter{target: t, since: since, got: map[string]linkwatch.Result{}, wake: make(chan struct{}, 1)}
	h.mu.Lock()
	h.waiters[w] = struct{}{}
	h.mu.Unlock()
	return w
}

func (h *hub) unwait(w *resultWaiter) {
	h.mu.Lock()
	delete(h.waiters, w)
	h.mu.Unlock()
}

// Ingested tells waiting "check now" requests about results just stored
// and asks for second opinions: when a region's check of a link fails and
// the region's previous result (as this replica saw it) passed, or there is
// none, the other live regions re-check the link at once, so a real outage
// is confirmed in seconds and a regional blip is seen as regional. At most
// one second opinion is asked per link and failing region per check
// interval, so a flapping link cannot storm the probers, and one region's
// passing blip does not use up the second opinion another region's real
// failure needs. The prober protocol's push calls it; so
// does serve's in-process prober. This replica decides and signals through
// the store, so every replica's probers hear the second opinion asked.
func (a *API) Ingested(ctx context.Context, results []linkwatch.Result) {
	h := a.hub
	now := a.now()
	var asks []checkRequest
	h.mu.Lock()
	for w := range h.waiters {
		for _, r := range results {
			if r.Target == w.target && !r.At.Before(w.since) {
				w.mu.Lock()
				if _, ok := w.got[r.Region]; !ok {
					w.got[r.Region] = r
				}
				w.mu.Unlock()
				select {
				case w.wake <- struct{}{}:
				default:
				}
			}
		}
	}
	for i := range results {
		r := &results[i]
		if r.Target.Kind != linkwatch.KindLink {
			continue
		}
		k := outcomeKey{r.Target, r.Region}
		prev, seen := h.passed[k]
		h.passed[k] = r.OK()
		if r.OK() || seen && !prev {
			continue
		}
		every := cmp.Or(h.intervals[r.Target.ID], linkwatch.DefaultInterval)
		if last, ok := h.opinions[k]; ok && now.Sub(last) < every {
			continue
		}
		h.opinions[k] = now
		asks = append(asks, checkRequest{target: r.Target, except: r.Region})
	}
	h.mu.Unlock()
	for _, c := range asks {
		a.signal(ctx, linkwatch.CheckSignal(c.target, c.except))
	}
}

// CheckRegionDoc is one region's answer to "check now".
type CheckRegionDoc struct {
	Region string          `json:"region"`
	State  string          `json:"state"`
	Result RegionHealthDoc `json:"result"`
}

// CheckDoc is the answer of POST /links/{slug}/check.
type CheckDoc struct {
	Regions []CheckRegionDoc `json:"regions"`
	Missing []string         `json:"missing"`
}

// checkLinkNow is POST /links/{slug}/check: every live region checks the
// link now, and the answer holds each region's result, or names the
// regions that did not answer within the probe timeout. The request reaches
// the probers of every replica (a signal through the store); the answers
// are heard as this replica ingests them, and read from the store every
// checkPoll, for those pushed to another replica.
func (a *API) checkLinkNow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, err := a.links.LinkBySlug(r.Context(), domainParam(r), slugParam(r))
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if _, _, gone := l.Target(a.now()); gone {
			writeError(w, r, a.log, linkwatch.Errorf(linkwatch.EINVALID, "link %s has expired with no fallback: it is not checked", l.Slug))
			return
		}
		regions, err := a.liveRegions(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if len(regions) == 0 {
			writeError(w, r, a.log, linkwatch.Errorf(linkwatch.EUNAVAILABLE, "no live prober in any region: nothing can check the link now"))
			return
		}
		t := linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}
		wt := a.hub.wait(t, a.now())
		defer a.hub.unwait(wt)
		a.signal(r.Context(), linkwatch.CheckSignal(t, ""))

		ctx, cancel := context.WithTimeout(r.Context(), cmp.Or(a.cfg.CheckTimeout, 35*time.Second))
		defer cancel()
		poll := time.NewTicker(checkPoll)
		defer poll.Stop()
		answered := func() bool {
			wt.mu.Lock()
			defer wt.mu.Unlock()
			for _, reg := range regions {
				if _, ok := wt.got[reg]; !ok {
					return false
				}
			}
			return true
		}
		for !answered() {
			select {
			case <-ctx.Done():
			case <-wt.wake:
				continue
			case <-poll.C:
				a.readAnswers(ctx, wt)
				continue
			}
			break
		}
		if r.Context().Err() != nil {
			return
		}
		out := CheckDoc{Regions: []CheckRegionDoc{}, Missing: []string{}}
		wt.mu.Lock()
		defer wt.mu.Unlock()
		for _, reg := range regions {
			res, ok := wt.got[reg]
			if !ok {
				out.Missing = append(out.Missing, reg)
				continue
			}
			lt := linkwatch.Latest{Result: res}
			if !res.OK() {
				lt.Failures = 1
			}
			rh := regionHealth(health.RegionOf(lt, l.CheckInterval, a.now()))
			cur := health.Current(res.At, l.UpdatedAt)
			rh.Current = &cur
			out.Regions = append(out.Regions, CheckRegionDoc{Region: reg, State: rh.State, Result: rh})
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// checkPoll is how often "check now" reads the target's latest results from
// the store, for answers pushed to other replicas.
const checkPoll = 150 * time.Millisecond

// readAnswers adds to w the target's latest results in the store that began
// at or after w.since, from the regions it has no answer from yet.
func (a *API) readAnswers(ctx context.Context, w *resultWaiter) {
	latest, err := a.healthStore.LatestResults(ctx, w.target)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("check now: reading the latest results", "target", w.target.String(), "err", err)
		}
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, lt := range latest {
		if _, ok := w.got[lt.Region]; !ok && lt.Target == w.target && !lt.At.Before(w.since) {
			w.got[lt.Region] = lt.Result
		}
	}
}

// liveRegions lists the regions with at least one live prober, sorted.
func (a *API) liveRegions(ctx context.Context) ([]string, error) {
	all, err := a.probes.Probers(ctx)
	if err != nil {
		return nil, err
	}
	now := a.now()
	var regions []string
	for _, p := range all {
		if a.cfg.Probers.State(p, now) == linkwatch.ProberLive && !slices.Contains(regions, p.Region) {
			regions = append(regions, p.Region)
		}
	}
	slices.Sort(regions)
	return regions, nil
}
