package statuspage

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
)

// The public status page's HTTP side. Publish renders everything once per
// snapshot into byte slices with a strong ETag; a request is a pointer
// load, a map lookup, a conditional-request check and a Write. Pages that
// depend on the URL (an incident, a history page past the first, a badge)
// are rendered on first request and cached with the snapshot.
//
// Headers:
//
//   - Every response: X-Content-Type-Options: nosniff, Cache-Control:
//     public, max-age=10 (hashed asset paths: a year, immutable), a strong
//     ETag (SHA-256 of the body) and Last-Modified (Snapshot.UpdatedAt;
//     assets: when the handler started). If-None-Match wins over
//     If-Modified-Since, as RFC 9110 says. Bodies over 1 KiB are also kept
//     gzipped (its own ETag, Vary: Accept-Encoding).
//   - HTML pages: Content-Security-Policy default-src 'self' with no inline
//     script or style (the stylesheet and the optional refresh script are
//     asset files), frame-ancestors 'self' and X-Frame-Options SAMEORIGIN
//     (the page may be framed by its own site, not by others: no
//     clickjacking of its links), Referrer-Policy same-origin.
//   - /status/embed is made to be framed anywhere: no X-Frame-Options, no
//     frame-ancestors; its CSP allows its own inline stylesheet, by hash,
//     and one script file of the server's (the refresh, which fetches the
//     widget again: connect-src 'self'); no inline script.
//   - JSON and badges: Access-Control-Allow-Origin: *; badges also
//     Cross-Origin-Resource-Policy: cross-origin (README images), and like
//     the feeds a CSP of default-src 'none' should they be opened directly.
//   - Before the first Publish: 503 with Retry-After: 5 and no-store.
//
// Last-Modified is the snapshot's UpdatedAt (the latest change it shows);
// uptime figures move without it, so a client revalidating with
// If-Modified-Since alone may keep a page up to 10 seconds plus one
// snapshot stale; browsers send If-None-Match, which is exact.

