package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/qrcode"
	"github.com/linkwatch/linkwatch/storage/sqlite"
)

const adminSecret = "test-admin-token-0123456789"

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type env struct {
	t     *testing.T
	srv   *httptest.Server
	api   *API
	store *sqlite.Store
	read  string // a read-scoped token
	probe string // a prober-scoped token
	sent  *recordingNotifier
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "api.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	public, _ := url.Parse("https://lw.example.com")
	e := &env{t: t, store: st, sent: &recordingNotifier{}}
	chans := alerting.NewChannels([]alerting.ChannelInfo{{Name: "oncall", Type: "slack", Target: "#oncall", Source: "config"}},
		map[string]alerting.Notifier{"oncall": e.sent})
	a := New(Config{PublicURL: public, AdminToken: adminSecret, Now: func() time.Time { return testNow }, Rules: configRules(t),
		Routes: []alerting.RouteSpec{{Match: `{severity="critical"}`, Channels: []string{"oncall"}}}},
		slog.New(slog.NewTextHandler(io.Discard, nil)), Stores{Links: st, Scans: st, Tokens: st, Monitors: st, Health: st, Probes: st,
			Alerts: st, Silences: st, Rules: st, Channels: chans, Status: testStatus{st}})
	mux := chi.NewRouter()
	mux.Mount("/api/v1", a.Handler())
	e.srv, e.api = httptest.NewServer(mux), a
	t.Cleanup(e.srv.Close)
	var tok struct{ Token string }
	e.mustDo("POST", "/api/v1/tokens", adminSecret, `{"name":"reader","scopes":["read"]}`, 201, &tok)
	e.read = tok.Token
	e.mustDo("POST", "/api/v1/tokens", adminSecret, `{"name":"prober-eu","scopes":["prober"],"regions":["eu-west"]}`, 201, &tok)
	e.probe = tok.Token
	return e
}

