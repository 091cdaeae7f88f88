package prober

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
)

// The prober protocol's wire types, shared by the control plane's handlers
// (api) and the remote prober's client. Durations travel as milliseconds.

// Heartbeat is POST /api/v1/probe/heartbeat.
type Heartbeat struct {
	Prober  string `json:"prober"`
	Region  string `json:"region"`
	Version string `json:"version"`
}

// Deregister is POST /api/v1/probe/deregister: a prober stopping cleanly
// says so, and is not silent.
type Deregister struct {
	Prober string `json:"prober"`
	Region string `json:"region"`
}

// Assignments is GET /api/v1/probe/assignments: the share of links and
// monitors this prober checks, and the live probers of its region it was
// shared with.
type Assignments struct {
	Region   string        `json:"region"`
	Probers  []string      `json:"probers"`
	Links    []WireLink    `json:"links"`
	Monitors []WireMonitor `json:"monitors"`
}

// WireExpect is an Expectation on the wire.
type WireExpect struct {
	Statuses     []int  `json:"expect_status,omitempty"`
	Keyword      string `json:"expect_keyword,omitempty"`
	MaxLatencyMS int64  `json:"max_response_ms,omitempty"`
}

// WireLink is what a prober needs of a link. ShortURL and QRText are built
// from the control plane's public URL: the prober fetches the one and
// expects its QR code to read the other.
type WireLink struct {
	ID           int64      `json:"id"`
	Slug         string     `json:"slug"`
	Domain       string     `json:"domain"`
	ShortURL     string     `json:"short_url"`
	QRText       string     `json:"qr_text"`
	Destination  string     `json:"destination"`
	FallbackURL  string     `json:"fallback_url,omitempty"`
	RedirectCode int        `json:"redirect_code"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	IntervalMS   int64      `json:"interval_ms"`
	FailedOver   bool       `json:"failover,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at"`
	WireExpect
}

// WireMonitor is what a prober needs of a monitor.
type WireMonitor struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	URL        string `json:"url"`
	IntervalMS int64  `json:"interval_ms"`
	Cron       string `json:"cron,omitempty"`
	WireExpect
}

// ResultBatch is POST /api/v1/probe/results.
type ResultBatch struct {
	Results []WireResult `json:"results"`
}

// WireHop is a Hop on the wire.
type WireHop struct {
	URL        string `json:"url"`
	Status     int    `json:"status"`
	DurationMS int64  `json:"duration_ms"`
}

// WireResult is a Result on the wire.
type WireResult struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	TargetID    int64      `json:"target_id"`
	Region      string     `json:"region"`
	Prober      string     `json:"prober"`
	At          time.Time  `json:"at"`
	Step        string     `json:"step"`
	Class       string     `json:"error_class,omitempty"`
	Error       string     `json:"error,omitempty"`
	Degraded    bool       `json:"degraded,omitempty"`
	Status      int        `json:"status"`
	DNSMS       float64    `json:"dns_ms"`
	ConnectMS   float64    `json:"connect_ms"`
	TLSMS       float64    `json:"tls_ms"`
	FirstByteMS float64    `json:"first_byte_ms"`
	TotalMS     float64    `json:"total_ms"`
	Hops        []WireHop  `json:"hops"`
	FinalURL    string     `json:"final_url,omitempty"`
	CertExpiry  *time.Time `json:"cert_expiry,omitempty"`
	Fingerprint string     `json:"fingerprint,omitempty"`
	FailedOver  bool       `json:"failover,omitempty"`
}

func ms(d time.Duration) float64     { return float64(d) / float64(time.Millisecond) }
func fromMS(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
func expectToWire(e linkwatch.Expectation) WireExpect {
	return WireExpect{Statuses: e.Statuses, Keyword: e.Keyword, MaxLatencyMS: e.MaxLatency.Milliseconds()}
}
func (w WireExpect) expectation() linkwatch.Expectation {
	return linkwatch.Expectation{Statuses: w.Statuses, Keyword: w.Keyword, MaxLatency: time.Duration(w.MaxLatencyMS) * time.Millisecond}
}

// LinkToWire converts an assigned link for the wire.
func LinkToWire(a LinkAssignment) WireLink {
	l := a.Link
	w := WireLink{ID: l.ID, Slug: l.Slug, Domain: l.Domain, ShortURL: a.ShortURL, QRText: a.QRText,
		Destination: l.Destination, FallbackURL: l.FallbackURL,
		RedirectCode: l.RedirectCode, IntervalMS: l.CheckInterval.Milliseconds(),
		// The wire carries whether the short link serves the fallback (the
		// mode and the engine's decision as Link.ServesFallback combines
		// them), so a pin reaches remote probers as it reaches redirectors.
		FailedOver: l.ServesFallback(),
		UpdatedAt:  l.UpdatedAt, WireExpect: expectToWire(l.Expect)}
	if !l.ExpiresAt.IsZero() {
		t := l.ExpiresAt
		w.ExpiresAt = &t
	}
	return w
}

// Assignment converts a wire link back.
func (w WireLink) Assignment() LinkAssignment {
	return LinkAssignment{Link: w.link(), ShortURL: w.ShortURL, QRText: w.QRText}
}

func (w WireLink) link() *linkwatch.Link {
	l := &linkwatch.Link{ID: w.ID, Slug: w.Slug, Domain: w.Domain, Destination: w.Destination, FallbackURL: w.FallbackURL,
		RedirectCode: w.RedirectCode, CheckInterval: time.Duration(w.IntervalMS) * time.Millisecond, FailedOver: w.FailedOver,
		UpdatedAt: w.UpdatedAt, Expect: w.expectation()}
	if w.ExpiresAt != nil {
		l.ExpiresAt = *w.ExpiresAt
	}
	return l
}

// MonitorToWire converts a monitor for the wire.
func MonitorToWire(m *linkwatch.Monitor) WireMonitor {
	return WireMonitor{ID: m.ID, Name: m.Name, URL: m.URL, IntervalMS: m.Interval.Milliseconds(), Cron: m.Cron, WireExpect: expectToWire(m.Expect)}
}

// Monitor converts a wire monitor back.
func (w WireMonitor) Monitor() *linkwatch.Monitor {
	return &linkwatch.Monitor{ID: w.ID, Name: w.Name, URL: w.URL, Interval: time.Duration(w.IntervalMS) * time.Millisecond, Cron: w.Cron, Expect: w.expectation()}
}

// ResultToWire converts a result for the wire.
func ResultToWire(r *linkwatch.Result) WireResult {
	w := WireResult{ID: r.ID, Kind: r.Target.Kind, TargetID: r.Target.ID, Region: r.Region, Prober: r.Prober, At: r.At,
		Step: r.Step, Class: r.Class, Error: r.Error, Degraded: r.Degraded, Status: r.Status,
		DNSMS: ms(r.Phases.DNS), ConnectMS: ms(r.Phases.Connect), TLSMS: ms(r.Phases.TLS),
		FirstByteMS: ms(r.Phases.FirstByte), TotalMS: ms(r.Phases.Total), Hops: []WireHop{},
		FinalURL: r.FinalURL, Fingerprint: r.Fingerprint, FailedOver: r.FailedOver}
	for _, h := range r.Hops {
		w.Hops = append(w.Hops, WireHop{URL: h.URL, Status: h.Status, DurationMS: h.Duration.Milliseconds()})
	}
	if !r.CertExpiry.IsZero() {
		t := r.CertExpiry
		w.CertExpiry = &t
	}
	return w
}

// Result converts a wire result back.
func (w WireResult) Result() linkwatch.Result {
	r := linkwatch.Result{ID: w.ID, Target: linkwatch.Target{Kind: w.Kind, ID: w.TargetID}, Region: w.Region, Prober: w.Prober,
		At: w.At, Step: w.Step, Class: w.Class, Error: w.Error, Degraded: w.Degraded, Status: w.Status,
		Phases: linkwatch.Phases{DNS: fromMS(w.DNSMS), Connect: fromMS(w.ConnectMS), TLS: fromMS(w.TLSMS),
			FirstByte: fromMS(w.FirstByteMS), Total: fromMS(w.TotalMS)},
		FinalURL: w.FinalURL, Fingerprint: w.Fingerprint, FailedOver: w.FailedOver}
	for _, h := range w.Hops {
		r.Hops = append(r.Hops, linkwatch.Hop{URL: h.URL, Status: h.Status, Duration: time.Duration(h.DurationMS) * time.Millisecond})
	}
	if w.CertExpiry != nil {
		r.CertExpiry = *w.CertExpiry
	}
	return r
}

// Bounds of a result from outside. A result at any of them is accepted; one
// beyond is rejected, never truncated.
const (
	MaxResultError   = 1024           // bytes of error text
	MaxFingerprint   = 128            // bytes
	MaxProberID      = 128            // bytes
	MaxProberVersion = 128            // bytes
	MaxResultAge     = 24 * time.Hour // oldest accepted "at" before now
	MaxResultAhead   = time.Minute    // clock skew tolerated: newest "at" after now
	maxPhaseMS       = float64(24 * time.Hour / time.Millisecond)
)

// Validate checks a result from outside before it is stored: every field is
// bounded, and at lies in [now - MaxResultAge, now + MaxResultAhead], so a
// result dated in the future can never pass as fresh. It does not know the
// pushing token's regions or whether the target exists; the control plane
// checks those.
func (w WireResult) Validate(now time.Time) error {
	switch {
	case len(w.ID) < 8 || len(w.ID) > 64 || strings.IndexByte(w.ID, 0) >= 0:
		return linkwatch.FieldErrorf("id", "result id must be 8-64 characters")
	case !linkwatch.ValidKind(w.Kind):
		return linkwatch.FieldErrorf("kind", "kind must be link, fallback or monitor")
	case w.TargetID <= 0:
		return linkwatch.FieldErrorf("target_id", "target_id must be a positive %s id", w.Kind)
	case w.Prober == "" || len(w.Prober) > MaxProberID || strings.IndexByte(w.Prober, 0) >= 0:
		return linkwatch.FieldErrorf("prober", "prober id is required, up to %d bytes", MaxProberID)
	case w.At.IsZero():
		return linkwatch.FieldErrorf("at", "at is required")
	case w.At.Before(now.Add(-MaxResultAge)):
		return linkwatch.FieldErrorf("at", "at %s is more than %s before the control plane's clock (%s)",
			w.At.UTC().Format(time.RFC3339), MaxResultAge, now.UTC().Format(time.RFC3339))
	case w.At.After(now.Add(MaxResultAhead)):
		return linkwatch.FieldErrorf("at", "at %s is in the future (control plane clock %s, %s of skew allowed)",
			w.At.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), MaxResultAhead)
	case w.Step != linkwatch.StepShortLink && w.Step != linkwatch.StepDestination && w.Step != linkwatch.StepQR:
		return linkwatch.FieldErrorf("step", "unknown step %q", clipQuoted(w.Step))
	case len(w.Error) > MaxResultError || strings.IndexByte(w.Error, 0) >= 0:
		return linkwatch.FieldErrorf("error", "error text is over %d bytes (%d) or holds a NUL byte", MaxResultError, len(w.Error))
	case len(w.Fingerprint) > MaxFingerprint || strings.IndexByte(w.Fingerprint, 0) >= 0:
		return linkwatch.FieldErrorf("fingerprint", "fingerprint is over %d bytes (%d)", MaxFingerprint, len(w.Fingerprint))
	case len(w.FinalURL) > linkwatch.MaxURLLen || strings.IndexByte(w.FinalURL, 0) >= 0:
		return linkwatch.FieldErrorf("final_url", "final_url is over %d bytes (%d)", linkwatch.MaxURLLen, len(w.FinalURL))
	case len(w.Hops) > linkwatch.MaxResultHops:
		return linkwatch.FieldErrorf("hops", "%d hops: at most %d (the short link's, %d redirects and the final response)", len(w.Hops), linkwatch.MaxResultHops, linkwatch.MaxHops)
	case w.Status < 0 || w.Status > 999:
		return linkwatch.FieldErrorf("status", "status must be 0-999")
	}
	if err := linkwatch.ValidateRegion("region", w.Region); err != nil {
		return err
	}
	for i, h := range w.Hops {
		field := "hops[" + strconv.Itoa(i) + "]"
		switch {
		case len(h.URL) > linkwatch.MaxURLLen || strings.IndexByte(h.URL, 0) >= 0:
			return linkwatch.FieldErrorf(field+".url", "hop URL is over %d bytes (%d)", linkwatch.MaxURLLen, len(h.URL))
		case h.Status < 0 || h.Status > 999:
			return linkwatch.FieldErrorf(field+".status", "status must be 0-999")
		case h.DurationMS < 0 || float64(h.DurationMS) > maxPhaseMS:
			return linkwatch.FieldErrorf(field+".duration_ms", "duration_ms must be 0-%g", maxPhaseMS)
		}
	}
	for _, p := range []struct {
		field string
		v     float64
	}{{"dns_ms", w.DNSMS}, {"connect_ms", w.ConnectMS}, {"tls_ms", w.TLSMS}, {"first_byte_ms", w.FirstByteMS}, {"total_ms", w.TotalMS}} {
		if !(p.v >= 0 && p.v <= maxPhaseMS) {
			return linkwatch.FieldErrorf(p.field, "%s must be 0-%g", p.field, maxPhaseMS)
		}
	}
	if w.Class != "" && !slices.Contains(linkwatch.ErrorClasses, w.Class) {
		return linkwatch.FieldErrorf("error_class", "unknown error class %q", clipQuoted(w.Class))
	}
	return nil
}

// clipQuoted shortens an unknown value quoted back in a rejection, so a
// hostile push cannot make the answer large.
func clipQuoted(s string) string {
	const max = 32
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}

// ResultsResponse answers POST /api/v1/probe/results: how many results were
// stored (or were already stored: a replay counts as accepted) and why each
// of the others was rejected. A rejected result is final: sending it again
// cannot help.
type ResultsResponse struct {
	Accepted int              `json:"accepted"`
	Rejected []RejectedResult `json:"rejected"`
}

// RejectedResult is one rejected result of a push: its index in the batch,
// its id, the field at fault and why.
type RejectedResult struct {
	Index  int    `json:"index"`
	ID     string `json:"id"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}
