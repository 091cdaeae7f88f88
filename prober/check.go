// Package prober checks links and monitors from the outside, as a phone that
// scans a printed QR code would: the short link through the public
// redirector, then the destination and its redirect chain, then the QR code
// itself. Every check returns a linkwatch.Result with an error class that says
// why it failed.
package prober

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"time"

	"github.com/linkwatch/linkwatch"
)

// Defaults of Config.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultBodyLimit = 1 << 20
)

// drainLimit is how much of a redirect's or a refused response's body is read
// and thrown away so its connection can be reused; a longer body costs the
// connection instead.
const drainLimit = 4 << 10

// Config configures a Checker.
type Config struct {
	// Region and ProberID are stamped on every result.
	Region   string
	ProberID string
	// PublicURL, when set, overrides where short links are fetched from
	// (split-horizon DNS: LINKWATCH_PUBLIC_URL on a prober): it replaces the
	// scheme and host of each assigned short URL for the request only; the
	// Host header, the expected Location and the QR text stay those of the
	// assignment. When nil, assigned short URLs are fetched as they are.
	// Its host and port are reachable even when private, as is every
	// short URL's own host and port during the short-link step.
	PublicURL *url.URL
	// AllowPrivate lets checks reach every address, private, loopback and
	// cloud metadata ones included (LINKWATCH_PROBE_ALLOW_PRIVATE). It is for
	// tests, benchmarks and single-machine setups; a prober reachable by
	// untrusted link owners must not set it.
	AllowPrivate bool
	// Timeout bounds one whole check, every hop and the body included.
	// Zero means DefaultTimeout.
	Timeout time.Duration
	// BodyLimit is how many bytes of a final body are read, hashed and
	// searched for the keyword. Zero means DefaultBodyLimit.
	BodyLimit int64
	// Now is the clock for result times and link expiry; nil means time.Now.
	// Durations are measured with the monotonic clock regardless.
	Now func() time.Time
	// Resolver resolves the hosts checks connect to; nil means
	// net.DefaultResolver.
	Resolver *net.Resolver
	// RootCAs, when set, replaces the system roots for verifying servers
	// (tests use it to trust their own CA).
	RootCAs *x509.CertPool
}

// Checker runs checks. It is safe for concurrent use; all checks share one
// HTTP transport, so connections to a host are kept alive and reused.
type Checker struct {
	cfg       Config
	transport *http.Transport
	client    *http.Client
	userAgent []string
}

// userAgent looks like a phone's QR scanner opening a link in Safari, so
// destinations answer the checks as they answer visitors, and names the
// prober so their operators (and our redirector) can tell it from one.
const userAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 " +
	"(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1 " + linkwatch.ProberUserAgentMarker + "1 (region=%s)"

