package redirector

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linkwatch/linkwatch"
)

// LinkStore is what the cache needs from storage.
type LinkStore interface {
	LinkBySlug(ctx context.Context, domain, slug string) (*linkwatch.Link, error)
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	// WatchLinks blocks, calling fn for every change, and with Reset whenever
	// changes may have been missed (including right after it subscribes).
	WatchLinks(ctx context.Context, fn func(linkwatch.LinkChange)) error
}

type key struct{ domain, slug string }

// entry is a link prepared for redirecting: what to send, decided once when
// the link is loaded or changes, not per request. Only expiry depends on the
// clock.
type entry struct {
	link *linkwatch.Link
	// live is the answer while the link has not expired: the destination, or
	// the fallback while failed over (302, no-store).
	live response
	// expired is the answer once it has (the fallback with the link's own
	// code), nil for a 410.
	expired *response
}

// response is a prepared redirect. Its header values are shared by every
// request and never modified.
type response struct {
	location     string // as it is sent (linkwatch.NormalizeURL)
	u            *url.URL
	code         int
	cacheControl []string
	fallback     bool
}

// Cache holds every link in memory. It is a complete replica kept fresh by the
// store's change feed, so a miss is an answer (404), not a reason to ask the
// database: a flood of random slugs never reaches it, and links keep
// redirecting while the database is unreachable.
type Cache struct {
	store  LinkStore
	log    *slog.Logger
	resync time.Duration

	mu      sync.RWMutex
	links   map[key]*entry
	domains map[string]int // custom domain → number of its links

	loaded  atomic.Bool
	dirtyMu sync.Mutex
	dirty   map[key]bool // changes that could not be fetched yet
	reset   bool         // a full reload is owed
}

// NewCache returns an empty cache; Run fills it and keeps it fresh.
func NewCache(store LinkStore, log *slog.Logger) *Cache {
	return &Cache{
		store:   store,
		log:     log,
		resync:  5 * time.Minute,
		links:   map[key]*entry{},
		domains: map[string]int{},
		dirty:   map[key]bool{},
	}
}

// Loaded reports whether the cache has been filled at least once.
func (c *Cache) Loaded() bool { return c.loaded.Load() }

// Len returns the number of cached links.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.links)
}

// lookup finds the link for a request host and slug. A host that is a custom
// domain sees only its own links; every other host sees the default domain's.
func (c *Cache) lookup(host, slug string) *entry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.domains) > 0 && c.domains[host] > 0 {
		return c.links[key{host, slug}]
	}
	return c.links[key{"", slug}]
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

func (c *Cache) reload(ctx context.Context) error {
	all, err := c.store.ListLinks(ctx, linkwatch.LinkFilter{})
	if err != nil {
		return err
	}
	links := make(map[key]*entry, len(all))
	domains := map[string]int{}
	for _, l := range all {
		e, err := newEntry(l)
		if err != nil {
			c.log.Error("stored link has an unparsable URL; not served", "domain", l.Domain, "slug", l.Slug, "err", err)
			continue
		}
		links[key{l.Domain, l.Slug}] = e
		if l.Domain != "" {
			domains[l.Domain]++
		}
	}
	c.mu.Lock()
	c.links, c.domains = links, domains
	c.mu.Unlock()
	c.loaded.Store(true)
	return nil
}

func (c *Cache) put(l *linkwatch.Link) {
	e, err := newEntry(l)
	if err != nil {
		c.log.Error("link has an unparsable URL; not served", "domain", l.Domain, "slug", l.Slug, "err", err)
		return
	}
	k := key{l.Domain, l.Slug}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.links[k]; !ok && l.Domain != "" {
		c.domains[l.Domain]++
	}
	c.links[k] = e
}

func (c *Cache) remove(k key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.links[k]; !ok {
		return
	}
	delete(c.links, k)
	if k.domain != "" {
		if c.domains[k.domain]--; c.domains[k.domain] <= 0 {
			delete(c.domains, k.domain)
		}
	}
}

func newEntry(l *linkwatch.Link) (*entry, error) {
	location, code, fallback := l.Redirect(false)
	live, err := newResponse(location, code, fallback)
	if err != nil {
		return nil, err
	}
	if fallback {
		// A failover is temporary: no cache may keep it past the outage.
		live.cacheControl = []string{cacheNone}
	}
	e := &entry{link: l, live: live}
	if location, code, fallback := l.Redirect(true); code != linkwatch.StatusGone {
		exp, err := newResponse(location, code, fallback)
		if err != nil {
			return nil, errors.Join(errors.New("fallback_url"), err)
		}
		e.expired = &exp
	}
	return e, nil
}

func newResponse(stored string, code int, fallback bool) (response, error) {
	r := response{location: location(stored), code: code, fallback: fallback, cacheControl: []string{cacheTemporary}}
	if code == http.StatusMovedPermanently || code == http.StatusPermanentRedirect {
		r.cacheControl = []string{cachePermanent}
	}
	var err error
	r.u, err = url.Parse(r.location)
	return r, err
}

// location is a stored URL as a Location header carries it. Links are stored
// normalised; one stored before (an IDN host, non-ASCII in its path) is
// normalised here, once per load. One that does not validate is sent as it
// is, as it always was.
func location(stored string) string {
	if n, err := linkwatch.NormalizeURL(stored); err == nil {
		return n
	}
	return stored
}
