package api

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/linkwatch/linkwatch"
)

type tokenKey struct{}

// inProcessKey carries the token of an in-process caller (the dashboard),
// set by WithToken.
type inProcessKey struct{}

// WithToken returns ctx carrying tok as the identity of an in-process call of
// the API's handler: the dashboard calls the API as its session's token, so
// that every validation and scope check is the API's own. A request from
// outside cannot carry it: context values are not part of HTTP, and the
// server builds every outside request's context itself.
func WithToken(ctx context.Context, tok *linkwatch.Token) context.Context {
	return context.WithValue(ctx, inProcessKey{}, tok)
}

// authenticate returns the token a request presents: an in-process caller's
// (WithToken), the bootstrap admin token from the configuration, or a stored
// token. Secrets are compared in constant time, as hashes.
func (a *API) authenticate(r *http.Request) (*linkwatch.Token, error) {
	if t, ok := r.Context().Value(inProcessKey{}).(*linkwatch.Token); ok && t != nil {
		return t, nil
	}
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	secret = strings.TrimSpace(secret)
	if !ok || secret == "" {
		return nil, linkwatch.Errorf(linkwatch.EUNAUTHORIZED, "missing bearer token: send Authorization: Bearer <token>")
	}
	return a.Authenticate(r.Context(), secret)
}

// Authenticate returns the token whose secret this is: the bootstrap admin
// token or a stored one; anything else is an EUNAUTHORIZED "invalid token".
// The dashboard's sign-in exchanges a pasted token through it.
func (a *API) Authenticate(ctx context.Context, secret string) (*linkwatch.Token, error) {
	if a.bootstrap != nil && subtle.ConstantTimeCompare(linkwatch.HashSecret(secret), a.bootstrap.Hash) == 1 {
		return a.bootstrap, nil
	}
	id := linkwatch.TokenID(secret)
	if id == "" {
		return nil, linkwatch.Errorf(linkwatch.EUNAUTHORIZED, "invalid token")
	}
	t, err := a.tokens.TokenByID(ctx, id)
	if linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND || err == nil && !t.Matches(secret) {
		return nil, linkwatch.Errorf(linkwatch.EUNAUTHORIZED, "invalid token")
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// TokenByID returns the token with this ID as authentication knows it: the
// bootstrap admin token (ID "bootstrap") while it is configured, or a stored
// token (ENOTFOUND once deleted). A dashboard session checks its token
// through it on every request, so deleting a token ends its sessions.
func (a *API) TokenByID(ctx context.Context, id string) (*linkwatch.Token, error) {
	if a.bootstrap != nil && id == a.bootstrap.ID {
		return a.bootstrap, nil
	}
	return a.tokens.TokenByID(ctx, id)
}

// require wraps h so it runs only for requests whose token grants scope.
func (a *API) require(scope linkwatch.Scope, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := a.authenticate(r)
		if err != nil {
			if linkwatch.ErrorCode(err) == linkwatch.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="linkwatch"`)
			}
			writeError(w, r, a.log, err)
			return
		}
		if !t.Allows(scope) {
			writeError(w, r, a.log, linkwatch.Errorf(linkwatch.EFORBIDDEN, "this token lacks the %q scope", scope))
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, t)))
	})
}

// tokenName names the token of an authenticated request, for audit logs.
func tokenName(r *http.Request) string {
	if t, ok := r.Context().Value(tokenKey{}).(*linkwatch.Token); ok {
		return t.Name
	}
	return ""
}

// requestToken is the authenticated token of a request that went through
// require; nil otherwise.
func requestToken(r *http.Request) *linkwatch.Token {
	t, _ := r.Context().Value(tokenKey{}).(*linkwatch.Token)
	return t
}

// mayReport refuses, with a 403 the operator can act on, a request whose
// token may not report for region. Every prober-protocol handler that takes a
// region calls it.
func mayReport(r *http.Request, region string) error {
	t := requestToken(r)
	switch {
	case t == nil:
		return linkwatch.Errorf(linkwatch.EUNAUTHORIZED, "missing bearer token")
	case t.MayReport(region):
		return nil
	case len(t.Regions) == 0:
		return linkwatch.Errorf(linkwatch.EFORBIDDEN, "token %q names no regions (it predates prober regions): create a new one with `linkwatch tokens create --scope prober --region %s` and restart the prober with it", t.Name, region)
	}
	return linkwatch.Errorf(linkwatch.EFORBIDDEN, "token %q may report only for regions %s, not %q", t.Name, strings.Join(t.Regions, ", "), region)
}

// namesRegions refuses, as a whole, a push from a prober token that names no
// regions: it predates regions and may report for none, and the operator must
// replace it. The prober keeps such results spooled until then.
func namesRegions(t *linkwatch.Token) error {
	if t == nil || t.Allows(linkwatch.ScopeAdmin) || len(t.Regions) > 0 {
		return nil
	}
	return linkwatch.Errorf(linkwatch.EFORBIDDEN, "token %q names no regions (it predates prober regions): create a new one with `linkwatch tokens create --scope prober --region R` and restart the prober with it", t.Name)
}
