package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
)

// sessionCookie holds the session ID; it is HttpOnly, SameSite=Lax, Path=/
// and Secure when the public URL is https.
const sessionCookie = "linkwatch_session"

// csrfField is the name of every form's hidden CSRF field.
const csrfField = "csrf"

// maxFormBytes bounds the body of any dashboard form (CSV imports included).
const maxFormBytes = 10 << 20

// Session is a request's signed-in session.
type Session struct {
	// Token is the API token the session was signed in with, as it is now
	// (re-read on every request).
	Token *linkwatch.Token
	// CSRF is the value every form of this session carries in its hidden
	// "csrf" field.
	CSRF      string
	ExpiresAt time.Time
	hash      []byte // the stored session's key
}

// CanWrite reports whether the session may change anything: its token has
// the admin scope. A read session sees everything and changes nothing.
func (s *Session) CanWrite() bool {
	return s != nil && s.Token != nil && s.Token.Allows(linkwatch.ScopeAdmin)
}

type sessionKey struct{}

// sessionFrom is the session of a request that went through requireSession;
// nil otherwise.
func sessionFrom(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

func withSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// newSessionID returns a random session ID: 256 bits, URL-safe base64.
func newSessionID() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashID is how a session ID is stored and looked up.
func hashID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// csrfFor derives a session's CSRF value from its ID, so it needs no
// storage: it cannot be computed from the stored hash, and the ID itself
// never reaches a page (the cookie is HttpOnly).
func csrfFor(id string) string {
	h := sha256.Sum256([]byte("linkwatch dashboard csrf\x00" + id))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// loadSession returns the request's valid session, or nil: no cookie, an
// unknown or expired session, or one whose token was deleted or replaced
// (such sessions are deleted as they are found). An error is the store's.
func (d *Dashboard) loadSession(r *http.Request) (*Session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, nil
	}
	ctx := r.Context()
	hash := hashID(c.Value)
	stored, err := d.deps.Sessions.SessionByHash(ctx, hash)
	if linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !d.now().Before(stored.ExpiresAt) {
		return nil, d.deps.Sessions.DeleteSession(ctx, hash)
	}
	tok, err := d.deps.Tokens.TokenByID(ctx, stored.TokenID)
	if linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND ||
		err == nil && subtle.ConstantTimeCompare(tok.Hash, stored.TokenHash) != 1 {
		return nil, d.deps.Sessions.DeleteSession(ctx, hash)
	}
	if err != nil {
		return nil, err
	}
	if !tok.Allows(linkwatch.ScopeRead) {
		return nil, nil // scopes are fixed at creation; kept for safety
	}
	return &Session{Token: tok, CSRF: csrfFor(c.Value), ExpiresAt: stored.ExpiresAt, hash: hash}, nil
}

// requireSession lets a request with a valid session through, with the
// session in its context. Any other is sent to sign in (303), a GET with
// the page it asked for as next.
func (d *Dashboard) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := d.loadSession(r)
		if err != nil {
			d.log.Error("dashboard: reading the session failed", "err", err)
			d.renderError(w, r, http.StatusServiceUnavailable, "The dashboard cannot reach its database right now. Try again in a moment.")
			return
		}
		if s == nil {
			if _, err := r.Cookie(sessionCookie); err == nil {
				d.clearCookie(w, sessionCookie)
			}
			to := signInPath
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				if n := localNext(r.URL.RequestURI()); n != "" && n != homePath {
					to += "?next=" + url.QueryEscape(n)
				}
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(withSession(r.Context(), s)))
	})
}

// safeMethod reports whether a request's method changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF refuses (403) a state-changing request whose form does not carry
// the session's CSRF value, and any state-changing request of a read-only
// session but sign-out. It runs after requireSession. Forms are bounded to
// maxFormBytes; a multipart form (a CSV upload) is parsed here.
func (d *Dashboard) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		s := sessionFrom(r.Context())
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		var err error
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			err = r.ParseMultipartForm(1 << 20) // larger parts go to temporary files
			if r.MultipartForm != nil {
				// The server removes only the files of the request it made, not
				// of this copy's form.
				defer r.MultipartForm.RemoveAll()
			}
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			d.renderError(w, r, http.StatusBadRequest, "The form could not be read (is the upload larger than 10 MB?).")
			return
		}
		got := r.PostForm.Get(csrfField)
		if s == nil || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) != 1 {
			d.renderError(w, r, http.StatusForbidden, "This form did not come from your dashboard session, or the session changed since the page was loaded (the CSRF check failed). Reload the page and try again.")
			return
		}
		if !s.CanWrite() && r.URL.Path != signOutPath {
			d.renderError(w, r, http.StatusForbidden, "Your token is read-only: it can see everything but change nothing. Sign in with an admin token to make changes.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// localNext returns next when it is a path of this dashboard (/dashboard or
// below, with its query), and "" otherwise: a sign-in never redirects off
// the site or outside the dashboard.
func localNext(next string) string {
	if next == "" || len(next) > 2000 || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || strings.HasPrefix(next, "//") {
		return ""
	}
	p := u.Path
	if p != homePath && !strings.HasPrefix(p, homePath+"/") || strings.Contains(p, "/..") || strings.Contains(p, "/./") {
		return ""
	}
	if p == signInPath || p == signOutPath {
		return ""
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}

// setCookie sets an HttpOnly, SameSite=Lax cookie on Path=/ (Secure when the
// public URL is https) until expires.
func (d *Dashboard) setCookie(w http.ResponseWriter, name, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", Expires: expires, MaxAge: int(expires.Sub(d.now()).Seconds()),
		HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode,
	})
}

// clearCookie tells the browser to forget a cookie it sent.
func (d *Dashboard) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode})
}
