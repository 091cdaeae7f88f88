package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

func TestNewLink(t *testing.T) {
	e := newD3Env(t)
	e.addTagged("taken", "https://example.com/")
	b := e.browser()
	csrf := b.mustSignIn(e.admin)
	if code, _, page := b.get("/dashboard/new"); code != http.StatusOK || !strings.Contains(page, `<label for="destination">`) {
		t.Fatalf("new link form: %d", code)
	}
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf": {csrf}, "slug": {"spring"}, "destination": {"https://example.com/spring"}, "redirect_code": {"302"}, "failover": {"auto"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name  string
		form  url.Values
		field string // the field whose error is shown
		msg   string
	}{
		{"bad destination", form("destination", "ftp://example.com/"), "destination", "destination must be an absolute http or https URL"},
		{"taken slug", form("slug", "taken"), "slug", "slug is already taken"},
		{"reserved slug", form("slug", "dashboard"), "slug", `slug &#34;dashboard&#34; is reserved`},
		{"bad interval", form("check_interval", "2d"), "", "check_interval"},
		{"past expiry", form("expires_at", "2020-01-01T00:00"), "expires_at", "expires_at is in the past"},
		{"bad tag", form("tags", "ok b@d"), "tags", "may contain only letters"},
		{"bad code", form("redirect_code", "303"), "redirect_code", "redirect_code must be 301, 302, 307 or 308"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, page := b.post("/dashboard/new", tt.form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, tt.msg) {
				t.Fatalf("%d, want 422 with %q:\n%s", resp.StatusCode, tt.msg, page)
			}
			if tt.field != "" && !strings.Contains(page, `id="`+tt.field+`-error"`) {
				t.Errorf("the error is not next to %s", tt.field)
			}
			if !strings.Contains(page, `value="`+tt.form.Get("destination")+`"`) {
				t.Error("the form lost what was typed")
			}
		})
	}
	if _, err := e.store.LinkBySlug(context.Background(), "", "spring"); linkwatch.ErrorCode(err) != linkwatch.ENOTFOUND {
		t.Fatalf("a refused form created the link: %v", err)
	}

	resp, _ := b.post("/dashboard/new", form("tags", "spring, print", "redirect_code", "301", "expires_at", "2030-01-02T03:04",
		"check_interval", "90", "fallback_url", "https://example.com/backup", "failover", "off"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard/links/spring?created=1" {
		t.Fatalf("create: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	l, err := e.store.LinkBySlug(context.Background(), "", "spring")
	if err != nil {
		t.Fatal(err)
	}
	if l.RedirectCode != 301 || l.CheckInterval != 90*time.Second || strings.Join(l.Tags, ",") != "spring,print" ||
		!l.ExpiresAt.Equal(time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)) || l.FallbackURL != "https://example.com/backup" || l.Failover != linkwatch.FailoverOff {
		t.Errorf("created %+v", l)
	}

	// A read session has no form and may not post it.
	r := e.browser()
	rcsrf := r.mustSignIn(e.read)
	if code, _, _ := r.get("/dashboard/new"); code != http.StatusForbidden {
		t.Errorf("read session's form: %d, want 403", code)
	}
	if resp, _ := r.post("/dashboard/new", url.Values{"csrf": {rcsrf}, "slug": {"x"}, "destination": {"https://example.com/"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("read session's create: %d, want 403", resp.StatusCode)
	}
	if resp, _ := b.post("/dashboard/new", url.Values{"slug": {"x"}, "destination": {"https://example.com/"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("create without CSRF: %d, want 403", resp.StatusCode)
	}
}
