package api

import "testing"

// TestCreateLinkDryRun: ?dry_run=true answers what the create would (the
// link, or the error, a taken slug included) and stores nothing.
func TestCreateLinkDryRun(t *testing.T) {
	e := newEnv(t)
	e.mustDo("POST", "/api/v1/links", adminSecret, `{"slug":"taken","destination":"https://example.com/"}`, 201, nil)

	var l LinkDoc
	e.mustDo("POST", "/api/v1/links?dry_run=true", adminSecret, `{"slug":"fresh","destination":"https://example.com/x","tags":["a"]}`, 200, &l)
	if l.Slug != "fresh" || l.Destination != "https://example.com/x" || l.RedirectCode != 302 {
		t.Errorf("dry run answered %+v", l)
	}
	e.mustDo("GET", "/api/v1/links/fresh", adminSecret, "", 404, nil)

	tests := []struct{ name, body, code, field string }{
		{"taken slug", `{"slug":"taken","destination":"https://example.com/"}`, "conflict", "slug"},
		{"invalid destination", `{"slug":"x","destination":"ftp://example.com/"}`, "invalid", "destination"},
		{"a cycle", `{"slug":"loop","destination":"https://lw.example.com/loop"}`, "invalid", "destination"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body errorBody
			e.mustDo("POST", "/api/v1/links?dry_run=true", adminSecret, tt.body, statusOf(tt.code), &body)
			if body.Error.Code != tt.code || body.Error.Field != tt.field {
				t.Errorf("error = %+v, want code %s field %s", body.Error, tt.code, tt.field)
			}
		})
	}
	e.mustDo("POST", "/api/v1/links?dry_run=true", e.read, `{"destination":"https://example.com/"}`, 403, nil)
}
