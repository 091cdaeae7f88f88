package edge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config configures the Edge.
type Config struct {
	// Timeout is the read and write deadline of a request on a short route
	// (redirects, the API, pages), counted from when its headers have been
	// read. Zero means DefaultTimeout.
	Timeout time.Duration
	// BulkTimeout is the deadline of a bulk route (the CSV import, result
	// pushes, export, "check now"). Zero means 6 × Timeout.
	BulkTimeout time.Duration
	// Limiter decides admission; nil means a Limiter for GOMAXPROCS.
	Limiter *Limiter
	// Now is the clock of the deadlines and of the redirect latencies the
	// Limiter is told; nil means time.Now.
	Now func() time.Time
	// Log receives each change of the overload pressure; nil: discarded.
	Log *slog.Logger
}

// DefaultTimeout is the short routes' deadline when none is configured.
const DefaultTimeout = 10 * time.Second

// RetryAfter is what a shed request is told to wait, in seconds.
const RetryAfter = "1"

// Edge applies deadlines, body limits and admission to every request, and
// caps connections.
type Edge struct {
	timeout, bulk time.Duration
	lim           *Limiter
	now           func() time.Time
	log           *slog.Logger
	shed          [nClasses]prometheus.Counter // linkwatch_http_shed_total by class, bound once
	tooLarge      [nClasses]prometheus.Counter // linkwatch_http_body_too_large_total by class
	conns         prometheus.Gauge
}

// New returns an Edge whose metrics are registered on reg:
// linkwatch_http_shed_total{class}, linkwatch_http_body_too_large_total{class}
// and linkwatch_http_connections.
func New(cfg Config, reg prometheus.Registerer) *Edge {
	e := &Edge{timeout: cfg.Timeout, bulk: cfg.BulkTimeout, lim: cfg.Limiter, now: cfg.Now}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	if e.bulk <= 0 {
		e.bulk = 6 * e.timeout
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log = cfg.Log; e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.lim == nil {
		e.lim = NewLimiter(LimiterConfig{Procs: procs(), Now: e.now})
	}
	shed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linkwatch_http_shed_total",
		Help: "Requests refused with 503 under overload, by route class.",
	}, []string{"class"})
	tooLarge := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linkwatch_http_body_too_large_total",
		Help: "Requests answered 413 for a body over their route's limit, by route class.",
	}, []string{"class"})
	e.conns = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "linkwatch_http_connections",
		Help: "Client connections open on the main listener.",
	})
	// Bound once, so a refusal under overload costs no label lookup; the
	// shed classes' series exist from the start.
	for c := Class(0); c < nClasses; c++ {
		if e.lim.Sheds(c) {
			e.shed[c] = shed.WithLabelValues(c.String())
		}
		e.tooLarge[c] = tooLarge.WithLabelValues(c.String())
	}
	reg.MustRegister(shed, tooLarge, e.conns)
	return e
}

// Listener caps ln at n open connections (n <= 0: MaxConns), counted in
// linkwatch_http_connections.
func (e *Edge) Listener(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		n = MaxConns
	}
	return LimitListener(ln, n, e.conns)
}

// IdleTimeout is how long a kept-alive connection may wait for its next
// request; give it to http.Server.
func (e *Edge) IdleTimeout() time.Duration { return 6 * e.timeout }

// ReadHeaderTimeout is how long a client has to send a request's headers;
// give it to http.Server.
func (e *Edge) ReadHeaderTimeout() time.Duration { return e.timeout }

// Handler wraps the server's handler: it sets the request's deadlines by its
// route's class, refuses a body over the route's limit with 413, reads the
// body of a route that is not bulk before admitting the request, and sheds
// the classes the Limiter sheds with 503 and Retry-After.
func (e *Edge) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := Classify(r)
		now := e.now()
		e.deadlines(w, rt, now)
		if r.ContentLength > rt.BodyLimit {
			e.refuseTooLarge(w, r, rt)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body := &limitedBody{ReadCloser: r.Body, left: rt.BodyLimit, limit: rt.BodyLimit}
			r.Body = body
			if rt.Bulk {
				// Streamed to the handler; its error answer becomes 413.
				w = &limitWriter{ResponseWriter: w, r: r, body: body, e: e, rt: rt}
			} else {
				// Read before admission: a client trickling its body holds a
				// connection until the read deadline, never a place of its
				// class (slow subscriptions cannot starve the status page).
				b, err := io.ReadAll(body)
				switch {
				case body.hit.Load():
					e.refuseTooLarge(w, r, rt)
					return
				case err != nil: // too slow, or gone: the connection is done
					w.Header().Set("Connection", "close")
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
		}
		if rt.Class == Redirect {
			done := e.lim.StartRedirect()
			defer func() { done(e.now().Sub(now)) }()
		} else {
			release, ok := e.lim.Admit(rt.Class)
			if !ok {
				e.shed[rt.Class].Inc()
				refuse(w, r, http.StatusServiceUnavailable, "unavailable", "the server is overloaded: retry later")
				return
			}
			defer release()
		}
		next.ServeHTTP(w, r)
	})
}

// deadlines sets the connection's deadlines for this request: none for the
// probers' stream, which keeps itself alive.
func (e *Edge) deadlines(w http.ResponseWriter, rt Route, now time.Time) {
	rc := http.NewResponseController(w)
	var t time.Time
	switch {
	case rt.Class == Stream:
	case rt.Bulk:
		t = now.Add(e.bulk)
	default:
		t = now.Add(e.timeout)
	}
	// Not every ResponseWriter (a test's recorder) has a connection.
	_ = rc.SetReadDeadline(t)
	_ = rc.SetWriteDeadline(t)
}

func (e *Edge) refuseTooLarge(w http.ResponseWriter, r *http.Request, rt Route) {
	e.tooLarge[rt.Class].Inc()
	// The rest of the body is not read: the connection cannot be reused.
	w.Header().Set("Connection", "close")
	refuse(w, r, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the request body is larger than this endpoint's limit of %s", size(rt.BodyLimit)))
}

// refuse answers a request the edge turns away: in the API's JSON error form
// under /api/, in plain text elsewhere.
func refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", RetryAfter)
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]map[string]string{"error": {"code": code, "message": msg}})
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// limitedBody is a request body cut at its route's limit. A bulk route's
// body is streamed to its handler, whose own limit is never lower, so when
// it is too large it is this reader that notices, and limitWriter turns the
// handler's error answer into 413; any other route's is read whole first.
type limitedBody struct {
	io.ReadCloser
	left, limit int64
	hit         atomic.Bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.hit.Load() {
		return 0, &http.MaxBytesError{Limit: b.limit}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	if int64(n) <= b.left {
		b.left -= int64(n)
		return n, err
	}
	n = int(b.left)
	b.left = 0
	b.hit.Store(true)
	return n, &http.MaxBytesError{Limit: b.limit}
}

// limitWriter answers 413 instead of the error a handler gives when its body
// was over the limit: a handler cannot tell a body cut by the limit from a
// malformed one, the edge can.
type limitWriter struct {
	http.ResponseWriter
	r       *http.Request
	body    *limitedBody
	e       *Edge
	rt      Route
	wrote   bool
	swallow bool // the handler's own answer, replaced by the 413
}

func (w *limitWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	if code >= 400 && w.body.hit.Load() {
		w.wrote, w.swallow = true, true
		h := w.Header()
		for k := range h {
			delete(h, k)
		}
		w.e.refuseTooLarge(w.ResponseWriter, w.r, w.rt)
		return
	}
	if code >= 200 {
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *limitWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *limitWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
