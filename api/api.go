// Package api is the control API under /api/v1: links, their scans and QR
// codes, and tokens. Every route requires a bearer token with a scope.
package api

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is the API's configuration.
type Config struct {
	// PublicURL is the base of short URLs.
	PublicURL *url.URL
	// AdminToken, when set, is accepted as an admin token (the bootstrap token).
	AdminToken linkwatch.Secret
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rules and Routes are the configuration file's alert rules and routes,
	// shown beside the API's own (which may not take their names).
	Rules  []alerting.RuleSpec
	Routes []alerting.RouteSpec
	// Probers says when a prober is live, silent or retired (zero: the
	// defaults); the alert engine must be given the same.
	Probers linkwatch.ProberLifecycle
	// CheckTimeout bounds how long POST /links/{slug}/check waits for the
	// regions' results: the probe timeout and a push (zero: 35s).
	CheckTimeout time.Duration
}

// Route is one API endpoint. Other packages contribute routes (monitors,
// alerts, the prober protocol) so that every /api/v1 route goes through the
// same authentication.
type Route struct {
	Method  string
	Pattern string // relative to /api/v1
	Scope   linkwatch.Scope
	Handler http.Handler
}

// Stores are the API's views of storage, one small interface per concern.
type Stores struct {
	Links    Links
	Scans    Scans
	Tokens   Tokens
	Monitors Monitors
	Health   Health
	Probes   Probes
	Alerts   Alerts
	Silences Silences
	Rules    AlertRules
	Channels Channels // nil: no channels
	Status   StatusPage
	Signals  Signals // nil: signals reach this replica's probers only
}

// API serves /api/v1.
type API struct {
	cfg         Config
	log         *slog.Logger
	now         func() time.Time
	links       Links
	scans       Scans
	tokens      Tokens
	monitors    Monitors
	healthStore Health
	probes      Probes
	alerts      Alerts
	silences    Silences
	rules       AlertRules
	channels    Channels
	status      StatusPage
	bootstrap   *linkwatch.Token
	durations   *prometheus.HistogramVec
	hub         *hub // pushes changes and check requests to probers
	signals     Signals
}

// New returns the API. durations is the server-wide request histogram
// (labels route and code).
func New(cfg Config, log *slog.Logger, st Stores, durations *prometheus.HistogramVec) *API {
	a := &API{cfg: cfg, log: log, now: cfg.Now, links: st.Links, scans: st.Scans, tokens: st.Tokens,
		monitors: st.Monitors, healthStore: st.Health, probes: st.Probes, alerts: st.Alerts, silences: st.Silences,
		rules: st.Rules, channels: st.Channels, status: st.Status, durations: durations, hub: newHub(), signals: st.Signals}
	if a.now == nil {
		a.now = time.Now
	}
	if cfg.AdminToken != "" {
		a.bootstrap = &linkwatch.Token{
			ID: "bootstrap", Name: "bootstrap admin (LINKWATCH_ADMIN_TOKEN)",
			Hash: linkwatch.HashSecret(cfg.AdminToken.Reveal()), Scopes: []linkwatch.Scope{linkwatch.ScopeAdmin},
		}
	}
	return a
}

// Handler returns the router for /api/v1 with the API's own routes and
// extra ones, each behind authentication for its scope.
func (a *API) Handler(extra ...Route) http.Handler {
	r := chi.NewRouter()
	r.Use(a.measure)
	for _, rt := range append(a.routes(), extra...) {
		r.Method(rt.Method, rt.Pattern, a.require(rt.Scope, rt.Handler))
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, a.log, linkwatch.Errorf(linkwatch.ENOTFOUND, "no such API endpoint"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{errorDetail{Code: "method_not_allowed", Message: "method not allowed on this endpoint"}})
	})
	return r
}

// measure records request durations by route pattern, not raw path, so the
// metric's cardinality stays bounded.
func (a *API) measure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = "/api/v1" + rc.RoutePattern()
		}
		a.durations.WithLabelValues(route, strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (the probe
// stream flushes each event).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func slugParam(r *http.Request) string { return chi.URLParam(r, "slug") }
