// Package edge is what stands between the network and Linkwatch's handlers:
// per-route deadlines for slow clients, a cap on open connections, request
// body limits answered with 413, admission control that sheds the control
// API, dashboard and public pages with fast 503s before redirects slow down,
// and the request-duration metric.
//
// Every decision is keyed by a route's Class, which Classify derives from
// the request alone (method and path), before any router runs.
package edge

import (
	"net/http"
	"strings"
)

// Class is a kind of route: how long its clients may take, how large a body
// it accepts and whether it is shed under overload.
type Class int

const (
	// Redirect is GET or HEAD of /{slug}: never shed.
	Redirect Class = iota
	// API is the control API under /api/v1 (and the probers' protocol).
	API
	// Public is the status page and its subscriptions (/status…, /api/v2…)
	// and GET /.
	Public
	// Dashboard is the signed-in web UI under /dashboard.
	Dashboard
	// Stream is the probers' change stream, GET /api/v1/probe/stream: no
	// deadlines (it has its own keepalive), never shed.
	Stream
	// Ops is /healthz, /readyz and /metrics: never shed.
	Ops
	// Probe is the rest of the probers' protocol under /api/v1/probe/
	// (heartbeats, result pushes, assignments): the API's deadlines, never
	// shed. Their number is bounded by the probers', and a heartbeat
	// refused under load would make a live prober look silent, move its
	// share and page prober_silent — overload must not fake an outage.
	Probe
	nClasses
)

var classNames = [nClasses]string{"redirect", "api", "public", "dashboard", "stream", "ops", "probe"}

// String is the class's name, the value of the class label.
func (c Class) String() string {
	if c < 0 || c >= nClasses {
		return "unknown"
	}
	return classNames[c]
}

// Body limits. The handlers' own limits (http.MaxBytesReader in api,
// statuspage and dashboard) are never below these, so the edge's limit is
// the one a body reaches first and the edge answers 413.
const (
	// APIBodyLimit bounds every API JSON body but result pushes.
	APIBodyLimit = 64 << 10
	// ProbeResultsBodyLimit bounds POST /api/v1/probe/results.
	ProbeResultsBodyLimit = 8 << 20
	// SubscribeBodyLimit bounds the status page's subscription forms.
	SubscribeBodyLimit = 4 << 10
	// FormBodyLimit bounds a dashboard form but the CSV import.
	FormBodyLimit = 64 << 10
	// ImportBodyLimit bounds the dashboard's CSV import (a multipart form).
	ImportBodyLimit = 10 << 20
)

// Route is what the edge knows of a request before routing it.
type Route struct {
	Class Class
	// Bulk routes get the generous deadlines: the CSV import, result
	// pushes, export, and "check now" (which waits for the probers).
	Bulk bool
	// BodyLimit is the largest request body accepted, in bytes.
	BodyLimit int64
}

// Classify tells a request's route from its method and path.
func Classify(r *http.Request) Route {
	p, m := r.URL.Path, r.Method
	switch {
	case p == "/api/v1/probe/stream":
		return Route{Class: Stream, BodyLimit: APIBodyLimit}
	case p == "/api/v1/probe/results":
		return Route{Class: Probe, Bulk: true, BodyLimit: ProbeResultsBodyLimit}
	case strings.HasPrefix(p, "/api/v1/probe/"):
		return Route{Class: Probe, BodyLimit: APIBodyLimit}
	case strings.HasPrefix(p, "/api/v1/"), p == "/api/v1":
		return Route{Class: API, Bulk: m == http.MethodPost && strings.HasSuffix(p, "/check"), BodyLimit: APIBodyLimit}
	case p == "/dashboard/import":
		return Route{Class: Dashboard, Bulk: true, BodyLimit: ImportBodyLimit}
	case p == "/dashboard/export.csv":
		return Route{Class: Dashboard, Bulk: true, BodyLimit: FormBodyLimit}
	case strings.HasPrefix(p, "/dashboard/"), p == "/dashboard":
		return Route{Class: Dashboard, Bulk: m == http.MethodPost && strings.HasSuffix(p, "/check"), BodyLimit: FormBodyLimit}
	case strings.HasPrefix(p, "/status/subscribe"), strings.HasPrefix(p, "/status/unsubscribe"):
		return Route{Class: Public, BodyLimit: SubscribeBodyLimit}
	case p == "/", p == "/status", strings.HasPrefix(p, "/status/"), strings.HasPrefix(p, "/api/"):
		return Route{Class: Public, BodyLimit: SubscribeBodyLimit}
	case p == "/healthz", p == "/readyz", p == "/metrics":
		return Route{Class: Ops, BodyLimit: SubscribeBodyLimit}
	}
	// Everything else is a redirect or a 404 answered as cheaply: one path
	// segment at most, and no body worth reading.
	return Route{Class: Redirect, BodyLimit: SubscribeBodyLimit}
}
