package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
)

func TestSignIn(t *testing.T) {
	e := newFrameEnv(t, nil)
	prober := e.createToken("eu prober", "prober")
	tests := []struct {
		name     string
		secret   string
		status   int
		location string
		text     string
	}{
		{"admin token", e.admin, http.StatusSeeOther, homePath, ""},
		{"read token", e.read, http.StatusSeeOther, homePath, ""},
		{"bootstrap admin token", testAdminSecret, http.StatusSeeOther, homePath, ""},
		{"pasted with spaces and Bearer", "  Bearer " + e.read + "\n", http.StatusSeeOther, homePath, ""},
		{"wrong secret of a real token", e.read[:len(e.read)-2] + "zz", http.StatusUnauthorized, "", "That token was not accepted"},
		{"not a token", "hello", http.StatusUnauthorized, "", "That token was not accepted"},
		{"empty", "", http.StatusUnauthorized, "", "That token was not accepted"},
		{"prober token", prober, http.StatusForbidden, "", "needs the read or admin scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			resp, body := b.signIn(tt.secret, "")
			if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location {
				t.Fatalf("sign-in answered %d to %q, want %d to %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), tt.status, tt.location, body)
			}
			if !strings.Contains(body, tt.text) {
				t.Errorf("page lacks %q:\n%s", tt.text, body)
			}
			if got := b.sessionCookie() != nil; got != (tt.status == http.StatusSeeOther) {
				t.Errorf("session cookie set = %v", got)
			}
		})
	}
	// Neither a token's secret nor a session ID reaches the log.
	b := e.browser()
	b.mustSignIn(e.admin)
	logs := e.logs.String()
	for _, secret := range []string{e.admin, e.read, testAdminSecret, b.sessionCookie().Value} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a secret %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "dashboard sign-in") {
		t.Errorf("sign-ins are not logged:\n%s", logs)
	}
}

func TestSignInNeedsItsForm(t *testing.T) {
	e := newFrameEnv(t, nil)
	// A form posted from another site carries no pairing cookie: a browser
	// cannot be signed in with a token of someone else's choosing.
	b := e.browser()
	resp, body := b.post(signInPath, url.Values{"token": {e.admin}, "csrf": {"forged"}})
	if resp.StatusCode != http.StatusForbidden || b.sessionCookie() != nil {
		t.Fatalf("a sign-in without the form's pairing answered %d, cookie %v:\n%s", resp.StatusCode, b.sessionCookie(), body)
	}
}

