// Package config loads Linkwatch's settings from defaults, an optional YAML
// file, environment variables and flags — later sources override earlier ones
// — and validates them at load, turning every value into its typed form. A bad
// setting is one error line naming the setting.
//
// The file may also declare monitoring as code, which has no environment or
// flag form: notification channels, routes from alerts to channels, and
// alert rules (see testdata/alerting.yaml). They are decoded strictly and
// validated at load; an error is one line with the file, the line, the entry
// and the field.
package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/statuspage"
	"go.yaml.in/yaml/v3"
)

// Config holds every setting, typed and validated.
type Config struct {
	Addr string
	// MetricsAddr, when set, is a second listener serving only /metrics.
	MetricsAddr string
	DB          string
	// PublicURL is the base of short links and QR codes. When public_url
	// is not configured it is http://localhost:<Addr's port> (see
	// IsSet("public_url")).
	PublicURL     *url.URL
	AdminToken    linkwatch.Secret
	LogFormat     string // json or text
	LogLevel      string // debug, info, warn, error
	CountryHeader string

	ScanQueueSize     int
	ScanBatchSize     int
	ScanFlushInterval time.Duration
	ShutdownTimeout   time.Duration
	DrainDelay        time.Duration
	// ClientTimeout is the read and write deadline of a request on a
	// short route, and the time a client has to send its headers.
	ClientTimeout time.Duration

	Region            string
	ProbeAllowPrivate bool
	// SubscribeAllowPrivate lets status page subscription webhooks reach
	// private, loopback and metadata addresses; never inherited from
	// ProbeAllowPrivate.
	SubscribeAllowPrivate bool
	ProbeConcurrency      int
	ProbePerHost          int
	ProbeTimeout          time.Duration
	ProbeConfirm          time.Duration
	ProbeRefresh          time.Duration
	// ProberRetireAfter is how long a prober may go without a heartbeat
	// before it is retired (its prober_silent alert resolves).
	ProberRetireAfter time.Duration
	ResultRetention   time.Duration
	RollupRetention   time.Duration
	DogStatsDAddr     string
	DatadogAPIKey     linkwatch.Secret
	DatadogAPIURL     string

	// How often the alert engine evaluates, the outbox is delivered and the
	// status page is rebuilt.
	AlertEvaluationInterval time.Duration
	AlertDeliveryInterval   time.Duration
	StatusRebuildInterval   time.Duration

	// DashboardSessionTTL is how long a dashboard sign-in lasts.
	DashboardSessionTTL time.Duration

	StatusTitle      string
	StatusTimeZone   string
	StatusComponents []statuspage.Component // the file's status_components

	// Email subscriptions to the status page: off while SMTPAddr is empty.
	SMTPAddr     string // host:port of the mail server (submission)
	SMTPFrom     string // the sender address, optionally with a display name
	SMTPUsername string
	SMTPPassword linkwatch.Secret
	SMTPTLS      string // starttls, tls or none

	SlackWebhookURL linkwatch.Secret
	SlackToken      linkwatch.Secret
	SlackChannel    string
	SlackAPIURL     string
	WebhookURL      linkwatch.Secret
	WebhookSecret   linkwatch.Secret

	// Monitoring as code, from the YAML file only (no env or flag form),
	// validated at load: notification channels (besides the implicit slack,
	// webhook and datadog ones the settings above configure; see
	// ChannelNames), the routes from notifications to channels, and alert
	// rules. Secrets in channels are ${VAR}-expanded from the environment.
	Channels   []alerting.ChannelSpec
	Routes     []alerting.RouteSpec
	AlertRules []alerting.RuleSpec

	// set holds the keys of the settings a file, the environment or a flag
	// gave, as opposed to their defaults.
	set map[string]bool
}

// IsSet reports whether the setting key (its YAML name, e.g. "public_url")
// was configured rather than left at its default.
func (c *Config) IsSet(key string) bool { return c.set[key] }

// ProberLifecycle is when a prober is silent and when it is retired.
func (c *Config) ProberLifecycle() linkwatch.ProberLifecycle {
	return linkwatch.ProberLifecycle{Silence: linkwatch.DefaultProberSilence, RetireAfter: c.ProberRetireAfter}
}

