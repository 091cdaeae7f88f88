// Package api is the control API under /api/v1: links, their scans and QR
// codes, and tokens. Every route requires a bearer token with a scope.
package api

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/edge"
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
	hub         *hub // pushes changes and check requests to probers
	signals     Signals
}

// New returns the API. Its requests are measured, limited and shed by the
// server's edge (package edge), not here.
func New(cfg Config, log *slog.Logger, st Stores) *API {
	a := &API{cfg: cfg, log: log, now: cfg.Now, links: st.Links, scans: st.Scans, tokens: st.Tokens,
		monitors: st.Monitors, healthStore: st.Health, probes: st.Probes, alerts: st.Alerts, silences: st.Silences,
		rules: st.Rules, channels: st.Channels, status: st.Status, hub: newHub(), signals: st.Signals}
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
	for _, rt := range append(a.routes(), extra...) {
		r.Method(rt.Method, rt.Pattern, a.require(rt.Scope, rt.Handler))
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		edge.Unmatched(r)
		writeError(w, r, a.log, linkwatch.Errorf(linkwatch.ENOTFOUND, "no such API endpoint"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		edge.Unmatched(r)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{errorDetail{Code: "method_not_allowed", Message: "method not allowed on this endpoint"}})
	})
	return r
}

func slugParam(r *http.Request) string { return chi.URLParam(r, "slug") }
