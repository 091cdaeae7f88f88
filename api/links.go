package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"github.com/linkwatch/linkwatch"
)

// Links is what the link API needs from storage.
type Links interface {
	CreateLink(ctx context.Context, l *linkwatch.Link) error
	LinkBySlug(ctx context.Context, domain, slug string) (*linkwatch.Link, error)
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	UpdateLink(ctx context.Context, domain, slug string, fn func(*linkwatch.Link) error) (*linkwatch.Link, error)
	DeleteLink(ctx context.Context, domain, slug string) error
}

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// LinkDoc is a link as the API shows it (the CLI decodes it too).
type LinkDoc struct {
	ID            int64      `json:"id"`
	Slug          string     `json:"slug"`
	Domain        string     `json:"domain"`
	ShortURL      string     `json:"short_url"`
	Destination   string     `json:"destination"`
	FallbackURL   string     `json:"fallback_url"`
	Tags          []string   `json:"tags"`
	RedirectCode  int        `json:"redirect_code"`
	ExpiresAt     *time.Time `json:"expires_at"`
	CheckInterval string     `json:"check_interval"`
	expectJSON
	// Failover is the mode: auto or off, or a pin (fallback, primary).
	Failover linkwatch.FailoverMode `json:"failover"`
	// FailoverActive is whether visitors get the fallback because of
	// failover (not expiry) right now.
	FailoverActive bool      `json:"failover_active"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func (a *API) linkDoc(l *linkwatch.Link) LinkDoc {
	j := LinkDoc{
		ID: l.ID, Slug: l.Slug, Domain: l.Domain, ShortURL: l.ShortURL(a.cfg.PublicURL),
		Destination: l.Destination, FallbackURL: l.FallbackURL, Tags: l.Tags,
		RedirectCode: l.RedirectCode, CheckInterval: l.CheckInterval.String(),
		Failover: l.Failover, FailoverActive: l.FailoverActive(a.now()),
		expectJSON: newExpectJSON(l.Expect),
		CreatedAt:  l.CreatedAt, UpdatedAt: l.UpdatedAt,
	}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	if j.Failover == "" {
		j.Failover = linkwatch.FailoverAuto
	}
	if !l.ExpiresAt.IsZero() {
		t := l.ExpiresAt
		j.ExpiresAt = &t
	}
	return j
}

// createLinkRequest is the body of POST /api/v1/links.
type createLinkRequest struct {
	Slug          string           `json:"slug"`
	Domain        string           `json:"domain"`
	Destination   string           `json:"destination"`
	FallbackURL   string           `json:"fallback_url"`
	Tags          []string         `json:"tags"`
	RedirectCode  int              `json:"redirect_code"`
	ExpiresAt     *timestamp       `json:"expires_at"`
	CheckInterval duration         `json:"check_interval"`
	Failover      *failoverSetting `json:"failover"`
	expectRequest
}

// link turns the request into a validated link with defaults applied.
func (req *createLinkRequest) link(now time.Time, publicHost string) (*linkwatch.Link, error) {
	l := &linkwatch.Link{
		Slug: req.Slug, Domain: req.Domain, Destination: req.Destination, FallbackURL: req.FallbackURL,
		Tags: req.Tags, RedirectCode: req.RedirectCode, CheckInterval: time.Duration(req.CheckInterval),
		Expect: req.expectation(), CreatedAt: now, UpdatedAt: now,
	}
	if req.ExpiresAt != nil {
		if !req.ExpiresAt.T.After(now) {
			return nil, linkwatch.FieldErrorf("expires_at", "expires_at is in the past")
		}
		l.ExpiresAt = req.ExpiresAt.T
	}
	if req.Failover != nil {
		if req.Failover.err != nil {
			return nil, req.Failover.err
		}
		l.Failover = req.Failover.mode
	}
	l.ApplyDefaults()
	if l.Domain == publicHost {
		l.Domain = "" // the public URL's own host is the default domain
	}
	generated := l.Slug == ""
	if generated {
		l.Slug = linkwatch.NewSlug()
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

func (a *API) createLink() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req createLinkRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		l, err := req.link(a.now(), a.cfg.PublicURL.Hostname())
		if err == nil && req.Slug != "" { // a slug just drawn cannot be pointed at yet
			err = linkwatch.CheckRedirectCycle(r.Context(), l, a.cfg.PublicURL, a.links)
		}
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if r.URL.Query().Get("dry_run") == "true" {
			a.checkCreate(w, r, l)
			return
		}
		err = a.links.CreateLink(r.Context(), l)
		// A generated slug may collide with an existing one; draw again.
		for tries := 0; req.Slug == "" && linkwatch.ErrorCode(err) == linkwatch.ECONFLICT && tries < 5; tries++ {
			l.Slug = linkwatch.NewSlug()
			err = a.links.CreateLink(r.Context(), l)
		}
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("link created", "slug", l.Slug, "domain", l.Domain, "by", tokenName(r))
		w.Header().Set("Location", "/api/v1/links/"+l.Slug)
		writeJSON(w, http.StatusCreated, a.linkDoc(l))
	})
}

// checkCreate answers a dry run of a create (?dry_run=true): 200 with the
// link as it would be created when it would be, else the error the create
// would meet, a taken slug included; nothing is stored. A CSV import checks
// every row this way before it creates any.
func (a *API) checkCreate(w http.ResponseWriter, r *http.Request, l *linkwatch.Link) {
	_, err := a.links.LinkBySlug(r.Context(), l.Domain, l.Slug)
	switch linkwatch.ErrorCode(err) {
	case linkwatch.ENOTFOUND:
		writeJSON(w, http.StatusOK, a.linkDoc(l))
	case "":
		writeError(w, r, a.log, &linkwatch.Error{Code: linkwatch.ECONFLICT, Field: "slug", Message: "slug is already taken"})
	default:
		writeError(w, r, a.log, err)
	}
}

// domainParam is the ?domain= that addresses links on custom domains.
func domainParam(r *http.Request) string { return r.URL.Query().Get("domain") }

func (a *API) getLink() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, err := a.links.LinkBySlug(r.Context(), domainParam(r), slugParam(r))
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		writeJSON(w, http.StatusOK, a.linkDoc(l))
	})
}

type linkPage struct {
	Links      []LinkDoc `json:"links"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

func (a *API) listLinks() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := linkFilter(r)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		limit := f.Limit
		f.Limit++ // one more tells whether there is a next page
		links, err := a.links.ListLinks(r.Context(), f)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		page := linkPage{Links: []LinkDoc{}}
		if len(links) > limit {
			links = links[:limit]
			page.NextCursor = encodeCursor(links[limit-1].ID)
		}
		for _, l := range links {
			page.Links = append(page.Links, a.linkDoc(l))
		}
		writeJSON(w, http.StatusOK, page)
	})
}