// setting is one configuration value under its three names.
type setting struct {
	key  string // YAML key; the flag is the same with '-' for '_'
	env  string
	def  string
	help string
	set  func(c *Config, v string) error
}

func settings() []setting {
	return []setting{
		{"addr", "LINKWATCH_ADDR", ":8080", "listen address", func(c *Config, v string) error {
			if !strings.Contains(v, ":") {
				return errors.New("must be host:port or :port")
			}
			c.Addr = v
			return nil
		}},
		{"metrics_addr", "LINKWATCH_METRICS_ADDR", "", "optional second listen address serving only /metrics (e.g. :9090), for a scraper kept off the public port; /metrics stays on addr too", func(c *Config, v string) error {
			if v != "" && !strings.Contains(v, ":") {
				return errors.New("must be host:port or :port")
			}
			c.MetricsAddr = v
			return nil
		}},
		{"db", "LINKWATCH_DB", "linkwatch.db", "postgres://… for PostgreSQL, otherwise a SQLite file path", func(c *Config, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			c.DB = v
			return nil
		}},
		{"public_url", "LINKWATCH_PUBLIC_URL", "", "base URL of short links (what QR codes encode; default http://localhost:<port of addr>); on a prober, where short links are fetched from instead of the control plane's URLs (split-horizon DNS)", func(c *Config, v string) error {
			if v == "" {
				return nil // resolved from addr by Load
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
				return fmt.Errorf("must be an absolute http(s) URL with no path, such as https://go.example.com; got %q", v)
			}
			u.Path = ""
			c.PublicURL = u
			return nil
		}},
		{"admin_token", "LINKWATCH_ADMIN_TOKEN", "", "bootstrap admin API token (default: generated on first start)", func(c *Config, v string) error {
			if v != "" && len(v) < 16 {
				return errors.New("must be at least 16 characters")
			}
			c.AdminToken = linkwatch.Secret(v)
			return nil
		}},
		{"log_format", "LINKWATCH_LOG_FORMAT", "json", "log format: json or text", oneOf(func(c *Config) *string { return &c.LogFormat }, "json", "text")},
		{"log_level", "LINKWATCH_LOG_LEVEL", "info", "log level: debug, info, warn or error", oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
		{"country_header", "LINKWATCH_COUNTRY_HEADER", "", "header from a trusted proxy carrying the visitor's country (e.g. CF-IPCountry)", func(c *Config, v string) error {
			for _, r := range v {
				if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
					return fmt.Errorf("must be a header name; got %q", v)
				}
			}
			c.CountryHeader = v
			return nil
		}},
		{"scan_queue_size", "LINKWATCH_SCAN_QUEUE_SIZE", "200000", "scans held in memory while the database is slow or down", intIn(func(c *Config) *int { return &c.ScanQueueSize }, 1, 50_000_000)},
		{"scan_batch_size", "LINKWATCH_SCAN_BATCH_SIZE", "5000", "scans per database write", intIn(func(c *Config) *int { return &c.ScanBatchSize }, 1, 100_000)},
		{"scan_flush_interval", "LINKWATCH_SCAN_FLUSH_INTERVAL", "5s", "longest a scan waits before its batch is written", durationIn(func(c *Config) *time.Duration { return &c.ScanFlushInterval }, time.Millisecond, 24*time.Hour)},
		{"client_timeout", "LINKWATCH_CLIENT_TIMEOUT", "10s", "how long a client may take to send a request and read its answer on redirects, the API and pages (bulk routes: 6x; idle connections close after 6x; the probers' stream has no deadline)", durationIn(func(c *Config) *time.Duration { return &c.ClientTimeout }, 100*time.Millisecond, 10*time.Minute)},
		{"shutdown_timeout", "LINKWATCH_SHUTDOWN_TIMEOUT", "30s", "how long shutdown waits for requests and the final scan writes", durationIn(func(c *Config) *time.Duration { return &c.ShutdownTimeout }, time.Second, time.Hour)},
		{"region", "LINKWATCH_REGION", "local", "this prober's region", func(c *Config, v string) error {
			if err := linkwatch.ValidateRegion("region", v); err != nil { // the rule prober tokens' regions follow
				return fmt.Errorf("%s; got %q", linkwatch.ErrorMessage(err), v)
			}
			c.Region = v
			return nil
		}},
		{"probe_allow_private", "LINKWATCH_PROBE_ALLOW_PRIVATE", "false", "let probers reach private, loopback and metadata addresses", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("must be true or false; got %q", v)
			}
			c.ProbeAllowPrivate = b
			return nil
		}},
		{"subscribe_allow_private", "LINKWATCH_SUBSCRIBE_ALLOW_PRIVATE", "false", "let status page subscription webhooks reach private, loopback and metadata addresses", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("must be true or false; got %q", v)
			}
			c.SubscribeAllowPrivate = b
			return nil
		}},
		{"probe_concurrency", "LINKWATCH_PROBE_CONCURRENCY", "200", "checks a prober runs at once", intIn(func(c *Config) *int { return &c.ProbeConcurrency }, 1, 10_000)},
		{"probe_per_host", "LINKWATCH_PROBE_PER_HOST", "4", "checks a prober runs at once against one destination host", intIn(func(c *Config) *int { return &c.ProbePerHost }, 1, 1000)},
		{"probe_timeout", "LINKWATCH_PROBE_TIMEOUT", "10s", "time limit of one check, redirect chain included", durationIn(func(c *Config) *time.Duration { return &c.ProbeTimeout }, 100*time.Millisecond, 5*time.Minute)},
		{"probe_confirm", "LINKWATCH_PROBE_CONFIRM", "10s", "a check that starts failing is re-run after this to confirm (0s: off)", durationIn(func(c *Config) *time.Duration { return &c.ProbeConfirm }, 0, time.Hour)},
		{"probe_refresh", "LINKWATCH_PROBE_REFRESH", "15s", "how often a prober reloads what it must check", durationIn(func(c *Config) *time.Duration { return &c.ProbeRefresh }, 100*time.Millisecond, time.Hour)},
		{"prober_retire_after", "LINKWATCH_PROBER_RETIRE_AFTER", "1h", "a prober silent this long is retired: it no longer counts and its prober_silent alert resolves", durationIn(func(c *Config) *time.Duration { return &c.ProberRetireAfter }, 2*linkwatch.DefaultProberSilence, 24*30*time.Hour)},
		{"result_retention", "LINKWATCH_RESULT_RETENTION", "168h", "how long raw check results are kept (rollups stay)", durationIn(func(c *Config) *time.Duration { return &c.ResultRetention }, time.Hour, 24*400*time.Hour)},
		{"rollup_retention", "LINKWATCH_ROLLUP_RETENTION", "9600h", "how long hourly and daily rollups are kept (default 400 days)", durationIn(func(c *Config) *time.Duration { return &c.RollupRetention }, 24*time.Hour, 24*3650*time.Hour)},
		{"dogstatsd_addr", "LINKWATCH_DOGSTATSD_ADDR", "", "DogStatsD address (host:port, or unix:///path) for check results as DataDog metrics", func(c *Config, v string) error {
			if v == "" || strings.HasPrefix(v, "unix://") && len(v) > len("unix://") {
				c.DogStatsDAddr = v
				return nil
			}
			if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
				return fmt.Errorf("must be host:port or unix:///path; got %q", v)
			}
			c.DogStatsDAddr = v
			return nil
		}},
		{"alert_evaluation_interval", "LINKWATCH_ALERT_EVALUATION_INTERVAL", "2s", "how often the alert rules are evaluated (at most 10s: the evaluator lease lasts 15s)", durationIn(func(c *Config) *time.Duration { return &c.AlertEvaluationInterval }, 100*time.Millisecond, 10*time.Second)},
		{"alert_delivery_interval", "LINKWATCH_ALERT_DELIVERY_INTERVAL", "1s", "how often queued notifications are looked for and sent", durationIn(func(c *Config) *time.Duration { return &c.AlertDeliveryInterval }, 100*time.Millisecond, 30*time.Second)},
		{"status_rebuild_interval", "LINKWATCH_STATUS_REBUILD_INTERVAL", "5s", "how often the status page is rebuilt from check results (incident edits show at once)", durationIn(func(c *Config) *time.Duration { return &c.StatusRebuildInterval }, 100*time.Millisecond, 30*time.Second)},
		{"dashboard_session_ttl", "LINKWATCH_DASHBOARD_SESSION_TTL", "12h", "how long a dashboard sign-in lasts (5m-720h)", durationIn(func(c *Config) *time.Duration { return &c.DashboardSessionTTL }, 5*time.Minute, 720*time.Hour)},
		{"status_title", "LINKWATCH_STATUS_TITLE", "Linkwatch status", "the public status page's title", func(c *Config, v string) error {
			if v == "" || len(v) > 200 {
				return errors.New("must be 1-200 characters")
			}
			c.StatusTitle = v
			return nil
		}},
		{"status_time_zone", "LINKWATCH_STATUS_TIME_ZONE", "UTC", "IANA time zone the status page shows times in, e.g. Europe/Berlin", func(c *Config, v string) error {
			if _, err := time.LoadLocation(v); err != nil || v == "" || v == "Local" {
				return fmt.Errorf("must be an IANA time zone such as Europe/Berlin; got %q", v)
			}
			c.StatusTimeZone = v
			return nil
		}},
		{"datadog_api_key", "LINKWATCH_DATADOG_API_KEY", "", "DataDog API key: alert events go to the HTTP events API (no Agent needed) instead of DogStatsD (a credential)", func(c *Config, v string) error {
			c.DatadogAPIKey = linkwatch.Secret(v)
			return nil
		}},
		{"datadog_api_url", "LINKWATCH_DATADOG_API_URL", "", "DataDog site's API for events, e.g. https://api.datadoghq.eu (default the US1 site)", func(c *Config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("must be an absolute http(s) URL such as https://api.datadoghq.eu; got %q", v)
				}
			}
			c.DatadogAPIURL = v
			return nil
		}},
		{"slack_webhook_url", "LINKWATCH_SLACK_WEBHOOK_URL", "", "Slack incoming webhook for alerts (a credential)", func(c *Config, v string) error {
			if v != "" {
				if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					return errors.New("must be an absolute http(s) URL") // never echo it: the URL is the credential
				}
			}
			c.SlackWebhookURL = linkwatch.Secret(v)
			return nil
		}},
		{"slack_token", "LINKWATCH_SLACK_TOKEN", "", "Slack bot token for alerts (chat.postMessage; needs slack_channel)", func(c *Config, v string) error {
			c.SlackToken = linkwatch.Secret(v)
			return nil
		}},
		{"slack_channel", "LINKWATCH_SLACK_CHANNEL", "", "Slack channel the bot posts alerts to", func(c *Config, v string) error {
			c.SlackChannel = v
			return nil
		}},
		{"slack_api_url", "LINKWATCH_SLACK_API_URL", "", "Slack API base URL (proxies, tests); default Slack's", func(c *Config, v string) error {
			if v != "" {
				if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					return fmt.Errorf("must be an absolute http(s) URL; got %q", v)
				}
			}
			c.SlackAPIURL = v
			return nil
		}},
		{"webhook_url", "LINKWATCH_WEBHOOK_URL", "", "a campaign owner's webhook that receives signed alert notifications (needs webhook_secret)", func(c *Config, v string) error {
			if v != "" {
				if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					return errors.New("must be an absolute http(s) URL") // it may carry a token: never echo it
				}
			}
			c.WebhookURL = linkwatch.Secret(v)
			return nil
		}},
		{"webhook_secret", "LINKWATCH_WEBHOOK_SECRET", "", "HMAC-SHA256 key the webhook's signatures are made with (at least 16 bytes)", func(c *Config, v string) error {
			if v != "" && len(v) < 16 {
				return errors.New("must be at least 16 bytes")
			}
			c.WebhookSecret = linkwatch.Secret(v)
			return nil
		}},
		{"smtp_addr", "LINKWATCH_SMTP_ADDR", "", "mail server (host:port, e.g. smtp.example.com:587) for email subscriptions to the status page; empty: email subscriptions off", func(c *Config, v string) error {
			if v != "" {
				host, port, err := net.SplitHostPort(v)
				if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
					return fmt.Errorf("must be host:port, such as smtp.example.com:587; got %q", v)
				}
			}
			c.SMTPAddr = v
			return nil
		}},
		{"smtp_from", "LINKWATCH_SMTP_FROM", "", "sender address of status page emails, e.g. status@example.com (required with smtp_addr)", func(c *Config, v string) error {
			if v != "" {
				a, err := mail.ParseAddress(v)
				if err != nil || len(a.Address) > 254 || strings.ContainsAny(v, "\r\n") {
					return fmt.Errorf("must be an email address such as status@example.com or \"Acme status <status@example.com>\"; got %q", v)
				}
			}
			c.SMTPFrom = v
			return nil
		}},
		{"smtp_username", "LINKWATCH_SMTP_USERNAME", "", "user name for the mail server (PLAIN auth; needs smtp_password)", func(c *Config, v string) error {
			c.SMTPUsername = v
			return nil
		}},
		{"smtp_password", "LINKWATCH_SMTP_PASSWORD", "", "password for the mail server (a credential)", func(c *Config, v string) error {
			c.SMTPPassword = linkwatch.Secret(v)
			return nil
		}},
		{"smtp_tls", "LINKWATCH_SMTP_TLS", "starttls", "how the mail server connection is encrypted: starttls, tls (implicit, port 465) or none (local relays only)", oneOf(func(c *Config) *string { return &c.SMTPTLS }, "starttls", "tls", "none")},
		{"drain_delay", "LINKWATCH_DRAIN_DELAY", "0s", "how long /readyz answers 503 before the listener closes (give load balancers time)", durationIn(func(c *Config) *time.Duration { return &c.DrainDelay }, 0, 5*time.Minute)},
	}
}

