package dashboard

import (
	"errors"
	"net/http"
	"strings"

	"github.com/linkwatch/linkwatch"
)

// The link page's changes: the edit form, failover mode and pins, and
// check now. Each is the API's own route called in-process (callAPI), so
// validation, cycle checks, pins and propagation to the probers are the
// API's; an error comes back with the field it names and is shown there.

// editFields are the edit form's fields, named as the API names them.
var editFields = []string{"destination", "fallback_url", "tags", "expires_at", "check_interval"}

// patchBody is the PATCH the edit form sends: every field of the form.
func patchBody(f editForm) map[string]any {
	body := map[string]any{
		"destination":  f.Destination,
		"fallback_url": f.FallbackURL,
		"tags":         formTags(f.Tags),
	}
	// An empty expiry or interval clears it (no expiry, the default).
	body["expires_at"] = nil
	if f.ExpiresAt != "" {
		body["expires_at"] = utcTimestamp(f.ExpiresAt)
	}
	body["check_interval"] = nil
	if f.CheckInterval != "" {
		body["check_interval"] = f.CheckInterval
	}
	return body
}

// formTags reads the tags field: tags separated by commas or spaces (none
// of which a tag may contain); none is [], not null.
func formTags(s string) []string {
	return append([]string{}, strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})...)
}

// utcTimestamp turns a datetime-local value (the form says it is UTC) into
// RFC 3339; anything else is passed on for the API to judge.
func utcTimestamp(s string) string {
	switch len(s) {
	case len("2006-01-02T15:04"):
		return s + ":00Z"
	case len("2006-01-02T15:04:05"):
		return s + "Z"
	}
	return s
}

// fieldErrors files err under the form field it names, or as the form's
// message.
func fieldErrors(err error, fields []string) (map[string]string, string) {
	var e *linkwatch.Error
	if !errors.As(err, &e) {
		return nil, "The change could not be made right now. Try again in a moment."
	}
	for _, f := range fields {
		if e.Field == f {
			return map[string]string{f: e.Message}, ""
		}
	}
	return nil, e.Message
}

// editLink saves the edit form through PATCH /api/v1/links/{slug}.
func (d *Dashboard) editLink() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l, ok := d.findLink(w, r)
		if !ok {
			return
		}
		f := editForm{
			Destination: strings.TrimSpace(r.PostForm.Get("destination")), FallbackURL: strings.TrimSpace(r.PostForm.Get("fallback_url")),
			Tags: r.PostForm.Get("tags"), ExpiresAt: strings.TrimSpace(r.PostForm.Get("expires_at")),
			CheckInterval: strings.TrimSpace(r.PostForm.Get("check_interval")),
		}
		_, err := d.callAPI(r, http.MethodPatch, apiLinkPath(l.Slug, l.Domain, ""), patchBody(f), nil)
		if err != nil {
			f.Errors, f.Message = fieldErrors(err, editFields)
			d.linkPageWith(w, r, l, http.StatusUnprocessableEntity, func(p *linkPage) { p.Form = f })
			return
		}
		d.log.Info("dashboard: link edited", "slug", l.Slug, "domain", l.Domain, "by", sessionFrom(r.Context()).Token.Name)
		http.Redirect(w, r, withQuery(linkHref(l), "saved", "1"), http.StatusSeeOther)
	}
}

// setLinkFailover sets the failover mode: auto or off through PATCH (off is
// the link's setting), a pin to the fallback or the primary (or auto, which
// unpins) through POST /api/v1/links/{slug}/failover.
func (d *Dashboard) setLinkFailover() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l, ok := d.findLink(w, r)
		if !ok {
			return
		}
		mode := r.PostForm.Get("mode")
		var err error
		if mode == string(linkwatch.FailoverOff) {
			_, err = d.callAPI(r, http.MethodPatch, apiLinkPath(l.Slug, l.Domain, ""), map[string]any{"failover": mode}, nil)
		} else {
			_, err = d.callAPI(r, http.MethodPost, apiLinkPath(l.Slug, l.Domain, "/failover"), map[string]any{"mode": mode}, nil)
		}
		if err != nil {
			_, msg := fieldErrors(err, nil)
			d.linkPageWith(w, r, l, http.StatusUnprocessableEntity, func(p *linkPage) { p.Failover.Error = msg })
			return
		}
		d.log.Info("dashboard: link failover set", "slug", l.Slug, "domain", l.Domain, "mode", mode, "by", sessionFrom(r.Context()).Token.Name)
		http.Redirect(w, r, withQuery(linkHref(l), "saved", "1"), http.StatusSeeOther)
	}
}

// checkLink asks every live region to check the link now and shows each
// region's answer on the page.
func (d *Dashboard) checkLink() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l, ok := d.findLink(w, r)
		if !ok {
			return
		}
		var c checkDoc
		_, err := d.callAPI(r, http.MethodPost, apiLinkPath(l.Slug, l.Domain, "/check"), nil, &c)
		status := http.StatusOK
		var msg string
		if err != nil {
			_, msg = fieldErrors(err, nil)
			status = http.StatusServiceUnavailable
			if linkwatch.ErrorCode(err) == linkwatch.EINVALID {
				status = http.StatusUnprocessableEntity
			}
		}
		d.linkPageWith(w, r, l, status, func(p *linkPage) {
			if err == nil {
				p.Check = &c
			}
			p.CheckErr = msg
		})
	}
}

// linkPageWith renders the link page after a POST, changed by set.
func (d *Dashboard) linkPageWith(w http.ResponseWriter, r *http.Request, l *linkwatch.Link, status int, set func(*linkPage)) {
	p, err := d.linkPageFor(r, l, byParam(r))
	if err != nil {
		d.linkReadFailed(w, r, err)
		return
	}
	set(p)
	d.render(w, r, status, "link", p)
}