func linkFilter(r *http.Request) (linkwatch.LinkFilter, error) {
	q := r.URL.Query()
	f := linkwatch.LinkFilter{Tag: q.Get("tag"), Limit: defaultPageSize}
	if q.Has("domain") {
		d := q.Get("domain")
		f.Domain = &d
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageSize {
			return f, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: "limit", Message: "limit must be a number from 1 to 500"}
		}
		f.Limit = n
	}
	if s := q.Get("cursor"); s != "" {
		id, ok := decodeCursor(s)
		if !ok {
			return f, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: "cursor", Message: "cursor is not one this API returned"}
		}
		f.AfterID = id
	}
	return f, nil
}

// Cursors are opaque to clients; they hold the last ID of the previous page.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("l:" + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 3 || string(b[:2]) != "l:" {
		return 0, false
	}
	id, err := strconv.ParseInt(string(b[2:]), 10, 64)
	return id, err == nil && id >= 0
}

// patchLinkRequest is the body of PATCH /api/v1/links/{slug}: fields present
// are changed, null clears an optional field, absent fields stay.
type patchLinkRequest struct {
	Slug          optional[string]          `json:"slug"`
	Domain        optional[string]          `json:"domain"`
	Destination   optional[string]          `json:"destination"`
	FallbackURL   optional[string]          `json:"fallback_url"`
	Tags          optional[[]string]        `json:"tags"`
	RedirectCode  optional[int]             `json:"redirect_code"`
	ExpiresAt     optional[timestamp]       `json:"expires_at"`
	CheckInterval optional[duration]        `json:"check_interval"`
	Failover      optional[failoverSetting] `json:"failover"`
	expectPatch
}

