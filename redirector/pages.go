package redirector

import "net/http"

// Pages a visitor may see instead of a redirect: small, self-contained, and
// free of anything about the server or the link.
var (
	pageNotFound    = page("404 — link not found", "This link does not exist. Check the address or the code you scanned.")
	pageGone        = page("410 — link expired", "This link has expired and no longer leads anywhere.")
	pageUnavailable = page("503 — try again shortly", "This link cannot be served right now. Please try again in a moment.")
)

func page(title, text string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
		`<meta name="viewport" content="width=device-width,initial-scale=1">` +
		`<title>` + title + `</title><style>body{font:1.1rem/1.5 system-ui,sans-serif;` +
		`max-width:32rem;margin:15vh auto;padding:0 1rem;color:#222;background:#fff}` +
		`@media (prefers-color-scheme:dark){body{color:#eee;background:#111}}</style></head>` +
		`<body><main><h1>` + title + `</h1><p>` + text + `</p></main></body></html>`
}

func writePage(w http.ResponseWriter, r *http.Request, code int, body string) {
	h := w.Header()
	h["Content-Type"] = []string{"text/html; charset=utf-8"}
	h["Cache-Control"] = []string{"no-store"}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write([]byte(body))
	}
}