func oneOf(field func(*Config) *string, allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, a := range allowed {
			if v == a {
				*field(c) = v
				return nil
			}
		}
		return fmt.Errorf("must be one of %s; got %q", strings.Join(allowed, ", "), v)
	}
}

func intIn(field func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be a whole number from %d to %d; got %q", lo, hi, v)
		}
		*field(c) = n
		return nil
	}
}

func durationIn(field func(*Config) *time.Duration, lo, hi time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("must be a duration from %s to %s, such as 30s; got %q", lo, hi, v)
		}
		*field(c) = d
		return nil
	}
}

// Load builds the configuration from defaults, the YAML file named by
// --config or LINKWATCH_CONFIG, the environment and the flags set on fs.
func Load(fs *flag.FlagSet, getenv func(string) string) (*Config, error) {
	c := &Config{}
	all := settings()
	values := map[string]string{}
	source := map[string]string{}
	for _, s := range all {
		values[s.key], source[s.key] = s.def, "default"
	}

	path := getenv("LINKWATCH_CONFIG")
	if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
		path = f.Value.String()
	}
	var file *fileConfig
	if path != "" {
		var err error
		if file, err = readFile(path, all, getenv); err != nil {
			return nil, err
		}
		for k, v := range file.values {
			values[k], source[k] = v, path
		}
	}
	for _, s := range all {
		if v, ok := lookupEnv(getenv, s.env); ok {
			values[s.key], source[s.key] = v, s.env
		}
	}
	fs.Visit(func(f *flag.Flag) {
		key := strings.ReplaceAll(f.Name, "-", "_")
		if _, ok := values[key]; ok {
			values[key], source[key] = f.Value.String(), "--"+f.Name
		}
	})
	for _, s := range all {
		if err := s.set(c, values[s.key]); err != nil {
			name := s.env
			if source[s.key] == "--"+strings.ReplaceAll(s.key, "_", "-") {
				name = source[s.key]
			} else if source[s.key] != s.env && source[s.key] != "default" {
				name = fmt.Sprintf("%s: line %d: %s", source[s.key], file.lines[s.key], s.key)
			}
			return nil, fmt.Errorf("config: %s %s", name, err)
		}
	}
	c.set = map[string]bool{}
	for k, src := range source {
		c.set[k] = src != "default"
	}
	if c.PublicURL == nil {
		c.PublicURL = localURL(c.Addr)
	}
	// Settings that need each other are named where they were set: the
	// variable, the flag, or the file's key and line.
	name := func(key string) string {
		src := source[key]
		for _, s := range all {
			if s.key != key {
				continue
			}
			switch {
			case src == "default" || src == s.env:
				return s.env
			case strings.HasPrefix(src, "--"):
				return src
			}
		}
		return fmt.Sprintf("%s (%s line %d)", key, src, file.lines[key])
	}
	if (c.WebhookURL == "") != (c.WebhookSecret == "") {
		return nil, fmt.Errorf("config: %s and %s go together", name("webhook_url"), name("webhook_secret"))
	}
	if c.SlackToken != "" && c.SlackChannel == "" {
		return nil, fmt.Errorf("config: %s is required with %s", name("slack_channel"), name("slack_token"))
	}
	if err := c.checkSMTP(name); err != nil {
		return nil, err
	}
	if file != nil {
		if err := file.apply(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// localURL is the public URL of a server listening on addr that has none
// configured: http://localhost:<port>.
func localURL(addr string) *url.URL {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		port = "8080"
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort("localhost", port)}
}

// checkSMTP checks what the SMTP settings need of each other, naming each
// setting by name (where it was set). The password is never part of an
// error.
func (c *Config) checkSMTP(name func(key string) string) error {
	if c.SMTPAddr == "" {
		if c.SMTPFrom != "" || c.SMTPUsername != "" || c.SMTPPassword != "" {
			return fmt.Errorf("config: %s is required with %s, %s and %s", name("smtp_addr"), name("smtp_from"), name("smtp_username"), name("smtp_password"))
		}
		return nil
	}
	if c.SMTPFrom == "" {
		return fmt.Errorf("config: %s is required with %s", name("smtp_from"), name("smtp_addr"))
	}
	if (c.SMTPUsername == "") != (c.SMTPPassword == "") {
		return fmt.Errorf("config: %s and %s go together", name("smtp_username"), name("smtp_password"))
	}
	host, _, _ := net.SplitHostPort(c.SMTPAddr)
	if c.SMTPUsername != "" && c.SMTPTLS == "none" && host != "localhost" && host != "127.0.0.1" && host != "::1" {
		return fmt.Errorf("config: %s none would send the SMTP password in the clear: use starttls or tls, or a relay on localhost", name("smtp_tls"))
	}
	return nil
}

// lookupEnv treats an empty variable as unset, as shells and manifests often
// export empty values.
func lookupEnv(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// readFile reads the YAML file's settings and sections. Unknown keys are
// errors: a typo must not silently leave a default in place.
func readFile(path string, all []setting, getenv func(string) string) (*fileConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parseYAML(path, data, all, getenv)
}

// parseYAML reads the file's scalar settings as text, and decodes and checks
// its sections (channels, routes, alert_rules) strictly; what the sections
// need of the other sources is checked by fileConfig.apply.
func parseYAML(path string, data []byte, all []setting, getenv func(string) string) (*fileConfig, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if strings.Contains(msg, "did not find expected ','") && bytes.Contains(data, []byte("${")) {
			// {, } are flow indicators: {token: ${SLACK_TOKEN}} does not parse.
			msg += ` (inside {…} or […], quote ${VAR} references: token: "${SLACK_TOKEN}")`
		}
		return nil, fmt.Errorf("config: %s: %s", path, msg)
	}
	out := map[string]string{}
	file := &fileConfig{path: path, values: out, lines: map[string]int{}}
	if len(doc.Content) == 0 {
		return file, nil // an empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config: %s: line %d: the file must be a mapping of settings", path, root.Line)
	}
	if err := expandFile(path, root, getenv); err != nil {
		return nil, err
	}
	known := map[string]bool{}
	keys := slices.Clone(sections)
	for _, s := range all {
		known[s.key] = true
		keys = append(keys, s.key)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind == yaml.ScalarNode && isSection(k.Value) {
			if seen[k.Value] {
				return nil, fmt.Errorf("config: %s: line %d: section %q appears twice", path, k.Line, k.Value)
			}
			seen[k.Value] = true
			if err := file.parseSection(k, v); err != nil {
				return nil, err
			}
			continue
		}
		if !known[k.Value] {
			return nil, fmt.Errorf("config: %s: line %d: %s", path, k.Line, unknownKey(k.Value, keys))
		}
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("config: %s: line %d: setting %q appears twice", path, k.Line, k.Value)
		}
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("config: %s: line %d: %s must be a single value", path, v.Line, k.Value)
		}
		out[k.Value] = v.Value
		file.lines[k.Value] = k.Line
	}
	return file, nil
}
