package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestLinksFailoverCLI: `links failover SLUG --mode M [--domain D]` posts
// the mode to the link's failover route and prints the answer.
func TestLinksFailoverCLI(t *testing.T) {
	type call struct{ Method, Path, Query, Body string }
	var got []call
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, call{r.Method, r.URL.Path, r.URL.RawQuery, string(b)})
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"active":true,"mode":"fallback","since":"2026-11-23T12:00:00Z","reason":"pinned to the fallback by hand"}`))
	}))
	defer srv.Close()
	env := map[string]string{"LINKWATCH_SERVER": srv.URL, "LINKWATCH_TOKEN": "admin"}
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"links", "failover", "spring", "--mode", "fallback", "--json"}, getenv, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), `"reason": "pinned to the fallback by hand"`) {
		t.Fatalf("printed %s", out.String())
	}
	if err := run(context.Background(), []string{"links", "failover", "--domain", "go.brand.com", "--mode", "auto", "promo"}, getenv, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	want := []call{
		{"POST", "/api/v1/links/spring/failover", "", `{"mode":"fallback"}`},
		{"POST", "/api/v1/links/promo/failover", "domain=go.brand.com", `{"mode":"auto"}`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %+v, want %+v", got, want)
	}
	for _, args := range [][]string{{"links", "failover", "spring"}, {"links", "failover", "--mode", "auto"}} {
		if err := run(context.Background(), args, getenv, &out, &errOut); err == nil || !strings.Contains(err.Error(), "--mode") {
			t.Errorf("%v: %v, want an error naming --mode", args, err)
		}
	}
	if len(got) != 2 {
		t.Fatalf("an incomplete command reached the server: %+v", got[2:])
	}
}

// TestServeFailoverPin: on `serve` (SQLite, in-process change feed) a pin to
// the fallback reaches the redirector — 302 with no-store although the link
// is a 301 — and unpinning returns visitors to the primary.
func TestServeFailoverPin(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	primary, backup := httptest.NewServer(ok), httptest.NewServer(ok)
	defer primary.Close()
	defer backup.Close()
	env := map[string]string{"LINKWATCH_SCAN_FLUSH_INTERVAL": "1h", "LINKWATCH_PUBLIC_URL": "http://lw.test"}
	s := startServer(t, env, "serve", "--db", filepath.Join(t.TempDir(), "linkwatch.db"))
	out := s.cli(t, s.token, "links", "create", "--json", "--slug", "spring", "--code", "301",
		"--destination", primary.URL+"/", "--fallback", backup.URL+"/")
	var l struct {
		Failover       string `json:"failover"`
		FailoverActive bool   `json:"failover_active"`
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil || l.Failover != "auto" || l.FailoverActive {
		t.Fatalf("created %s", out)
	}
	serves := func(code int, location, cache string) func() bool {
		return func() bool {
			resp, _ := s.get("/spring")
			return resp.StatusCode == code && resp.Header.Get("Location") == location && resp.Header.Get("Cache-Control") == cache
		}
	}
	waitUntil(t, 20*time.Second, serves(301, primary.URL+"/", "public, max-age=86400"))

	out = s.cli(t, s.token, "links", "failover", "spring", "--mode", "fallback", "--json")
	var f struct {
		Active bool
		Mode   string
		Since  *time.Time
		Reason string
	}
	if err := json.Unmarshal([]byte(out), &f); err != nil || !f.Active || f.Mode != "fallback" || f.Since == nil {
		t.Fatalf("pinned: %s", out)
	}
	waitUntil(t, 20*time.Second, serves(302, backup.URL+"/", "no-store"))

	s.cli(t, s.token, "links", "failover", "spring", "--mode", "auto")
	waitUntil(t, 20*time.Second, serves(301, primary.URL+"/", "public, max-age=86400"))
}