// HandlerOptions configures a Handler.
type HandlerOptions struct {
	// Logger; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handler serves the status page from the latest published snapshot.
type Handler struct {
	log    *slog.Logger
	now    func() time.Time
	pages  *pageRenderer
	assets *assetSet
	mux    *chi.Mux

	cur atomic.Pointer[published]

	mu   sync.Mutex // serializes Publish
	locs map[string]*time.Location
	gzw  *gzip.Writer
}

var _ Publisher = (*Handler)(nil)

// NewHandler parses the templates and prepares the assets.
func NewHandler(opts HandlerOptions) (*Handler, error) {
	h := &Handler{log: opts.Logger, now: opts.Now, locs: map[string]*time.Location{}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	var err error
	if h.assets, err = loadAssets(h.now()); err != nil {
		return nil, err
	}
	if h.pages, err = newPageRenderer(h.assets); err != nil {
		return nil, err
	}
	h.gzw, _ = gzip.NewWriterLevel(nil, gzipLevel)
	h.mux = chi.NewRouter()
	h.Routes(h.mux)
	return h, nil
}

// ServeHTTP serves the routes Routes mounts.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// v2Names are the Statuspage v2 bodies EncodeV2 produces, each mounted
// under /api/v2/.
var v2Names = []string{
	"summary.json", "status.json", "components.json", "incidents.json", "incidents/unresolved.json",
	"scheduled-maintenances.json", "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json",
}

// Routes mounts the page (GET and HEAD):
//
//	/status, /status/              the page
//	/status/history?page=N         the incident archive, 20 a page
//	/status/history.atom, .rss     the feeds
//	/status/incidents/{id}         an incident or maintenance
//	/status/embed                  the iframe widget
//	/status/badge/{id}.svg         a component's status badge (?label=)
//	/status/badge/{id}/uptime.svg  its uptime (?window=24h|7d|30d|90d, ?label=)
//	/status/assets/{file}          stylesheet, script, icon
//	/api/v2/…, /status/api/v2/…    the Statuspage v2 JSON (EncodeV2), at both
func (h *Handler) Routes(r chi.Router) {
	get := func(pattern string, fn http.HandlerFunc) {
		r.Get(pattern, fn)
		r.Head(pattern, fn)
	}
	get("/status", h.serveStatus)
	get("/status/", h.serveStatus)
	get("/status/history", h.serveHistory)
	get("/status/history.atom", h.serveFixed(func(p *published) *resource { return p.atom }))
	get("/status/history.rss", h.serveFixed(func(p *published) *resource { return p.rss }))
	get("/status/embed", h.serveFixed(func(p *published) *resource { return p.embed }))
	get("/status/incidents/{id}", h.serveIncident)
	get("/status/badge/*", h.serveBadge)
	get("/status/assets/{file}", h.serveAsset)
	// The v2 API at the origin, as Statuspage serves it, and under the page's
	// URL (page.url is …/status), so a Statuspage client given the page URL
	// finds it: the same bytes at both.
	for _, prefix := range []string{"/api/v2/", "/status/api/v2/"} {
		for _, name := range v2Names {
			get(prefix+name, h.serveJSON(name))
		}
		get(prefix+"*", func(w http.ResponseWriter, r *http.Request) { h.serveJSON(chi.URLParam(r, "*"))(w, r) })
	}
}

// published is one snapshot, rendered. Immutable but for the lazy caches.
type published struct {
	view    *pageView
	lastMod time.Time
	lmHdr   []string
	comps   map[string]*ComponentView

	status, embed, atom, rss, history1, notFound *resource
	json                                         map[string]*resource
	pages                                        int // history pages

	history   sync.Map // int → *resource, pages past the first
	incidents sync.Map // ID → *resource
	badges    sync.Map // "s:ID" or "u:window:ID" → *resource
}

// resource is a pre-rendered body and its headers.
type resource struct {
	body    []byte
	etag    string
	etagHdr []string
	length  []string
	kind    *kind
	lmHdr   []string
	lastMod time.Time
	gz      *resource // the gzipped variant, if any
	gzipped bool      // this is a gzipped variant
	vary    bool
}

// kind is a family of responses sharing headers. Header values are shared
// slices (with len == cap, so that an append elsewhere copies).
type kind struct {
	ctype []string
	cache []string
	extra []headerKV
}

type headerKV struct {
	key string
	val []string
}

func hv(s string) []string { return []string{s}[:1:1] }

const (
	cspPage  = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
	cspNone  = "default-src 'none'; frame-ancestors 'none'"
	cspBadge = "default-src 'none'"
)

var (
	hdrNosniff   = headerKV{"X-Content-Type-Options", hv("nosniff")}
	hdrReferrer  = headerKV{"Referrer-Policy", hv("same-origin")}
	hdrCORS      = headerKV{"Access-Control-Allow-Origin", hv("*")}
	hdrShort     = hv("public, max-age=10")
	hdrImmutable = hv("public, max-age=31536000, immutable")
	hdrVary      = hv("Accept-Encoding")
	hdrGzip      = hv("gzip")

	kindHTML = &kind{ctype: hv("text/html; charset=utf-8"), cache: hdrShort, extra: []headerKV{
		hdrNosniff, hdrReferrer,
		{"Content-Security-Policy", hv(cspPage)},
		{"X-Frame-Options", hv("SAMEORIGIN")},
	}}
	kindJSON = &kind{ctype: hv("application/json"), cache: hdrShort, extra: []headerKV{hdrNosniff, hdrCORS}}
	kindAtom = &kind{ctype: hv("application/atom+xml; charset=utf-8"), cache: hdrShort, extra: []headerKV{
		hdrNosniff, {"Content-Security-Policy", hv(cspNone)},
	}}
	kindRSS = &kind{ctype: hv("application/rss+xml; charset=utf-8"), cache: hdrShort, extra: []headerKV{
		hdrNosniff, {"Content-Security-Policy", hv(cspNone)},
	}}
	kindBadge = &kind{ctype: hv("image/svg+xml; charset=utf-8"), cache: hdrShort, extra: []headerKV{
		hdrNosniff, hdrCORS, {"Content-Security-Policy", hv(cspBadge)}, {"Cross-Origin-Resource-Policy", hv("cross-origin")},
	}}
)

// makeResource hashes body for its ETag and, with gz and a body over
// 1 KiB, keeps a gzipped variant when it saves at least a tenth. zw is
// reused when given (Publish's, under its lock); nil makes one.
func makeResource(body []byte, k *kind, lm time.Time, lmHdr []string, gz bool, zw *gzip.Writer) *resource {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:12])
	res := &resource{body: body, etag: `"` + tag + `"`, kind: k, lmHdr: lmHdr, lastMod: lm,
		length: hv(strconv.Itoa(len(body)))}
	res.etagHdr = hv(res.etag)
	if !gz || len(body) <= 1024 {
		return res
	}
	var b bytes.Buffer
	b.Grow(len(body) / 4)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&b, gzipLevel)
	} else {
		zw.Reset(&b)
	}
	_, _ = zw.Write(body)
	if err := zw.Close(); err != nil || b.Len() >= len(body)*9/10 {
		return res
	}
	res.gz = &resource{body: b.Bytes(), etag: `"` + tag + `-gz"`, kind: k, lmHdr: lmHdr, lastMod: lm,
		length: hv(strconv.Itoa(b.Len())), gzipped: true, vary: true}
	res.gz.etagHdr = hv(res.gz.etag)
	res.vary = true
	return res
}

