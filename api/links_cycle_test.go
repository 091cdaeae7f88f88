package api

import "testing"

// TestLinkRedirectCycles drives the cycle rule through the API and a real
// SQLite store: a link whose destination or fallback leads back to it is
// refused with 422 naming the cycle; one that only points to another short
// link is accepted.
func TestLinkRedirectCycles(t *testing.T) {
	e := newEnv(t)
	create := func(body string) { e.mustDo("POST", "/api/v1/links", adminSecret, body, 201, nil) }
	create(`{"slug":"promo","destination":"https://lw.example.com/spring"}`)
	create(`{"slug":"a","domain":"go.brand.com","destination":"https://example.com/a"}`)
	create(`{"slug":"b","domain":"go.brand.com","destination":"https://lw.example.com/c"}`)
	create(`{"slug":"c","destination":"http://GO.BRAND.COM/a?utm_source=print"}`)
	create(`{"slug":"backup","destination":"https://example.com/","fallback_url":"https://lw.example.com/summer"}`)

	tests := []struct {
		name, method, path, body string
		field, message           string // "" when accepted
	}{
		{name: "own short URL", method: "POST", path: "/api/v1/links", body: `{"slug":"self","destination":"https://lw.example.com/self"}`,
			field: "destination", message: "destination leads back to self: self → self"},
		{name: "a → b → a", method: "POST", path: "/api/v1/links", body: `{"slug":"spring","destination":"https://lw.example.com/promo"}`,
			field: "destination", message: "destination leads back to spring: spring → promo → spring"},
		{name: "a → b → c → a on a custom domain, by edit", method: "PATCH", path: "/api/v1/links/a?domain=go.brand.com",
			body:  `{"destination":"https://go.brand.com/b"}`,
			field: "destination", message: "destination leads back to go.brand.com/a: go.brand.com/a → go.brand.com/b → c → go.brand.com/a"},
		{name: "fallback through another's fallback", method: "POST", path: "/api/v1/links",
			body:  `{"slug":"summer","destination":"https://example.com/summer","fallback_url":"http://lw.example.com:443/backup#x"}`,
			field: "fallback_url", message: "fallback_url leads back to summer: summer → backup → summer"},
		{name: "fallback by edit", method: "PATCH", path: "/api/v1/links/promo", body: `{"fallback_url":"https://lw.example.com/promo"}`,
			field: "fallback_url", message: "fallback_url leads back to promo: promo → promo"},
		{name: "another short link without a cycle", method: "POST", path: "/api/v1/links",
			body: `{"slug":"winter","destination":"https://lw.example.com/promo"}`},
		{name: "an edit of other fields is not re-checked", method: "PATCH", path: "/api/v1/links/promo", body: `{"tags":["x"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.field == "" {
				status := 201
				if tt.method == "PATCH" {
					status = 200
				}
				e.mustDo(tt.method, tt.path, adminSecret, tt.body, status, nil)
				return
			}
			var body errorBody
			e.mustDo(tt.method, tt.path, adminSecret, tt.body, 422, &body)
			if body.Error.Code != "invalid" || body.Error.Field != tt.field || body.Error.Message != tt.message {
				t.Errorf("error = %+v, want field %q message %q", body.Error, tt.field, tt.message)
			}
		})
	}
	// Refused edits changed nothing.
	var l LinkDoc
	e.mustDo("GET", "/api/v1/links/a?domain=go.brand.com", adminSecret, "", 200, &l)
	if l.Destination != "https://example.com/a" {
		t.Errorf("refused edit stored destination %q", l.Destination)
	}
}

// TestLinkIDNDestination checks that an internationalised destination is
// stored, and shown, in the form it is sent in Location.
func TestLinkIDNDestination(t *testing.T) {
	e := newEnv(t)
	var l LinkDoc
	e.mustDo("POST", "/api/v1/links", adminSecret,
		`{"slug":"buch","destination":"https://bücher.example/straße?q=ü","fallback_url":"https://例え.jp/"}`, 201, &l)
	if l.Destination != "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC" || l.FallbackURL != "https://xn--r8jz45g.jp/" {
		t.Errorf("destination %q fallback %q", l.Destination, l.FallbackURL)
	}
	var body errorBody
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"destination":"https://a\u200db.example/"}`, 422, &body)
	if body.Error.Field != "destination" {
		t.Errorf("invalid IDN host: %+v", body.Error)
	}
}
