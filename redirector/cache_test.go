package redirector

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/linkwatch/linkwatch"
)

// pagedLinks is a LinkStore for many links: a slice in ID order, paged like
// the real stores, handing out fresh strings as a database driver does.
// hook, when set, runs after a page is read and before it is returned.
type pagedLinks struct {
	mu    sync.Mutex
	links []*linkwatch.Link // by ID
	lists []linkwatch.LinkFilter
	hook  func(call int)
}

func newPagedLinks(n int, dest func(i int) string) *pagedLinks {
	p := &pagedLinks{links: make([]*linkwatch.Link, n)}
	for i := range n {
		p.links[i] = &linkwatch.Link{ID: int64(i + 1), Slug: "s" + strconv.Itoa(i), Destination: dest(i), RedirectCode: 302}
	}
	return p
}

func (p *pagedLinks) find(domain, slug string) int {
	return slices.IndexFunc(p.links, func(l *linkwatch.Link) bool { return l.Domain == domain && l.Slug == slug })
}

func fresh(l *linkwatch.Link) *linkwatch.Link {
	c := *l
	c.Slug, c.Domain, c.Destination = strings.Clone(l.Slug), strings.Clone(l.Domain), strings.Clone(l.Destination)
	return &c
}

func (p *pagedLinks) LinkBySlug(_ context.Context, domain, slug string) (*linkwatch.Link, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := p.find(domain, slug); i >= 0 {
		return fresh(p.links[i]), nil
	}
	return nil, linkwatch.Errorf(linkwatch.ENOTFOUND, "no link")
}

func (p *pagedLinks) ListLinks(_ context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error) {
	p.mu.Lock()
	p.lists = append(p.lists, f)
	call := len(p.lists)
	i := sort.Search(len(p.links), func(i int) bool { return p.links[i].ID > f.AfterID })
	out := []*linkwatch.Link{}
	for ; i < len(p.links) && (f.Limit <= 0 || len(out) < f.Limit); i++ {
		out = append(out, fresh(p.links[i]))
	}
	hook := p.hook
	p.mu.Unlock()
	if hook != nil {
		hook(call)
	}
	return out, nil
}

func (p *pagedLinks) WatchLinks(ctx context.Context, fn func(linkwatch.LinkChange)) error {
	<-ctx.Done()
	return ctx.Err()
}

func (p *pagedLinks) update(slug, dest string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := *p.links[p.find("", slug)]
	c.Destination = dest
	p.links[p.find("", slug)] = &c
}

func (p *pagedLinks) delete(slug string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.links = slices.Delete(p.links, p.find("", slug), p.find("", slug)+1)
}

func (p *pagedLinks) add(l *linkwatch.Link) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l.ID = p.links[len(p.links)-1].ID + 1
	p.links = append(p.links, l)
}

func destination(i int) string {
	return "https://example.com/landing/" + strconv.Itoa(i) + "?utm_source=bench"
}

