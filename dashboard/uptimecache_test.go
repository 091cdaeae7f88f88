package dashboard

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
	"github.com/linkwatch/linkwatch/storage/sqlite"
)

// readLog is a RollupReader that records where each read starts.
type readLog struct {
	st    RollupReader
	froms []time.Time
}

func (r *readLog) RollupsFor(ctx context.Context, targets []linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error) {
	r.froms = append(r.froms, from)
	return r.st.RollupsFor(ctx, targets, resolution, from, to)
}

var _ RollupReader = (*readLog)(nil)

// uncachedFigures is what the links table showed before the cache: every
// hour of the window read and computed afresh.
func uncachedFigures(t *testing.T, st RollupReader, links []*linkwatch.Link, now time.Time) map[int64]linkFigures {
	t.Helper()
	out := map[int64]linkFigures{}
	from := now.Add(-uptimeWindow).Truncate(time.Hour)
	for _, l := range links {
		target := linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}
		rs, err := st.RollupsFor(context.Background(), []linkwatch.Target{target}, linkwatch.Hourly, from, now.Add(time.Nanosecond))
		if err != nil {
			t.Fatal(err)
		}
		hours := health.Hours(map[linkwatch.Target][]linkwatch.Rollup{target: rs}, nil, from, now)
		f := linkFigures{Uptime: math.NaN()}
		if u, ok := health.Window(hours, now.Add(-uptimeWindow), now); ok {
			f.Uptime = u
		}
		f.P95, f.HasP95 = p95Since(rs, now.Add(-latencyWindow))
		out[l.ID] = f
	}
	return out
}

func sameFigures(a, b linkFigures) bool {
	sameUptime := a.Uptime == b.Uptime || math.IsNaN(a.Uptime) && math.IsNaN(b.Uptime)
	return sameUptime && a.P95 == b.P95 && a.HasP95 == b.HasP95
}

// uptimeEnv is a SQLite store with links checked from three regions.
type uptimeEnv struct {
	t       *testing.T
	st      *sqlite.Store
	links   []*linkwatch.Link
	n       int
	pending []linkwatch.Result
}

func newUptimeEnv(t *testing.T, now time.Time, slugs ...string) *uptimeEnv {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "uptime.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &uptimeEnv{t: t, st: st}
	for _, slug := range slugs {
		l := &linkwatch.Link{Slug: slug, Destination: "https://shop.example.com/" + slug,
			CreatedAt: now.Add(-10 * 24 * time.Hour), UpdatedAt: now.Add(-10 * 24 * time.Hour)}
		l.ApplyDefaults()
		if err := st.CreateLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		e.links = append(e.links, l)
	}
	return e
}

// check adds a check of link i from region at at, failing or not, its
// latency varying so percentiles differ hour to hour; flush stores it.
func (e *uptimeEnv) check(i int, region string, at time.Time, fail bool) {
	e.t.Helper()
	e.n++
	l := e.links[i]
	r := linkwatch.Result{ID: fmt.Sprintf("r-%08d", e.n), Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID},
		Region: region, Prober: "p-" + region, At: at, Step: linkwatch.StepDestination, Status: 200,
		Phases: linkwatch.Phases{Total: time.Duration(30+(e.n*37)%(200*(i+1))) * time.Millisecond}}
	if fail {
		r.Class, r.Status = linkwatch.ClassHTTPStatus, 503
	}
	e.pending = append(e.pending, r)
}

func (e *uptimeEnv) flush() {
	e.t.Helper()
	if err := e.st.InsertResults(context.Background(), e.pending); err != nil {
		e.t.Fatal(err)
	}
	e.pending = e.pending[:0]
}

// history checks every link from three regions every 20 minutes in
// [from, to): one region failing now and then (partial outage), two at
// once in some hours (major), and link 2 never checked before the last
// three days (hours without data).
func (e *uptimeEnv) history(from, to time.Time) {
	regions := []string{"eu", "us", "ap"}
	for at := from; at.Before(to); at = at.Add(20 * time.Minute) {
		h := int(at.Unix() / 3600)
		for i := range e.links {
			if i == 2 && to.Sub(at) > 3*24*time.Hour {
				continue
			}
			for r, region := range regions {
				fail := (h+i)%11 == 0 && r == 0 || // one region: partial
					(h+2*i)%17 == 0 && r < 2 || // two of three: major
					(h*7+i+r)%23 == 0 && at.Minute() < 20 // now and then, one check
				e.check(i, region, at, fail)
			}
		}
	}
	e.flush()
}

