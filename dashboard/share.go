package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"
)

// A campaign's share link is /dashboard/share/{tag}?exp=…&sig=…: anyone
// holding it sees that campaign's health and scans until exp, without a
// session. sig is HMAC-SHA256, under the server's share key, of the tag and
// the expiry, so neither can be changed; the key is random, generated once
// and kept in the database (shareKeyName), so every replica signs alike and
// links survive restarts. Replacing the stored key revokes every link.
const (
	shareKeyName = "share-v1"
	shareKeyLen  = 32
	// maxShareTTL bounds how far in the future a share link may expire; a
	// link claiming more is refused even if its signature holds.
	maxShareTTL = 90 * 24 * time.Hour
)

// shareTTLs are the lifetimes the share control offers.
var shareTTLs = []struct {
	Label string
	TTL   time.Duration
}{
	{"1 day", 24 * time.Hour},
	{"7 days", 7 * 24 * time.Hour},
	{"30 days", 30 * 24 * time.Hour},
}

// shareMAC is the signature of a share link for tag expiring at exp (unix
// seconds). The message cannot be ambiguous: a tag never holds a newline.
func shareMAC(key []byte, tag string, exp int64) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("linkwatch share\n"))
	m.Write([]byte(tag))
	m.Write([]byte("\n"))
	m.Write([]byte(strconv.FormatInt(exp, 10)))
	return m.Sum(nil)
}

// shareURL is the path and query of tag's share link expiring at exp.
func shareURL(key []byte, tag string, exp time.Time) string {
	e := exp.Unix()
	q := url.Values{}
	q.Set("exp", strconv.FormatInt(e, 10))
	q.Set("sig", base64.RawURLEncoding.EncodeToString(shareMAC(key, tag, e)))
	return "/dashboard/share/" + url.PathEscape(tag) + "?" + q.Encode()
}

// checkShare reports whether exp and sig, from a share link's query, are a
// valid signature of tag that has not expired at now and does not claim to
// run longer than maxShareTTL. The signature is compared in constant time.
func checkShare(key []byte, tag, exp, sig string, now time.Time) bool {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || len(sig) > 128 {
		return false
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, shareMAC(key, tag, e)) {
		return false
	}
	t := time.Unix(e, 0)
	return now.Before(t) && !t.After(now.Add(maxShareTTL))
}