// gzipLevel trades Publish time for bytes on the wire.
const gzipLevel = gzip.DefaultCompression

// lazyResource is a resource rendered on request, with the snapshot's
// Last-Modified.
func lazyResource(body []byte, k *kind, p *published, gz bool) *resource {
	return makeResource(body, k, p.lastMod, p.lmHdr, gz, nil)
}

// Publish renders s and makes it current. Requests keep being served from
// the previous snapshot until it returns; on error the previous one stays.
// s must not be modified afterwards (pages rendered on request read it).
func (h *Handler) Publish(s *Snapshot) error {
	if s == nil {
		return errors.New("statuspage: publish: nil snapshot")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	start := time.Now()
	now := h.now()
	loc, tzOK := h.location(s.Page.TimeZone)
	v := newPageView(s, loc, now)
	lm := s.UpdatedAt
	if lm.IsZero() {
		lm = s.Built
	}
	if lm.IsZero() {
		lm = now
	}
	lm = lm.UTC().Truncate(time.Second)
	p := &published{view: v, lastMod: lm, lmHdr: hv(lm.Format(http.TimeFormat)),
		comps: make(map[string]*ComponentView, len(s.Components)), json: map[string]*resource{}}
	for i := range s.Components {
		p.comps[s.Components[i].ID] = &s.Components[i]
	}
	p.pages = max(1, (len(v.incidents)+historyPerPage-1)/historyPerPage)

	for _, page := range []struct {
		what   string
		dst    **resource
		k      *kind
		render func() ([]byte, error)
	}{
		{"status", &p.status, kindHTML, func() ([]byte, error) { return h.pages.renderStatus(v) }},
		{"embed", &p.embed, h.assets.embedKind, func() ([]byte, error) { return h.pages.renderEmbed(v) }},
		{"history", &p.history1, kindHTML, func() ([]byte, error) { return h.pages.renderHistory(v, 1) }},
		{"not found", &p.notFound, kindHTML, func() ([]byte, error) { return h.pages.renderNotFound(v) }},
		{"atom", &p.atom, kindAtom, v.renderAtom},
		{"rss", &p.rss, kindRSS, v.renderRSS},
	} {
		body, err := page.render()
		if err != nil {
			return fmt.Errorf("statuspage: render %s: %w", page.what, err)
		}
		*page.dst = makeResource(body, page.k, lm, p.lmHdr, true, h.gzw)
	}
	v2 := s
	if !tzOK { // the page falls back to UTC; so does the JSON
		cp := *s
		cp.Page.TimeZone = "UTC"
		v2 = &cp
	}
	bodies, err := EncodeV2(v2)
	if err != nil {
		return fmt.Errorf("statuspage: encode v2: %w", err)
	}
	for name, body := range bodies {
		p.json[name] = makeResource(body, kindJSON, lm, p.lmHdr, true, h.gzw)
	}
	h.cur.Store(p)
	h.log.Debug("status page published", "components", len(s.Components), "incidents", len(v.incidents),
		"html_bytes", len(p.status.body), "took", time.Since(start))
	return nil
}

// location loads a time zone once; an unknown one is UTC (logged once) and
// ok is false.
func (h *Handler) location(name string) (loc *time.Location, ok bool) {
	if loc, ok := h.locs[name]; ok {
		if loc == nil {
			return time.UTC, false
		}
		return loc, true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		h.log.Warn("status page: unknown time zone; showing UTC", "time_zone", name, "err", err)
		h.locs[name] = nil
		return time.UTC, false
	}
	h.locs[name] = loc
	return loc, true
}

// unavailable answers before the first Publish.
func unavailable(w http.ResponseWriter) {
	hdr := w.Header()
	hdr["Retry-After"] = hv("5")
	hdr["Cache-Control"] = hv("no-store")
	hdr["Content-Type"] = hv("text/plain; charset=utf-8")
	hdr["X-Content-Type-Options"] = hdrNosniff.val
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte("The status page is starting; try again in a few seconds.\n"))
}

