package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock when Verify is given no tolerance: long enough for clock
// skew and slow networks, short enough that a captured request cannot be
// replayed later.
const DefaultTolerance = 5 * time.Minute

// maxSignatureHeader bounds the header Verify parses: a real one is about
// 80 bytes, or a few times that while a secret is rotated.
const maxSignatureHeader = 4096

// Errors returned by Verify; test them with errors.Is.
var (
	ErrNoSecret          = errors.New("webhook: no signing secret")
	ErrMalformedHeader   = errors.New("webhook: malformed signature header")
	ErrSignatureMismatch = errors.New("webhook: no signature matches the body")
	ErrStaleTimestamp    = errors.New("webhook: signature timestamp outside the tolerance")
)

// Sign returns the v1 signature of a request body sent at timestamp (Unix
// seconds): "v1=" and the hex HMAC-SHA256, keyed with secret, of the
// timestamp in decimal, a dot, and the body. Signing the timestamp with the
// body is what lets a receiver reject replays.
//
// The Linkwatch-Signature header is "t=<timestamp>," followed by it, e.g.
// "t=1700000000,v1=5257a869…" (the scheme of Stripe's webhooks).
func Sign(secret []byte, timestamp int64, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(strconv.AppendInt(nil, timestamp, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a Linkwatch-Signature header against the raw request body,
// for receivers (and tests). The header holds one timestamp "t=<unix
// seconds>" and one or more "v1=<hex>" signatures, comma-separated; during
// a secret rotation a receiver may see several, and one matching is enough.
// Elements of other schemes are ignored, so that later versions can be
// added alongside v1.
//
// Signatures are compared in constant time. A request whose timestamp is
// more than tolerance (to the second; DefaultTolerance when tolerance ≤ 0)
// before or after now is rejected even when its signature matches: it is a
// replay, or comes from a badly skewed clock.
//
// The error is ErrNoSecret, ErrMalformedHeader, ErrSignatureMismatch or
// ErrStaleTimestamp, possibly wrapped; it never contains the secret.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	ts, sigs, err := parseHeader(header)
	if err != nil {
		return err
	}
	want := mac(secret, ts, body)
	match := false
	for _, sig := range sigs {
		match = hmac.Equal(sig, want) || match // no early exit: every candidate costs the same
	}
	if !match {
		return ErrSignatureMismatch
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	nowSecs := now.Unix()
	var skew uint64 // unsigned, so that no clock value can overflow it
	if ts >= nowSecs {
		skew = uint64(ts) - uint64(nowSecs)
	} else {
		skew = uint64(nowSecs) - uint64(ts)
	}
	if skew > uint64(tolerance/time.Second) {
		return fmt.Errorf("%w: signed at %d, now is %d", ErrStaleTimestamp, ts, nowSecs)
	}
	return nil
}

// parseHeader splits a signature header into its timestamp and its decoded
// v1 signatures.
func parseHeader(header string) (ts int64, sigs [][]byte, err error) {
	malformed := func(why string) (int64, [][]byte, error) {
		return 0, nil, fmt.Errorf("%w: %s", ErrMalformedHeader, why)
	}
	if len(header) > maxSignatureHeader {
		return malformed(fmt.Sprintf("longer than %d bytes", maxSignatureHeader))
	}
	haveTS := false
	for elem := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(elem), "=")
		if !ok || key == "" {
			return malformed("an element is not key=value")
		}
		switch key {
		case "t":
			if haveTS {
				return malformed("more than one timestamp")
			}
			if !isDigits(value) {
				return malformed("the timestamp is not Unix seconds")
			}
			ts, err = strconv.ParseInt(value, 10, 64)
			if err != nil {
				return malformed("the timestamp is out of range")
			}
			haveTS = true
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return malformed("a v1 signature is not 64 hex digits")
			}
			sigs = append(sigs, sig)
		}
	}
	switch {
	case !haveTS:
		return malformed("no timestamp")
	case len(sigs) == 0:
		return malformed("no v1 signature")
	}
	return ts, sigs, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