// apply changes l as the request says, then validates it.
func (req *patchLinkRequest) apply(l *linkwatch.Link, now time.Time) error {
	if req.Slug.Set && req.Slug.V != l.Slug {
		return linkwatch.FieldErrorf("slug", "slug cannot be changed: printed QR codes and shared links point to it")
	}
	if req.Domain.Set && req.Domain.V != l.Domain {
		return linkwatch.FieldErrorf("domain", "domain cannot be changed: printed QR codes and shared links point to it")
	}
	if req.Destination.Set {
		if req.Destination.Null {
			return linkwatch.FieldErrorf("destination", "destination cannot be removed")
		}
		l.Destination = req.Destination.V
	}
	if req.FallbackURL.Set {
		l.FallbackURL = req.FallbackURL.V // null and "" both clear it
	}
	if req.Tags.Set {
		l.Tags = req.Tags.V
	}
	if req.RedirectCode.Set {
		l.RedirectCode = req.RedirectCode.V
		if req.RedirectCode.Null {
			l.RedirectCode = linkwatch.DefaultRedirect
		}
	}
	if req.ExpiresAt.Set {
		l.ExpiresAt = req.ExpiresAt.V.T // null clears; a past time expires the link now
	}
	if req.CheckInterval.Set {
		l.CheckInterval = time.Duration(req.CheckInterval.V)
		if req.CheckInterval.Null {
			l.CheckInterval = linkwatch.DefaultInterval
		}
	}
	if req.Failover.Set {
		mode := req.Failover.V.mode
		switch {
		case req.Failover.Null:
			mode = linkwatch.FailoverAuto
		case req.Failover.V.err != nil:
			return req.Failover.V.err
		}
		setFailoverMode(l, mode, now) // auto or off: a pin is cleared
	}
	if l.Failover == linkwatch.FailoverFallback && l.FallbackURL == "" {
		return linkwatch.FieldErrorf("fallback_url", `the link is pinned to its fallback: unpin it first (POST /api/v1/links/{slug}/failover {"mode":"auto"}, or send "failover" in this PATCH)`)
	}
	req.expectPatch.apply(&l.Expect)
	l.ApplyDefaults()
	l.UpdatedAt = now
	return l.Validate()
}

func (a *API) updateLink() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req patchLinkRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now()
		if err := a.checkCycle(r, &req, now); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		l, err := a.links.UpdateLink(r.Context(), domainParam(r), slugParam(r), func(l *linkwatch.Link) error {
			return req.apply(l, now)
		})
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("link updated", "slug", l.Slug, "domain", l.Domain, "by", tokenName(r))
		writeJSON(w, http.StatusOK, a.linkDoc(l))
	})
}

// checkCycle refuses a PATCH that would make the link's destination or
// fallback lead back to it. It reads the link and the links it reaches
// outside UpdateLink's transaction, which holds a connection the reads would
// otherwise wait for; two edits racing to close one cycle are not caught.
func (a *API) checkCycle(r *http.Request, req *patchLinkRequest, now time.Time) error {
	if !req.Destination.Set && (!req.FallbackURL.Set || req.FallbackURL.V == "") {
		return nil // the redirect targets stay as they were accepted
	}
	l, err := a.links.LinkBySlug(r.Context(), domainParam(r), slugParam(r))
	if err != nil {
		return err
	}
	if err := req.apply(l, now); err != nil {
		return err
	}
	return linkwatch.CheckRedirectCycle(r.Context(), l, a.cfg.PublicURL, a.links)
}

func (a *API) deleteLink() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		domain, slug := domainParam(r), slugParam(r)
		if err := a.links.DeleteLink(r.Context(), domain, slug); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("link deleted", "slug", slug, "domain", domain, "by", tokenName(r))
		w.WriteHeader(http.StatusNoContent)
	})
}
