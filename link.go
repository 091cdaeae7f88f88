package linkwatch

import (
	"crypto/rand"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Limits on link fields; values beyond them are rejected, never truncated.
const (
	MaxSlugLen        = 64
	MaxURLLen         = 2048
	MaxDomainLen      = 253
	MaxTags           = 20
	MaxTagLen         = 64
	MinCheckInterval  = time.Second
	MaxCheckInterval  = 24 * time.Hour
	DefaultInterval   = 60 * time.Second
	DefaultRedirect   = 302
	GeneratedSlugLen  = 7
	slugAlphabet      = "23456789abcdefghjkmnpqrstuvwxyz" // no 0/o, 1/l/i: unambiguous when read aloud or printed
	slugSafeCharacter = "letters, digits, '-' and '_'"
)

// ReservedSlugs are first path segments the server uses itself; a link may not
// take them on the default domain or any other.
var reservedSlugs = map[string]bool{
	"api": true, "status": true, "healthz": true, "readyz": true, "metrics": true,
	"static": true, "assets": true, "admin": true, "dashboard": true, "login": true,
	"logout": true, "debug": true, "internal": true, "probe": true, "favicon": true,
	"robots": true, "well-known": true, "_": true,
}

// Link is a short link: a slug on a domain that redirects to a destination.
type Link struct {
	ID            int64
	Domain        string // "" is the default domain (the host of the public URL)
	Slug          string
	Destination   string
	FallbackURL   string
	Tags          []string
	RedirectCode  int
	ExpiresAt     time.Time // zero: never expires
	CheckInterval time.Duration
	// Expect is what the probers require of the destination.
	Expect Expectation
	// Failover is how the link fails over to its fallback: automatically
	// (FailoverAuto, the default), never (FailoverOff), or pinned by hand to
	// one side (FailoverFallback, FailoverPrimary).
	Failover FailoverMode
	// FailedOver is the alert engine's automatic decision: set while the
	// primary destination is down (link_down) and the fallback is not. It
	// takes effect only in FailoverAuto mode (see ServesFallback).
	FailedOver bool
	// FailoverSince and FailoverReason say since when, and why, the link
	// serves what it serves: set at each automatic switch and each pin.
	FailoverSince  time.Time
	FailoverReason string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// FailoverMode is how a link with a fallback fails over.
type FailoverMode string

// Failover modes. Auto and Off are the link's setting (`failover` on the
// link); Fallback and Primary pin one side by hand until set back to Auto.
const (
	FailoverAuto     FailoverMode = "auto"
	FailoverOff      FailoverMode = "off"
	FailoverFallback FailoverMode = "fallback"
	FailoverPrimary  FailoverMode = "primary"
)

// ValidFailoverMode reports whether m is a known mode.
func ValidFailoverMode(m FailoverMode) bool {
	return m == FailoverAuto || m == FailoverOff || m == FailoverFallback || m == FailoverPrimary
}

// ServesFallback reports whether the link, unexpired, sends visitors to its
// fallback: pinned to it, or failed over automatically in auto mode. The
// one rule the redirector, the probers and the health API follow.
func (l *Link) ServesFallback() bool {
	if l.FallbackURL == "" {
		return false
	}
	switch l.Failover {
	case FailoverFallback:
		return true
	case FailoverAuto, "":
		return l.FailedOver
	}
	return false
}

// Expired reports whether the link has expired at now.
func (l *Link) Expired(now time.Time) bool {
	return !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt)
}

// Target returns the URL visitors are sent to at now, whether it is the
// fallback, and whether the link is gone (expired with no fallback).
func (l *Link) Target(now time.Time) (target string, fallback, gone bool) {
	target, code, fallback := l.Redirect(l.Expired(now))
	return target, fallback, code == StatusGone
}

// StatusGone is what an expired link without a fallback answers.
const StatusGone = 410

// Redirect is what the short link answers, before or after it expires: the
// destination with the link's code; while it serves its fallback (failover,
// ServesFallback) the fallback with a 302 whatever the link's code, since a
// cached 301 to a fallback would outlive the outage; once expired, the
// fallback with the link's code, or StatusGone without one. The redirector
// answers it and the probers expect it.
func (l *Link) Redirect(expired bool) (location string, code int, fallback bool) {
	switch {
	case expired && l.FallbackURL != "":
		return l.FallbackURL, l.RedirectCode, true
	case expired:
		return "", StatusGone, false
	case l.ServesFallback():
		return l.FallbackURL, 302, true
	}
	return l.Destination, l.RedirectCode, false
}

// FailoverActive reports whether visitors get the fallback at now because of
// failover (ServesFallback), not because the link has expired: what the
// redirector answers 302 with no-store for and the API shows as active.
func (l *Link) FailoverActive(now time.Time) bool {
	return l.ServesFallback() && !l.Expired(now)
}

// ApplyDefaults fills the zero values that have defaults.
func (l *Link) ApplyDefaults() {
	if l.RedirectCode == 0 {
		l.RedirectCode = DefaultRedirect
	}
	if l.CheckInterval == 0 {
		l.CheckInterval = DefaultInterval
	}
	if l.Failover == "" {
		l.Failover = FailoverAuto
	}
	l.Domain = strings.ToLower(l.Domain)
	if l.Tags == nil {
		l.Tags = []string{}
	}
}

// Validate checks every field and returns the first problem as an EINVALID
// error naming the field. It rewrites the destination and fallback into the
// form they are sent in (NormalizeURL), so redirects do no work for it.
func (l *Link) Validate() error {
	if err := ValidateSlug(l.Slug); err != nil {
		return err
	}
	dest, err := normalizeURL("destination", l.Destination)
	if err != nil {
		return err
	}
	l.Destination = dest
	if l.FallbackURL != "" {
		fb, err := normalizeURL("fallback_url", l.FallbackURL)
		if err != nil {
			return err
		}
		l.FallbackURL = fb
	}
	if l.Domain != "" {
		if err := ValidateDomain(l.Domain); err != nil {
			return err
		}
	}
	if err := ValidateTags(l.Tags); err != nil {
		return err
	}
	switch l.RedirectCode {
	case 301, 302, 307, 308:
	default:
		return FieldErrorf("redirect_code", "redirect_code must be 301, 302, 307 or 308")
	}
	if l.Failover != "" && !ValidFailoverMode(l.Failover) {
		return FieldErrorf("failover", "failover must be auto or off (or pinned: fallback, primary)")
	}
	if len(l.FailoverReason) > 1024 {
		return FieldErrorf("failover", "failover reason is longer than 1 KiB")
	}
	if l.CheckInterval < MinCheckInterval || l.CheckInterval > MaxCheckInterval {
		return FieldErrorf("check_interval", "check_interval must be between 1s and 24h")
	}
	if l.CheckInterval%time.Second != 0 {
		return FieldErrorf("check_interval", "check_interval must be a whole number of seconds")
	}
	return l.Expect.Validate()
}

// ValidateSlug accepts 1–64 characters from letters, digits, '-' and '_', not
// starting with '-' or '_', and not a reserved path.
func ValidateSlug(s string) error {
	if s == "" {
		return FieldErrorf("slug", "slug is empty")
	}
	if len(s) > MaxSlugLen {
		return FieldErrorf("slug", "slug is longer than %d characters", MaxSlugLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return FieldErrorf("slug", "slug may contain only %s", slugSafeCharacter)
		}
	}
	if s[0] == '-' || s[0] == '_' {
		return FieldErrorf("slug", "slug must start with a letter or digit")
	}
	if reservedSlugs[strings.ToLower(s)] {
		return FieldErrorf("slug", "slug %q is reserved", s)
	}
	return nil
}

// ValidateURL accepts absolute http and https URLs with a host and no
// credentials, up to MaxURLLen bytes also once normalised (NormalizeURL).
func ValidateURL(field, s string) error {
	_, err := normalizeURL(field, s)
	return err
}

// NormalizeURL returns an URL that ValidateURL accepts in the form it is sent
// in a Location header, as browsers send it: an internationalised host name
// in its ASCII (punycode) form and every other non-ASCII byte
// percent-encoded, so https://bücher.example/straße?q=ü becomes
// https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC. An ASCII URL is
// returned as it is.
func NormalizeURL(s string) (string, error) { return normalizeURL("url", s) }

func normalizeURL(field, s string) (string, error) {
	if s == "" {
		return "", FieldErrorf(field, "%s is required", field)
	}
	if len(s) > MaxURLLen {
		return "", FieldErrorf(field, "%s is longer than %d bytes", field, MaxURLLen)
	}
	if !utf8.ValidString(s) {
		return "", FieldErrorf(field, "%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return "", FieldErrorf(field, "%s contains whitespace or control characters", field)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", FieldErrorf(field, "%s is not a valid URL", field)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", FieldErrorf(field, "%s must be an absolute http or https URL", field)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return "", FieldErrorf(field, "%s must be an absolute http or https URL with a host", field)
	}
	if u.User != nil {
		return "", FieldErrorf(field, "%s must not contain credentials", field)
	}
	if p := u.Port(); p != "" {
		if len(p) > 5 || p == "0" {
			return "", FieldErrorf(field, "%s has an invalid port", field)
		}
	}
	n, ok := toASCII(s, u)
	if !ok {
		return "", FieldErrorf(field, "%s has a host name that is not a valid international domain name", field)
	}
	if n == s {
		return s, nil
	}
	if len(n) > MaxURLLen {
		return "", FieldErrorf(field, "%s is longer than %d bytes once encoded for sending", field, MaxURLLen)
	}
	// What is sent must pass on its own: an ASCII URL is its own form, so
	// this recursion ends at once.
	if _, err := normalizeURL(field, n); err != nil {
		return "", FieldErrorf(field, "%s is not a valid URL once encoded for sending", field)
	}
	return n, nil
}

// toASCII returns s, which parses as u, with u's host in its ASCII form
// (IDNA's lookup profile, as browsers use) and every other non-ASCII byte
// percent-encoded. Nothing else changes, so an ASCII URL comes back as it is.
func toASCII(s string, u *url.URL) (string, bool) {
	host := u.Hostname() // url.Parse has decoded %-escapes in it
	asciiHost := isASCII(host)
	if asciiHost && isASCII(s) {
		return s, true
	}
	// s is scheme "://" authority rest, and url.Parse ends the authority at
	// the first '/', '?' or '#'.
	i := strings.Index(s, "://") + len("://")
	j := strings.IndexAny(s[i:], "/?#")
	if j < 0 {
		j = len(s) - i
	}
	authority, rest := s[i:i+j], s[i+j:]
	if !asciiHost {
		if strings.HasPrefix(authority, "[") {
			return "", false // an IPv6 literal with a non-ASCII zone
		}
		a, err := idna.Lookup.ToASCII(host)
		if err != nil || a == "" {
			return "", false
		}
		authority = a
		if p := u.Port(); p != "" {
			authority += ":" + p
		}
	}
	return s[:i] + authority + escapeNonASCII(rest), true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// escapeNonASCII percent-encodes the bytes of s above 0x7f.
func escapeNonASCII(s string) string {
	if isASCII(s) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// ValidateDomain accepts a lower-case DNS host name (no port, no IP literal
// with brackets) of at most 253 characters.
func ValidateDomain(d string) error {
	if len(d) > MaxDomainLen {
		return FieldErrorf("domain", "domain is longer than %d characters", MaxDomainLen)
	}
	if net.ParseIP(d) != nil {
		return FieldErrorf("domain", "domain must be a host name, not an IP address")
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return FieldErrorf("domain", "domain must be a fully qualified host name such as go.example.com")
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 {
			return FieldErrorf("domain", "domain has an empty or over-long label")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return FieldErrorf("domain", "domain may contain only lower-case letters, digits, '-' and '.'")
			}
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return FieldErrorf("domain", "domain labels must not start or end with '-'")
		}
	}
	return nil
}

// ValidateTags accepts up to MaxTags tags of 1–64 characters from letters,
// digits and "-_.:/", without duplicates.
func ValidateTags(tags []string) error {
	if len(tags) > MaxTags {
		return FieldErrorf("tags", "at most %d tags", MaxTags)
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if t == "" || len(t) > MaxTagLen {
			return FieldErrorf("tags", "tags must be 1 to %d characters", MaxTagLen)
		}
		for i := 0; i < len(t); i++ {
			c := t[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:/", c) >= 0) {
				return FieldErrorf("tags", "tag %q may contain only letters, digits and -_.:/", t)
			}
		}
		if seen[t] {
			return FieldErrorf("tags", "tag %q is repeated", t)
		}
		seen[t] = true
	}
	return nil
}

// NewSlug returns a random slug of GeneratedSlugLen characters from an
// alphabet without look-alike characters.
func NewSlug() string {
	out := make([]byte, 0, GeneratedSlugLen)
	var buf [32]byte
	for len(out) < GeneratedSlugLen {
		rand.Read(buf[:]) // never fails: crypto/rand panics itself on broken platforms
		for _, c := range buf {
			// Reject the top of the byte range so every character is equally likely.
			if int(c) < 256-256%len(slugAlphabet) && len(out) < GeneratedSlugLen {
				out = append(out, slugAlphabet[int(c)%len(slugAlphabet)])
			}
		}
	}
	return string(out)
}

// QRMarker is the query parameter Linkwatch adds to the short URL inside its QR
// codes (QRMarker=QRMarkerValue) so scans of a code are told from clicks. The
// redirector removes it before merging the query into the destination.
const (
	QRMarker      = "lw"
	QRMarkerValue = "qr"
)

// ShortURL returns the link's public URL: base (the public URL) and the slug,
// or for a custom domain that domain with base's scheme.
func (l *Link) ShortURL(base *url.URL) string {
	if l.Domain == "" {
		return strings.TrimSuffix(base.String(), "/") + "/" + l.Slug
	}
	return base.Scheme + "://" + l.Domain + "/" + l.Slug
}

// QRURL is the short URL a QR code of the link encodes: marked as a QR scan.
func (l *Link) QRURL(base *url.URL) string {
	return l.ShortURL(base) + "?" + QRMarker + "=" + QRMarkerValue
}

// LinkFilter selects links for listing. Links are ordered by ID; AfterID is the
// cursor. Limit 0 means no limit.
type LinkFilter struct {
	Tag     string
	Domain  *string // nil: every domain
	AfterID int64
	Limit   int
}

// LinkChange tells caches that the link (Domain, Slug) was created, changed or
// deleted. Reset means changes may have been missed: reload everything.
type LinkChange struct {
	Domain string
	Slug   string
	Reset  bool
}
