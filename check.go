package linkwatch

import (
	"fmt"
	"time"
)

// Error classes of a failed check: why it failed, not just that it did.
const (
	ClassDNS              = "dns"                // the name did not resolve
	ClassConnect          = "connect"            // TCP connection refused, reset or unreachable
	ClassTLS              = "tls"                // handshake failed, certificate invalid or expired
	ClassTimeout          = "timeout"            // the check ran out of time
	ClassHTTPStatus       = "http_status"        // the final status is not an expected one
	ClassRedirectMismatch = "redirect_mismatch"  // the short link did not redirect where it should
	ClassTooManyRedirects = "too_many_redirects" // more than MaxHops redirects, or a loop
	ClassKeyword          = "keyword"            // the body lacks the expected keyword
	ClassQR               = "qr"                 // the QR code does not decode to the short URL
	ClassBlocked          = "blocked"            // the target is a private or metadata address
)

// ErrorClasses lists every class, for metrics and validation. Rollups count
// failures per class by position in this list (Rollup.Classes), and stored
// rollups keep those positions: the list is append-only — add a class at the
// end, never reorder or remove one.
var ErrorClasses = []string{ClassDNS, ClassConnect, ClassTLS, ClassTimeout, ClassHTTPStatus,
	ClassRedirectMismatch, ClassTooManyRedirects, ClassKeyword, ClassQR, ClassBlocked}

// Steps of a link check. A monitor check has only the destination step.
const (
	StepShortLink   = "short_link"  // the short URL through the public redirector
	StepDestination = "destination" // the destination and its redirect chain
	StepQR          = "qr"          // the link's QR code, rendered and decoded
)

// MaxHops is how many redirects a check follows from a destination, as
// browsers do (Chrome and Firefox stop after 20). The short link's own
// redirect is not one of them.
const MaxHops = 20

// MaxResultHops bounds the hops a result records: a link's short-link
// response, MaxHops redirects from its destination and the final response.
const MaxResultHops = MaxHops + 2

// ProberUserAgentMarker is in the User-Agent of every request Linkwatch's
// probers send, so the redirector can count them apart from visitors and
// destination operators can tell them from people.
const ProberUserAgentMarker = "Linkwatch-Prober/"

// Expectation is what a check requires of a destination.
type Expectation struct {
	// Statuses are the acceptable final status codes; empty means any 2xx.
	Statuses []int
	// Keyword, when set, must appear in the first BodyLimit bytes of the body.
	Keyword string
	// MaxLatency, when set, marks slower successful checks as degraded.
	MaxLatency time.Duration
}

// Accepts reports whether status is an expected final status.
func (e Expectation) Accepts(status int) bool {
	if len(e.Statuses) == 0 {
		return status >= 200 && status <= 299
	}
	for _, s := range e.Statuses {
		if s == status {
			return true
		}
	}
	return false
}

// Validate checks an expectation's fields.
func (e Expectation) Validate() error {
	if len(e.Statuses) > 20 {
		return FieldErrorf("expect_status", "at most 20 expected statuses")
	}
	for _, s := range e.Statuses {
		if s < 100 || s > 599 {
			return FieldErrorf("expect_status", "expected status %d is not an HTTP status code", s)
		}
	}
	if len(e.Keyword) > 256 {
		return FieldErrorf("expect_keyword", "keyword is longer than 256 bytes")
	}
	if e.MaxLatency < 0 || e.MaxLatency > 5*time.Minute {
		return FieldErrorf("max_response_time", "max_response_time must be between 0 and 5m")
	}
	return nil
}

// Monitor is a standalone check of a URL that is not a link: a platform's own
// public endpoint, a campaign's landing API. Status-page components show them.
type Monitor struct {
	ID       int64
	Name     string
	URL      string
	Interval time.Duration
	// Cron, when set, schedules the monitor instead of Interval (robfig/cron
	// syntax with an optional seconds field, or @every/@hourly descriptors).
	Cron      string
	Expect    Expectation
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks every field but Cron, which the scheduler parses.
func (m *Monitor) Validate() error {
	if m.Name == "" || len(m.Name) > 200 {
		return FieldErrorf("name", "name is required, up to 200 characters")
	}
	if err := ValidateURL("url", m.URL); err != nil {
		return err
	}
	if m.Interval < MinCheckInterval || m.Interval > MaxCheckInterval || m.Interval%time.Second != 0 {
		return FieldErrorf("check_interval", "check_interval must be whole seconds between 1s and 24h")
	}
	if len(m.Cron) > 100 {
		return FieldErrorf("cron", "cron is longer than 100 characters")
	}
	return m.Expect.Validate()
}

// Target names what a result is about: a link, a link's fallback URL or a
// monitor.
type Target struct {
	Kind string // "link", "fallback" or "monitor"
	ID   int64  // the link's ID for a link and for its fallback
}

// Target kinds. A link's results check its short link and its primary
// destination; its fallback's results (KindFallback, same ID) check the
// fallback URL alone, so the alert engine knows whether failing over would
// help.
const (
	KindLink     = "link"
	KindFallback = "fallback"
	KindMonitor  = "monitor"
)

// ValidKind reports whether kind is a target kind.
func ValidKind(kind string) bool {
	return kind == KindLink || kind == KindFallback || kind == KindMonitor
}

func (t Target) String() string { return fmt.Sprintf("%s/%d", t.Kind, t.ID) }

// Hop is one response in a redirect chain.
type Hop struct {
	URL      string
	Status   int
	Duration time.Duration
}

// Phases are the timings of the final request of a check, from
// net/http/httptrace. A phase that did not happen (a reused connection has no
// DNS, connect or TLS) is zero.
type Phases struct {
	DNS       time.Duration
	Connect   time.Duration
	TLS       time.Duration
	FirstByte time.Duration
	Total     time.Duration
}

// Result is the outcome of one check of a target from one region.
type Result struct {
	// ID is unique per check, chosen by the prober, so a result pushed twice
	// (a retry, a replayed spool) is stored once.
	ID     string
	Target Target
	Region string
	Prober string
	At     time.Time
	// Step is the step that failed, or StepDestination when all passed.
	Step string
	// Class is "" for a passing check, else one of the Class constants.
	Class    string
	Error    string
	Degraded bool // passed, but slower than the expectation's MaxLatency
	// Status is the final HTTP status (0 when no response arrived).
	Status      int
	Phases      Phases
	Hops        []Hop
	FinalURL    string
	CertExpiry  time.Time // of the final URL's certificate; zero for plain HTTP
	Fingerprint string    // SHA-256 of the normalised body, to notice silent changes
	// FailedOver records that the short link served its fallback.
	FailedOver bool
}

// OK reports whether the check passed.
func (r *Result) OK() bool { return r.Class == "" }

// Latest is a target's latest result from one region and how many checks in
// a row, up to and including it, have failed there (0 when it passed).
type Latest struct {
	Result
	Failures int
}
