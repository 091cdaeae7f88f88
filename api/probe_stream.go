package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/prober"
)

// The control plane pushes changes to probers: every link change any replica
// makes (heard through the store's WatchLinks: PostgreSQL LISTEN/NOTIFY, or
// in-process on SQLite), and the probe signals any replica sends through the
// store (WatchSignals): monitor changes, "check now" requests and second
// opinions. A replica sends its own signals only through the store, so each
// reaches every replica's streams once. A hub fans them out to the streams
// held open by probers (GET /api/v1/probe/stream) and to serve's in-process
// prober; each stream turns them into its prober's share.

// hubBuffer is how many events a stream may fall behind before it is sent
// the whole share instead.
const hubBuffer = 256

// hubEvent is one thing that happened, for every stream to judge.
type hubEvent struct {
	reset   bool                  // changes may have been missed: send the whole share
	probers string                // this region's live probers may have changed
	changed *linkwatch.LinkChange // a link was created, changed or deleted...
	link    *linkwatch.Link       // ...and is now this (nil: deleted)
	monitor *linkwatch.Monitor    // created or changed
	gone    int64                 // a monitor deleted
	check   *checkRequest
}

// checkRequest asks the regions' owners of target to check it now: every
// live region, or every one but except (a second opinion).
type checkRequest struct {
	target linkwatch.Target
	except string
}

type hubSub struct {
	events   chan hubEvent
	overflow chan struct{}
}

// outcomeKey is a target's results in one region.
type outcomeKey struct {
	target linkwatch.Target
	region string
}

// hub is the API's in-memory fan-out of changes to probers, and of ingested
// results to the requests waiting for them.
type hub struct {
	closing   chan struct{} // closed by CloseStreams
	closeOnce sync.Once

	mu        sync.Mutex
	subs      map[*hubSub]struct{}
	waiters   map[*resultWaiter]struct{}
	beats     map[string]time.Time     // prober → last heartbeat heard here
	passed    map[outcomeKey]bool      // whether the last result ingested here passed
	opinions  map[outcomeKey]time.Time // link and failing region → when a second opinion was last asked
	intervals map[int64]time.Duration  // link → check interval, as last read
}

func newHub() *hub {
	return &hub{closing: make(chan struct{}), subs: map[*hubSub]struct{}{}, waiters: map[*resultWaiter]struct{}{}, beats: map[string]time.Time{},
		passed: map[outcomeKey]bool{}, opinions: map[outcomeKey]time.Time{}, intervals: map[int64]time.Duration{}}
}

func (h *hub) publish(e hubEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.events <- e:
		default:
			select {
			case s.overflow <- struct{}{}:
			default:
			}
		}
	}
}

