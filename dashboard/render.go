package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/health"
)

//go:embed templates
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// view is what every page template gets: the session (nil on the sign-in
// and error pages without one) for the nav, the CSRF field and whether
// controls show, and the page's own data.
type view struct {
	Session  *Session
	CSRF     string
	CanWrite bool
	Path     string // the request's path, for the nav's current page
	Data     any
}

// parseTemplates parses templates/layout.html (with any
// templates/partials/*.html) around each other templates/<page>.html. Each
// page defines "title" and "main".
func (d *Dashboard) parseTemplates() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(d.funcs()).ParseFS(templateFS, "templates/layout.html"))
	if partials, _ := fs.Glob(templateFS, "templates/partials/*.html"); len(partials) > 0 {
		base = template.Must(base.ParseFS(templateFS, partials...))
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		page := strings.TrimSuffix(path.Base(name), ".html")
		if page == "layout" {
			continue
		}
		pages[page] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, name))
	}
	return pages
}

// render answers with status and templates/<page>.html inside the layout.
// The page is executed into a buffer first, so a template error is a clean
// 500, never half a page.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := d.pages[page]
	if !ok {
		d.log.Error("dashboard: no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := view{Path: r.URL.Path, Data: data}
	if s := sessionFrom(r.Context()); s != nil {
		v.Session, v.CSRF, v.CanWrite = s, s.CSRF, s.CanWrite()
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		d.log.Error("dashboard: rendering a page failed", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorData is error.html's data.
type errorData struct {
	Status  int
	Title   string
	Message string
}

// renderError answers with the error page: a title from the status and a
// message for the person reading it (never an internal cause).
func (d *Dashboard) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	d.render(w, r, status, "error", errorData{Status: status, Title: http.StatusText(status), Message: message})
}

// securityHeaders are sent with every dashboard response: no framing, no
// sniffing, no referrer outside the site, and scripts, styles and images
// from the dashboard itself only (inline SVG and style attributes allowed).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// assets serves the embedded CSS and script under /dashboard/assets/.
func assets() http.Handler {
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	fsrv := http.StripPrefix("/dashboard/assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		fsrv.ServeHTTP(w, r)
	})
}

// funcs are the helpers every template may use.
func (d *Dashboard) funcs() template.FuncMap {
	return template.FuncMap{
		"stateWord":  stateWord,
		"stateClass": stateClass,
		"stateIcon":  stateIcon,
		"duration":   humanDuration,
		"ago":        func(t time.Time) string { return ago(t, d.now()) },
		"datetime":   datetime,
		"percent":    health.Percent,
		"current":    current,
	}
}

// current reports whether the page at path belongs to the nav's section:
// /dashboard is the links list and one link's pages.
func current(path, section string) bool {
	if section == homePath {
		return path == homePath || strings.HasPrefix(path, homePath+"/links/")
	}
	return path == section || strings.HasPrefix(path, section+"/")
}

// stateClass is the CSS class suffix of a state: up, degraded, down or
// unknown. It takes health.State, health.QuorumState or their strings.
func stateClass(s any) string {
	switch fmt.Sprint(s) {
	case "up":
		return "up"
	case "degraded", "regional_degradation":
		return "degraded"
	case "down":
		return "down"
	}
	return "unknown"
}

// stateWord is a state in words, for people.
func stateWord(s any) string {
	switch stateClass(s) {
	case "up":
		return "Up"
	case "degraded":
		return "Degraded"
	case "down":
		return "Down"
	}
	return "Unknown"
}

// stateIcon is a state's shape, so that colour is never the only signal.
func stateIcon(s any) string {
	switch stateClass(s) {
	case "up":
		return "✓"
	case "degraded":
		return "▲"
	case "down":
		return "✕"
	}
	return "?"
}

// humanDuration is a short duration for people: 850ms, 42s, 5m, 3h 20m, 2d 4h.
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + humanDuration(-d)
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, h)
}

// ago is how long before now t was: "just now", "5m ago", "in 3m" (a time
// from the future), "never" for the zero time.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < -time.Second:
		return "in " + humanDuration(-d)
	case d < 5*time.Second:
		return "just now"
	}
	return humanDuration(d.Truncate(time.Second)) + " ago"
}

// datetime is t in UTC, to the minute, or "—" for the zero time.
func datetime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