// NewChecker returns a Checker for cfg, filling in its defaults.
func NewChecker(cfg Config) *Checker {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	g := newGuard(cfg)
	tr := &http.Transport{
		// No proxy: the guard must see the address really dialed.
		Proxy:             nil,
		DialContext:       g.DialContext,
		TLSClientConfig:   &tls.Config{RootCAs: cfg.RootCAs},
		ForceAttemptHTTP2: true, // phones speak HTTP/2; a custom DialContext turns it off otherwise
		// Dials outlive the request that started them (the transport detaches
		// them so another request may use the connection); these bound them.
		TLSHandshakeTimeout:   cfg.Timeout,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64, // every link check starts at the public redirector
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &Checker{
		cfg:       cfg,
		transport: tr,
		client: &http.Client{
			Transport: tr,
			// Redirects are followed by hand, one recorded hop at a time.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		userAgent: []string{fmt.Sprintf(userAgent, cfg.Region)},
	}
}

// Close closes the idle connections of the Checker's transport.
func (c *Checker) Close() { c.transport.CloseIdleConnections() }

// CheckLink checks a link as a phone scanning its QR code would: the short
// URL must redirect with the link's redirect code to the link's current
// target (its fallback while failed over or expired, 410 when gone), then
// the primary destination must pass the link's expectation — the primary
// even while failed over, so the alert engine sees when it is back; an
// expired link's fallback is its destination. The result's Step is
// StepShortLink when the redirect itself failed, and FailedOver says that
// the short link was expected to serve the fallback.
//
// A check whose ctx is canceled fails with ClassTimeout; callers shutting
// down should drop such results.
func (c *Checker) CheckLink(ctx context.Context, a LinkAssignment) linkwatch.Result {
	l := a.Link
	r := c.begin(ctx, linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID})
	defer r.cancel()
	expired := l.Expired(r.res.At)
	target, code, fallback := l.Redirect(expired)
	gone := code == linkwatch.StatusGone
	r.res.FailedOver = fallback
	dest := l.Destination
	if expired {
		dest = target
	}
	if c.shortLink(r, a, target, code, gone) && !gone {
		c.destination(r, dest, l.Expect)
	}
	return r.finish(l.Expect)
}

// CheckFallback checks a link's fallback URL against the link's
// expectation, as the destination step does, for a result of its own
// (linkwatch.KindFallback, the link's ID): failing over is only a choice
// while the fallback works.
func (c *Checker) CheckFallback(ctx context.Context, l *linkwatch.Link) linkwatch.Result {
	r := c.begin(ctx, linkwatch.Target{Kind: linkwatch.KindFallback, ID: l.ID})
	defer r.cancel()
	c.destination(r, l.FallbackURL, l.Expect)
	return r.finish(l.Expect)
}

// CheckMonitor checks a monitor's URL, following its redirects, against the
// monitor's expectation.
func (c *Checker) CheckMonitor(ctx context.Context, m *linkwatch.Monitor) linkwatch.Result {
	r := c.begin(ctx, linkwatch.Target{Kind: linkwatch.KindMonitor, ID: m.ID})
	defer r.cancel()
	c.destination(r, m.URL, m.Expect)
	return r.finish(m.Expect)
}

// run is the state of one check in progress.
type run struct {
	ctx     context.Context
	cancel  context.CancelFunc
	start   time.Time // monotonic
	timeout time.Duration
	res     linkwatch.Result
}

func (c *Checker) begin(ctx context.Context, t linkwatch.Target) *run {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	return &run{ctx: ctx, cancel: cancel, start: start, timeout: c.cfg.Timeout, res: c.newResult(t)}
}

func (c *Checker) newResult(t linkwatch.Target) linkwatch.Result {
	return linkwatch.Result{
		ID:     linkwatch.NewID(),
		Target: t,
		Region: c.cfg.Region,
		Prober: c.cfg.ProberID,
		At:     c.cfg.Now(),
	}
}

// fail records the first failure of a check; later ones are consequences.
func (r *run) fail(step, class, msg string) {
	if r.res.Class != "" {
		return
	}
	r.res.Step, r.res.Class, r.res.Error = step, class, clip(msg, maxErrorLen)
}

// failRequest records a request that got no response (or no whole body).
func (r *run) failRequest(step string, u *url.URL, err error) {
	class := classify(err)
	msg := fmt.Sprintf("GET %s: %v", u.Redacted(), requestError(err))
	if r.ctx.Err() == context.DeadlineExceeded {
		// Whatever the request was doing, the check ran out of time.
		class = linkwatch.ClassTimeout
		msg = fmt.Sprintf("GET %s: the check did not finish within %s", u.Redacted(), r.timeout)
	}
	r.fail(step, class, msg)
}

// finish completes the result: total time, step and degradation.
func (r *run) finish(e linkwatch.Expectation) linkwatch.Result {
	r.res.Phases.Total = time.Since(r.start)
	if r.res.OK() {
		r.res.Step = linkwatch.StepDestination
		r.res.Degraded = e.MaxLatency > 0 && r.res.Phases.Total > e.MaxLatency
	}
	return r.res
}

// get sends one GET without following redirects, tracing it into tr.
func (c *Checker) get(ctx context.Context, u *url.URL, tr *tracer) (*http.Response, error) {
	return c.getHost(ctx, u, "", tr)
}

// getHost is get with a Host header other than u's when host is set.
func (c *Checker) getHost(ctx context.Context, u *url.URL, host string, tr *tracer) (*http.Response, error) {
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, tr.clientTrace()), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Host = host
	req.Header = http.Header{
		"User-Agent":      c.userAgent,
		"Accept":          acceptHTML,
		"Accept-Language": acceptLanguage,
	}
	tr.begin()
	return c.client.Do(req)
}

