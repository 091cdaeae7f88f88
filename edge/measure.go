package edge

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// NewDurations returns linkwatch_http_request_duration_seconds, labelled by
// route pattern and status code; register it once per process.
func NewDurations() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "linkwatch_http_request_duration_seconds",
		Help:    "HTTP request durations by route pattern (\"unmatched\" for none) and status code.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "code"})
}

// Measure is a chi middleware for the server's root router: it observes
// every request's duration in durations, labelled with the chi route pattern
// the request matched (mounted routers' patterns joined, so the API's are
// /api/v1/…), or "unmatched" when no route matched, so the label's values are
// bounded by the routes. Redirects do not pass the router; the redirector
// observes them as /{slug}.
func Measure(durations *prometheus.HistogramVec) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			m := &match{}
			sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
			next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), matchKey{}, m)))
			route := "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil && !m.unmatched {
				if p := routePattern(rc); p != "" && p != "/*" {
					route = p
				}
			}
			durations.WithLabelValues(route, strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
		})
	}
}

// routePattern is chi's route pattern, but for a router mounted with Handle
// on "prefix/*" that routes the full path itself (the dashboard): its
// patterns already hold the prefix, so the mount's is left out.
func routePattern(rc *chi.Context) string {
	ps := rc.RoutePatterns
	kept := make([]string, 0, len(ps))
	for i, p := range ps {
		if prefix, ok := strings.CutSuffix(p, "*"); ok && i+1 < len(ps) && strings.HasPrefix(ps[i+1], prefix) {
			continue
		}
		kept = append(kept, p)
	}
	sub := chi.Context{RoutePatterns: kept}
	return sub.RoutePattern()
}

type matchKey struct{}

type match struct{ unmatched bool }

// Unmatched tells Measure that the request matched no route; a router's
// NotFound and MethodNotAllowed handlers call it, as a mounted router's
// pattern ends in a wildcard that would otherwise be the label.
func Unmatched(r *http.Request) {
	if m, ok := r.Context().Value(matchKey{}).(*match); ok {
		m.unmatched = true
	}
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader && code >= 200 {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (the probe
// stream flushes each event).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
