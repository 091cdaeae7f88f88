package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/api"
)

// TestLinksCommandsOnServe drives links create, update, get, health,
// scans, qr, list and delete against a real server, in both output
// styles: an aligned table by default, the server's JSON with --json.
func TestLinksCommandsOnServe(t *testing.T) {
	env := map[string]string{"LINKWATCH_PUBLIC_URL": "http://lw.test", "LINKWATCH_SCAN_FLUSH_INTERVAL": "50ms"}
	s := startServer(t, env, "serve", "--db", filepath.Join(t.TempDir(), "linkwatch.db"))
	cli := func(args ...string) string { return s.cli(t, s.token, args...) }

	out := cli("links", "create", "--slug", "spring", "--destination", "https://example.com/a", "--tag", "spring")
	if !regexp.MustCompile(`(?m)^SLUG +spring$`).MatchString(out) || !regexp.MustCompile(`(?m)^SHORT URL +http://lw.test/spring$`).MatchString(out) {
		t.Fatalf("links create printed no table:\n%s", out)
	}

	out = cli("links", "update", "spring", "--destination", "https://example.com/b", "--fallback", "https://example.com/f",
		"--tags", "a,b", "--code", "301", "--interval", "30s", "--expires", "2030-01-02T03:04:05Z")
	for _, re := range []string{`(?m)^DESTINATION +https://example.com/b$`, `(?m)^FALLBACK +https://example.com/f$`, `(?m)^TAGS +a,b$`,
		`(?m)^CODE +301$`, `(?m)^INTERVAL +30s$`, `(?m)^EXPIRES +2030-01-02T03:04:05Z$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("links update: no %s in\n%s", re, out)
		}
	}
	out = cli("links", "update", "spring", "--fallback", "", "--tags", "", "--expires", "", "--json")
	var l api.LinkDoc
	if err := json.Unmarshal([]byte(out), &l); err != nil || l.FallbackURL != "" || len(l.Tags) != 0 || l.ExpiresAt != nil ||
		l.Destination != "https://example.com/b" || l.RedirectCode != 301 {
		t.Fatalf("links update clearing: %v\n%s", err, out)
	}
	if out := cli("links", "get", "spring"); !regexp.MustCompile(`(?m)^FALLBACK +-$`).MatchString(out) {
		t.Errorf("links get:\n%s", out)
	}

	out = cli("links", "health", "spring")
	if !regexp.MustCompile(`(?m)^STATE +\S+`).MatchString(out) || !strings.Contains(out, "UPTIME") {
		t.Errorf("links health:\n%s", out)
	}
	var h api.HealthDoc
	if out := cli("links", "health", "spring", "--json"); json.Unmarshal([]byte(out), &h) != nil || h.State == "" {
		t.Errorf("links health --json:\n%s", out)
	}

	out = cli("links", "scans", "spring", "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-03T00:00:00Z", "--by", "day")
	if !regexp.MustCompile(`(?m)^FROM +2026-01-01T00:00:00Z$`).MatchString(out) || !strings.Contains(out, "no scans in this range") {
		t.Errorf("links scans of an empty range:\n%s", out)
	}
	// A visit (or the few the wait makes), written within the flush
	// interval, is in this hour's row.
	waitUntil(t, 30*time.Second, func() bool { return s.location("/spring") == "https://example.com/b" })
	series := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:00:00Z +[1-9]\d*$`)
	waitUntil(t, 30*time.Second, func() bool {
		out = cli("links", "scans", "spring")
		return series.MatchString(out) && regexp.MustCompile(`(?m)^SCANS +[1-9]\d*$`).MatchString(out)
	})
	var st struct {
		Bucket string
		Series []json.RawMessage
	}
	if out := cli("links", "scans", "spring", "--by", "day", "--json"); json.Unmarshal([]byte(out), &st) != nil || st.Bucket != "1d" {
		t.Errorf("links scans --json:\n%s", out)
	}

	dir := t.TempDir()
	pngPath := filepath.Join(dir, "spring.png")
	if out := cli("links", "qr", "spring", "--out", pngPath, "--size", "256", "--level", "h"); !strings.HasPrefix(out, "wrote "+pngPath+" (png, ") {
		t.Errorf("links qr printed %q", out)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width != 256 || cfg.Height != 256 {
		t.Fatalf("the QR code file: %v, %dx%d", err, cfg.Width, cfg.Height)
	}
	before, _ := os.ReadFile(pngPath)
	_, _, err = runCLI(t, map[string]string{"LINKWATCH_SERVER": s.url, "LINKWATCH_TOKEN": s.token}, "links", "qr", "spring", "--out", pngPath)
	if err == nil || !strings.Contains(err.Error(), "exists; pass --force") {
		t.Errorf("overwriting without --force: %v", err)
	}
	if after, _ := os.ReadFile(pngPath); !bytes.Equal(before, after) {
		t.Error("the refused overwrite changed the file")
	}
	cli("links", "qr", "spring", "--out", pngPath, "--force") // the server's default size
	if after, _ := os.ReadFile(pngPath); bytes.Equal(before, after) {
		t.Error("--force did not replace the file")
	}
	svgPath := filepath.Join(dir, "spring.svg")
	var res struct {
		File, Format string
		Bytes        int
	}
	if out := cli("links", "qr", "spring", "--out", svgPath, "--json"); json.Unmarshal([]byte(out), &res) != nil || res.Format != "svg" || res.File != svgPath {
		t.Errorf("links qr --json: %s", out)
	}
	if b, _ := os.ReadFile(svgPath); len(b) != res.Bytes || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("the SVG file: %d bytes, want %d", len(b), res.Bytes)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}

	out = cli("links", "list")
	if !regexp.MustCompile(`(?m)^SLUG +SHORT URL +CODE +DESTINATION +TAGS$`).MatchString(out) || !strings.Contains(out, "http://lw.test/spring") {
		t.Errorf("links list:\n%s", out)
	}
	var list struct{ Links []api.LinkDoc }
	if out := cli("links", "list", "--json"); json.Unmarshal([]byte(out), &list) != nil || len(list.Links) != 1 || list.Links[0].Slug != "spring" {
		t.Errorf("links list --json:\n%s", out)
	}
	if out := cli("tokens", "list"); !regexp.MustCompile(`(?m)^ID +NAME +SCOPES +REGIONS +CREATED$`).MatchString(out) {
		t.Errorf("tokens list:\n%s", out)
	}
	if out := cli("links", "delete", "spring"); out != "deleted spring\n" {
		t.Errorf("links delete printed %q", out)
	}
}

