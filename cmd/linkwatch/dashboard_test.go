package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDashboardMounted: serve and control serve the dashboard and send GET /
// to it or to the status page; the redirector role serves neither.
func TestDashboardMounted(t *testing.T) {
	env := map[string]string{"LINKWATCH_ADMIN_TOKEN": "dashboard-e2e-admin"}
	s := startServer(t, env, "serve", "--db", filepath.Join(t.TempDir(), "linkwatch.db"))
	if resp, _ := s.get("/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/status" {
		t.Errorf("GET / without a session: %d to %q, want 303 to /status", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := s.get("/dashboard"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard/sign-in" {
		t.Errorf("GET /dashboard without a session: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: noFollow.CheckRedirect, Timeout: noFollow.Timeout}
	resp, err := c.Get(s.url + "/dashboard/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("sign-in page without its form field:\n%s", page)
	}
	resp, err = c.PostForm(s.url+"/dashboard/sign-in", url.Values{"csrf": {string(m[1])}, "token": {"dashboard-e2e-admin"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = c.Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Errorf("GET / signed in: %d to %q, want 303 to /dashboard", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = c.Get(s.url + "/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `action="/dashboard/sign-out"`) {
		t.Errorf("GET /dashboard signed in: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(s.stderr.String(), "dashboard-e2e-admin") {
		t.Errorf("the admin token reached the log")
	}

	r := startServer(t, env, "redirector", "--db", filepath.Join(t.TempDir(), "linkwatch.db"))
	if code := r.status("/dashboard"); code != http.StatusNotFound {
		t.Errorf("the redirector role answers /dashboard with %d, want 404", code)
	}
}
