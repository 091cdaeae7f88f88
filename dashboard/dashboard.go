// Package dashboard is the campaign owners' dashboard under /dashboard:
// server-rendered pages (html/template, embedded templates and assets, no
// build step, usable without JavaScript) behind a sign-in that exchanges an
// API token for a session.
//
// The dashboard changes nothing itself: every change goes through the
// control API's own handler, called in-process as the session's token
// (callAPI), so validation, scopes and propagation to probers happen once,
// in the API.
package dashboard

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/linkwatch/linkwatch"
)

// DefaultSessionTTL is how long a session lasts when Config.SessionTTL is
// zero.
const DefaultSessionTTL = 12 * time.Hour

// Config is the dashboard's configuration.
type Config struct {
	// PublicURL is the server's public base URL; when it is https the
	// session cookie is Secure.
	PublicURL *url.URL
	// SessionTTL is how long a session lasts from sign-in (zero: 12h).
	SessionTTL time.Duration
	// SignInPerMinute and SignInBurst bound sign-in attempts per client
	// address (zero: 10 a minute, a burst of 10).
	SignInPerMinute int
	SignInBurst     int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives operators' messages; nil discards them.
	Log *slog.Logger
}

// Tokens authenticates API tokens as the API does (the API implements it):
// Authenticate for a pasted secret, TokenByID to re-check a session's token
// on every request.
type Tokens interface {
	Authenticate(ctx context.Context, secret string) (*linkwatch.Token, error)
	TokenByID(ctx context.Context, id string) (*linkwatch.Token, error)
}

// Sessions stores sessions by the SHA-256 of their ID. SessionByHash of an
// unknown one is ENOTFOUND; DeleteSession of an unknown one is no error;
// PruneSessions deletes those expired before a time.
type Sessions interface {
	CreateSession(ctx context.Context, s *linkwatch.Session) error
	SessionByHash(ctx context.Context, hash []byte) (*linkwatch.Session, error)
	DeleteSession(ctx context.Context, hash []byte) error
	PruneSessions(ctx context.Context, before time.Time) (int64, error)
}

// Deps are what the dashboard reads and calls. Each page adds the small
// read interfaces it needs here.
type Deps struct {
	// API is the control API's handler (api.API.Handler), with paths
	// relative to /api/v1; callAPI runs it in-process.
	API      http.Handler
	Tokens   Tokens
	Sessions Sessions
	// Links reads the links table and the one-link page.
	Links LinkStore
	// Campaigns reads the campaign pages, their share links and the CSV
	// export; Keys holds the share links' signing key.
	Campaigns Campaigns
	Keys      Keys
}

// Dashboard serves /dashboard and GET /.
type Dashboard struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	now     func() time.Time
	ttl     time.Duration
	secure  bool // cookies are Secure
	pages   map[string]*template.Template
	limiter *limiter
	uptimes *uptimeCache // the links table's settled uptime hours
}

// New returns the dashboard. Its templates are embedded; a template that does
// not parse panics here, at start (and in every test).
func New(cfg Config, deps Deps) *Dashboard {
	d := &Dashboard{cfg: cfg, deps: deps, log: cfg.Log, now: cfg.Now, ttl: cfg.SessionTTL}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.ttl <= 0 {
		d.ttl = DefaultSessionTTL
	}
	d.secure = cfg.PublicURL != nil && cfg.PublicURL.Scheme == "https"
	perMinute, burst := cfg.SignInPerMinute, cfg.SignInBurst
	if perMinute <= 0 {
		perMinute = 10
	}
	if burst <= 0 {
		burst = 10
	}
	d.limiter = newLimiter(perMinute, burst, maxLimiterEntries)
	d.uptimes = newUptimeCache(uptimeCacheLinks)
	d.pages = d.parseTemplates()
	return d
}

// Handler serves every dashboard route (full paths: /dashboard/…, and GET /).
func (d *Dashboard) Handler() http.Handler { return d.routes() }
