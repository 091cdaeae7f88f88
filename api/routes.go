package api

import (
	"net/http"

	"github.com/linkwatch/linkwatch"
)

// routes lists every endpoint of this package with the scope it requires.
func (a *API) routes() []Route {
	read, admin := linkwatch.ScopeRead, linkwatch.ScopeAdmin
	return []Route{
		{http.MethodPost, "/links", admin, a.createLink()},
		{http.MethodGet, "/links", read, a.listLinks()},
		{http.MethodGet, "/links/{slug}", read, a.getLink()},
		{http.MethodPatch, "/links/{slug}", admin, a.updateLink()},
		{http.MethodDelete, "/links/{slug}", admin, a.deleteLink()},
		{http.MethodGet, "/links/{slug}/scans", read, a.scanStats()},
		{http.MethodGet, "/links/{slug}/qr.png", read, a.qrImage("png")},
		{http.MethodGet, "/links/{slug}/qr.svg", read, a.qrImage("svg")},

		{http.MethodPost, "/tokens", admin, a.createToken()},
		{http.MethodGet, "/tokens", admin, a.listTokens()},
		{http.MethodDelete, "/tokens/{id}", admin, a.deleteToken()},
	}
}
