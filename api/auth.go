package api

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/linkwatch/linkwatch"
)

type tokenKey struct{}

// authenticate returns the token a request presents: the bootstrap admin
// token from the configuration, or a stored token. Secrets are compared in
// constant time, as hashes.
func (a *API) authenticate(r *http.Request) (*linkwatch.Token, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	secret = strings.TrimSpace(secret)
	if !ok || secret == "" {
		return nil, linkwatch.Errorf(linkwatch.EUNAUTHORIZED, "missing bearer token: send Authorization: Bearer <token>")
	}
	if a.bootstrap != nil && subtle.ConstantTimeCompare(linkwatch.HashSecret(secret), a.bootstrap.Hash) == 1 {
		return a.bootstrap, nil
	}
	id := linkwatch.TokenID(secret)
	if id == "" {
		return nil, linkwatch.Errorf(linkwatch.EUNAUTHORIZED, "invalid token")
	}
	t, err := a.tokens.TokenByID(r.Context(), id)
	if linkwatch.ErrorCode(err) == linkwatch.ENOTFOUND || err == nil && !t.Matches(secret) {
		return nil, linkwatch.Errorf(linkwatch.EUNAUTHORIZED, "invalid token")
	}
	if err != nil {
		return nil, err
	}
	return t, nil
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
