package dashboard

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
)

// TestCallAPI: callAPI runs the API's own handler as the session's token:
// the API's validation, its scope checks and its error messages, once.
func TestCallAPI(t *testing.T) {
	e := newFrameEnv(t, nil)
	type result struct {
		Status int
		Code   string
		Field  string
		Slug   string
	}
	// A page handler that calls the API with the method and body it is given.
	r := chi.NewRouter()
	r.Use(e.dash.requireSession)
	r.Get("/dashboard/test-call", func(w http.ResponseWriter, r *http.Request) {
		var out struct{ Slug string }
		var body any
		if b := r.URL.Query().Get("body"); b != "" {
			body = json.RawMessage(b)
		}
		status, err := e.dash.callAPI(r, r.URL.Query().Get("method"), r.URL.Query().Get("path"), body, &out)
		res := result{Status: status, Slug: out.Slug, Code: linkwatch.ErrorCode(err), Field: linkwatch.ErrorField(err)}
		if err == nil {
			res.Code = ""
		}
		json.NewEncoder(w).Encode(res)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	admin, reader := e.browser(), e.browser()
	admin.mustSignIn(e.admin)
	reader.mustSignIn(e.read)
	call := func(b *browser, method, path, body string) result {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/dashboard/test-call?"+url.Values{"method": {method}, "path": {path}, "body": {body}}.Encode(), nil)
		req.AddCookie(b.sessionCookie())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res result
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return res
	}
	tests := []struct {
		name         string
		b            *browser
		method, path string
		body         string
		want         result
	}{
		{"admin creates", admin, "POST", "/links", `{"slug":"summer","destination":"https://example.com/summer"}`, result{Status: 201, Slug: "summer"}},
		{"admin reads", admin, "GET", "/links/summer", "", result{Status: 200, Slug: "summer"}},
		{"API validation, with its field", admin, "POST", "/links", `{"slug":"winter","destination":"ftp://example.com/"}`, result{Status: 422, Code: linkwatch.EINVALID, Field: "destination"}},
		{"a taken slug", admin, "POST", "/links", `{"slug":"summer","destination":"https://example.com/"}`, result{Status: 409, Code: linkwatch.ECONFLICT, Field: "slug"}},
		{"read token reads", reader, "GET", "/links/summer", "", result{Status: 200, Slug: "summer"}},
		{"read token may not write, says the API", reader, "PATCH", "/links/summer", `{"destination":"https://example.com/x"}`, result{Status: 403, Code: linkwatch.EFORBIDDEN}},
		{"not found", reader, "GET", "/links/autumn", "", result{Status: 404, Code: linkwatch.ENOTFOUND}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := call(tt.b, tt.method, tt.path, tt.body); got != tt.want {
				t.Errorf("callAPI(%s %s) = %+v, want %+v", tt.method, tt.path, got, tt.want)
			}
		})
	}
}

// TestWithTokenIsInProcessOnly: the API trusts WithToken's context value,
// which no outside request can carry — not through the API's own server, not
// through the dashboard's.
func TestWithTokenIsInProcessOnly(t *testing.T) {
	e := newFrameEnv(t, nil)
	admin := e.browser()
	admin.mustSignIn(e.admin)
	for _, tt := range []struct {
		name string
		req  func() *http.Request
	}{
		{"no credentials", func() *http.Request { r, _ := http.NewRequest("GET", e.apiSrv.URL+"/api/v1/links", nil); return r }},
		{"a dashboard session cookie", func() *http.Request {
			r, _ := http.NewRequest("GET", e.apiSrv.URL+"/api/v1/links", nil)
			r.AddCookie(admin.sessionCookie())
			return r
		}},
	} {
		resp, err := http.DefaultClient.Do(tt.req())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: the API answered %d, want 401", tt.name, resp.StatusCode)
		}
	}
}
