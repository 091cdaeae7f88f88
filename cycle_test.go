package linkwatch

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"testing"
)

// fakeLinks is a LinkLookup over a fixed set of links, counting reads.
type fakeLinks struct {
	links map[linkKey]*Link
	reads int
	err   error
}

var _ LinkLookup = (*fakeLinks)(nil)

func newFakeLinks(links ...*Link) *fakeLinks {
	f := &fakeLinks{links: map[linkKey]*Link{}}
	for _, l := range links {
		f.links[linkKey{l.Domain, l.Slug}] = l
	}
	return f
}

func (f *fakeLinks) LinkBySlug(_ context.Context, domain, slug string) (*Link, error) {
	f.reads++
	if f.err != nil {
		return nil, f.err
	}
	if l, ok := f.links[linkKey{domain, slug}]; ok {
		return l, nil
	}
	return nil, Errorf(ENOTFOUND, "no link %s/%s", domain, slug)
}

func TestCheckRedirectCycle(t *testing.T) {
	public := &url.URL{Scheme: "https", Host: "lw.example.com"}
	link := func(domain, slug, dest, fallback string) *Link {
		return &Link{Domain: domain, Slug: slug, Destination: dest, FallbackURL: fallback}
	}
	var chain []*Link // c0 → c1 → … → c24 → example.com: long, no cycle
	for i := range 25 {
		chain = append(chain, link("", "c"+strconv.Itoa(i), "https://lw.example.com/c"+strconv.Itoa(i+1), ""))
	}
	chain[24].Destination = "https://example.com/end"

	tests := []struct {
		name   string
		stored []*Link
		l      *Link
		field  string // "" when accepted
		msg    string
	}{
		{name: "unrelated URL", l: link("", "spring", "https://shop.example.com/spring", "")},
		{name: "self", l: link("", "spring", "https://lw.example.com/spring", ""),
			field: "destination", msg: "destination leads back to spring: spring → spring"},
		{name: "self, other scheme, port, case, query and fragment", l: link("", "spring", "HTTP://LW.Example.com:443/spring?utm=x#top", ""),
			field: "destination", msg: "destination leads back to spring: spring → spring"},
		{name: "a → b → a", stored: []*Link{link("", "promo", "https://lw.example.com/spring", "")},
			l:     link("", "spring", "https://lw.example.com/promo", ""),
			field: "destination", msg: "destination leads back to spring: spring → promo → spring"},
		{name: "a → b → c → a on a custom domain",
			stored: []*Link{
				link("go.brand.com", "b", "https://lw.example.com/c", ""),
				link("", "c", "http://go.brand.com/a", ""),
			},
			l:     link("go.brand.com", "a", "https://go.brand.com/b", ""),
			field: "destination", msg: "destination leads back to go.brand.com/a: go.brand.com/a → go.brand.com/b → c → go.brand.com/a"},
		{name: "fallback cycle", stored: []*Link{link("", "backup", "https://example.com/", "https://lw.example.com/spring")},
			l:     link("", "spring", "https://example.com/spring", "https://lw.example.com/backup"),
			field: "fallback_url", msg: "fallback_url leads back to spring: spring → backup → spring"},
		{name: "another short link without a cycle", stored: []*Link{link("", "promo", "https://example.com/promo", "")},
			l: link("", "spring", "https://lw.example.com/promo", "")},
		{name: "the public host's path is not the custom domain's", stored: []*Link{link("go.brand.com", "promo", "https://lw.example.com/spring", "")},
			l: link("", "spring", "https://lw.example.com/promo", "")},
		{name: "long chain without a cycle", stored: chain, l: link("", "start", "https://lw.example.com/c0", "")},
		{name: "a cycle not through the link is not its problem",
			stored: []*Link{link("", "x", "https://lw.example.com/y", ""), link("", "y", "https://lw.example.com/x", "")},
			l:      link("", "spring", "https://lw.example.com/x", "")},
		{name: "another server on the public host is not Linkwatch", l: link("", "spring", "https://lw.example.com:9000/spring", "")},
		{name: "nested path is not a short link", l: link("", "spring", "https://lw.example.com/spring/more", "")},
		{name: "reserved path is not a short link", l: link("", "api", "https://lw.example.com/api", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newFakeLinks(tt.stored...)
			err := CheckRedirectCycle(context.Background(), tt.l, public, store)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || e.Field != tt.field || e.Message != tt.msg {
				t.Fatalf("err = %#v, want invalid %s %q", err, tt.field, tt.msg)
			}
		})
	}
}

func TestCheckRedirectCycleBounded(t *testing.T) {
	// A chain longer than MaxShortLinkChain that does come back is not
	// followed to its end, and reads at most MaxShortLinkChain links.
	var links []*Link
	for i := range 30 {
		links = append(links, &Link{Slug: "c" + strconv.Itoa(i), Destination: "https://lw.example.com/c" + strconv.Itoa(i+1)})
	}
	links[29].Destination = "https://lw.example.com/start"
	store := newFakeLinks(links...)
	l := &Link{Slug: "start", Destination: "https://lw.example.com/c0"}
	if err := CheckRedirectCycle(context.Background(), l, &url.URL{Scheme: "https", Host: "lw.example.com"}, store); err != nil {
		t.Fatalf("a cycle beyond the bound: %v", err)
	}
	if store.reads > MaxShortLinkChain {
		t.Errorf("%d reads, want at most %d", store.reads, MaxShortLinkChain)
	}

	// A store failure is the caller's, not a verdict.
	store.err = Errorf(EUNAVAILABLE, "database down")
	if err := CheckRedirectCycle(context.Background(), l, &url.URL{Scheme: "https", Host: "lw.example.com"}, store); ErrorCode(err) != EUNAVAILABLE {
		t.Errorf("err = %v, want unavailable", err)
	}
}

// TestCheckRedirectCyclePorts: with a public URL on a port of its own, a
// short link is on that port; a landing page on another port of the same
// host is another server.
func TestCheckRedirectCyclePorts(t *testing.T) {
	public := &url.URL{Scheme: "http", Host: "127.0.0.1:8080"}
	store := newFakeLinks()
	self := &Link{Slug: "sale", Destination: "http://127.0.0.1:8080/sale"}
	if err := CheckRedirectCycle(context.Background(), self, public, store); ErrorCode(err) != EINVALID {
		t.Errorf("a link to its own short URL: err = %v, want invalid", err)
	}
	other := &Link{Slug: "sale", Destination: "http://127.0.0.1:9000/sale"}
	if err := CheckRedirectCycle(context.Background(), other, public, store); err != nil {
		t.Errorf("a landing page on another port: %v", err)
	}
	if store.reads != 0 {
		t.Errorf("%d reads for a URL that is no short link", store.reads)
	}
}