// TestLinksUpdateRequests: `links update` sends only the flags given, an
// empty value as null (or no tags), and refuses to send nothing; bad
// scans flags are named before any request.
func TestLinksUpdateRequests(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.RequestURI()+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"slug":"spring","redirect_code":308}`)
	}))
	defer srv.Close()
	env := map[string]string{"LINKWATCH_SERVER": srv.URL, "LINKWATCH_TOKEN": "t"}
	for _, args := range [][]string{
		{"links", "update", "spring", "--fallback", "", "--tags", "", "--expires", "", "--interval", "", "--code", "308"},
		{"links", "update", "--domain", "go.brand.com", "promo", "--destination", "https://example.com/", "--failover", "off"},
	} {
		if _, errOut, err := runCLI(t, env, args...); err != nil {
			t.Fatalf("%v: %v %s", args, err, errOut)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"links", "update", "spring"}, "links update: nothing to change"},
		{[]string{"links", "scans", "spring", "--from", "yesterday"}, "--from must be an RFC 3339 time"},
		{[]string{"links", "scans", "spring", "--by", "week"}, "--by must be hour or day"},
		{[]string{"links", "qr", "spring"}, "--out FILE is required"},
		{[]string{"links", "qr", "spring", "--out", "x.gif", "--format", "gif"}, "--format must be png or svg"},
	} {
		if _, _, err := runCLI(t, env, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	want := []string{
		`PATCH /api/v1/links/spring {"check_interval":null,"expires_at":null,"fallback_url":null,"redirect_code":308,"tags":[]}`,
		`PATCH /api/v1/links/promo?domain=go.brand.com {"destination":"https://example.com/","failover":"off"}`,
	}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("requests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestLinksCheckCommand: `links check` has every live region check the link
// now and prints each region's result; --json prints the API's answer.
func TestLinksCheckCommand(t *testing.T) {
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer dest.Close()
	env := map[string]string{"LINKWATCH_PROBE_ALLOW_PRIVATE": "true", "LINKWATCH_PROBE_TIMEOUT": "5s", "LINKWATCH_ADMIN_TOKEN": testAdminToken}
	s := startServer(t, env, "serve", "--db", filepath.Join(t.TempDir(), "linkwatch.db"))
	cli := func(args ...string) string { return s.cli(t, testAdminToken, args...) }
	cli("links", "create", "--slug", "spring", "--destination", dest.URL+"/spring", "--interval", "1h")
	// The in-process prober is live once it has sent its first heartbeat;
	// until then check now has no region to ask (503).
	waitUntil(t, 30*time.Second, func() bool {
		var ps struct{ Probers []struct{ State string } }
		s.apiJSON(t, "GET", "/api/v1/probers", "", &ps)
		return len(ps.Probers) == 1 && ps.Probers[0].State == "live"
	})
	out := cli("links", "check", "spring")
	if !regexp.MustCompile(`(?m)^REGION +STATE +CHECKED +STATUS`).MatchString(out) || !regexp.MustCompile(`(?m)^local +up +\S+ +200 `).MatchString(out) {
		t.Errorf("links check:\n%s", out)
	}
	var c api.CheckDoc
	if out := cli("links", "check", "spring", "--json"); json.Unmarshal([]byte(out), &c) != nil || len(c.Regions) != 1 || c.Regions[0].Region != "local" ||
		c.Regions[0].Result.Status != 200 {
		t.Errorf("links check --json:\n%s", out)
	}
}
