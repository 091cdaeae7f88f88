package dashboard

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
	"github.com/linkwatch/linkwatch/prober"
)

// The links table's 7-day uptime needs a week of hourly rollups per link
// and region: about 25,000 rows for a page of 50 links in three regions,
// most of the page's time. Yet an hour's rollups stop changing once no
// result for it can be accepted any more (prober.MaxResultAge after it
// ends), so uptimeCache keeps each link's settled hours as the one uptime
// formula computed them (health.Hour values) and a page re-reads only the
// hours that may still change: the last day or so, which the 24-hour p95
// reads anyway. The figures are health.Window over the same hours in the
// same order, so they equal the uncached ones exactly.
//
// Daily rollups would not do: health.Hours needs each region's failures
// per hour to find the hours a majority of regions failed.

// uptimeCacheLinks bounds the cache: at most this many links' hours (a
// week is 168 health.Hour values, about 13 KB a link), the least recently
// shown dropped first.
const uptimeCacheLinks = 1000

// settleAfter is how long after its end an hour's rollups can still
// change: results are accepted up to prober.MaxResultAge late (and
// MaxResultAhead early), and an hour more covers the clocks of other
// control-plane replicas.
const settleAfter = prober.MaxResultAge + prober.MaxResultAhead + time.Hour

// RollupReader reads hourly rollups for many targets at once.
type RollupReader interface {
	RollupsFor(ctx context.Context, targets []linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error)
}

// linkFigures are a link's figures from its rollups.
type linkFigures struct {
	Uptime float64 // over uptimeWindow; NaN without data
	P95    time.Duration
	HasP95 bool
}

// uptimeCache holds links' settled hours, least recently used dropped
// beyond its size. It is safe for concurrent use.
type uptimeCache struct {
	size int
	mu   sync.Mutex
	lru  *list.List // of *uptimeEntry, most recently used first
	byID map[int64]*list.Element
}

// uptimeEntry is one link's settled hours, contiguous from hours[0].Start
// to end. created and updated are the link's when they were read: a link
// changed since (or, were IDs ever reused, another link) reads afresh.
type uptimeEntry struct {
	id               int64
	created, updated time.Time
	hours            []health.Hour // never modified once stored
	end              time.Time
}

func newUptimeCache(size int) *uptimeCache {
	return &uptimeCache{size: size, lru: list.New(), byID: map[int64]*list.Element{}}
}

// settledBefore is the end of the last hour whose rollups can no longer
// change at now.
func settledBefore(now time.Time) time.Time {
	return now.Add(-settleAfter).UTC().Truncate(time.Hour)
}

// figures returns the uptime over uptimeWindow and the p95 latency over
// latencyWindow of each of links at now, reading from st only the hours
// not cached: two batch reads at most (links seen before, links not).
func (c *uptimeCache) figures(ctx context.Context, st RollupReader, links []*linkwatch.Link, now time.Time) (map[int64]linkFigures, error) {
	from := now.Add(-uptimeWindow).UTC().Truncate(time.Hour)
	settled := settledBefore(now)
	latencyFrom := now.Add(-latencyWindow).UTC().Truncate(time.Hour)

	// What each link has cached, if anything usable.
	cached := make(map[int64]*uptimeEntry, len(links))
	var hits, misses []linkwatch.Target
	hitFrom := latencyFrom
	c.mu.Lock()
	for _, l := range links {
		t := linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}
		if e := c.lookup(l); e != nil && !e.end.After(settled) && !e.end.Before(from) &&
			(len(e.hours) == 0 || !e.hours[0].Start.After(from)) {
			cached[l.ID] = e
			hits = append(hits, t)
			hitFrom = minTime(hitFrom, e.end)
			continue
		}
		misses = append(misses, t)
	}
	c.mu.Unlock()

	rollupsOf := map[int64][]linkwatch.Rollup{}
	read := func(targets []linkwatch.Target, from time.Time) error {
		if len(targets) == 0 {
			return nil
		}
		rs, err := st.RollupsFor(ctx, targets, linkwatch.Hourly, from, now.Add(time.Nanosecond))
		for _, r := range rs {
			rollupsOf[r.Target.ID] = append(rollupsOf[r.Target.ID], r)
		}
		return err
	}
	if err := read(misses, from); err != nil {
		return nil, err
	}
	if err := read(hits, hitFrom); err != nil {
		return nil, err
	}

	out := make(map[int64]linkFigures, len(links))
	fresh := make([]*uptimeEntry, 0, len(misses))
	for _, l := range links {
		t := linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}
		rs := rollupsOf[l.ID]
		var hours []health.Hour
		if e := cached[l.ID]; e != nil {
			// The cached hours still in the window, then the rest as read.
			read := health.Hours(map[linkwatch.Target][]linkwatch.Rollup{t: rs}, nil, hitFrom, now)
			hours = make([]health.Hour, 0, int(now.Sub(from)/time.Hour)+1)
			for _, h := range e.hours {
				if !h.Start.Before(from) {
					hours = append(hours, h)
				}
			}
			for _, h := range read {
				if !h.Start.Before(e.end) {
					hours = append(hours, h)
				}
			}
		} else {
			hours = health.Hours(map[linkwatch.Target][]linkwatch.Rollup{t: rs}, nil, from, now)
		}
		f := linkFigures{Uptime: nan()}
		if u, ok := health.Window(hours, now.Add(-uptimeWindow), now); ok {
			f.Uptime = u
		}
		f.P95, f.HasP95 = p95Since(rs, now.Add(-latencyWindow))
		out[l.ID] = f

		if e := cached[l.ID]; e != nil && e.end.Equal(settled) {
			continue // nothing settled since
		}
		n := 0 // the settled hours, kept for the next page
		for n < len(hours) && hours[n].Start.Before(settled) {
			n++
		}
		fresh = append(fresh, &uptimeEntry{id: l.ID, created: l.CreatedAt, updated: l.UpdatedAt,
			hours: hours[:n:n], end: settled})
	}

	c.mu.Lock()
	for _, e := range fresh {
		c.store(e)
	}
	c.mu.Unlock()
	return out, nil
}

// lookup returns l's entry, marked as just used, or nil when there is none
// or l has changed since it was stored. c.mu is held.
func (c *uptimeCache) lookup(l *linkwatch.Link) *uptimeEntry {
	el, ok := c.byID[l.ID]
	if !ok {
		return nil
	}
	e := el.Value.(*uptimeEntry)
	if !e.created.Equal(l.CreatedAt) || !e.updated.Equal(l.UpdatedAt) {
		c.lru.Remove(el)
		delete(c.byID, l.ID)
		return nil
	}
	c.lru.MoveToFront(el)
	return e
}

// store puts e in place of its link's entry, dropping the least recently
// used beyond the size. c.mu is held.
func (c *uptimeCache) store(e *uptimeEntry) {
	if el, ok := c.byID[e.id]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.byID[e.id] = c.lru.PushFront(e)
	for c.lru.Len() > c.size {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.byID, last.Value.(*uptimeEntry).id)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
