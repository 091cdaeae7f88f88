package prober

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// guard is the transport's dialer. It stops checks from being turned against
// the prober's own network (server-side request forgery): a link owner
// chooses the destinations a prober requests, and without the guard could
// point one at a database, an admin port or the cloud metadata service.
//
// It resolves the host itself and refuses the dial when any address is not
// public, then connects to the checked addresses, never the name again, so
// DNS rebinding (a public answer to the check, a private one to the dial)
// cannot slip through. Refusing on any bad address, rather than skipping it,
// makes the outcome independent of which address would have answered.
//
// Three exceptions: the host and port of the short URL a short-link step
// fetches (allowDial marks its request), and the PublicURL override's, so a
// local setup can check its own short links; and Config.AllowPrivate, which
// allows every address, cloud metadata included.
type guard struct {
	resolver   *net.Resolver
	dialer     net.Dialer
	timeout    time.Duration
	allowAll   bool
	publicHost string // lower-case host name or IP of the public URL
	publicPort string
}

func newGuard(cfg Config) *guard {
	g := &guard{
		resolver: cfg.Resolver,
		dialer:   net.Dialer{KeepAlive: 30 * time.Second},
		timeout:  cfg.Timeout,
		allowAll: cfg.AllowPrivate,
	}
	if u := cfg.PublicURL; u != nil && u.Host != "" {
		g.publicHost, g.publicPort = strings.ToLower(u.Hostname()), portOf(u.Scheme, u.Port())
	}
	return g
}

// allowedDial is the context key of the one host:port a request may reach
// even when private.
type allowedDial struct{}

// allowDial marks ctx so that the guard lets its request reach u's host and
// port even when private: the platform's own redirector, for the short-link
// step. The transport passes the request's context values to its dials.
func allowDial(ctx context.Context, u *url.URL) context.Context {
	return context.WithValue(ctx, allowedDial{}, strings.ToLower(u.Hostname())+"|"+portOf(u.Scheme, u.Port()))
}

// allowed reports whether host:port is exempt from the address checks.
func (g *guard) allowed(ctx context.Context, host, port string) bool {
	if g.allowAll || g.publicHost != "" && strings.EqualFold(host, g.publicHost) && port == g.publicPort {
		return true
	}
	v, _ := ctx.Value(allowedDial{}).(string)
	return v != "" && v == strings.ToLower(host)+"|"+port
}

// portOf returns port, or the scheme's default port.
func portOf(scheme, port string) string {
	switch {
	case port != "":
		return port
	case scheme == "https":
		return "443"
	}
	return "80"
}

// blockedError is the guard's refusal.
type blockedError struct {
	host   string
	addr   netip.Addr
	reason string
}

func (e *blockedError) Error() string {
	if e.host == e.addr.String() {
		return fmt.Sprintf("refusing to connect to %s: %s address", e.host, e.reason)
	}
	return fmt.Sprintf("refusing to connect to %s: it resolves to %s, a %s address", e.host, e.addr, e.reason)
}

// DialContext resolves, checks and dials addr ("host:port").
func (g *guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	// The transport detaches dials from the request's deadline; bound them.
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else if addrs, err = g.resolver.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, err
	}
	if !g.allowed(ctx, host, port) {
		for _, a := range addrs {
			if reason := blockedReason(a); reason != "" {
				return nil, &blockedError{host: host, addr: a, reason: reason}
			}
		}
	}
	// One address after another, each with a fair share of the time left,
	// as net.Dialer does without Happy Eyeballs.
	var firstErr error
	for i, a := range addrs {
		dctx := ctx
		if deadline, ok := ctx.Deadline(); ok && i < len(addrs)-1 {
			share := time.Until(deadline) / time.Duration(len(addrs)-i)
			var cancel context.CancelFunc
			dctx, cancel = context.WithTimeout(ctx, max(share, 2*time.Second))
			defer cancel()
		}
		conn, err := g.dialer.DialContext(dctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

type blockedPrefix struct {
	prefix netip.Prefix
	reason string
}

// blockedPrefixes are the non-public ranges, most specific first so the
// metadata addresses are named as such.
var blockedPrefixes = []blockedPrefix{
	{netip.MustParsePrefix("169.254.169.254/32"), "cloud metadata"}, // AWS, GCP, Azure, …
	{netip.MustParsePrefix("fd00:ec2::254/128"), "cloud metadata"},  // AWS over IPv6
	{netip.MustParsePrefix("100.100.100.200/32"), "cloud metadata"}, // Alibaba Cloud
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},             // "this network"; 0.0.0.0 reaches localhost on Linux
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (CGNAT)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("fc00::/7"), "private"},
	{netip.MustParsePrefix("fec0::/10"), "private"}, // deprecated site-local
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// nat64 is the well-known NAT64 prefix: a gateway translates its addresses
// to the IPv4 address in their last 32 bits, private ones included.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// blockedReason says why the guard refuses ip, or returns "" for a public
// address. IPv4-mapped (::ffff:a.b.c.d) and NAT64 forms are judged by the
// IPv4 address they carry.
func blockedReason(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, p := range blockedPrefixes {
		if p.prefix.Contains(ip) {
			return p.reason
		}
	}
	return ""
}

// GuardedClient returns an HTTP client whose connections go through the
// same guard as checks: outside addresses only, unless allowPrivate. Other
// outbound requests to URLs that visitors choose (status page subscribers'
// webhooks) use it, so no one can aim Linkwatch at its own network.
func GuardedClient(allowPrivate bool, timeout time.Duration) *http.Client {
	g := newGuard(Config{AllowPrivate: allowPrivate, Timeout: timeout})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = g.DialContext
	return &http.Client{Transport: tr, Timeout: timeout}
}
