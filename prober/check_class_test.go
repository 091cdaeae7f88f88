package prober

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/linkwatch/linkwatch"
)

// TestClassify pins the classification of the errors the transport returns.
// The other tests produce each class end to end from a real server; this
// table covers the shapes those servers cannot be made to produce on demand
// (unreachable networks, resets) and the precedence between classes.
func TestClassify(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Get", URL: "https://example.com/", Err: err} }
	dial := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	tests := []struct {
		name  string
		err   error
		class string
	}{
		{"no such host", &net.DNSError{Err: "no such host", Name: "nowhere.test", IsNotFound: true}, linkwatch.ClassDNS},
		{"DNS server timeout", &net.DNSError{Err: "i/o timeout", Name: "slow.test", IsTimeout: true}, linkwatch.ClassDNS},
		{"DNS wrapped", wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "server misbehaving"}}), linkwatch.ClassDNS},
		{"deadline", context.DeadlineExceeded, linkwatch.ClassTimeout},
		{"deadline wrapped", wrap(fmt.Errorf("reading the body: %w", context.DeadlineExceeded)), linkwatch.ClassTimeout},
		{"canceled", wrap(context.Canceled), linkwatch.ClassTimeout},
		{"net timeout", wrap(&net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}), linkwatch.ClassTimeout},
		{"refused", wrap(dial(syscall.ECONNREFUSED)), linkwatch.ClassConnect},
		{"reset", wrap(&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), linkwatch.ClassConnect},
		{"host unreachable", wrap(dial(syscall.EHOSTUNREACH)), linkwatch.ClassConnect},
		{"network unreachable", wrap(dial(syscall.ENETUNREACH)), linkwatch.ClassConnect},
		{"EOF before response", wrap(io.EOF), linkwatch.ClassConnect},
		{"truncated body", fmt.Errorf("reading the body: %w", io.ErrUnexpectedEOF), linkwatch.ClassConnect},
		{"expired", wrap(&tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}}), linkwatch.ClassTLS},
		{"bare x509 expired", x509.CertificateInvalidError{Reason: x509.Expired}, linkwatch.ClassTLS},
		{"unknown authority", wrap(x509.UnknownAuthorityError{}), linkwatch.ClassTLS},
		{"hostname mismatch", wrap(x509.HostnameError{Certificate: &x509.Certificate{}, Host: "example.com"}), linkwatch.ClassTLS},
		{"not TLS", wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), linkwatch.ClassTLS},
		{"alert", wrap(tls.AlertError(40)), linkwatch.ClassTLS},
		{"remote alert", wrap(&net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}), linkwatch.ClassTLS},
		{"blocked", wrap(&blockedError{host: "127.0.0.1", addr: netip.MustParseAddr("127.0.0.1"), reason: "loopback"}), linkwatch.ClassBlocked},
		{"blocked beats the rest", errors.Join(context.DeadlineExceeded, &blockedError{}), linkwatch.ClassBlocked},
		{"DNS beats timeout", errors.Join(context.DeadlineExceeded, &net.DNSError{IsTimeout: true}), linkwatch.ClassDNS},
		{"timeout beats TLS", errors.Join(os.ErrDeadlineExceeded, errors.New("tls: handshake")), linkwatch.ClassTimeout},
		{"unknown", errors.New("net/http: malformed HTTP response"), linkwatch.ClassConnect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.class {
				t.Errorf("classify(%v) = %q, want %q", tt.err, got, tt.class)
			}
		})
	}
}