func quietCache(store LinkStore) *Cache {
	return NewCache(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func cached(t *testing.T, c *Cache, slug string) (string, bool) {
	t.Helper()
	e, ok := c.lookup("localhost", slug)
	return e.live.location, ok
}

// TestReloadPagesInPlace: a reload reads the links a page at a time and
// applies what changed while no change was announced: edits, deletions and
// new links.
func TestReloadPagesInPlace(t *testing.T) {
	const n = 2*pageSize + 123
	store := newPagedLinks(n, destination)
	c := quietCache(store)
	if err := c.reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if c.Len() != n || !c.Loaded() {
		t.Fatalf("after the first load: %d links, loaded %v; want %d", c.Len(), c.Loaded(), n)
	}
	for i, f := range store.lists {
		if f.Limit != pageSize || (i > 0 && f.AfterID != int64(i*pageSize)) {
			t.Fatalf("call %d: %+v, want pages of %d after the last ID", i, f, pageSize)
		}
	}
	if len(store.lists) != 3 {
		t.Fatalf("%d ListLinks calls for %d links, want 3", len(store.lists), n)
	}

	store.update("s7", "https://example.com/new")
	store.delete("s9000")
	store.add(&linkwatch.Link{Slug: "late", Destination: "https://example.com/late", RedirectCode: 302})
	store.add(&linkwatch.Link{Domain: "go.brand.com", Slug: "b", Destination: "https://brand.com/", RedirectCode: 302})
	if err := c.reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if loc, _ := cached(t, c, "s7"); loc != "https://example.com/new" {
		t.Errorf("edited link: %q", loc)
	}
	if _, ok := cached(t, c, "s9000"); ok {
		t.Error("a deleted link is still served after a reload")
	}
	if loc, _ := cached(t, c, "late"); loc != "https://example.com/late" {
		t.Errorf("new link: %q", loc)
	}
	if loc, _ := cached(t, c, "s8"); loc != destination(8) {
		t.Errorf("unchanged link: %q", loc)
	}
	if e, ok := c.lookup("go.brand.com", "b"); !ok || e.live.location != "https://brand.com/" {
		t.Errorf("custom domain link: %+v %v", e, ok)
	}
	if c.Len() != n+1 {
		t.Errorf("%d links, want %d", c.Len(), n+1)
	}

	// The custom domain's last link goes: its host sees default links again.
	store.mu.Lock()
	store.links = store.links[:len(store.links)-1]
	store.mu.Unlock()
	if err := c.reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.lookup("go.brand.com", "s1"); !ok {
		t.Error("a host that no longer is a custom domain does not see the default domain's links")
	}
}

// TestReloadKeepsNewerChanges: changes the feed applies while a reload runs
// are newer than the pages the reload read before them; the reload must not
// undo them.
func TestReloadKeepsNewerChanges(t *testing.T) {
	const n = 2*pageSize + 10
	store := newPagedLinks(n, destination)
	c := quietCache(store)
	if err := c.reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	// During the next reload's first page (already read, holding s3 and
	// s4 as they were): s3 is deleted, s4 edited, "new" created, and the
	// feed announces each.
	store.hook = func(call int) {
		if call != 4 {
			return
		}
		store.delete("s3")
		store.update("s4", "https://example.com/edited")
		store.add(&linkwatch.Link{Slug: "new", Destination: "https://example.com/created", RedirectCode: 302})
		for _, slug := range []string{"s3", "s4", "new"} {
			c.apply(linkwatch.LinkChange{Slug: slug})
		}
	}
	if err := c.reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok := cached(t, c, "s3"); ok {
		t.Error("the reload brought back a link deleted while it ran")
	}
	if loc, _ := cached(t, c, "s4"); loc != "https://example.com/edited" {
		t.Errorf("the reload undid an edit made while it ran: %q", loc)
	}
	if loc, _ := cached(t, c, "new"); loc != "https://example.com/created" {
		t.Errorf("a link created while the reload ran: %q", loc)
	}
	if c.Len() != n {
		t.Errorf("%d links, want %d", c.Len(), n)
	}
}

// TestReloadFailureKeepsLinks: a reload that fails part-way drops nothing.
func TestReloadFailureKeepsLinks(t *testing.T) {
	const n = 2 * pageSize
	store := newPagedLinks(n, destination)
	c := quietCache(store)
	if err := c.reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	failing := &failingPages{pagedLinks: store, failAt: 2}
	c.store = failing
	if err := c.reload(t.Context()); err == nil {
		t.Fatal("the reload did not report the failed page")
	}
	if c.Len() != n {
		t.Fatalf("%d links after a failed reload, want all %d", c.Len(), n)
	}
}

type failingPages struct {
	*pagedLinks
	calls, failAt int
}

func (f *failingPages) ListLinks(ctx context.Context, lf linkwatch.LinkFilter) ([]*linkwatch.Link, error) {
	if f.calls++; f.calls == f.failAt {
		return nil, linkwatch.Errorf(linkwatch.EUNAVAILABLE, "database down")
	}
	return f.pagedLinks.ListLinks(ctx, lf)
}

// TestReloadRefusesUnorderedPages: a store that ignores paging would make the
// reload loop forever; it is an error instead.
func TestReloadRefusesUnorderedPages(t *testing.T) {
	links := make([]*linkwatch.Link, pageSize)
	for i := range links {
		links[i] = &linkwatch.Link{Slug: "s" + strconv.Itoa(i), Destination: "https://example.com/", RedirectCode: 302}
	}
	c := quietCache(&unpaged{newFakeLinks(links...)})
	if err := c.reload(t.Context()); err == nil || !strings.Contains(err.Error(), "paging") {
		t.Fatalf("err = %v, want one about paging", err)
	}
}

// unpaged returns every link whatever the filter.
type unpaged struct{ *fakeLinks }

func (u *unpaged) ListLinks(ctx context.Context, _ linkwatch.LinkFilter) ([]*linkwatch.Link, error) {
	return u.fakeLinks.ListLinks(ctx, linkwatch.LinkFilter{})
}

// cacheBytesPerLink loads n links and returns the heap the cache holds per
// link after a collection: after the first load, and after a reload in which
// every link changed (the most a reload builds).
func cacheBytesPerLink(tb testing.TB, n int) (first, changed float64) {
	store := newPagedLinks(n, destination)
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	c := quietCache(store)
	if err := c.reload(context.Background()); err != nil {
		tb.Fatal(err)
	}
	first = float64(heap()-before) / float64(n)
	store.mu.Lock()
	for i, l := range store.links {
		c := *l
		c.Destination = destination(i) + "&v=2"
		store.links[i] = &c
	}
	store.mu.Unlock()
	before = heap() // the store's new links are the store's
	before -= uint64(first * float64(n))
	if err := c.reload(context.Background()); err != nil {
		tb.Fatal(err)
	}
	changed = float64(heap()-before) / float64(n)
	if c.Len() != n {
		tb.Fatalf("%d links cached, want %d", c.Len(), n)
	}
	runtime.KeepAlive(store)
	return first, changed
}

// TestCacheMemoryPerLink holds the cache to at most 300 bytes a link at
// 100,000 links (a million need at most 300 MB).
func TestCacheMemoryPerLink(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 100,000 links")
	}
	first, changed := cacheBytesPerLink(t, 100_000)
	t.Logf("%.0f bytes a link after loading, %.0f after a reload changing every link", first, changed)
	if first > 300 || changed > 300 {
		t.Fatalf("%.0f and %.0f bytes a link, want at most 300", first, changed)
	}
}

// TestCacheSlugLengths: short slugs are kept inside the map's keys, longer
// ones (and a stored one with a zero byte) apart; all are found, replaced and
// removed alike.
func TestCacheSlugLengths(t *testing.T) {
	slugs := []string{"a", strings.Repeat("b", 16), strings.Repeat("c", 17), strings.Repeat("d", 64), "e\x00"}
	var links []*linkwatch.Link
	for _, s := range slugs {
		links = append(links, &linkwatch.Link{Slug: s, Destination: "https://example.com/" + strconv.Itoa(len(s)), RedirectCode: 302})
	}
	store := newFakeLinks(links...)
	c := quietCache(store)
	c.apply(linkwatch.LinkChange{Reset: true})
	for _, s := range slugs {
		if loc, ok := cached(t, c, s); !ok || loc != "https://example.com/"+strconv.Itoa(len(s)) {
			t.Errorf("slug of %d bytes: %q, %v", len(s), loc, ok)
		}
	}
	if _, ok := cached(t, c, "e"); ok {
		t.Error("a slug with a zero byte is found without it")
	}
	for _, s := range slugs {
		store.mu.Lock()
		l := *store.links[key{"", s}]
		l.Destination = "https://example.com/new"
		store.links[key{"", s}] = &l
		store.mu.Unlock()
		c.apply(linkwatch.LinkChange{Slug: s})
		if loc, _ := cached(t, c, s); loc != "https://example.com/new" {
			t.Errorf("slug of %d bytes after an edit: %q", len(s), loc)
		}
		store.mu.Lock()
		delete(store.links, key{"", s})
		store.mu.Unlock()
		c.apply(linkwatch.LinkChange{Slug: s})
		if _, ok := cached(t, c, s); ok {
			t.Errorf("slug of %d bytes still cached after its deletion", len(s))
		}
	}
	if c.Len() != 0 {
		t.Fatalf("%d links left", c.Len())
	}
}
