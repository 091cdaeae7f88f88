package linkwatch

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"log/slog"
	"strings"
	"time"
)

// Scope is what a token may do.
type Scope string

// Scopes. Admin may do everything; read may read; prober may use the prober
// protocol only.
const (
	ScopeAdmin  Scope = "admin"
	ScopeRead   Scope = "read"
	ScopeProber Scope = "prober"
)

// ValidScope reports whether s is a known scope.
func ValidScope(s Scope) bool {
	return s == ScopeAdmin || s == ScopeRead || s == ScopeProber
}

// Token is an API token as stored: its secret is kept only as a SHA-256 hash.
// The hash of a random 160-bit secret needs no salt or slow KDF: it cannot be
// brute-forced, and it lets lookups stay fast.
type Token struct {
	ID     string
	Name   string
	Hash   []byte
	Scopes []Scope
	// Regions are the regions a prober token may report for (heartbeats and
	// results). Only tokens with the prober scope and without admin have
	// them; a prober token without regions (created before they existed)
	// may report for none.
	Regions   []string
	CreatedAt time.Time
}

// Limits on a token's regions.
const (
	MaxTokenRegions = 32
	MaxRegionLen    = 64
)

// ValidateRegion checks a region name: 1-64 letters, digits, '-', '_' or
// '.'. It is the one rule for region names that come from outside (tokens,
// heartbeats, results).
func ValidateRegion(field, region string) error {
	if region == "" || len(region) > MaxRegionLen {
		return FieldErrorf(field, "a region is 1-%d characters", MaxRegionLen)
	}
	for i := 0; i < len(region); i++ {
		c := region[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return FieldErrorf(field, "a region may hold only letters, digits, '-', '_' and '.'")
		}
	}
	return nil
}

// MayReport reports whether the token may send heartbeats and results for
// region: an admin token for any region, a prober token for its own.
func (t *Token) MayReport(region string) bool {
	for _, s := range t.Scopes {
		if s == ScopeAdmin {
			return true
		}
	}
	if !t.Allows(ScopeProber) {
		return false
	}
	for _, r := range t.Regions {
		if r == region {
			return true
		}
	}
	return false
}

// Allows reports whether the token grants need. Admin grants everything.
func (t *Token) Allows(need Scope) bool {
	for _, s := range t.Scopes {
		if s == need || s == ScopeAdmin {
			return true
		}
	}
	return false
}

// Matches reports, in constant time, whether secret is this token's secret.
func (t *Token) Matches(secret string) bool {
	h := HashSecret(secret)
	return subtle.ConstantTimeCompare(h, t.Hash) == 1
}

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewToken returns a fresh token and its secret, "lw_<id>_<secret>". The id
// part lets the server find the token without comparing secrets one by one.
func NewToken(name string, scopes []Scope, now time.Time) (*Token, Secret) {
	var idb [5]byte
	var sb [20]byte
	rand.Read(idb[:])
	rand.Read(sb[:])
	id := strings.ToLower(tokenEncoding.EncodeToString(idb[:]))
	secret := "lw_" + id + "_" + strings.ToLower(tokenEncoding.EncodeToString(sb[:]))
	return &Token{ID: id, Name: name, Hash: HashSecret(secret), Scopes: scopes, CreatedAt: now}, Secret(secret)
}

// TokenID extracts the id part of a "lw_<id>_<secret>" token, or "" when the
// string does not have that shape.
func TokenID(secret string) string {
	rest, ok := strings.CutPrefix(secret, "lw_")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 8 {
		return ""
	}
	return id
}

// HashSecret returns the SHA-256 of a token secret.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Secret is a credential (token, webhook URL). It prints, marshals and logs as
// "<redacted>"; Reveal returns the value for the one place that must use it.
type Secret string

const redacted = "<redacted>"

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// MarshalText keeps secrets out of JSON and YAML output.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// LogValue keeps secrets out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
