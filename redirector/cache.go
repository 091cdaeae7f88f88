package redirector

import (
	"context"
	"errors"
	"hash/maphash"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linkwatch/linkwatch"
)

// LinkStore is what the cache needs from storage.
type LinkStore interface {
	LinkBySlug(ctx context.Context, domain, slug string) (*linkwatch.Link, error)
	// ListLinks returns the links with an ID above f.AfterID in ID order, at
	// most f.Limit of them: the cache reads every link a page at a time.
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	// WatchLinks blocks, calling fn for every change, and with Reset whenever
	// changes may have been missed (including right after it subscribes).
	WatchLinks(ctx context.Context, fn func(linkwatch.LinkChange)) error
}

type key struct{ domain, slug string }

// entry is a link prepared for redirecting: what to send, decided once when
// the link is loaded or changes, not per request. Only expiry depends on the
// clock. It holds nothing else of the link, so a million of them fit in a
// couple of hundred megabytes; it is stored by value in its shard's map.
type entry struct {
	id int64
	// expires is the expiry in Unix microseconds; math.MaxInt64 for a link
	// that never expires.
	expires int64
	// expired is the answer once it has (the fallback with the link's own
	// code), nil for a 410.
	expired *response
	// gen is the reload that last confirmed the entry (see reload); it sits
	// in live's padding.
	gen uint32
	// live is the answer while the link has not expired: the destination, or
	// the fallback while failed over (302, no-store).
	live response
}

func (e *entry) expiredAt(now time.Time) bool { return now.UnixMicro() >= e.expires }

// response is a prepared redirect.
type response struct {
	code     int16
	cache    cachePolicy
	fallback bool
	location string // as it is sent (linkwatch.NormalizeURL)
}

// cachePolicy selects one of the shared Cache-Control values.
type cachePolicy uint8

const (
	policyTemporary cachePolicy = iota
	policyPermanent
	policyNone
)

// cacheHeaders are the Cache-Control header values by policy, shared by
// every request and never modified.
var cacheHeaders = [...][]string{
	policyTemporary: {cacheTemporary},
	policyPermanent: {cachePermanent},
	policyNone:      {cacheNone},
}

func (r *response) cacheControl() []string { return cacheHeaders[r.cache] }

// shardCount splits the links so that a reload, or its sweep, holds one
// shard's lock at a time and lookups on other shards go on meanwhile.
const shardCount = 256

type shard struct {
	mu sync.RWMutex
	// short holds the default domain's links with slugs of up to 16 bytes
	// (nearly all), the slug inside the key: a lookup among a million links
	// then touches the map's memory only, not a string elsewhere in the
	// heap. long holds the default domain's other links, custom the custom
	// domains'.
	short  map[shortSlug]entry
	long   map[string]entry
	custom map[key]entry
	// gone holds the links removed while a reload runs, so a page read
	// before the removal does not bring them back.
	gone map[key]struct{}
	_    [64]byte // keep shards' locks on separate cache lines
}

// pageSize is how many links one ListLinks call of a reload reads.
const pageSize = 5000

// Cache holds every link in memory. It is a complete replica kept fresh by the
// store's change feed, so a miss is an answer (404), not a reason to ask the
// database: a flood of random slugs never reaches it, and links keep
// redirecting while the database is unreachable.
type Cache struct {
	store  LinkStore
	log    *slog.Logger
	resync time.Duration

	seed   maphash.Seed
	shards [shardCount]shard

	domainMu     sync.Mutex
	domainCounts map[string]int                      // custom domain → number of its links
	domainSet    atomic.Pointer[map[string]struct{}] // the custom domains, replaced when one appears or goes

	reloadMu  sync.Mutex    // one reload at a time
	gen       atomic.Uint32 // the current (or last) reload's generation
	reloading atomic.Bool

	loaded  atomic.Bool
	dirtyMu sync.Mutex
	dirty   map[key]bool // changes that could not be fetched yet
	reset   bool         // a full reload is owed
}