func (e *env) do(method, path, token, body string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (e *env) mustDo(method, path, token, body string, status int, out any) []byte {
	e.t.Helper()
	resp, b := e.do(method, path, token, body)
	if resp.StatusCode != status {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, resp.StatusCode, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return b
}

// TestEveryRouteRequiresItsScope walks the whole router: no route answers
// without a valid token, and none answers a token lacking its scope.
func TestEveryRouteRequiresItsScope(t *testing.T) {
	e := newEnv(t)
	scopes := map[string]linkwatch.Scope{}
	for _, rt := range e.api.routes() {
		scopes[rt.Method+" "+rt.Pattern] = rt.Scope
	}
	walked := 0
	err := chi.Walk(e.api.Handler().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		walked++
		path := "/api/v1" + strings.NewReplacer("{slug}", "x", "{id}", "x").Replace(route)
		scope, ok := scopes[method+" "+route]
		if !ok {
			t.Errorf("%s %s is served but not in the routes table", method, route)
		}
		for _, tok := range []string{"", "nope", "lw_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", adminSecret + "x"} {
			if resp, b := e.do(method, path, tok, "{}"); resp.StatusCode != 401 || !bytes.Contains(b, []byte(`"unauthorized"`)) {
				t.Errorf("%s %s with token %q: %d %s, want 401", method, path, tok, resp.StatusCode, b)
			}
		}
		var under []string
		switch scope {
		case linkwatch.ScopeProber: // only prober (and admin) tokens may use the prober protocol
			under = []string{e.read}
		case linkwatch.ScopeAdmin:
			under = []string{e.read, e.probe}
		default:
			under = []string{e.probe} // prober tokens may use only the prober protocol
		}
		for _, tok := range under {
			if resp, b := e.do(method, path, tok, "{}"); resp.StatusCode != 403 {
				t.Errorf("%s %s with an under-scoped token: %d %s, want 403", method, path, resp.StatusCode, b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if walked != len(scopes) || walked < 29 {
		t.Fatalf("walked %d routes, table has %d", walked, len(scopes))
	}
}

func TestCreateLinkValidation(t *testing.T) {
	e := newEnv(t)
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"taken","destination":"https://example.com/"}`, 201, nil)
	tests := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"not json", `{"destination":`, 400, "bad_request", ""},
		{"not an object", `[1]`, 400, "bad_request", ""},
		{"empty body", ``, 400, "bad_request", ""},
		{"two objects", `{"destination":"https://a.com/"}{}`, 400, "bad_request", ""},
		{"unknown field", `{"destination":"https://a.com/","colour":"red"}`, 400, "bad_request", "colour"},
		{"wrong type", `{"destination":42}`, 400, "bad_request", "destination"},
		{"missing destination", `{"slug":"a"}`, 422, "invalid", "destination"},
		{"javascript", `{"destination":"javascript:alert(1)"}`, 422, "invalid", "destination"},
		{"data", `{"destination":"data:text/html,hi"}`, 422, "invalid", "destination"},
		{"relative", `{"destination":"/foo"}`, 422, "invalid", "destination"},
		{"too long", `{"destination":"https://a.com/` + strings.Repeat("x", 2100) + `"}`, 422, "invalid", "destination"},
		{"bad fallback", `{"destination":"https://a.com/","fallback_url":"ftp://x"}`, 422, "invalid", "fallback_url"},
		{"unsafe slug", `{"destination":"https://a.com/","slug":"a b"}`, 422, "invalid", "slug"},
		{"reserved slug", `{"destination":"https://a.com/","slug":"healthz"}`, 422, "invalid", "slug"},
		{"long slug", `{"destination":"https://a.com/","slug":"` + strings.Repeat("s", 65) + `"}`, 422, "invalid", "slug"},
		{"duplicate", `{"destination":"https://a.com/","slug":"taken"}`, 409, "conflict", "slug"},
		{"bad code", `{"destination":"https://a.com/","redirect_code":303}`, 422, "invalid", "redirect_code"},
		{"short interval", `{"destination":"https://a.com/","check_interval":"500ms"}`, 422, "invalid", "check_interval"},
		{"bad interval", `{"destination":"https://a.com/","check_interval":"soon"}`, 400, "bad_request", "check_interval"},
		{"bad expiry", `{"destination":"https://a.com/","expires_at":"tomorrow"}`, 400, "bad_request", "expires_at"},
		{"past expiry", `{"destination":"https://a.com/","expires_at":"2020-01-01T00:00:00Z"}`, 422, "invalid", "expires_at"},
		{"bad tag", `{"destination":"https://a.com/","tags":["a b"]}`, 422, "invalid", "tags"},
		{"bad domain", `{"destination":"https://a.com/","domain":"not a domain"}`, 422, "invalid", "domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body errorBody
			e.mustDo("POST", "/api/v1/links", adminSecret, tt.body, tt.status, &body)
			if body.Error.Code != tt.code || body.Error.Field != tt.field || body.Error.Message == "" {
				t.Errorf("error = %+v, want code %s field %q", body.Error, tt.code, tt.field)
			}
		})
	}
	resp, b := e.do("POST", "/api/v1/links", adminSecret, `{"destination":"https://a.com/`+strings.Repeat("x", 70000)+`"}`)
	if resp.StatusCode != 400 || !bytes.Contains(b, []byte("larger than")) {
		t.Errorf("oversized body: %d %s", resp.StatusCode, b)
	}
}

func TestLinkLifecycle(t *testing.T) {
	e := newEnv(t)
	var l LinkDoc
	e.mustDo("POST", "/api/v1/links", adminSecret,
		`{"destination":"https://shop.example.com/spring","tags":["spring"],"check_interval":30,"expires_at":"2027-01-01T00:00:00Z"}`, 201, &l)
	if len(l.Slug) != linkwatch.GeneratedSlugLen || l.ShortURL != "https://lw.example.com/"+l.Slug || l.RedirectCode != 302 ||
		l.CheckInterval != "30s" || l.ExpiresAt == nil || !l.CreatedAt.Equal(testNow) || l.Tags[0] != "spring" {
		t.Fatalf("created %+v", l)
	}
	e.mustDo("POST", "/api/v1/links", adminSecret,
		`{"slug":"promo","domain":"go.brand.com","destination":"https://brand.com/","redirect_code":308}`, 201, &l)
	if l.ShortURL != "https://go.brand.com/promo" {
		t.Fatalf("custom domain short_url %q", l.ShortURL)
	}
	// The public URL's own host is the default domain.
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"promo","domain":"lw.example.com","destination":"https://a.com/"}`, 201, &l)
	if l.Domain != "" {
		t.Fatalf("domain %q, want default", l.Domain)
	}

	var got LinkDoc
	e.mustDo("GET", "/api/v1/links/promo?domain=go.brand.com", e.read, "", 200, &got)
	if got.Destination != "https://brand.com/" || got.RedirectCode != 308 {
		t.Fatalf("get %+v", got)
	}
	e.mustDo("GET", "/api/v1/links/promo", e.read, "", 200, &got)
	if got.Destination != "https://a.com/" {
		t.Fatalf("default-domain get %+v", got)
	}

	var patched LinkDoc
	e.mustDo("PATCH", "/api/v1/links/promo", adminSecret, `{"destination":"https://b.com/","fallback_url":"https://c.com/","tags":["x","y"],"redirect_code":307}`, 200, &patched)
	if patched.Destination != "https://b.com/" || patched.FallbackURL != "https://c.com/" || patched.RedirectCode != 307 || len(patched.Tags) != 2 {
		t.Fatalf("patched %+v", patched)
	}
	e.mustDo("PATCH", "/api/v1/links/promo", adminSecret, `{"fallback_url":null,"expires_at":null}`, 200, &patched)
	if patched.FallbackURL != "" || patched.Destination != "https://b.com/" {
		t.Fatalf("null clears only what it names: %+v", patched)
	}
	var body errorBody
	e.mustDo("PATCH", "/api/v1/links/promo", adminSecret, `{"slug":"other"}`, 422, &body)
	e.mustDo("PATCH", "/api/v1/links/promo", adminSecret, `{"destination":"javascript:x"}`, 422, &body)
	e.mustDo("GET", "/api/v1/links/promo", e.read, "", 200, &got)
	if got.Destination != "https://b.com/" {
		t.Fatalf("a rejected patch changed the link: %+v", got)
	}
	e.mustDo("PATCH", "/api/v1/links/none", adminSecret, `{"tags":[]}`, 404, &body)

	e.mustDo("DELETE", "/api/v1/links/promo", adminSecret, "", 204, nil)
	e.mustDo("GET", "/api/v1/links/promo", e.read, "", 404, &body)
	e.mustDo("DELETE", "/api/v1/links/promo", adminSecret, "", 404, &body)
	if body.Error.Code != "not_found" {
		t.Fatalf("404 body %+v", body)
	}
}

func TestListLinksPagesAndFilters(t *testing.T) {
	e := newEnv(t)
	for i := range 25 {
		tag := "odd"
		if i%2 == 0 {
			tag = "even"
		}
		e.mustDo("POST", "/api/v1/links", adminSecret, `{"destination":"https://a.com/","tags":["`+tag+`"]}`, 201, nil)
	}
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"destination":"https://a.com/","domain":"go.brand.com","tags":["even"]}`, 201, nil)

	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		var page linkPage
		e.mustDo("GET", "/api/v1/links?tag=even&limit=5&cursor="+cursor, e.read, "", 200, &page)
		pages++
		for _, l := range page.Links {
			if seen[l.Slug+l.Domain] || l.Tags[0] != "even" {
				t.Fatalf("repeated or unfiltered link %+v", l)
			}
			seen[l.Slug+l.Domain] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 14 || pages != 3 {
		t.Fatalf("saw %d links in %d pages, want 14 in 3", len(seen), pages)
	}
	var page linkPage
	e.mustDo("GET", "/api/v1/links?domain=go.brand.com", e.read, "", 200, &page)
	if len(page.Links) != 1 || page.NextCursor != "" {
		t.Fatalf("domain filter: %+v", page)
	}
	var body errorBody
	e.mustDo("GET", "/api/v1/links?cursor=garbage", e.read, "", 400, &body)
	e.mustDo("GET", "/api/v1/links?limit=0", e.read, "", 400, &body)
	if body.Error.Field != "limit" {
		t.Fatalf("limit error %+v", body)
	}
}

func TestScanStats(t *testing.T) {
	e := newEnv(t)
	var l LinkDoc
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"s","destination":"https://a.com/"}`, 201, &l)
	base := testNow.Add(-3 * time.Hour).Truncate(time.Hour)
	scans := []linkwatch.Scan{
		{LinkID: l.ID, At: base.Add(time.Minute), Source: "qr", Device: "mobile", ReferrerHost: "news.example"},
		{LinkID: l.ID, At: base.Add(2 * time.Minute), Source: "qr", Device: "mobile"},
		{LinkID: l.ID, At: base.Add(time.Hour + time.Minute), Source: "link", Device: "desktop", ReferrerHost: "news.example"},
		{LinkID: l.ID, At: base.Add(time.Hour + 2*time.Minute), Source: "link", Device: "bot", Bot: true},
		{LinkID: l.ID + 1, At: base.Add(time.Minute), Source: "qr", Device: "mobile"}, // another link
	}
	if err := e.store.InsertScans(context.Background(), scans); err != nil {
		t.Fatal(err)
	}
	var st scanStatsJSON
	e.mustDo("GET", "/api/v1/links/s/scans?bucket=1h", e.read, "", 200, &st)
	if st.Total != 4 || st.QR != 2 || st.Link != 2 || st.Bots != 1 || st.Bucket != "1h0m0s" {
		t.Fatalf("stats %+v", st)
	}
	if len(st.Series) != 2 || !st.Series[0].T.Equal(base) || st.Series[0].Count != 2 || st.Series[1].Count != 2 {
		t.Fatalf("series %+v", st.Series)
	}
	if len(st.Referrers) != 1 || st.Referrers[0] != (referrerCount{"news.example", 2}) {
		t.Fatalf("referrers %+v", st.Referrers)
	}
	if len(st.Devices) != 3 || st.Devices[0] != (deviceCount{"mobile", 2}) {
		t.Fatalf("devices %+v", st.Devices)
	}
	e.mustDo("GET", "/api/v1/links/s/scans?bucket=1d&from=2026-11-01T00:00:00Z", e.read, "", 200, &st)
	if st.Bucket != "1d" || len(st.Series) != 1 || st.Total != 4 {
		t.Fatalf("daily %+v", st)
	}
	var body errorBody
	for _, q := range []string{"bucket=1s", "bucket=xyz", "from=yesterday", "from=2027-01-01T00:00:00Z", "bucket=1m&from=2000-01-01T00:00:00Z"} {
		e.mustDo("GET", "/api/v1/links/s/scans?"+q, e.read, "", 400, &body)
	}
	e.mustDo("GET", "/api/v1/links/missing/scans", e.read, "", 404, &body)
}

func TestQRCode(t *testing.T) {
	e := newEnv(t)
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"poster","destination":"https://a.com/"}`, 201, nil)
	resp, png := e.do("GET", "/api/v1/links/poster/qr.png?size=300&ecc=H", e.read, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr.png: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	text, err := qrcode.Decode(png)
	if err != nil || text != "https://lw.example.com/poster?lw=qr" {
		t.Fatalf("decoded %q, %v", text, err)
	}
	resp, svg := e.do("GET", "/api/v1/links/poster/qr.svg", e.read, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !bytes.HasPrefix(bytes.TrimSpace(svg), []byte("<svg")) {
		t.Fatalf("qr.svg: %d %s %.40s", resp.StatusCode, resp.Header.Get("Content-Type"), svg)
	}
	var body errorBody
	e.mustDo("GET", "/api/v1/links/poster/qr.png?size=5", e.read, "", 400, &body)
	e.mustDo("GET", "/api/v1/links/poster/qr.png?ecc=Z", e.read, "", 400, &body)
	e.mustDo("GET", "/api/v1/links/nope/qr.svg", e.read, "", 404, &body)
}

func TestTokens(t *testing.T) {
	e := newEnv(t)
	var created TokenDoc
	e.mustDo("POST", "/api/v1/tokens", adminSecret, `{"name":"ci","scopes":["admin"]}`, 201, &created)
	if !strings.HasPrefix(created.Token, "lw_") || created.ID == "" {
		t.Fatalf("created %+v", created)
	}
	// The new admin token works, and listing never shows secrets.
	b := e.mustDo("GET", "/api/v1/tokens", created.Token, "", 200, nil)
	if bytes.Contains(b, []byte(created.Token)) || bytes.Contains(b, []byte(`"token"`)) {
		t.Fatalf("token list leaks a secret: %s", b)
	}
	var body errorBody
	e.mustDo("POST", "/api/v1/tokens", adminSecret, `{"name":"x","scopes":["root"]}`, 422, &body)
	e.mustDo("POST", "/api/v1/tokens", adminSecret, `{"name":"","scopes":["read"]}`, 422, &body)
	e.mustDo("DELETE", "/api/v1/tokens/"+created.ID, adminSecret, "", 204, nil)
	e.mustDo("GET", "/api/v1/tokens", created.Token, "", 401, &body)
	e.mustDo("DELETE", "/api/v1/tokens/"+created.ID, adminSecret, "", 404, &body)
}

func TestEnsureAdminToken(t *testing.T) {
	e := newEnv(t) // has read and prober tokens, no stored admin
	secret, created, err := EnsureAdminToken(context.Background(), e.store, testNow)
	if err != nil || !created || !strings.HasPrefix(secret.Reveal(), "lw_") {
		t.Fatalf("first: %v %v", created, err)
	}
	e.mustDo("GET", "/api/v1/tokens", secret.Reveal(), "", 200, nil)
	if _, created, err := EnsureAdminToken(context.Background(), e.store, testNow); err != nil || created {
		t.Fatalf("second call must not create another: %v %v", created, err)
	}
}

func FuzzDecodeLink(f *testing.F) {
	for _, s := range []string{
		`{"destination":"https://a.com/","slug":"x","tags":["a"],"check_interval":"60s","expires_at":"2030-01-01T00:00:00Z"}`,
		`{"check_interval":5}`, `{"expires_at":1}`, `[]`, `{"tags":null}`, `{"destination":"javascript:1"}`,
	} {
		f.Add([]byte(s))
	}
	publicHost := "lw.example.com"
	f.Fuzz(func(t *testing.T, data []byte) {
		var req createLinkRequest
		if err := decodeBytes(data, &req); err != nil {
			if c := linkwatch.ErrorCode(err); c != linkwatch.EBADREQUEST {
				t.Fatalf("decode error code %q: %v", c, err)
			}
			return
		}
		l, err := req.link(testNow, publicHost)
		if err != nil {
			if linkwatch.ErrorCode(err) != linkwatch.EINVALID || linkwatch.ErrorField(err) == "" {
				t.Fatalf("validation error without field: %v", err)
			}
			return
		}
		if l.Validate() != nil || linkwatch.ValidateURL("destination", l.Destination) != nil {
			t.Fatalf("accepted an invalid link %+v", l)
		}
		var patch patchLinkRequest
		if decodeBytes(data, &patch) == nil {
			patch.apply(l, testNow) // must not panic
		}
	})
}