func TestUptimeCacheEqualsUncached(t *testing.T) {
	start := time.Date(2025, 3, 9, 22, 35, 0, 0, time.UTC)
	e := newUptimeEnv(t, start, "spring", "summer", "autumn")
	e.history(start.Add(-9*24*time.Hour), start)
	ctx := context.Background()
	c := newUptimeCache(uptimeCacheLinks)
	log := &readLog{st: e.st}

	now := start
	// Steps of 25 minutes over more than a day and a half: across hour
	// and day boundaries, hours settling one after another, with checks
	// arriving on time and some up to a day late (into hours not yet
	// settled, which the cache must not have kept).
	for step := range 70 {
		if step > 0 {
			next := now.Add(25 * time.Minute)
			e.history(now, next)
			late := now.Add(-prober24h(step))
			e.check(step%3, "us", late, true)
			e.check(step%3, "ap", late, step%2 == 0)
			e.flush()
			now = next
		}
		log.froms = nil
		got, err := c.figures(ctx, log, e.links, now)
		if err != nil {
			t.Fatal(err)
		}
		want := uncachedFigures(t, e.st, e.links, now)
		for _, l := range e.links {
			if !sameFigures(got[l.ID], want[l.ID]) {
				t.Fatalf("step %d, %s, %s: cached %+v, uncached %+v", step, now.Format(time.RFC3339), l.Slug, got[l.ID], want[l.ID])
			}
		}
		// After the first page, nothing settled is read again.
		if step > 0 {
			for _, from := range log.froms {
				if from.Before(settledBefore(now.Add(-25 * time.Minute))) {
					t.Fatalf("step %d: read from %s, before the hours settled at the last page", step, from.Format(time.RFC3339))
				}
			}
		}
	}
}

// prober24h is how late the step's late checks arrive: from minutes to
// just under the oldest a prober may send.
func prober24h(step int) time.Duration {
	return time.Duration(step%6)*4*time.Hour + 50*time.Minute
}

func TestUptimeCacheRereadsChangedLinks(t *testing.T) {
	now := time.Date(2025, 3, 9, 22, 35, 0, 0, time.UTC)
	e := newUptimeEnv(t, now, "spring", "summer")
	e.history(now.Add(-8*24*time.Hour), now)
	ctx := context.Background()
	c := newUptimeCache(uptimeCacheLinks)
	log := &readLog{st: e.st}
	windowFrom := now.Add(-uptimeWindow).Truncate(time.Hour)

	if _, err := c.figures(ctx, log, e.links, now); err != nil {
		t.Fatal(err)
	}
	if len(log.froms) != 1 || !log.froms[0].Equal(windowFrom) {
		t.Fatalf("first page read from %v, want one read from %s", log.froms, windowFrom)
	}

	// The link changed (its destination, say): it is read afresh, the
	// other from the cache.
	changed, err := e.st.UpdateLink(ctx, "", "summer", func(l *linkwatch.Link) error {
		l.Destination = "https://shop.example.com/summer-2"
		l.UpdatedAt = now
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	log.froms = nil
	links := []*linkwatch.Link{e.links[0], changed}
	got, err := c.figures(ctx, log, links, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(log.froms) != 2 || !log.froms[0].Equal(windowFrom) || !log.froms[1].After(windowFrom) {
		t.Fatalf("after a change read from %v, want the window's start (%s) then later", log.froms, windowFrom)
	}
	want := uncachedFigures(t, e.st, links, now)
	for _, l := range links {
		if !sameFigures(got[l.ID], want[l.ID]) {
			t.Errorf("%s: cached %+v, uncached %+v", l.Slug, got[l.ID], want[l.ID])
		}
	}
}

func TestUptimeCacheBounded(t *testing.T) {
	now := time.Date(2025, 3, 9, 22, 35, 0, 0, time.UTC)
	e := newUptimeEnv(t, now, "a", "b", "c", "d")
	e.history(now.Add(-26*time.Hour), now)
	ctx := context.Background()
	c := newUptimeCache(2)
	for _, tc := range []struct {
		show []int // links shown, in order
		kept []int // links cached after
	}{
		{show: []int{0}, kept: []int{0}},
		{show: []int{1, 2}, kept: []int{1, 2}},
		{show: []int{1}, kept: []int{1, 2}},
		{show: []int{3}, kept: []int{1, 3}}, // 2 was used least recently
		{show: []int{0, 1}, kept: []int{0, 1}},
	} {
		var links []*linkwatch.Link
		for _, i := range tc.show {
			links = append(links, e.links[i])
		}
		if _, err := c.figures(ctx, e.st, links, now); err != nil {
			t.Fatal(err)
		}
		if c.lru.Len() != len(tc.kept) || len(c.byID) != len(tc.kept) {
			t.Fatalf("after showing %v: %d entries, want %v", tc.show, c.lru.Len(), tc.kept)
		}
		for _, i := range tc.kept {
			if _, ok := c.byID[e.links[i].ID]; !ok {
				t.Errorf("after showing %v: link %d not cached, want %v", tc.show, i, tc.kept)
			}
		}
	}
}

// TestWarm: warming at start fills the cache for the unfiltered table's
// links, page after page, bounded by the cache's size.
func TestWarm(t *testing.T) {
	e := newFrameEnv(t, nil)
	const n = linksPerPage + 7 // two pages
	for i := range n {
		l := &linkwatch.Link{Slug: fmt.Sprintf("warm-%d", i), Destination: "https://example.com/", RedirectCode: 302,
			CheckInterval: time.Minute, CreatedAt: e.clock.now(), UpdatedAt: e.clock.now()}
		l.ApplyDefaults()
		if err := e.store.CreateLink(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.dash.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.dash.uptimes.mu.Lock()
	cached := len(e.dash.uptimes.byID)
	e.dash.uptimes.mu.Unlock()
	if cached != n {
		t.Errorf("%d links cached after warming, want all %d", cached, n)
	}
}
