package dashboard

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/linkwatch/linkwatch/qrcode"
)

// Paths used across pages.
const (
	homePath    = "/dashboard"
	signInPath  = "/dashboard/sign-in"
	signOutPath = "/dashboard/sign-out"
)

// routes lists every route the dashboard serves. Pages behind a session are
// in the group that requires one; checkCSRF there also refuses every
// state-changing request of a read-only session (sign-out excepted).
func (d *Dashboard) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(securityHeaders)
	// Without a session even a page that does not exist is sent to sign in:
	// the dashboard's paths are not for strangers to probe.
	r.NotFound(d.requireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.renderError(w, r, http.StatusNotFound, "There is no such page.")
	})).ServeHTTP)
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		d.renderError(w, r, http.StatusMethodNotAllowed, "This page does not accept that method.")
	})

	r.Get("/", d.root())
	r.Get("/dashboard/", redirectTo(homePath))
	r.Handle("/dashboard/assets/*", assets())
	r.Get(signInPath, d.signInPage())
	r.Post(signInPath, d.signIn())
	// A campaign's share link needs no session: its signature is the proof.
	r.Get(homePath+"/share/{tag}", d.sharePage())

	r.Group(func(r chi.Router) {
		r.Use(d.requireSession, d.checkCSRF)
		r.Post(signOutPath, d.signOut())
		// Links and the one-link page.
		r.Get(homePath, d.links())
		r.Get(homePath+"/links", d.links())
		r.Get(homePath+"/links/{slug}", d.linkPageHandler())
		r.Get(homePath+"/links/{slug}/qr.png", d.qrDownload(qrcode.FormatPNG))
		r.Get(homePath+"/links/{slug}/qr.svg", d.qrDownload(qrcode.FormatSVG))
		r.Post(homePath+"/links/{slug}/edit", d.editLink())
		r.Post(homePath+"/links/{slug}/failover", d.setLinkFailover())
		r.Post(homePath+"/links/{slug}/check", d.checkLink())

		// Campaigns, share links, alerts, new link, import/export.
		r.Get(homePath+"/campaigns", d.campaignsPage())
		r.Get(homePath+"/campaigns/{tag}", d.campaignPage())
		r.Post(homePath+"/campaigns/{tag}/share", d.createShare())
		r.Get(homePath+"/alerts", d.alertsPage())
		r.Post(homePath+"/alerts/silence", d.silenceAlert())
		r.Post(homePath+"/alerts/silences/{id}/end", d.endSilence())
		r.Get(homePath+"/new", d.newLinkPage())
		r.Post(homePath+"/new", d.createLink())
		r.Get(homePath+"/import-export", d.importExportPage())
		r.Get(homePath+"/export.csv", d.exportCSV())
		r.Post(homePath+"/import", d.importCSV())
	})
	return r
}

func redirectTo(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, path, http.StatusSeeOther)
	}
}