func plain(w http.ResponseWriter, code int, msg string) {
	hdr := w.Header()
	hdr["Content-Type"] = hv("text/plain; charset=utf-8")
	hdr["Cache-Control"] = hdrShort
	hdr["X-Content-Type-Options"] = hdrNosniff.val
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}

// serve writes a pre-rendered resource: conditional requests (for 200s)
// answer 304; HEAD gets the headers only.
func serve(w http.ResponseWriter, r *http.Request, res *resource, code int) {
	if res.gz != nil && acceptsGzip(r.Header["Accept-Encoding"]) {
		res = res.gz
	}
	hdr := w.Header()
	k := res.kind
	hdr["Cache-Control"] = k.cache
	for _, kv := range k.extra {
		hdr[kv.key] = kv.val
	}
	hdr["Etag"] = res.etagHdr
	hdr["Last-Modified"] = res.lmHdr
	if res.vary {
		hdr["Vary"] = hdrVary
	}
	if code == http.StatusOK && notModified(r, res.etag, res.lastMod) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr["Content-Type"] = k.ctype
	hdr["Content-Length"] = res.length
	if res.gzipped {
		hdr["Content-Encoding"] = hdrGzip
	}
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(res.body)
	}
}

// notModified evaluates If-None-Match, or else If-Modified-Since.
func notModified(r *http.Request, etag string, lastMod time.Time) bool {
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		for _, v := range inm {
			if etagListMatch(v, etag) {
				return true
			}
		}
		return false
	}
	if ims := r.Header["If-Modified-Since"]; len(ims) > 0 && !lastMod.IsZero() {
		t, err := http.ParseTime(ims[0])
		return err == nil && !lastMod.After(t)
	}
	return false
}

// etagListMatch is the weak comparison of If-None-Match: any listed tag,
// W/ or not, whose opaque part equals etag's; or *.
func etagListMatch(list, etag string) bool {
	for list != "" {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			return false
		}
		if list[0] == '*' {
			return true
		}
		list = strings.TrimPrefix(list, "W/")
		if list == "" || list[0] != '"' {
			return false
		}
		end := strings.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		if list[:end+2] == etag {
			return true
		}
		list = list[end+2:]
	}
	return false
}

// acceptsGzip reports whether Accept-Encoding lists gzip (or x-gzip) with a
// non-zero q.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			tok = strings.TrimSpace(tok)
			name, params, _ := strings.Cut(tok, ";")
			name = strings.TrimSpace(name)
			if !strings.EqualFold(name, "gzip") && !strings.EqualFold(name, "x-gzip") {
				continue
			}
			params = strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			if q, ok := strings.CutPrefix(params, "q="); ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					return false
				}
			}
			return true
		}
	}
	return false
}