var (
	acceptHTML     = []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	acceptLanguage = []string{"en-US,en;q=0.9"}
)

// shortLink runs step 1 and reports whether it passed: the assigned short
// URL (fetched through the PublicURL override, when set) must answer
// wantCode (0: the default redirect code) with a redirect to target, or
// wantCode alone when the link is gone. Its host and port are reachable
// even when private: it is the platform's own redirector.
func (c *Checker) shortLink(r *run, a LinkAssignment, target string, wantCode int, gone bool) bool {
	l := a.Link
	u, fetch, host, err := fetchURL(a.ShortURL, c.cfg.PublicURL)
	if err != nil {
		r.fail(linkwatch.StepShortLink, linkwatch.ClassRedirectMismatch, fmt.Sprintf("link %d: %v", l.ID, err))
		return false
	}
	if wantCode == 0 {
		wantCode = linkwatch.DefaultRedirect
	}
	tr := new(tracer)
	hopStart := time.Now()
	resp, err := c.getHost(allowDial(r.ctx, fetch), fetch, host, tr)
	hop := linkwatch.Hop{URL: u.Redacted(), Duration: time.Since(hopStart)}
	r.res.FinalURL = hop.URL
	r.res.Phases = tr.phases()
	if err != nil {
		r.res.Hops = append(r.res.Hops, hop)
		r.failRequest(linkwatch.StepShortLink, fetch, err)
		return false
	}
	drain(resp.Body)
	hop.Status = resp.StatusCode
	r.res.Hops = append(r.res.Hops, hop)
	r.res.Status = resp.StatusCode
	loc := resp.Header.Get("Location")
	switch {
	case gone && resp.StatusCode != wantCode:
		r.fail(linkwatch.StepShortLink, linkwatch.ClassRedirectMismatch,
			fmt.Sprintf("short link %s answered %d, want %d: the link has expired", hop.URL, resp.StatusCode, wantCode))
		return false
	case gone:
		return true
	case resp.StatusCode != wantCode || !sameLocation(u, loc, target):
		r.fail(linkwatch.StepShortLink, linkwatch.ClassRedirectMismatch,
			fmt.Sprintf("short link %s answered %d to %q, want %d to %q",
				hop.URL, resp.StatusCode, redact(loc), wantCode, redact(target)))
		return false
	}
	return true
}

// fetchURL parses an assigned short URL (from the control plane) and says
// where to fetch it: through the override's scheme and host, with the short
// URL's host as the Host header, or as it is (host empty).
func fetchURL(short string, override *url.URL) (u, fetch *url.URL, host string, err error) {
	u, err = url.Parse(short)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, nil, "", fmt.Errorf("short URL %q is not an absolute http(s) URL", clip(short, 200))
	}
	if override == nil {
		return u, u, "", nil
	}
	f := *u
	f.Scheme, f.Host = override.Scheme, override.Host
	return u, &f, u.Host, nil
}

// sameLocation reports whether a Location header, resolved against the
// request URL, is target.
func sameLocation(req *url.URL, loc, target string) bool {
	if loc == target {
		return true
	}
	if n, err := linkwatch.NormalizeURL(target); err == nil && loc == n {
		return true // a link stored before IDN hosts were normalised goes out in punycode
	}
	u, err := req.Parse(loc)
	return err == nil && loc != "" && u.String() == target
}

// redact removes the password from a URL for messages; strings that do not
// parse are returned as they are, since they cannot carry userinfo Go uses.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}

// drain reads a little of an unneeded body and closes it, so a short one
// leaves its connection reusable.
func drain(body io.ReadCloser) {
	io.CopyN(io.Discard, body, drainLimit)
	body.Close()
}
