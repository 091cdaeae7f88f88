package dashboard

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestShareSignature(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	u := shareURL(key, "spring:2030", now.Add(7*24*time.Hour))
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimPrefix(parsed.Path, "/dashboard/share/"); got != "spring:2030" {
		t.Fatalf("share path %q does not name the tag", parsed.Path)
	}
	exp, sig := parsed.Query().Get("exp"), parsed.Query().Get("sig")
	flip := []byte(sig)
	flip[0] ^= 1
	tests := []struct {
		name          string
		key           []byte
		tag, exp, sig string
		now           time.Time
		ok            bool
	}{
		{"valid", key, "spring:2030", exp, sig, now, true},
		{"valid until the last second", key, "spring:2030", exp, sig, now.Add(7*24*time.Hour - time.Second), true},
		{"expired", key, "spring:2030", exp, sig, now.Add(7 * 24 * time.Hour), false},
		{"another campaign", key, "summer", exp, sig, now, false},
		{"later expiry", key, "spring:2030", exp + "0", sig, now, false},
		{"tampered signature", key, "spring:2030", exp, string(flip), now, false},
		{"another key", []byte("another key, another server......"), "spring:2030", exp, sig, now, false},
		{"no signature", key, "spring:2030", exp, "", now, false},
		{"no expiry", key, "spring:2030", "", sig, now, false},
		{"not base64", key, "spring:2030", exp, sig + "!", now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkShare(tt.key, tt.tag, tt.exp, tt.sig, tt.now); got != tt.ok {
				t.Errorf("checkShare = %v, want %v", got, tt.ok)
			}
		})
	}
}

// TestShareTooLong: a link signed to run longer than maxShareTTL is refused
// even though its signature holds (a key must not mint eternal links).
func TestShareTooLong(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	u, _ := url.Parse(shareURL(key, "spring", now.Add(maxShareTTL+time.Hour)))
	if checkShare(key, "spring", u.Query().Get("exp"), u.Query().Get("sig"), now) {
		t.Error("a share link beyond the longest lifetime was accepted")
	}
}
