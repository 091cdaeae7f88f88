package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
)

// Tokens is what token management and authentication need from storage.
type Tokens interface {
	CreateToken(ctx context.Context, t *linkwatch.Token) error
	TokenByID(ctx context.Context, id string) (*linkwatch.Token, error)
	ListTokens(ctx context.Context) ([]*linkwatch.Token, error)
	DeleteToken(ctx context.Context, id string) error
}

// TokenDoc is a token as the API shows it (the CLI decodes it too).
type TokenDoc struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Scopes    []linkwatch.Scope `json:"scopes"`
	Regions   []string          `json:"regions"`
	CreatedAt time.Time         `json:"created_at"`
	// Token is the secret, present only in the response that creates it.
	Token string `json:"token,omitempty"`
}

type createTokenRequest struct {
	Name    string            `json:"name"`
	Scopes  []linkwatch.Scope `json:"scopes"`
	Regions []string          `json:"regions"`
}

func newTokenJSON(t *linkwatch.Token) TokenDoc {
	regions := t.Regions
	if regions == nil {
		regions = []string{}
	}
	return TokenDoc{ID: t.ID, Name: t.Name, Scopes: t.Scopes, Regions: regions, CreatedAt: t.CreatedAt}
}

func (req *createTokenRequest) validate() error {
	if req.Name == "" || len(req.Name) > 100 {
		return linkwatch.FieldErrorf("name", "name is required, up to 100 characters")
	}
	if len(req.Scopes) == 0 {
		return linkwatch.FieldErrorf("scopes", "scopes must list at least one of admin, read, prober")
	}
	for _, s := range req.Scopes {
		if !linkwatch.ValidScope(s) {
			return linkwatch.FieldErrorf("scopes", "unknown scope %q: use admin, read or prober", s)
		}
	}
	// A prober token reports for the regions it names and no other; an admin
	// token reports for any, so regions on it would only mislead.
	prober := slices.Contains(req.Scopes, linkwatch.ScopeProber) && !slices.Contains(req.Scopes, linkwatch.ScopeAdmin)
	switch {
	case prober && len(req.Regions) == 0:
		return linkwatch.FieldErrorf("regions", "a prober token must name the regions it may report for, e.g. \"regions\":[\"eu-west\"]")
	case !prober && len(req.Regions) > 0:
		return linkwatch.FieldErrorf("regions", "regions apply only to tokens with the prober scope and without admin (admin may report for any region)")
	case len(req.Regions) > linkwatch.MaxTokenRegions:
		return linkwatch.FieldErrorf("regions", "at most %d regions per token", linkwatch.MaxTokenRegions)
	}
	var regions []string
	for _, r := range req.Regions {
		if err := linkwatch.ValidateRegion("regions", r); err != nil {
			return err
		}
		if !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	req.Regions = regions
	return nil
}

func (a *API) createToken() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req createTokenRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if err := req.validate(); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		t, secret := linkwatch.NewToken(req.Name, req.Scopes, a.now().UTC().Truncate(time.Millisecond))
		t.Regions = req.Regions
		if err := a.tokens.CreateToken(r.Context(), t); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("token created", "id", t.ID, "name", t.Name, "scopes", t.Scopes, "regions", t.Regions, "by", tokenName(r))
		out := newTokenJSON(t)
		out.Token = secret.Reveal()
		writeJSON(w, http.StatusCreated, out)
	})
}

func (a *API) listTokens() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts, err := a.tokens.ListTokens(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		out := struct {
			Tokens []TokenDoc `json:"tokens"`
		}{Tokens: []TokenDoc{}}
		for _, t := range ts {
			out.Tokens = append(out.Tokens, newTokenJSON(t))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (a *API) deleteToken() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if err := a.tokens.DeleteToken(r.Context(), id); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("token deleted", "id", id, "by", tokenName(r))
		w.WriteHeader(http.StatusNoContent)
	})
}

// EnsureAdminToken creates an admin token when none exists and returns its
// secret, to be shown once; created is false when an admin token exists.
func EnsureAdminToken(ctx context.Context, tokens Tokens, now time.Time) (secret linkwatch.Secret, created bool, err error) {
	ts, err := tokens.ListTokens(ctx)
	if err != nil {
		return "", false, err
	}
	for _, t := range ts {
		if t.Allows(linkwatch.ScopeAdmin) {
			return "", false, nil
		}
	}
	t, secret := linkwatch.NewToken("bootstrap admin", []linkwatch.Scope{linkwatch.ScopeAdmin}, now.UTC().Truncate(time.Millisecond))
	if err := tokens.CreateToken(ctx, t); err != nil {
		return "", false, err
	}
	return secret, true, nil
}