func TestCookieFlags(t *testing.T) {
	for _, tt := range []struct {
		public string
		secure bool
	}{{"http://lw.example.com", false}, {"https://lw.example.com", true}} {
		t.Run(tt.public, func(t *testing.T) {
			e := newFrameEnv(t, func(e *frameEnv, cfg *Config, deps *Deps) { cfg.PublicURL, _ = url.Parse(tt.public) })
			// A recorder sees every Set-Cookie, Secure ones included.
			rec := httptest.NewRecorder()
			e.dash.Handler().ServeHTTP(rec, httptest.NewRequest("GET", signInPath, nil))
			form := rec.Result().Cookies()[0]
			req := httptest.NewRequest("POST", signInPath, strings.NewReader(url.Values{"csrf": {form.Value}, "token": {e.read}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(form)
			rec = httptest.NewRecorder()
			e.dash.Handler().ServeHTTP(rec, req)
			var c *http.Cookie
			for _, k := range rec.Result().Cookies() {
				if k.Name == sessionCookie {
					c = k
				}
			}
			if c == nil {
				t.Fatalf("no session cookie: %d %v", rec.Code, rec.Header())
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure != tt.secure {
				t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, Secure=%v", c, tt.secure)
			}
			if want := 12 * time.Hour; c.MaxAge != int(want.Seconds()) {
				t.Errorf("cookie Max-Age %d, want %v", c.MaxAge, want)
			}
			if len(c.Value) < 43 { // 256 bits, base64
				t.Errorf("session ID %d characters long", len(c.Value))
			}
			// The store holds only the ID's hash.
			if _, err := e.store.SessionByHash(t.Context(), []byte(c.Value)); linkwatch.ErrorCode(err) != linkwatch.ENOTFOUND {
				t.Errorf("the session is stored under its raw ID")
			}
			if _, err := e.store.SessionByHash(t.Context(), hashID(c.Value)); err != nil {
				t.Errorf("the session is not stored under its ID's hash: %v", err)
			}
		})
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newFrameEnv(t, func(e *frameEnv, cfg *Config, deps *Deps) { cfg.SessionTTL = time.Hour })
	b := e.browser()
	b.mustSignIn(e.read)
	id := b.sessionCookie().Value
	e.clock.add(time.Hour - time.Second)
	if code, _, _ := b.get(homePath); code != http.StatusOK {
		t.Fatalf("a second before expiry: %d", code)
	}
	e.clock.add(time.Second)
	if code, loc, _ := b.get(homePath); code != http.StatusSeeOther || loc != signInPath {
		t.Fatalf("at expiry: %d to %q, want 303 to sign-in", code, loc)
	}
	if _, err := e.store.SessionByHash(t.Context(), hashID(id)); linkwatch.ErrorCode(err) != linkwatch.ENOTFOUND {
		t.Errorf("an expired session is still stored: %v", err)
	}
	// A new sign-in prunes sessions that expired without being seen again.
	other := e.browser()
	other.mustSignIn(e.read)
	otherID := other.sessionCookie().Value
	e.clock.add(2 * time.Hour)
	e.browser().mustSignIn(e.read)
	if _, err := e.store.SessionByHash(t.Context(), hashID(otherID)); linkwatch.ErrorCode(err) != linkwatch.ENOTFOUND {
		t.Errorf("an expired session was not pruned by a later sign-in: %v", err)
	}
}

func TestSignOut(t *testing.T) {
	e := newFrameEnv(t, nil)
	for _, secret := range []string{e.admin, e.read} { // a read session may sign out
		b := e.browser()
		csrf := b.mustSignIn(secret)
		id := b.sessionCookie().Value
		if resp, _ := b.post(signOutPath, url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("sign-out without the CSRF field: %d, want 403", resp.StatusCode)
		}
		resp, _ := b.post(signOutPath, url.Values{"csrf": {csrf}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != signInPath {
			t.Fatalf("sign-out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if b.sessionCookie() != nil {
			t.Errorf("the cookie survived sign-out")
		}
		if _, err := e.store.SessionByHash(t.Context(), hashID(id)); linkwatch.ErrorCode(err) != linkwatch.ENOTFOUND {
			t.Errorf("the session survived sign-out: %v", err)
		}
		// The old cookie, replayed, opens nothing.
		replay := e.browser()
		u, _ := url.Parse(e.srv.URL)
		replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: id, Path: "/"}})
		if code, loc, _ := replay.get(homePath); code != http.StatusSeeOther || loc != signInPath {
			t.Errorf("a signed-out session's cookie: %d to %q", code, loc)
		}
	}
}

func TestRevokedToken(t *testing.T) {
	e := newFrameEnv(t, nil)
	secret, id := e.createTokenID("temporary", "admin")
	b := e.browser()
	b.mustSignIn(secret)
	hash := hashID(b.sessionCookie().Value)
	req, _ := http.NewRequest("DELETE", e.apiSrv.URL+"/api/v1/tokens/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+testAdminSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete token: %v %v", resp.Status, err)
	}
	if code, loc, _ := b.get(homePath); code != http.StatusSeeOther || loc != signInPath {
		t.Fatalf("after its token was deleted the session answers %d to %q, want 303 to sign-in", code, loc)
	}
	if _, err := e.store.SessionByHash(t.Context(), hash); linkwatch.ErrorCode(err) != linkwatch.ENOTFOUND {
		t.Errorf("the session of a deleted token is still stored: %v", err)
	}
}

// writeRoute is a stand-in for any page's form handler behind the frame's
// middleware; it counts the requests that reach it.
func writeRoute(e *frameEnv, reached *int) http.Handler {
	r := chi.NewRouter()
	r.Use(e.dash.requireSession, e.dash.checkCSRF)
	r.Post("/dashboard/test-write", func(w http.ResponseWriter, r *http.Request) {
		*reached++
		w.WriteHeader(http.StatusNoContent)
	})
	return r
}

func TestCSRFAndReadOnly(t *testing.T) {
	e := newFrameEnv(t, nil)
	var reached int
	srv := httptest.NewServer(writeRoute(e, &reached))
	defer srv.Close()
	admin, reader := e.browser(), e.browser()
	adminCSRF, readCSRF := admin.mustSignIn(e.admin), reader.mustSignIn(e.read)
	post := func(b *browser, form url.Values) (int, string) {
		t.Helper()
		// The test server has its own address; send the session cookie there.
		req, _ := http.NewRequest("POST", srv.URL+"/dashboard/test-write", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(b.sessionCookie())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	tests := []struct {
		name   string
		b      *browser
		form   url.Values
		status int
		text   string
	}{
		{"admin, no CSRF field", admin, url.Values{"x": {"1"}}, http.StatusForbidden, "CSRF check failed"},
		{"admin, wrong CSRF", admin, url.Values{"csrf": {adminCSRF + "x"}}, http.StatusForbidden, "CSRF check failed"},
		{"admin, another session's CSRF", admin, url.Values{"csrf": {readCSRF}}, http.StatusForbidden, "CSRF check failed"},
		{"read, right CSRF", reader, url.Values{"csrf": {readCSRF}}, http.StatusForbidden, "Your token is read-only"},
		{"admin, right CSRF", admin, url.Values{"csrf": {adminCSRF}}, http.StatusNoContent, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := reached
			code, body := post(tt.b, tt.form)
			if code != tt.status || !strings.Contains(body, tt.text) {
				t.Fatalf("POST answered %d, want %d with %q:\n%s", code, tt.status, tt.text, body)
			}
			if got, want := reached-before, map[bool]int{true: 1, false: 0}[tt.status == http.StatusNoContent]; got != want {
				t.Errorf("the handler ran %d times, want %d", got, want)
			}
		})
	}
	// Without a session a POST is sent to sign in, and reaches nothing.
	req, _ := http.NewRequest("POST", srv.URL+"/dashboard/test-write", strings.NewReader("csrf="+adminCSRF))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != signInPath || reached != 1 {
		t.Errorf("POST without a session: %d to %q (handler ran %d times)", resp.StatusCode, resp.Header.Get("Location"), reached)
	}
}

func TestReadSessionSeesNoControls(t *testing.T) {
	e := newFrameEnv(t, nil)
	reader, admin := e.browser(), e.browser()
	reader.mustSignIn(e.read)
	admin.mustSignIn(e.admin)
	_, _, readPage := reader.get(homePath)
	_, _, adminPage := admin.get(homePath)
	if strings.Contains(readPage, `href="/dashboard/new"`) || !strings.Contains(readPage, "Read-only") {
		t.Errorf("a read session's page shows controls or no read-only badge:\n%s", readPage)
	}
	if !strings.Contains(adminPage, `href="/dashboard/new"`) || strings.Contains(adminPage, "Read-only") {
		t.Errorf("an admin session's page lacks controls:\n%s", adminPage)
	}
	// Both may sign out; the token's name is escaped.
	for _, page := range []string{readPage, adminPage} {
		if !strings.Contains(page, `action="/dashboard/sign-out"`) {
			t.Errorf("no sign-out form:\n%s", page)
		}
	}
	if strings.Contains(adminPage, "<b>bold</b>") || !strings.Contains(adminPage, "editor &lt;b&gt;bold&lt;/b&gt;") {
		t.Errorf("the token's name is not escaped:\n%s", adminPage)
	}
}

func TestSignInRateLimit(t *testing.T) {
	e := newFrameEnv(t, nil)
	b := e.browser()
	for i := range 10 {
		if resp, _ := b.signIn("lw_abcd2345_wrong", ""); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	// The 11th is refused even with a good token, and says when to retry.
	resp, body := b.signIn(e.admin, "")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "6" || !strings.Contains(body, "Too many sign-in attempts") {
		t.Fatalf("11th attempt: %d, Retry-After %q:\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if b.sessionCookie() != nil {
		t.Fatal("a refused attempt signed in")
	}
	// A spoofed forwarding header does not make another address.
	_, _, page := b.get(signInPath)
	req, _ := http.NewRequest("POST", e.srv.URL+signInPath, strings.NewReader(url.Values{"csrf": {csrfOf(t, page)}, "token": {e.admin}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("X-Real-IP", "203.0.113.9")
	if resp, err := b.c.Do(req); err != nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("with X-Forwarded-For: %v %v, want 429", resp.Status, err)
	}
	// One attempt comes back every 6 seconds.
	e.clock.add(6 * time.Second)
	if resp, _ := b.signIn(e.admin, ""); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after 6s: %d, want 303", resp.StatusCode)
	}
}

func TestLimiterIsBounded(t *testing.T) {
	at := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	l := newLimiter(60, 2, 3) // one a second, bursts of 2, 3 addresses
	l.allow("spent", at)
	l.allow("spent", at)
	// A flood of new addresses never makes the limiter forget an address
	// that used up its attempts.
	for i := range 100 {
		l.allow(strconv.Itoa(i), at.Add(time.Duration(i)*time.Millisecond))
		if l.size() > 3 {
			t.Fatalf("limiter holds %d addresses, max 3", l.size())
		}
	}
	if ok, wait := l.allow("spent", at.Add(200*time.Millisecond)); ok || wait != 800*time.Millisecond {
		t.Errorf("the spent address was forgotten: allow = %v, %v; want false, 800ms", ok, wait)
	}
	// Addresses whose bucket refilled are forgotten first.
	later := at.Add(time.Hour)
	l.allow("new", later)
	if l.size() != 1 {
		t.Errorf("after an hour the limiter holds %d addresses, want only the new one", l.size())
	}
}

func TestClientAddr(t *testing.T) {
	tests := map[string]string{
		"192.0.2.7:5555":                    "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443":        "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff:ffff:0:1]:9000": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:80":             "192.0.2.7",
		"@":                                 "@",
	}
	for in, want := range tests {
		if got := clientAddr(&http.Request{RemoteAddr: in}); got != want {
			t.Errorf("clientAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedirectsWithoutSession(t *testing.T) {
	e := newFrameEnv(t, nil)
	b := e.browser()
	tests := []struct{ path, location string }{
		{"/dashboard", signInPath},
		{"/dashboard/links/summer?domain=go.example.com", signInPath + "?next=" + url.QueryEscape("/dashboard/links/summer?domain=go.example.com")},
		{"/dashboard/campaigns", signInPath + "?next=%2Fdashboard%2Fcampaigns"},
		{"/dashboard/", homePath},
	}
	for _, tt := range tests {
		if code, loc, _ := b.get(tt.path); code != http.StatusSeeOther || loc != tt.location {
			t.Errorf("GET %s: %d to %q, want 303 to %q", tt.path, code, loc, tt.location)
		}
	}
	// After signing in, next is followed when it is a dashboard path.
	resp, _ := b.signIn(e.read, "/dashboard/links/summer?domain=go.example.com")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/dashboard/links/summer?domain=go.example.com" {
		t.Errorf("sign-in with next: %d to %q", resp.StatusCode, loc)
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/dashboard", "/\\evil.example", "/status"} {
		resp, _ := e.browser().signIn(e.read, next)
		if loc := resp.Header.Get("Location"); loc != homePath {
			t.Errorf("sign-in with next=%q went to %q, want %q", next, loc, homePath)
		}
	}
}

func TestLocalNext(t *testing.T) {
	tests := map[string]string{
		"/dashboard":                       "/dashboard",
		"/dashboard/links/a?by=hour&x=1":   "/dashboard/links/a?by=hour&x=1",
		"/dashboard/links/caf%C3%A9":       "/dashboard/links/caf%C3%A9",
		"":                                 "",
		"https://evil.example/dashboard":   "",
		"//evil.example/dashboard":         "",
		"///evil.example/dashboard":        "",
		"/\\evil.example":                  "",
		"\\\\evil.example/dashboard":       "",
		"/dashboard\\..\\evil":             "",
		"/dashboardx":                      "",
		"/status":                          "",
		"dashboard":                        "",
		"javascript:alert(1)":              "",
		"/dashboard/../status":             "",
		"/dashboard/%2e%2e/status":         "",
		"/dashboard/sign-in?next=x":        "",
		"/dashboard/links/a\r\nSet-Cookie": "",
		"http:/dashboard":                  "",
	}
	for in, want := range tests {
		if got := localNext(in); got != want {
			t.Errorf("localNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRoot(t *testing.T) {
	e := newFrameEnv(t, nil)
	b := e.browser()
	if code, loc, _ := b.get("/"); code != http.StatusSeeOther || loc != "/status" {
		t.Errorf("GET / without a session: %d to %q, want 303 to /status", code, loc)
	}
	b.mustSignIn(e.read)
	if code, loc, _ := b.get("/"); code != http.StatusSeeOther || loc != homePath {
		t.Errorf("GET / signed in: %d to %q, want 303 to /dashboard", code, loc)
	}
	e.clock.add(13 * time.Hour)
	if code, loc, _ := b.get("/"); code != http.StatusSeeOther || loc != "/status" {
		t.Errorf("GET / with an expired session: %d to %q, want 303 to /status", code, loc)
	}
}