func (h *Handler) serveStatus(w http.ResponseWriter, r *http.Request) {
	p := h.cur.Load()
	if p == nil {
		unavailable(w)
		return
	}
	serve(w, r, p.status, http.StatusOK)
}

func (h *Handler) serveFixed(pick func(*published) *resource) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := h.cur.Load()
		if p == nil {
			unavailable(w)
			return
		}
		serve(w, r, pick(p), http.StatusOK)
	}
}

func (h *Handler) serveJSON(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := h.cur.Load()
		if p == nil {
			unavailable(w)
			return
		}
		res := p.json[name]
		if res == nil {
			plain(w, http.StatusNotFound, "not found")
			return
		}
		serve(w, r, res, http.StatusOK)
	}
}

func (h *Handler) serveHistory(w http.ResponseWriter, r *http.Request) {
	p := h.cur.Load()
	if p == nil {
		unavailable(w)
		return
	}
	n := 1
	if r.URL.RawQuery != "" {
		if s := r.URL.Query().Get("page"); s != "" {
			var err error
			if n, err = strconv.Atoi(s); err != nil {
				plain(w, http.StatusBadRequest, "page must be a number")
				return
			}
		}
	}
	if n < 1 || n > p.pages {
		serve(w, r, p.notFound, http.StatusNotFound)
		return
	}
	if n == 1 {
		serve(w, r, p.history1, http.StatusOK)
		return
	}
	if c, ok := p.history.Load(n); ok {
		serve(w, r, c.(*resource), http.StatusOK)
		return
	}
	body, err := h.pages.renderHistory(p.view, n)
	if err != nil {
		h.fail(w, "history", err)
		return
	}
	c, _ := p.history.LoadOrStore(n, lazyResource(body, kindHTML, p, true))
	serve(w, r, c.(*resource), http.StatusOK)
}

func (h *Handler) serveIncident(w http.ResponseWriter, r *http.Request) {
	p := h.cur.Load()
	if p == nil {
		unavailable(w)
		return
	}
	id := chi.URLParam(r, "id")
	if r.URL.RawPath != "" { // chi matched the escaped path
		if u, err := url.PathUnescape(id); err == nil {
			id = u
		}
	}
	if c, ok := p.incidents.Load(id); ok {
		serve(w, r, c.(*resource), http.StatusOK)
		return
	}
	body, err := h.pages.renderIncident(p.view, id)
	if err != nil {
		h.fail(w, "incident", err)
		return
	}
	if body == nil {
		serve(w, r, p.notFound, http.StatusNotFound)
		return
	}
	c, _ := p.incidents.LoadOrStore(id, lazyResource(body, kindHTML, p, true))
	serve(w, r, c.(*resource), http.StatusOK)
}

// serveBadge serves /status/badge/{id}.svg and
// /status/badge/{id}/uptime.svg. Default badges are cached with the
// snapshot; a ?label= one is drawn per request.
func (h *Handler) serveBadge(w http.ResponseWriter, r *http.Request) {
	p := h.cur.Load()
	if p == nil {
		unavailable(w)
		return
	}
	rest := chi.URLParam(r, "*")
	if r.URL.RawPath != "" {
		if u, err := url.PathUnescape(rest); err == nil {
			rest = u
		}
	}
	id, uptime := strings.CutSuffix(rest, "/uptime.svg")
	if !uptime {
		var ok bool
		if id, ok = strings.CutSuffix(rest, ".svg"); !ok || strings.Contains(id, "/") {
			plain(w, http.StatusNotFound, "not found")
			return
		}
	}
	c := p.comps[id]
	if c == nil {
		plain(w, http.StatusNotFound, "unknown component")
		return
	}
	var q url.Values
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	window := "30d"
	if uptime {
		if win := q.Get("window"); win != "" {
			window = win
		}
		if _, ok := badgeWindows[window]; !ok {
			plain(w, http.StatusBadRequest, "window must be one of 24h, 7d, 30d, 90d")
			return
		}
	}
	draw := func(label string) []byte {
		if uptime {
			return uptimeBadge(label, badgeWindows[window](c))
		}
		return statusBadge(label, c.Status)
	}
	if label, custom := q["label"]; custom {
		serve(w, r, lazyResource(draw(label[0]), kindBadge, p, false), http.StatusOK)
		return
	}
	key := "s:" + id
	if uptime {
		key = "u:" + window + ":" + id
	}
	if cached, ok := p.badges.Load(key); ok {
		serve(w, r, cached.(*resource), http.StatusOK)
		return
	}
	name := c.Name
	if name == "" {
		name = c.ID
	}
	if uptime {
		name += " uptime " + window
	}
	cached, _ := p.badges.LoadOrStore(key, lazyResource(draw(name), kindBadge, p, false))
	serve(w, r, cached.(*resource), http.StatusOK)
}

