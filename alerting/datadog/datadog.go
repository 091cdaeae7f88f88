// Package datadog adapts Linkwatch to DataDog. Check results become DogStatsD
// metrics and service checks; alert transitions become DataDog events, sent
// through the local Agent's DogStatsD socket or, where no Agent runs, posted
// to the HTTP events API.
//
// Metrics, all tagged region:, link: (or monitor:, or fallback: for a link's
// fallback URL, checked on its own), one tag: per campaign tag
// and error_class: (none for a passing check), plus the Client's global tags:
//
//   - linkwatch.check.duration: distribution, the check's total time in
//     milliseconds (sent only when the check timed its request);
//   - linkwatch.check.success: gauge, 1 for a passing check, 0 for a failing
//     one (a degraded check passed, so it is 1).
//
// Service checks, one per link (or monitor) and region, without the
// error_class tag so each new status replaces the last:
// linkwatch.link.up (linkwatch.monitor.up for monitors, linkwatch.fallback.up
// for links' fallback URLs) is OK, WARNING when
// the check passed but was degraded, CRITICAL when it failed.
//
// Every tag goes through SanitizeTag; see it for the rules.
package datadog

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// Metric and service check names: public, dashboards and monitors use them.
const (
	MetricCheckDuration = "linkwatch.check.duration"
	MetricCheckSuccess  = "linkwatch.check.success"
	ServiceCheckLinkUp  = "linkwatch.link.up"
	// ServiceCheckMonitorUp is the service check of monitors, which are not
	// links.
	ServiceCheckMonitorUp = "linkwatch.monitor.up"
	// ServiceCheckFallbackUp is the service check of links' fallback URLs,
	// so a fallback's status never replaces its link's.
	ServiceCheckFallbackUp = "linkwatch.fallback.up"
)

// DefaultAPIURL is the events API of the US1 site.
const DefaultAPIURL = "https://api.datadoghq.com"

// unixPrefix selects a Unix domain socket in Config.Addr; datadog-go detects
// whether it is a datagram or a stream socket.
const unixPrefix = "unix://"

// Maximum DogStatsD payloads datadog-go uses by default: a UDP datagram that
// fits an Ethernet MTU, and the Agent's default buffer on a Unix socket.
const (
	udpPayload = statsd.OptimalUDPPayloadSize
	udsPayload = statsd.DefaultMaxAgentPayloadSize
)

// Config configures a Client. At least one of Addr and APIKey is required.
type Config struct {
	// Addr is the DogStatsD address (LINKWATCH_DOGSTATSD_ADDR): "host:port"
	// for UDP or "unix:///path/to/dsd.socket" for a Unix domain socket.
	// Without it, RecordResult does nothing.
	Addr string
	// Tags are added to every metric, service check and event, e.g.
	// service:linkwatch, env:prod. They are sanitised like every tag.
	Tags []string
	// APIKey (LINKWATCH_DATADOG_API_KEY), when set, makes Notify post events
	// to the HTTP events API instead of sending them over DogStatsD, for
	// installations without an Agent.
	APIKey linkwatch.Secret
	// APIURL is the API of the DataDog site, e.g. https://api.datadoghq.eu;
	// DefaultAPIURL when empty.
	APIURL string
	// HTTP is the client for the events API; one with a 10 s timeout when
	// nil. The Client uses a copy that does not follow redirects.
	HTTP *http.Client
}

// Client sends check results and alert notifications to DataDog. It is safe
// for concurrent use; Close it to flush what is buffered.
type Client struct {
	statsd  *statsd.Client // nil without Config.Addr
	payload int            // the largest DogStatsD payload statsd sends
	tags    []string       // sanitised global tags, for the events API

	apiKey    string // "" sends events over DogStatsD
	scrub     alerting.Scrubber
	eventsURL string
	http      *http.Client
	now       func() time.Time

	// mu guards closed: statsd must not be used once Close has begun, as
	// its Flush then blocks forever.
	mu     sync.RWMutex
	closed bool
	// sendMu serialises event sends and their flushes.
	sendMu sync.Mutex
}

// New returns a Client for cfg. It does not contact DataDog: DogStatsD is
// fire-and-forget, and the events API is called by Notify.
func New(cfg Config) (*Client, error) {
	return newClient(cfg)
}

