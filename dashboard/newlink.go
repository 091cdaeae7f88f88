package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/linkwatch/linkwatch"
)

// newLinkFields are the new-link form's fields, named as the API names
// them, so an API error lands next to the field it is about.
var newLinkFields = []string{"slug", "destination", "fallback_url", "tags", "redirect_code", "expires_at", "check_interval", "failover"}

// newLinkForm is the form as typed, its errors by field, and a message for
// errors about no field.
type newLinkForm struct {
	Slug, Destination, FallbackURL, Tags, RedirectCode, ExpiresAt, CheckInterval, Failover string
	Errors                                                                                 map[string]string
	Message                                                                                string
}

// newLinkPage shows the empty form, with the API's defaults preselected.
func (d *Dashboard) newLinkPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !sessionFrom(r.Context()).CanWrite() {
			d.renderError(w, r, http.StatusForbidden, "Your token is read-only: it can see everything but create nothing.")
			return
		}
		d.render(w, r, http.StatusOK, "newlink", newLinkForm{RedirectCode: strconv.Itoa(linkwatch.DefaultRedirect),
			Failover: string(linkwatch.FailoverAuto)})
	}
}

// createLink creates the link through POST /api/v1/links and goes to its
// page; an error is shown next to the field the API names.
func (d *Dashboard) createLink() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := newLinkForm{}
		for _, p := range []struct {
			field string
			v     *string
		}{{"slug", &f.Slug}, {"destination", &f.Destination}, {"fallback_url", &f.FallbackURL}, {"tags", &f.Tags},
			{"redirect_code", &f.RedirectCode}, {"expires_at", &f.ExpiresAt}, {"check_interval", &f.CheckInterval}, {"failover", &f.Failover}} {
			*p.v = strings.TrimSpace(r.PostForm.Get(p.field))
		}
		req := linkRequest{Slug: f.Slug, Destination: f.Destination, FallbackURL: f.FallbackURL, Tags: formTags(f.Tags),
			Failover: f.Failover}
		if f.ExpiresAt != "" {
			req.ExpiresAt = utcTimestamp(f.ExpiresAt)
		}
		if f.CheckInterval != "" {
			req.CheckInterval = intervalValue(f.CheckInterval)
		}
		if f.RedirectCode != "" {
			n, err := strconv.Atoi(f.RedirectCode)
			if err != nil {
				f.Errors = map[string]string{"redirect_code": "redirect_code must be 301, 302, 307 or 308"}
				d.render(w, r, http.StatusUnprocessableEntity, "newlink", f)
				return
			}
			req.RedirectCode = n
		}
		var created struct {
			Slug   string `json:"slug"`
			Domain string `json:"domain"`
		}
		if _, err := d.callAPI(r, http.MethodPost, "/links", req, &created); err != nil {
			f.Errors, f.Message = fieldErrors(err, newLinkFields)
			d.render(w, r, http.StatusUnprocessableEntity, "newlink", f)
			return
		}
		d.log.Info("dashboard: link created", "slug", created.Slug, "domain", created.Domain, "by", sessionFrom(r.Context()).Token.Name)
		http.Redirect(w, r, withQuery(linkHref(&linkwatch.Link{Slug: created.Slug, Domain: created.Domain}), "created", "1"), http.StatusSeeOther)
	}
}

// newLinkInput is one text input of the form, for the "newlinkField"
// template: its label, help, value as typed and error.
type newLinkInput struct{ Name, Label, Help, Type, Value, Error string }

// Field is the input named name.
func (f newLinkForm) Field(name string) newLinkInput {
	ff := newLinkInput{Name: name, Type: "text", Error: f.Errors[name]}
	switch name {
	case "slug":
		ff.Label, ff.Help, ff.Value = "Slug", "Letters, digits, - and _. Leave it empty for a random one.", f.Slug
	case "destination":
		ff.Label, ff.Help, ff.Value, ff.Type = "Destination", "Where visitors go: an http or https URL.", f.Destination, "url"
	case "fallback_url":
		ff.Label, ff.Help, ff.Value, ff.Type = "Fallback", "Optional: where visitors go while the destination is down.", f.FallbackURL, "url"
	case "tags":
		ff.Label, ff.Help, ff.Value = "Tags (campaigns)", "Optional, separated by spaces or commas.", f.Tags
	case "expires_at":
		ff.Label, ff.Help, ff.Value, ff.Type = "Expires (UTC)", "Optional: after it, visitors get the fallback, or a 410 Gone without one.", f.ExpiresAt, "datetime-local"
	case "check_interval":
		ff.Label, ff.Help, ff.Value = "Check every", "Optional: such as 60s or 5m (default 60s).", f.CheckInterval
	}
	return ff
}

// Codes are the redirect codes the form offers, the default first.
func (newLinkForm) Codes() []string { return []string{"302", "301", "307", "308"} }
