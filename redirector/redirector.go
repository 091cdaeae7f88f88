// Package redirector is the redirect core: it answers GET and HEAD /{slug}
// from an in-memory replica of every link and records each visit as a scan
// without making the visitor wait for the database.
package redirector

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
)

// Cache lifetimes of redirects. Temporary redirects are cached briefly and
// privately so an edit reaches visitors quickly; permanent ones for a day; a
// failover not at all, so visitors return to the primary as soon as it does.
const (
	cacheTemporary = "private, max-age=30"
	cachePermanent = "public, max-age=86400"
	cacheNone      = "no-store"
)

// Config tunes the redirect handler.
type Config struct {
	// CountryHeader names a header set by a trusted proxy or CDN
	// (e.g. CF-IPCountry) carrying the visitor's country; "" ignores countries.
	CountryHeader string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ScanRecorder receives scans; it must not block.
type ScanRecorder interface {
	Record(linkwatch.Scan)
}

// Redirector serves redirects. Build it with New and mount it with Handler.
type Redirector struct {
	cache         *Cache
	rec           ScanRecorder
	now           func() time.Time
	countryHeader string
	agents        *uaCache

	redirects map[int]prometheus.Counter
	latency   map[int]prometheus.Observer
	hits      prometheus.Counter
	misses    prometheus.Counter
	probes    prometheus.Counter
}

// New returns a redirector serving from cache and recording to rec. Its
// metrics are registered on reg; duration observations go to durations,
// the server-wide request histogram, under the route "/{slug}".
func New(cfg Config, cache *Cache, rec ScanRecorder, reg prometheus.Registerer, durations *prometheus.HistogramVec) *Redirector {
	r := &Redirector{
		cache: cache, rec: rec, now: cfg.Now, countryHeader: http.CanonicalHeaderKey(cfg.CountryHeader),
		agents:    newUACache(),
		redirects: map[int]prometheus.Counter{},
		latency:   map[int]prometheus.Observer{},
		hits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "linkwatch_link_cache_hits_total", Help: "Redirect lookups answered by a cached link.",
		}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "linkwatch_link_cache_misses_total", Help: "Redirect lookups for a slug that is not cached (404).",
		}),
		probes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "linkwatch_probe_requests_total",
			Help: "Requests for a link from Linkwatch's own probers, answered but never recorded as scans.",
		}),
	}
	if r.now == nil {
		r.now = time.Now
	}
	redirects := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linkwatch_redirects_total", Help: "Redirect requests answered, by status code.",
	}, []string{"code"})
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "linkwatch_link_cache_links", Help: "Links held in the in-memory cache.",
	}, func() float64 { return float64(cache.Len()) })
	reg.MustRegister(redirects, r.hits, r.misses, r.probes, size)
	// Curry every label set once so the hot path does no label hashing.
	for _, code := range []int{301, 302, 307, 308, 404, 410, 503} {
		c := strconv.Itoa(code)
		r.redirects[code] = redirects.WithLabelValues(c)
		r.latency[code] = durations.WithLabelValues("/{slug}", c)
	}
	return r
}

// Handler serves GET and HEAD for single-segment paths that can be slugs and
// passes every other request (reserved paths such as /api, /healthz,
// /status) to next.
func (rd *Redirector) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slug, ok := slugOf(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		rd.serve(w, r, slug)
	})
}

// slugOf returns the slug a request addresses, if it is a redirect request.
func slugOf(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "", false
	}
	p := r.URL.Path
	if len(p) < 2 || strings.IndexByte(p[1:], '/') >= 0 {
		return "", false
	}
	slug := p[1:]
	if linkwatch.ValidateSlug(slug) != nil {
		// Reserved names belong to the server; other non-slugs are 404s that
		// the router answers.
		return "", false
	}
	return slug, true
}

func (rd *Redirector) serve(w http.ResponseWriter, r *http.Request, slug string) {
	start := rd.now()
	code := rd.redirect(w, r, slug, start)
	rd.redirects[code].Inc()
	rd.latency[code].Observe(time.Since(start).Seconds())
}

func (rd *Redirector) redirect(w http.ResponseWriter, r *http.Request, slug string, now time.Time) int {
	if !rd.cache.Loaded() {
		writePage(w, r, http.StatusServiceUnavailable, pageUnavailable)
		return http.StatusServiceUnavailable
	}
	e, ok := rd.cache.lookup(requestHost(r), slug)
	if !ok {
		rd.misses.Inc()
		writePage(w, r, http.StatusNotFound, pageNotFound)
		return http.StatusNotFound
	}
	rd.hits.Inc()
	// Probers' requests are answered like anyone's but are not scans; the
	// class is cached per User-Agent, so telling them apart costs nothing.
	ua := rd.agents.classify(r.UserAgent())
	if ua.prober {
		rd.probes.Inc()
	}
	resp := &e.live
	if e.expiredAt(now) {
		if resp = e.expired; resp == nil {
			writePage(w, r, http.StatusGone, pageGone)
			return http.StatusGone
		}
	}
	location, source := mergeQuery(resp.location, r.URL.RawQuery)

	code := int(resp.code)
	h := w.Header()
	h["Location"] = []string{location}
	h["Cache-Control"] = resp.cacheControl()
	w.WriteHeader(code)

	if ua.prober {
		return code
	}
	rd.rec.Record(linkwatch.Scan{
		LinkID:       e.id,
		At:           now,
		Source:       source,
		ReferrerHost: referrerHost(r.Referer()),
		Device:       ua.device,
		Bot:          ua.bot,
		Country:      rd.country(r),
		Fallback:     resp.fallback,
	})
	return code
}

// mergeQuery returns the Location for a request query: the destination's own
// query with the request's values added (the request's win for the same key),
// and the scan source the QR marker implies. The marker never reaches the
// destination. target is parsed only when there is something to merge (it
// parsed when the link was loaded): keeping every destination parsed would
// cost more memory per link than the rest of its entry.
func mergeQuery(target, rawQuery string) (location, source string) {
	switch rawQuery {
	case "":
		return target, linkwatch.SourceLink
	case linkwatch.QRMarker + "=" + linkwatch.QRMarkerValue: // a plain QR scan, the common case
		return target, linkwatch.SourceQR
	}
	req, _ := url.ParseQuery(rawQuery) // keep what parses; a bad pair is skipped
	source = linkwatch.SourceLink
	if req.Get(linkwatch.QRMarker) == linkwatch.QRMarkerValue {
		source = linkwatch.SourceQR
		delete(req, linkwatch.QRMarker)
	}
	if len(req) == 0 {
		return target, source
	}
	dest, err := url.Parse(target)
	if err != nil {
		return target, source
	}
	q := dest.Query()
	for k, v := range req {
		q[k] = v
	}
	dest.RawQuery = q.Encode()
	return dest.String(), source
}

// requestHost is the Host header without port, lower-cased.
func requestHost(r *http.Request) string {
	h := r.Host
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	return strings.ToLower(h)
}

// referrerHost keeps only the host of the Referer: enough to tell where
// visitors come from, without recording their paths.
func referrerHost(ref string) string {
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host == "" {
		return ""
	}
	h := strings.ToLower(u.Hostname())
	if len(h) > linkwatch.MaxDomainLen {
		return ""
	}
	return h
}

// country returns a two-letter country code from the trusted header, or "".
func (rd *Redirector) country(r *http.Request) string {
	if rd.countryHeader == "" {
		return ""
	}
	v := r.Header[rd.countryHeader]
	if len(v) == 0 || len(v[0]) != 2 {
		return ""
	}
	c := strings.ToUpper(v[0])
	if c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return ""
	}
	return c
}
