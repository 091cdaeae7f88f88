package dashboard

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch/api"
	"github.com/linkwatch/linkwatch/storage/sqlite"
)

// testAdminSecret is the bootstrap admin token of every frameEnv.
const testAdminSecret = "frame-test-admin-secret"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// frameEnv is a dashboard on a real SQLite store with the real API behind it,
// served over HTTP. Tests of any page can use it: newFrameEnv(t, nil), or
// with a function that fills in the page's Config and Deps from the store.
type frameEnv struct {
	t      *testing.T
	store  *sqlite.Store
	api    *api.API
	apiSrv *httptest.Server // the API as outside clients reach it
	dash   *Dashboard
	srv    *httptest.Server
	clock  *clock
	logs   *bytes.Buffer
	read   string // a read-scoped token's secret
	admin  string // a stored admin token's secret
}

func newFrameEnv(t *testing.T, setup func(e *frameEnv, cfg *Config, deps *Deps)) *frameEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dashboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	e := &frameEnv{t: t, store: st, clock: &clock{t: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)}, logs: &bytes.Buffer{}}
	public, _ := url.Parse("http://lw.example.com")
	e.api = api.New(api.Config{PublicURL: public, AdminToken: testAdminSecret, Now: e.clock.now},
		slog.New(slog.NewTextHandler(io.Discard, nil)),
		api.Stores{Links: st, Scans: st, Tokens: st, Monitors: st, Health: st, Probes: st, Alerts: st, Silences: st, Rules: st})
	apiHandler := e.api.Handler()
	mux := chi.NewRouter()
	mux.Mount("/api/v1", apiHandler)
	e.apiSrv = httptest.NewServer(mux)
	t.Cleanup(e.apiSrv.Close)

	cfg := Config{PublicURL: public, Now: e.clock.now, Log: slog.New(slog.NewTextHandler(&lockedWriter{w: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	deps := Deps{API: apiHandler, Tokens: e.api, Sessions: st, Links: st}
	if setup != nil {
		setup(e, &cfg, &deps)
	}
	e.dash = New(cfg, deps)
	e.srv = httptest.NewServer(e.dash.Handler())
	t.Cleanup(e.srv.Close)
	e.read = e.createToken("reader", "read")
	e.admin = e.createToken("editor <b>bold</b>", "admin")
	return e
}

// createToken creates a token through the API and returns its secret.
func (e *frameEnv) createToken(name, scope string) string {
	e.t.Helper()
	tok, _ := e.createTokenID(name, scope)
	return tok
}

func (e *frameEnv) createTokenID(name, scope string) (secret, id string) {
	e.t.Helper()
	body := `{"name":"` + name + `","scopes":["` + scope + `"]` + map[bool]string{true: `,"regions":["eu"]`}[scope == "prober"] + `}`
	req, _ := http.NewRequest("POST", e.apiSrv.URL+"/api/v1/tokens", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAdminSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("create token: %d %s", resp.StatusCode, b)
	}
	secret = regexp.MustCompile(`"token":"([^"]+)"`).FindStringSubmatch(string(b))[1]
	id = regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(string(b))[1]
	return secret, id
}

// browser is a client with its own cookie jar that does not follow
// redirects.
type browser struct {
	e *frameEnv
	c *http.Client
}

func (e *frameEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches a dashboard path; it answers the status, the Location and the
// body.
func (b *browser) get(path string) (int, string, string) {
	b.e.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// post submits a form.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.e.t.Helper()
	resp, err := b.c.PostForm(b.e.srv.URL+path, form)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// csrf reads the CSRF field of a page.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := hiddenCSRF.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%s", page)
	}
	return m[1]
}

// signIn signs in with secret (loading the form first, as a browser does)
// and returns the sign-in response.
func (b *browser) signIn(secret, next string) (*http.Response, string) {
	b.e.t.Helper()
	_, _, page := b.get(signInPath)
	return b.post(signInPath, url.Values{"csrf": {csrfOf(b.e.t, page)}, "token": {secret}, "next": {next}})
}

// mustSignIn signs in and returns the CSRF value of the session's pages.
func (b *browser) mustSignIn(secret string) string {
	b.e.t.Helper()
	resp, body := b.signIn(secret, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != homePath {
		b.e.t.Fatalf("sign-in answered %d to %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	code, _, page := b.get(homePath)
	if code != http.StatusOK {
		b.e.t.Fatalf("GET /dashboard after sign-in: %d", code)
	}
	return csrfOf(b.e.t, page)
}

func (b *browser) sessionCookie() *http.Cookie {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