// NewCache returns an empty cache; Run fills it and keeps it fresh.
func NewCache(store LinkStore, log *slog.Logger) *Cache {
	c := &Cache{
		store:        store,
		log:          log,
		resync:       5 * time.Minute,
		seed:         maphash.MakeSeed(),
		domainCounts: map[string]int{},
		dirty:        map[key]bool{},
	}
	for i := range c.shards {
		c.shards[i].short = map[shortSlug]entry{}
		c.shards[i].long = map[string]entry{}
		c.shards[i].custom = map[key]entry{}
		c.shards[i].gone = map[key]struct{}{}
	}
	c.domainSet.Store(&map[string]struct{}{})
	return c
}

// Loaded reports whether the cache has been filled at least once.
func (c *Cache) Loaded() bool { return c.loaded.Load() }

// Len returns the number of cached links.
func (c *Cache) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.short) + len(s.long) + len(s.custom)
		s.mu.RUnlock()
	}
	return n
}

func (c *Cache) shard(slug string) *shard {
	return &c.shards[maphash.String(c.seed, slug)%shardCount]
}

// lookup finds the link for a request host and slug. A host that is a custom
// domain sees only its own links; every other host sees the default domain's.
func (c *Cache) lookup(host, slug string) (entry, bool) {
	k := key{"", slug}
	if d := *c.domainSet.Load(); len(d) > 0 {
		if _, ok := d[host]; ok {
			k.domain = host
		}
	}
	s := c.shard(slug)
	s.mu.RLock()
	e, ok := s.get(k)
	s.mu.RUnlock()
	return e, ok
}

// Run subscribes to the change feed and keeps the cache fresh until ctx ends,
// resubscribing after errors and reloading everything every resync period.
func (c *Cache) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { c.repairLoop(ctx) })
	backoff := 100 * time.Millisecond
	for {
		err := c.store.WatchLinks(ctx, c.apply)
		if ctx.Err() != nil {
			return nil
		}
		c.log.Warn("link change feed lost; links keep being served from cache", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// repairLoop retries what apply could not fetch and reloads periodically.
func (c *Cache) repairLoop(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		c.dirtyMu.Lock()
		reset := c.reset || time.Since(last) >= c.resync
		pending := c.dirty
		c.dirty = map[key]bool{}
		c.reset = false
		c.dirtyMu.Unlock()
		if reset {
			c.apply(linkwatch.LinkChange{Reset: true})
			last = time.Now()
			continue
		}
		for k := range pending {
			c.apply(linkwatch.LinkChange{Domain: k.domain, Slug: k.slug})
		}
	}
}

// apply handles one change from the feed. Failures are remembered and retried
// by repairLoop; the cache keeps serving what it has meanwhile.
func (c *Cache) apply(ch linkwatch.LinkChange) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ch.Reset {
		if err := c.reload(ctx); err != nil {
			c.log.Warn("link cache reload failed; will retry", "err", err)
			c.dirtyMu.Lock()
			c.reset = true
			c.dirtyMu.Unlock()
		}
		return
	}
	k := key{ch.Domain, ch.Slug}
	l, err := c.store.LinkBySlug(ctx, ch.Domain, ch.Slug)
	switch {
	case err == nil:
		c.put(l)
	case linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND:
		c.remove(k)
	default:
		c.log.Warn("link cache refresh failed; will retry", "domain", ch.Domain, "slug", ch.Slug, "err", err)
		c.dirtyMu.Lock()
		c.dirty[k] = true
		c.dirtyMu.Unlock()
	}
}

// reload brings every link up to date in place, a page of links at a time,
// and then drops the links no page contained. It never builds a second copy
// of the cache: memory stays at one entry per link plus one page.
//
// Each reload has a generation; every entry a page confirms, and every change
// the feed applies meanwhile, carries it. A change from the feed is newer
// than the page that may follow it, so the page leaves it alone; a link the
// feed removes meanwhile is remembered in its shard's gone set for the same
// reason. Only a reload that read every page sweeps: a failed one leaves the
// cache as it was, entries refreshed so far included.
func (c *Cache) reload(ctx context.Context) error {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	gen := c.gen.Add(1)
	c.reloading.Store(true)
	defer func() {
		c.reloading.Store(false)
		for i := range c.shards {
			s := &c.shards[i]
			s.mu.Lock()
			clear(s.gone)
			s.mu.Unlock()
		}
	}()
	// The next page is read while this one is applied.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	pages, failed := make(chan []*linkwatch.Link, 1), make(chan error, 1)
	wg.Go(func() { c.readPages(ctx, pages, failed) })
	var after int64
	for page := range pages {
		for _, l := range page {
			if l.ID <= after {
				return errors.New("link store ignores paging: links are not in ID order")
			}
			after = l.ID
			c.confirm(l, gen)
		}
	}
	select {
	case err := <-failed:
		return err
	default:
	}
	for i := range c.shards {
		c.sweep(&c.shards[i], gen)
	}
	c.loaded.Store(true)
	return nil
}

