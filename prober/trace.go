package prober

import (
	"crypto/tls"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/linkwatch/linkwatch"
)

// tracer times the phases of one request with net/http/httptrace.
//
// Its hooks may run after the request has returned: the transport finishes a
// dial it started even when the request gave up (so another request can use
// the connection), and that dial still carries this request's trace. Hence
// the mutex.
type tracer struct {
	mu                  sync.Mutex
	start               time.Time
	dnsStart, dnsDone   time.Time
	connStart, connDone time.Time
	tlsStart, tlsDone   time.Time
	firstByte           time.Time
}

// begin marks the start of the request, the origin of FirstByte.
func (t *tracer) begin() {
	t.mu.Lock()
	t.start = time.Now()
	t.mu.Unlock()
}

// first records now into *at unless it is already set: several addresses may
// be dialed, and a phase starts with the first.
func (t *tracer) first(at *time.Time) {
	now := time.Now()
	t.mu.Lock()
	if at.IsZero() {
		*at = now
	}
	t.mu.Unlock()
}

// last records now into *at, so a phase ends with its last event.
func (t *tracer) last(at *time.Time) {
	now := time.Now()
	t.mu.Lock()
	*at = now
	t.mu.Unlock()
}

func (t *tracer) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart:             func(httptrace.DNSStartInfo) { t.first(&t.dnsStart) },
		DNSDone:              func(httptrace.DNSDoneInfo) { t.last(&t.dnsDone) },
		ConnectStart:         func(string, string) { t.first(&t.connStart) },
		ConnectDone:          func(string, string, error) { t.last(&t.connDone) },
		TLSHandshakeStart:    func() { t.first(&t.tlsStart) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { t.last(&t.tlsDone) },
		GotFirstResponseByte: func() { t.first(&t.firstByte) },
	}
}

// phases returns the phases seen so far; Total is left to the check, which
// spans every hop. A phase that did not happen, or has not finished, is zero.
func (t *tracer) phases() linkwatch.Phases {
	t.mu.Lock()
	defer t.mu.Unlock()
	return linkwatch.Phases{
		DNS:       between(t.dnsStart, t.dnsDone),
		Connect:   between(t.connStart, t.connDone),
		TLS:       between(t.tlsStart, t.tlsDone),
		FirstByte: between(t.start, t.firstByte),
	}
}

func between(start, end time.Time) time.Duration {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return 0
	}
	return end.Sub(start)
}