func (h *hub) subscribe() *hubSub {
	s := &hubSub{events: make(chan hubEvent, hubBuffer), overflow: make(chan struct{}, 1)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *hub) unsubscribe(s *hubSub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

func (h *hub) setInterval(id int64, d time.Duration) {
	h.mu.Lock()
	h.intervals[id] = d
	h.mu.Unlock()
}

// beat notes a heartbeat; a prober new to this replica, or back after a
// silence, may move its region's share, so the region's streams re-check.
func (h *hub) beat(id, region string, now time.Time, silent time.Duration) {
	h.mu.Lock()
	last, ok := h.beats[id]
	h.beats[id] = now
	h.mu.Unlock()
	if !ok || now.Sub(last) > silent {
		h.publish(hubEvent{probers: region})
	}
}

func (h *hub) stopped(id, region string) {
	h.mu.Lock()
	delete(h.beats, id)
	h.mu.Unlock()
	h.publish(hubEvent{probers: region})
}

// FeedLinks passes every link change the store reports (from any replica)
// on to the probers' streams until ctx ends, watching again after a lost
// connection. cmd runs it beside the API.
func (a *API) FeedLinks(ctx context.Context, w interface {
	WatchLinks(ctx context.Context, fn func(linkwatch.LinkChange)) error
}) error {
	for {
		err := w.WatchLinks(ctx, func(c linkwatch.LinkChange) {
			if c.Reset {
				a.hub.publish(hubEvent{reset: true})
				return
			}
			l, err := a.links.LinkBySlug(ctx, c.Domain, c.Slug)
			switch {
			case linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND:
				l = nil
			case err != nil:
				a.hub.publish(hubEvent{reset: true}) // cannot tell what changed
				return
			default:
				a.hub.setInterval(l.ID, l.CheckInterval)
			}
			a.hub.publish(hubEvent{changed: &c, link: l})
		})
		if ctx.Err() != nil {
			return nil
		}
		a.log.Warn("link change feed lost; probers hear of changes at their next refresh until it is back", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// Signals is what the API needs to reach the probers streaming from every
// replica: Signal sends a probe signal through the store, WatchSignals hears
// those of every replica (this one's included).
type Signals interface {
	Signal(ctx context.Context, s linkwatch.ProbeSignal) error
	WatchSignals(ctx context.Context, fn func(linkwatch.ProbeSignal, error)) error
}

// signal sends sig to the probers of every replica. Without Signals, or
// when the store fails to send it, this replica's streams hear it directly.
func (a *API) signal(ctx context.Context, sig linkwatch.ProbeSignal) {
	if a.signals != nil {
		err := a.signals.Signal(ctx, sig)
		if err == nil {
			return
		}
		a.log.Warn("probe signal not sent through the store: only this replica's probers hear it", "signal", sig.String(), "err", err)
	}
	a.publishSignal(ctx, sig)
}

// publishSignal passes sig on to this replica's streams.
func (a *API) publishSignal(ctx context.Context, sig linkwatch.ProbeSignal) {
	switch sig.Kind {
	case linkwatch.SignalReset:
		a.hub.publish(hubEvent{reset: true})
	case linkwatch.SignalMonitor:
		m, err := a.monitors.MonitorByID(ctx, sig.ID)
		switch {
		case linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND:
			a.hub.publish(hubEvent{gone: sig.ID}) // deleted since
		case err != nil:
			a.hub.publish(hubEvent{reset: true}) // cannot tell what it is now
		default:
			a.hub.publish(hubEvent{monitor: m})
		}
	case linkwatch.SignalMonitorDeleted:
		a.hub.publish(hubEvent{gone: sig.ID})
	case linkwatch.SignalCheck:
		a.hub.publish(hubEvent{check: &checkRequest{target: sig.CheckTarget(), except: sig.Except}})
	}
}

// FeedSignals passes every probe signal any replica sends on to this
// replica's streams until ctx ends, watching again after a lost connection;
// a malformed signal is logged and dropped. Without Signals it returns at
// once. cmd runs it beside the API.
func (a *API) FeedSignals(ctx context.Context) error {
	if a.signals == nil {
		return nil
	}
	for {
		err := a.signals.WatchSignals(ctx, func(sig linkwatch.ProbeSignal, err error) {
			if err != nil {
				a.log.Warn("probe signal dropped", "err", err)
				return
			}
			a.publishSignal(ctx, sig)
		})
		if ctx.Err() != nil {
			return nil
		}
		a.log.Warn("probe signal feed lost; other replicas' monitor changes reach probers at their next refresh, and their check requests are missed, until it is back", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// share is the part of the checks prober me of region runs: by rendezvous
// hashing among the region's live probers, or everything when all (serve's
// in-process prober).
type share struct {
	region, me string
	all        bool
	live       []string
}

func (s *share) owns(key string) bool { return s.all || owner(key, s.live) == s.me }

// liveProbers lists the region's live probers, me included, sorted.
func (a *API) liveProbers(ctx context.Context, region, me string) ([]string, error) {
	all, err := a.probes.Probers(ctx)
	if err != nil {
		return nil, err
	}
	now := a.now()
	live := []string{me}
	for _, p := range all {
		if p.Region == region && p.ID != me && a.cfg.Probers.State(p, now) == linkwatch.ProberLive {
			live = append(live, p.ID)
		}
	}
	slices.Sort(live)
	return live, nil
}

// full reads the whole share.
func (a *API) full(ctx context.Context, s *share) (prober.Change, error) {
	c := prober.Change{Full: true}
	links, err := a.links.ListLinks(ctx, linkwatch.LinkFilter{})
	if err != nil {
		return c, err
	}
	monitors, err := a.monitors.ListMonitors(ctx)
	if err != nil {
		return c, err
	}
	now := a.now()
	for _, l := range links {
		a.hub.setInterval(l.ID, l.CheckInterval)
		if _, _, gone := l.Target(now); !gone && s.owns(linkKey(l.ID)) {
			c.Links = append(c.Links, prober.Assign(l, a.cfg.PublicURL))
		}
	}
	for _, m := range monitors {
		if s.owns(monitorKey(m.ID)) {
			c.Monitors = append(c.Monitors, m)
		}
	}
	return c, nil
}

func linkKey(id int64) string    { return "link/" + strconv.FormatInt(id, 10) }
func monitorKey(id int64) string { return "monitor/" + strconv.FormatInt(id, 10) }

// liveEvery is how often a stream re-reads its region's live probers, to
// notice one that fell silent (joins and clean stops are heard at once).
const liveEvery = 5 * time.Second

// WatchShare calls fn with the whole share of prober me in region (every
// check when all), then with each change of it, until ctx ends or fn or the
// store fails. It backs GET /api/v1/probe/stream and serve's in-process
// prober (all: it checks everything, as its StoreSource does).
func (a *API) WatchShare(ctx context.Context, region, me string, all bool, fn func(prober.Change) error) error {
	sub := a.hub.subscribe()
	defer a.hub.unsubscribe(sub)
	s := &share{region: region, me: me, all: all}
	held := map[linkwatch.LinkChange]int64{} // (domain, slug) → ID of the links sent
	sendFull := func() error {
		if !all {
			live, err := a.liveProbers(ctx, region, me)
			if err != nil {
				return err
			}
			s.live = live
		}
		c, err := a.full(ctx, s)
		if err != nil {
			return err
		}
		clear(held)
		for _, la := range c.Links {
			held[linkwatch.LinkChange{Domain: la.Link.Domain, Slug: la.Link.Slug}] = la.Link.ID
		}
		return fn(c)
	}
	// A share moves when the live probers change: resend it then.
	recheck := func() error {
		if all {
			return nil
		}
		live, err := a.liveProbers(ctx, region, me)
		if err != nil {
			return err
		}
		if slices.Equal(live, s.live) {
			return nil
		}
		return sendFull()
	}
	if err := sendFull(); err != nil {
		return err
	}
	tick := time.NewTicker(liveEvery)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			err = recheck()
		case <-sub.overflow:
			for len(sub.events) > 0 {
				<-sub.events
			}
			err = sendFull()
		case e := <-sub.events:
			err = a.applyEvent(ctx, s, held, e, sendFull, recheck, fn)
		}
		if err != nil {
			return err
		}
	}
}

func (a *API) applyEvent(ctx context.Context, s *share, held map[linkwatch.LinkChange]int64, e hubEvent,
	sendFull, recheck func() error, fn func(prober.Change) error) error {
	switch {
	case e.reset:
		return sendFull()
	case e.probers != "":
		if e.probers == s.region {
			return recheck()
		}
	case e.changed != nil:
		key := linkwatch.LinkChange{Domain: e.changed.Domain, Slug: e.changed.Slug}
		l := e.link
		if l != nil {
			if _, _, gone := l.Target(a.now()); !gone && s.owns(linkKey(l.ID)) {
				held[key] = l.ID
				return fn(prober.Change{Links: []prober.LinkAssignment{prober.Assign(l, a.cfg.PublicURL)}})
			}
		}
		if id, ok := held[key]; ok {
			delete(held, key)
			return fn(prober.Change{RemovedLinks: []int64{id}})
		}
	case e.monitor != nil:
		if s.owns(monitorKey(e.monitor.ID)) {
			return fn(prober.Change{Monitors: []*linkwatch.Monitor{e.monitor}})
		}
	case e.gone != 0:
		return fn(prober.Change{RemovedMonitors: []int64{e.gone}})
	case e.check != nil:
		t := e.check.target
		key := linkKey(t.ID)
		if t.Kind == linkwatch.KindMonitor {
			key = monitorKey(t.ID)
		}
		if s.region != e.check.except && s.owns(key) {
			return fn(prober.Change{Check: []linkwatch.Target{t}})
		}
	}
	return nil
}

// stream is GET /api/v1/probe/stream: server-sent events, one
// prober.StreamEvent per data line, first the whole share, then its
// changes, with a comment every prober.StreamKeepalive so that proxies and
// the prober know the connection lives.
func (a *API) stream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		me, region := q.Get("prober"), q.Get("region")
		if err := validProber(me, region); err != nil {
			writeError(w, r, a.log, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: linkwatch.ErrorField(err), Message: linkwatch.ErrorMessage(err)})
			return
		}
		if err := mayReport(r, region); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		rc := http.NewResponseController(w)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		if err := rc.Flush(); err != nil {
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-a.hub.closing:
				cancel()
			case <-ctx.Done():
			}
		}()
		var mu sync.Mutex // the keepalives and the events share the writer
		write := func(b []byte) error {
			mu.Lock()
			defer mu.Unlock()
			if _, err := w.Write(b); err != nil {
				return err
			}
			return rc.Flush()
		}
		done := make(chan struct{})
		defer func() { cancel(); <-done }()
		go func() {
			defer close(done)
			tick := time.NewTicker(prober.StreamKeepalive)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					if write([]byte(": keepalive\n\n")) != nil {
						cancel()
						return
					}
				}
			}
		}()
		err := a.WatchShare(ctx, region, me, false, func(c prober.Change) error {
			data, err := json.Marshal(prober.ChangeToStream(c))
			if err != nil {
				return err
			}
			return write(append(append([]byte("data: "), data...), '\n', '\n'))
		})
		if err != nil && ctx.Err() == nil {
			a.log.Warn("probe stream ended", "prober", me, "region", region, "err", err)
		}
	})
}

// CloseStreams ends every probe stream, so that an HTTP server shutting down
// is not held up by them (the probers reconnect, to another replica or to
// this one restarted). cmd registers it with http.Server.RegisterOnShutdown.
func (a *API) CloseStreams() {
	a.hub.closeOnce.Do(func() { close(a.hub.closing) })
}