// newClient is New with extra datadog-go options; tests use it for prompt
// flushes and no client telemetry.
func newClient(cfg Config, opts ...statsd.Option) (*Client, error) {
	if cfg.Addr == "" && cfg.APIKey == "" {
		return nil, errors.New("datadog: neither a DogStatsD address nor an API key is configured")
	}
	c := &Client{tags: sanitizeTags(cfg.Tags), apiKey: cfg.APIKey.Reveal(), now: time.Now}
	c.scrub = alerting.Scrubber{}.With(c.apiKey)
	hc := http.Client{Timeout: 10 * time.Second}
	if cfg.HTTP != nil {
		hc = *cfg.HTTP
	}
	// net/http forwards custom headers such as DD-API-KEY across redirects,
	// even to another host; the events API never redirects, so a redirect
	// is an answer, not a hop.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &hc
	if c.apiKey != "" {
		u, err := eventsURL(cfg.APIURL)
		if err != nil {
			return nil, err
		}
		c.eventsURL = u
	}
	if cfg.Addr != "" {
		if err := validateAddr(cfg.Addr); err != nil {
			return nil, err
		}
		c.payload = udpPayload
		if strings.HasPrefix(cfg.Addr, unixPrefix) {
			c.payload = udsPayload
		}
		opts = append([]statsd.Option{statsd.WithTags(c.tags)}, opts...)
		s, err := statsd.New(cfg.Addr, opts...)
		if err != nil {
			return nil, fmt.Errorf("datadog: dogstatsd client for %s: %w", cfg.Addr, err)
		}
		c.statsd = s
	}
	return c, nil
}

func validateAddr(addr string) error {
	if path, ok := strings.CutPrefix(addr, unixPrefix); ok {
		if path == "" {
			return fmt.Errorf("datadog: dogstatsd address %q has no socket path", addr)
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("datadog: dogstatsd address %q is neither host:port nor unix:///path", addr)
	}
	return nil
}

func eventsURL(apiURL string) (string, error) {
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("datadog: API URL %q is not an http(s) URL", apiURL)
	}
	return strings.TrimRight(u.String(), "/") + "/api/v1/events", nil
}

// Close flushes buffered metrics, service checks and events and closes the
// DogStatsD connection. Later calls record nothing; Notify then fails with a
// retryable error unless events go to the HTTP API.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.statsd == nil {
		return nil
	}
	return c.statsd.Close()
}

// RecordResult sends one check result as metrics and a service check. name is
// the link's slug or the monitor's name, tags the link's campaign tags. It is
// fire-and-forget: DogStatsD has no acknowledgement, and a check must never
// wait on metrics.
func (c *Client) RecordResult(r linkwatch.Result, name string, tags []string) {
	if c.statsd == nil {
		return
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return
	}
	target := resultTags(r, name, tags)
	class := r.Class
	if class == "" {
		class = "none"
	}
	metricTags := append(target[:len(target):len(target)], SanitizeTag("error_class", class))

	// Errors are dropped: they mean a closed client or a full buffer, and a
	// lost sample must not fail the check that produced it.
	if r.Phases.Total > 0 {
		ms := float64(r.Phases.Total) / float64(time.Millisecond)
		_ = c.statsd.Distribution(MetricCheckDuration, ms, metricTags, 1)
	}
	success := 0.0
	if r.OK() {
		success = 1
	}
	_ = c.statsd.Gauge(MetricCheckSuccess, success, metricTags, 1)

	sc := &statsd.ServiceCheck{Name: ServiceCheckLinkUp, Timestamp: r.At, Tags: target}
	switch r.Target.Kind {
	case linkwatch.KindMonitor:
		sc.Name = ServiceCheckMonitorUp
	case linkwatch.KindFallback:
		sc.Name = ServiceCheckFallbackUp
	}
	switch {
	case !r.OK():
		sc.Status = statsd.Critical
		sc.Message = r.Class
		if r.Error != "" {
			sc.Message += ": " + r.Error
		}
	case r.Degraded:
		sc.Status = statsd.Warn
		sc.Message = fmt.Sprintf("degraded: took %s", r.Phases.Total.Round(time.Millisecond))
	default:
		sc.Status = statsd.Ok
	}
	// The message is the datagram's last free-text field: a '|' would end it.
	sc.Message = truncate(strings.ReplaceAll(sc.Message, "|", "/"), 500)
	_ = c.statsd.ServiceCheck(sc)
}

// resultTags are the tags naming a result's target: region, link, fallback
// (the link's slug) or monitor, and campaign tags.
func resultTags(r linkwatch.Result, name string, tags []string) []string {
	out := make([]string, 0, 3+len(tags))
	out = appendTag(out, "region", r.Region)
	kind := r.Target.Kind
	if kind != linkwatch.KindMonitor && kind != linkwatch.KindFallback {
		kind = linkwatch.KindLink
	}
	out = appendTag(out, kind, name)
	for _, t := range tags {
		out = appendTag(out, "tag", t)
	}
	return out
}
