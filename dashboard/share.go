package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
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

// Keys holds the dashboard's signing keys (storage implements it):
// DashboardKey returns the key stored under name, storing fresh first when
// there is none, so every replica gets the first one stored.
type Keys interface {
	DashboardKey(ctx context.Context, name string, fresh []byte) ([]byte, error)
}

// shareKey is the server's share key, created at its first use.
func (d *Dashboard) shareKey(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, shareKeyLen)
	rand.Read(fresh)
	return d.deps.Keys.DashboardKey(ctx, shareKeyName, fresh)
}

// createShare makes a share link for the campaign, expiring after the
// lifetime chosen from shareTTLs, and shows it on the campaign page. It
// changes nothing stored (the link is its own proof), but it hands the
// campaign to outsiders, so a read-only session may not (checkCSRF refuses
// it, as every POST of one).
func (d *Dashboard) createShare() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tag := tagParam(r)
		c, err := d.campaign(r.Context(), tag, r.URL.Query().Get("by"))
		if err != nil {
			d.failRead(w, r, err)
			return
		}
		ttl := time.Duration(0)
		for _, t := range shareTTLs {
			if r.PostForm.Get("ttl") == t.TTL.String() {
				ttl = t.TTL
			}
		}
		if ttl == 0 {
			c.ShareError = "Choose how long the link lasts."
			d.render(w, r, http.StatusUnprocessableEntity, "campaign", c)
			return
		}
		key, err := d.shareKey(r.Context())
		if err != nil {
			d.failRead(w, r, err)
			return
		}
		exp := d.now().Add(ttl)
		c.ShareTo = d.absolute(shareURL(key, tag, exp))
		c.ShareExpires = exp
		d.log.Info("dashboard: campaign shared", "campaign", tag, "expires", exp.UTC(), "by", sessionFrom(r.Context()).Token.Name)
		d.render(w, r, http.StatusOK, "campaign", c)
	}
}

// absolute prefixes a dashboard path with the public URL, when known.
func (d *Dashboard) absolute(path string) string {
	if d.cfg.PublicURL == nil {
		return path
	}
	return strings.TrimSuffix(d.cfg.PublicURL.String(), "/") + path
}

// sharePage shows a campaign to anyone holding a valid, unexpired share
// link: its links' health and its scans, and nothing else (no controls, no
// other campaign, no session). A bad or expired signature is a 403 that
// says which, never what a good one would be.
func (d *Dashboard) sharePage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Robots-Tag", "noindex, nofollow")
		tag, q := tagParam(r), r.URL.Query()
		key, err := d.shareKey(r.Context())
		if err != nil {
			d.failRead(w, r, err)
			return
		}
		if !checkShare(key, tag, q.Get("exp"), q.Get("sig"), d.now()) {
			d.renderError(w, r, http.StatusForbidden, "This share link is not valid: it has expired, was changed, or was revoked. Ask whoever shared it for a new one.")
			return
		}
		c, err := d.campaign(r.Context(), tag, q.Get("by"))
		if err != nil {
			d.failRead(w, r, err)
			return
		}
		c.Shared = true
		exp, _ := strconv.ParseInt(q.Get("exp"), 10, 64)
		c.ShareExpires = time.Unix(exp, 0)
		c.ShareQuery = "exp=" + url.QueryEscape(q.Get("exp")) + "&sig=" + url.QueryEscape(q.Get("sig"))
		d.render(w, r, http.StatusOK, "share", c)
	}
}

// tagParam is the {tag} of a campaign path. Tags may hold '/', which links
// escape as %2F; the router then hands the segment over escaped.
func tagParam(r *http.Request) string {
	t := chi.URLParam(r, "tag")
	if u, err := url.PathUnescape(t); err == nil {
		return u
	}
	return t
}

// campaignPath is the path of a campaign's page.
func campaignPath(tag string) string { return "/dashboard/campaigns/" + url.PathEscape(tag) }
