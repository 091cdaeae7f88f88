package dashboard

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/linkwatch/linkwatch"
)

// signInCookie pairs the sign-in form with the browser that loaded it
// (double submit), so another site cannot sign a browser in with a token of
// its choosing.
const signInCookie = "linkwatch_signin"

// signInData is signin.html's data.
type signInData struct {
	Next  string // where to go after signing in: a local dashboard path or ""
	Form  string // the value of the form's hidden field, paired with signInCookie
	Error string
}

// signInPage shows the sign-in form, or sends a browser already signed in
// where it was going.
func (d *Dashboard) signInPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		next := localNext(r.URL.Query().Get("next"))
		if s, err := d.loadSession(r); err == nil && s != nil {
			http.Redirect(w, r, orHome(next), http.StatusSeeOther)
			return
		}
		d.showSignIn(w, r, http.StatusOK, next, "")
	}
}

// showSignIn renders the form with a fresh pairing value.
func (d *Dashboard) showSignIn(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	form := newSessionID()
	if c, err := r.Cookie(signInCookie); err == nil && len(c.Value) == len(form) {
		form = c.Value // another tab's form stays valid
	}
	d.setCookie(w, signInCookie, form, d.now().Add(d.ttl))
	d.render(w, r, status, "signin", signInData{Next: next, Form: form, Error: msg})
}

// signIn exchanges a pasted API token for a session. Attempts are limited
// per client address; a wrong token gets the same message however it is
// wrong.
func (d *Dashboard) signIn() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := d.now()
		if ok, wait := d.limiter.allow(clientAddr(r), now); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
			d.showSignIn(w, r, http.StatusTooManyRequests, "", "Too many sign-in attempts from your address. Wait a minute and try again.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			d.showSignIn(w, r, http.StatusBadRequest, "", "The form could not be read. Try again.")
			return
		}
		next := localNext(r.PostForm.Get("next"))
		c, err := r.Cookie(signInCookie)
		form := r.PostForm.Get(csrfField)
		if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
			d.showSignIn(w, r, http.StatusForbidden, next, "This sign-in form expired or did not come from this dashboard (the CSRF check failed). Try again.")
			return
		}
		secret := strings.TrimSpace(r.PostForm.Get("token"))
		secret = strings.TrimPrefix(secret, "Bearer ")
		tok, err := d.deps.Tokens.Authenticate(r.Context(), secret)
		if secret == "" || linkwatch.ErrorCode(err) == linkwatch.EUNAUTHORIZED {
			d.log.Info("dashboard sign-in refused", "addr", clientAddr(r))
			d.showSignIn(w, r, http.StatusUnauthorized, next, "That token was not accepted. Paste an API token exactly as it was given to you.")
			return
		}
		if err != nil {
			d.log.Error("dashboard sign-in failed", "err", err)
			d.showSignIn(w, r, http.StatusServiceUnavailable, next, "Signing in failed: the server could not check the token. Try again in a moment.")
			return
		}
		if !tok.Allows(linkwatch.ScopeRead) {
			d.showSignIn(w, r, http.StatusForbidden, next, "This token cannot use the dashboard: it needs the read or admin scope.")
			return
		}
		if _, err := d.deps.Sessions.PruneSessions(r.Context(), now); err != nil {
			d.log.Warn("dashboard: pruning expired sessions failed", "err", err)
		}
		id := newSessionID()
		s := &linkwatch.Session{IDHash: hashID(id), TokenID: tok.ID, TokenHash: tok.Hash, CreatedAt: now, ExpiresAt: now.Add(d.ttl)}
		if err := d.deps.Sessions.CreateSession(r.Context(), s); err != nil {
			d.log.Error("dashboard: storing a session failed", "err", err)
			d.showSignIn(w, r, http.StatusServiceUnavailable, next, "Signing in failed: the session could not be saved. Try again in a moment.")
			return
		}
		d.log.Info("dashboard sign-in", "token", tok.Name, "token_id", tok.ID, "addr", clientAddr(r))
		d.clearCookie(w, signInCookie)
		d.setCookie(w, sessionCookie, id, s.ExpiresAt)
		http.Redirect(w, r, orHome(next), http.StatusSeeOther)
	}
}

// signOut ends the session: it is deleted, and the cookie with it.
func (d *Dashboard) signOut() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := d.deps.Sessions.DeleteSession(r.Context(), sessionFrom(r.Context()).hash); err != nil {
			d.log.Error("dashboard: deleting a session failed", "err", err)
			d.renderError(w, r, http.StatusServiceUnavailable, "Signing out failed: the server could not reach its database. Try again in a moment.")
			return
		}
		d.clearCookie(w, sessionCookie)
		http.Redirect(w, r, signInPath, http.StatusSeeOther)
	}
}

// root sends a signed-in browser to the dashboard and anyone else to the
// status page.
func (d *Dashboard) root() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s, err := d.loadSession(r); err == nil && s != nil {
			http.Redirect(w, r, homePath, http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/status", http.StatusSeeOther)
	}
}

func orHome(next string) string {
	if next == "" {
		return homePath
	}
	return next
}

// clientAddr is the address sign-in attempts are counted by: the connection's
// peer (RemoteAddr), never a header a client can set. An IPv6 address counts
// as its /64, which one client usually holds whole.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if ip = ip.Unmap(); ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
