package prober

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/linkwatch/linkwatch"
)

// TestCheckAssignedShortURL: without a PublicURL the checker fetches the
// assigned short URL as it is, and the guard lets that request (only) reach
// the redirector's loopback host and port.
func TestCheckAssignedShortURL(t *testing.T) {
	var landing string
	mux := http.NewServeMux()
	mux.HandleFunc("/spring", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, landing, http.StatusFound) })
	mux.HandleFunc("/landing", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(welcome)) })
	self, _ := startServer(t, mux)
	other := newDestinationServer(t)
	c := testChecker(t, func(cfg *Config) { cfg.AllowPrivate, cfg.PublicURL = false, nil })
	link := &linkwatch.Link{ID: 1, Slug: "spring", RedirectCode: 302}
	a := Assign(link, mustURL(t, self.URL))

	landing = other.URL + "/ok" // the destination is another loopback port: refused
	link.Destination = landing
	res := c.CheckLink(context.Background(), a)
	if res.Class != linkwatch.ClassBlocked || res.Step != linkwatch.StepDestination || res.Hops[0].Status != 302 || res.Hops[0].URL != a.ShortURL {
		t.Errorf("short link on loopback, destination on loopback: class %q step %q (%s), hops %v", res.Class, res.Step, res.Error, res.Hops)
	}
	landing = self.URL + "/landing" // the redirector's own host and port
	link.Destination = landing
	if res := c.CheckLink(context.Background(), a); !res.OK() || len(res.Hops) != 2 {
		t.Errorf("link to the redirector itself: class %q (%s), hops %v", res.Class, res.Error, res.Hops)
	}
	if res := c.CheckQR(a); !res.OK() {
		t.Errorf("QR check of the assigned text: %s %s", res.Class, res.Error)
	}
	if res := c.CheckQR(LinkAssignment{Link: link, ShortURL: a.ShortURL, QRText: ""}); res.Class != linkwatch.ClassQR {
		t.Errorf("an empty QR text must fail to render: %+v", res)
	}
}

// TestCheckPublicURLOverride: an explicit PublicURL (split-horizon DNS)
// changes where the short link is fetched, not what it is: the request goes
// to the override's host with the assigned Host header, a relative Location
// resolves against the assigned URL, and the hop shows the assigned URL.
func TestCheckPublicURLOverride(t *testing.T) {
	d := newDestinationServer(t)
	var mu sync.Mutex
	var hosts []string
	mux := http.NewServeMux()
	mux.HandleFunc("/promo", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		http.Redirect(w, r, d.URL+"/ok", http.StatusFound)
	})
	inside, _ := startServer(t, mux)
	c := testChecker(t, func(cfg *Config) { cfg.AllowPrivate, cfg.PublicURL = false, mustURL(t, inside.URL) })
	// go.brand.invalid does not resolve: only the override can reach it.
	link := &linkwatch.Link{ID: 2, Slug: "promo", Domain: "go.brand.invalid", RedirectCode: 302, Destination: d.URL + "/ok"}
	a := Assign(link, mustURL(t, "https://lw.example.com"))
	res := c.CheckLink(context.Background(), a)
	// The destination is on loopback and refused: the short-link step passed.
	if res.Step != linkwatch.StepDestination || res.Class != linkwatch.ClassBlocked || len(res.Hops) < 1 ||
		res.Hops[0].URL != "https://go.brand.invalid/promo" || res.Hops[0].Status != 302 {
		t.Fatalf("through the override: step %q class %q (%s), hops %+v", res.Step, res.Class, res.Error, res.Hops)
	}
	mu.Lock()
	if len(hosts) != 1 || hosts[0] != "go.brand.invalid" {
		t.Errorf("the redirector saw Host %v, want the assigned go.brand.invalid", hosts)
	}
	mu.Unlock()

	// A wrong redirect is still a mismatch against the assigned target.
	link.Destination = "https://elsewhere.example/"
	if res := c.CheckLink(context.Background(), a); res.Class != linkwatch.ClassRedirectMismatch || !strings.Contains(res.Error, "go.brand.invalid/promo") {
		t.Errorf("wrong redirect through the override: %q %s", res.Class, res.Error)
	}
}

// TestCheckBadAssignedURL: a short URL that is not absolute http(s) fails
// the short-link step with a clear error instead of a request.
func TestCheckBadAssignedURL(t *testing.T) {
	c := testChecker(t, func(cfg *Config) { cfg.PublicURL = nil })
	link := &linkwatch.Link{ID: 3, Slug: "x", Destination: "https://a.example/"}
	for _, u := range []string{"", "/x", "ftp://h/x", "http://"} {
		res := c.CheckLink(context.Background(), LinkAssignment{Link: link, ShortURL: u})
		if res.Step != linkwatch.StepShortLink || res.Class != linkwatch.ClassRedirectMismatch || !strings.Contains(res.Error, "not an absolute http(s) URL") {
			t.Errorf("short URL %q: step %q class %q (%s)", u, res.Step, res.Class, res.Error)
		}
	}
}

// FuzzFetchURL: whatever short URL a control plane sends, fetchURL either
// refuses it or returns an absolute http(s) URL to fetch, on the override's
// host when there is one, with the assigned host as the Host header.
func FuzzFetchURL(f *testing.F) {
	for _, s := range []string{"https://lw.example.com/spring", "http://go.brand.test:8080/x?lw=qr", "", "/x", "ftp://h/x",
		"http://", "http://user:pw@h/x", "https://[::1]:99/a%2Fb", "http://h/\x00"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	override, _ := url.Parse("http://10.0.0.5:8080")
	f.Fuzz(func(t *testing.T, short string, withOverride bool) {
		var o *url.URL
		if withOverride {
			o = override
		}
		u, fetch, host, err := fetchURL(short, o)
		if err != nil {
			if !strings.Contains(err.Error(), "not an absolute http(s) URL") {
				t.Fatalf("error %v", err)
			}
			return
		}
		if (fetch.Scheme != "http" && fetch.Scheme != "https") || fetch.Host == "" || u.Host == "" {
			t.Fatalf("%q: fetch %v", short, fetch)
		}
		if withOverride && (fetch.Host != override.Host || host != u.Host || fetch.Path != u.Path) {
			t.Fatalf("%q through the override: fetch %v host %q", short, fetch, host)
		}
		if !withOverride && (fetch != u || host != "") {
			t.Fatalf("%q: fetch %v host %q, want the URL as is", short, fetch, host)
		}
	})
}