var badgeWindows = map[string]func(*ComponentView) Figure{
	"24h": func(c *ComponentView) Figure { return c.Uptime24h },
	"7d":  func(c *ComponentView) Figure { return c.Uptime7d },
	"30d": func(c *ComponentView) Figure { return c.Uptime30d },
	"90d": func(c *ComponentView) Figure { return c.Uptime90d },
}

func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	res := h.assets.files[chi.URLParam(r, "file")]
	if res == nil {
		plain(w, http.StatusNotFound, "not found")
		return
	}
	serve(w, r, res, http.StatusOK)
}

func (h *Handler) fail(w http.ResponseWriter, what string, err error) {
	h.log.Error("status page: render failed", "page", what, "err", err)
	plain(w, http.StatusInternalServerError, "internal error")
}

// assetSet is the embedded assets: served under both their plain name
// (short cache) and a content-hashed one (cached a year), which the pages
// link to.
type assetSet struct {
	CSS, JS, Icon string // hashed paths
	files         map[string]*resource
	embedCSS      string
	embedKind     *kind
}

func loadAssets(now time.Time) (*assetSet, error) {
	a := &assetSet{files: map[string]*resource{}}
	lm := now.UTC().Truncate(time.Second)
	lmHdr := hv(lm.Format(http.TimeFormat))
	entries, err := fs.ReadDir(assetFS, "assets")
	if err != nil {
		return nil, fmt.Errorf("statuspage: assets: %w", err)
	}
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestCompression)
	for _, e := range entries {
		name := e.Name()
		body, err := fs.ReadFile(assetFS, "assets/"+name)
		if err != nil {
			return nil, fmt.Errorf("statuspage: assets: %w", err)
		}
		if name == "embed.css" { // inlined into the embed page, not served
			a.embedCSS = string(body)
			continue
		}
		ext := path.Ext(name)
		var ctype string
		switch ext {
		case ".css":
			ctype = "text/css; charset=utf-8"
		case ".js":
			ctype = "text/javascript; charset=utf-8"
		case ".svg":
			ctype = "image/svg+xml"
		default:
			continue
		}
		sum := sha256.Sum256(body)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		short := &kind{ctype: hv(ctype), cache: hdrShort, extra: []headerKV{hdrNosniff}}
		long := &kind{ctype: hv(ctype), cache: hdrImmutable, extra: []headerKV{hdrNosniff}}
		a.files[name] = makeResource(body, short, lm, lmHdr, true, zw)
		a.files[hashed] = makeResource(body, long, lm, lmHdr, true, zw)
		switch name {
		case "style.css":
			a.CSS = "/status/assets/" + hashed
		case "refresh.js":
			a.JS = "/status/assets/" + hashed
		case "favicon.svg":
			a.Icon = "/status/assets/" + hashed
		}
	}
	if a.CSS == "" || a.JS == "" || a.Icon == "" || a.embedCSS == "" {
		return nil, errors.New("statuspage: assets: missing style.css, refresh.js, favicon.svg or embed.css")
	}
	sum := sha256.Sum256([]byte(a.embedCSS))
	csp := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; script-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"
	a.embedKind = &kind{ctype: kindHTML.ctype, cache: hdrShort, extra: []headerKV{
		hdrNosniff, hdrReferrer, {"Content-Security-Policy", hv(csp)},
	}}
	return a, nil
}