// readPages sends every link to pages, a page at a time, and closes it; a
// failed read goes to failed first.
func (c *Cache) readPages(ctx context.Context, pages chan<- []*linkwatch.Link, failed chan<- error) {
	defer close(pages)
	var after int64
	for {
		page, err := c.store.ListLinks(ctx, linkwatch.LinkFilter{AfterID: after, Limit: pageSize})
		if err != nil {
			failed <- err
			return
		}
		select {
		case pages <- page:
		case <-ctx.Done():
			return
		}
		if len(page) < pageSize {
			return
		}
		after = page[len(page)-1].ID
	}
}

// confirm applies a link read by reload gen, unless the feed changed or
// removed it since the reload began. An unchanged link costs a lookup and a
// store; a changed one's entry is built outside the lock (it normalises
// URLs).
func (c *Cache) confirm(l *linkwatch.Link, gen uint32) {
	k := key{l.Domain, l.Slug}
	s := c.shard(l.Slug)
	s.mu.Lock()
	old, ok := s.get(k)
	switch _, removed := s.gone[k]; {
	case removed, ok && old.gen == gen: // the feed's version is newer
		s.mu.Unlock()
		return
	case ok && old.same(l):
		old.gen = gen
		c.store1(s, k, old, true)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()

	e, err := newEntry(l)
	if err != nil {
		c.log.Error("stored link has an unparsable URL; not served", "domain", l.Domain, "slug", l.Slug, "err", err)
		return
	}
	e.gen = gen
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, removed := s.gone[k]; removed {
		return
	}
	cur, ok := s.get(k)
	if ok && cur.gen == gen {
		return
	}
	c.store1(s, k, e, ok)
}

// sweep drops the shard's links that reload gen did not confirm.
func (c *Cache) sweep(s *shard, gen uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for slug, e := range s.short {
		if e.gen != gen {
			delete(s.short, slug)
		}
	}
	for slug, e := range s.long {
		if e.gen != gen {
			delete(s.long, slug)
		}
	}
	for k, e := range s.custom {
		if e.gen != gen {
			c.delete1(s, k)
		}
	}
}

func (c *Cache) put(l *linkwatch.Link) {
	e, err := newEntry(l)
	if err != nil {
		c.log.Error("link has an unparsable URL; not served", "domain", l.Domain, "slug", l.Slug, "err", err)
		return
	}
	k := key{l.Domain, l.Slug}
	s := c.shard(l.Slug)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Read under the shard's lock: a reload running now leaves it alone.
	e.gen = c.gen.Load()
	delete(s.gone, k)
	_, had := s.get(k)
	c.store1(s, k, e, had)
}

func (c *Cache) remove(k key) {
	s := c.shard(k.slug)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.reloading.Load() {
		s.gone[k] = struct{}{}
	}
	c.delete1(s, k)
}

// store1 sets k in s, whose lock is held; had says whether s has k already.
func (c *Cache) store1(s *shard, k key, e entry, had bool) {
	if k.domain == "" {
		if sk, ok := toShort(k.slug); ok {
			s.short[sk] = e
		} else {
			s.long[k.slug] = e
		}
		return
	}
	if !had {
		c.countDomain(k.domain, 1)
	}
	s.custom[k] = e
}

// delete1 removes k from s, whose lock is held.
func (c *Cache) delete1(s *shard, k key) {
	if k.domain == "" {
		if sk, ok := toShort(k.slug); ok {
			delete(s.short, sk)
		} else {
			delete(s.long, k.slug)
		}
		return
	}
	if _, ok := s.custom[k]; !ok {
		return
	}
	delete(s.custom, k)
	c.countDomain(k.domain, -1)
}

// shortSlug is a slug of up to 16 bytes, padded with zero bytes.
type shortSlug [16]byte

// toShort returns slug as a shortSlug if it fits and has no zero byte (a
// valid slug has none; a stored one that has goes to the long map).
func toShort(slug string) (shortSlug, bool) {
	var k shortSlug
	if len(slug) > len(k) || strings.IndexByte(slug, 0) >= 0 {
		return k, false
	}
	copy(k[:], slug)
	return k, true
}

func (s *shard) get(k key) (entry, bool) {
	if k.domain == "" {
		if sk, ok := toShort(k.slug); ok {
			e, ok := s.short[sk]
			return e, ok
		}
		e, ok := s.long[k.slug]
		return e, ok
	}
	e, ok := s.custom[k]
	return e, ok
}

// countDomain adds d to a domain's link count and publishes a new domain set
// when a domain appears or goes: rare, so lookups read the set without a lock.
func (c *Cache) countDomain(d string, delta int) {
	c.domainMu.Lock()
	defer c.domainMu.Unlock()
	n := c.domainCounts[d] + delta
	was := c.domainCounts[d] > 0
	if n > 0 {
		c.domainCounts[d] = n
	} else {
		delete(c.domainCounts, d)
	}
	if was == (n > 0) {
		return
	}
	set := make(map[string]struct{}, len(c.domainCounts))
	for d := range c.domainCounts {
		set[d] = struct{}{}
	}
	c.domainSet.Store(&set)
}

// same reports whether l would make the entry it already has, judged
// without normalising or parsing anything (a link stored before
// normalisation is rebuilt each time, which is correct, just slower).
func (e *entry) same(l *linkwatch.Link) bool {
	if e.id != l.ID || e.expires != expiresMicro(l) {
		return false
	}
	location, code, fallback := l.Redirect(false)
	if !e.live.same(location, code, fallback) {
		return false
	}
	location, code, fallback = l.Redirect(true)
	if code == linkwatch.StatusGone {
		return e.expired == nil
	}
	return e.expired != nil && e.expired.same(location, code, fallback)
}

func (r *response) same(location string, code int, fallback bool) bool {
	return r.location == location && int(r.code) == code && r.fallback == fallback
}

func expiresMicro(l *linkwatch.Link) int64 {
	if l.ExpiresAt.IsZero() {
		return math.MaxInt64
	}
	return l.ExpiresAt.UnixMicro()
}

func newEntry(l *linkwatch.Link) (entry, error) {
	location, code, fallback := l.Redirect(false)
	live, err := newResponse(location, code, fallback)
	if err != nil {
		return entry{}, err
	}
	if fallback {
		// A failover is temporary: no cache may keep it past the outage.
		live.cache = policyNone
	}
	e := entry{id: l.ID, expires: expiresMicro(l), live: live}
	if location, code, fallback := l.Redirect(true); code != linkwatch.StatusGone {
		exp, err := newResponse(location, code, fallback)
		if err != nil {
			return entry{}, errors.Join(errors.New("fallback_url"), err)
		}
		e.expired = &exp
	}
	return e, nil
}

func newResponse(stored string, code int, fallback bool) (response, error) {
	loc, valid := location(stored)
	// A copy: the entry outlives the link it was made from and must not
	// keep a driver's buffer alive.
	r := response{location: strings.Clone(loc), code: int16(code), fallback: fallback}
	if code == http.StatusMovedPermanently || code == http.StatusPermanentRedirect {
		r.cache = policyPermanent
	}
	if !valid {
		// A URL that normalises parses; this one must at least parse.
		if _, err := url.Parse(r.location); err != nil {
			return r, err
		}
	}
	return r, nil
}

// location is a stored URL as a Location header carries it, and whether it
// normalised. Links are stored normalised; one stored before (an IDN host,
// non-ASCII in its path) is normalised here, once per load. One that does not
// validate is sent as it is, as it always was.
func location(stored string) (string, bool) {
	if n, err := linkwatch.NormalizeURL(stored); err == nil {
		return n, true
	}
	return stored, false
}
