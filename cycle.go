package linkwatch

import (
	"context"
	"net/url"
	"strings"
)

// Bounds of the redirect-cycle rule. A chain of short links longer than
// MaxShortLinkChain is not followed further (browsers give up after MaxHops
// redirects anyway), and at most maxCycleLookups links are read per check.
const (
	MaxShortLinkChain = 20
	maxCycleLookups   = 100
)

// LinkLookup finds a link by domain ("" for the default domain) and slug,
// returning an ENOTFOUND error when there is none.
type LinkLookup interface {
	LinkBySlug(ctx context.Context, domain, slug string) (*Link, error)
}

// CheckRedirectCycle refuses l, about to be created or saved, when its
// destination or fallback is a Linkwatch short link that leads back to it,
// directly or through other short links (their destinations and fallbacks),
// since visitors would loop until their browser gives up. A short link is
// found by its URL's host, port and path: the public URL's host and port
// address default-domain links, a custom domain its own host. Scheme, query
// and fragment do not matter, nor does a default port (80 and 443 are one
// "no port", since a TLS-terminating proxy may stand in front); any other
// port must be the public URL's own, so another server on the same host
// (a landing page on 127.0.0.1:9000 beside Linkwatch on 127.0.0.1:8080) is
// not a short link. The error is an EINVALID naming the
// field and the cycle ("destination leads back to spring: spring → promo →
// spring"); a failed lookup is returned as it is.
func CheckRedirectCycle(ctx context.Context, l *Link, public *url.URL, links LinkLookup) error {
	w := &cycleWalk{ctx: ctx, self: l, publicHost: strings.ToLower(public.Hostname()), publicPort: portKey(public),
		links: links, seen: map[linkKey]bool{}}
	for _, f := range []struct{ field, url string }{{"destination", l.Destination}, {"fallback_url", l.FallbackURL}} {
		if f.url == "" {
			continue
		}
		path, err := w.follow(f.url, []string{l.name()}, 1)
		if err != nil {
			return err
		}
		if path != nil {
			return FieldErrorf(f.field, "%s leads back to %s: %s", f.field, l.name(), strings.Join(path, " → "))
		}
	}
	return nil
}

// name is how messages call a link: its slug, prefixed by its custom domain.
func (l *Link) name() string {
	if l.Domain == "" {
		return l.Slug
	}
	return l.Domain + "/" + l.Slug
}

type linkKey struct{ domain, slug string }

type cycleWalk struct {
	ctx        context.Context
	self       *Link
	publicHost string
	publicPort string
	links      LinkLookup
	seen       map[linkKey]bool // links already followed without reaching self
	lookups    int
}

// follow returns the path of link names from path's end through rawURL back
// to self, or nil when rawURL does not lead back within the bounds.
func (w *cycleWalk) follow(rawURL string, path []string, depth int) ([]string, error) {
	if depth > MaxShortLinkChain {
		return nil, nil
	}
	k, ok := w.shortLink(rawURL)
	if !ok {
		return nil, nil
	}
	if k == (linkKey{w.self.Domain, w.self.Slug}) {
		return append(path, w.self.name()), nil
	}
	if w.seen[k] || w.lookups >= maxCycleLookups {
		return nil, nil
	}
	w.seen[k] = true
	w.lookups++
	next, err := w.links.LinkBySlug(w.ctx, k.domain, k.slug)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	path = append(path, next.name())
	for _, u := range []string{next.Destination, next.FallbackURL} {
		if u == "" {
			continue
		}
		if p, err := w.follow(u, path, depth+1); p != nil || err != nil {
			return p, err
		}
	}
	return nil, nil
}

// shortLink returns the link a URL would address if it were a short link:
// the default domain on the public host, else the host as a custom domain.
func (w *cycleWalk) shortLink(rawURL string) (linkKey, bool) {
	if n, err := NormalizeURL(rawURL); err == nil {
		rawURL = n // links stored before normalisation may still hold IDN hosts
	}
	u, err := url.Parse(rawURL)
	if err != nil || len(u.Path) < 2 || u.Path[0] != '/' {
		return linkKey{}, false
	}
	slug := u.Path[1:]
	if ValidateSlug(slug) != nil {
		return linkKey{}, false
	}
	host, port := strings.ToLower(u.Hostname()), portKey(u)
	if host == w.publicHost && port == w.publicPort {
		return linkKey{"", slug}, true
	}
	if port != "" && port != w.publicPort {
		return linkKey{}, false // another server on that host
	}
	if ValidateDomain(host) != nil {
		return linkKey{}, false // no custom domain can have this host
	}
	return linkKey{host, slug}, true
}

// portKey is u's explicit port, or "" for none or a default one (80, 443).
func portKey(u *url.URL) string {
	if p := u.Port(); p != "80" && p != "443" {
		return p
	}
	return ""
}
