package prober

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/linkwatch/linkwatch"
)

// classify returns the error class of a request that got no response, or no
// whole body. The order matters: a refusal by the guard and a failed lookup
// are the most specific, and a handshake that times out is a timeout.
// Everything that is none of these (refused, reset or unreachable
// connections, a connection closed before the response, a malformed
// response) failed to connect in the wide sense: ClassConnect.
//
// A canceled context is ClassTimeout too: the check did not finish.
func classify(err error) string {
	var (
		blocked *blockedError
		dnsErr  *net.DNSError
		netErr  net.Error
	)
	switch {
	case errors.As(err, &blocked):
		return linkwatch.ClassBlocked
	case errors.As(err, &dnsErr):
		return linkwatch.ClassDNS
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.As(err, &netErr) && netErr.Timeout():
		return linkwatch.ClassTimeout
	case isTLS(err):
		return linkwatch.ClassTLS
	}
	return linkwatch.ClassConnect
}

// isTLS reports whether err is a failed handshake or certificate
// verification. crypto/tls returns many handshake failures, and the alerts a
// server sends, as plain errors whose text starts with "tls: ".
func isTLS(err error) bool {
	var (
		verify      *tls.CertificateVerificationError
		invalid     x509.CertificateInvalidError
		unknownAuth x509.UnknownAuthorityError
		hostname    x509.HostnameError
		record      tls.RecordHeaderError
		alert       tls.AlertError
		ech         *tls.ECHRejectionError
	)
	if errors.As(err, &verify) || errors.As(err, &invalid) || errors.As(err, &unknownAuth) ||
		errors.As(err, &hostname) || errors.As(err, &record) || errors.As(err, &alert) || errors.As(err, &ech) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "tls: ") || strings.Contains(s, "x509: ")
}

// requestError strips the *url.Error wrapper, whose text repeats the method
// and URL that the check's message already names.
func requestError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
