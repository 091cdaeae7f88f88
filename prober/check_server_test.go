package prober

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// testChecker returns a Checker that may reach loopback servers, for region
// eu-west, with the changes mod makes to its config.
func testChecker(t testing.TB, mod func(*Config)) *Checker {
	t.Helper()
	cfg := Config{
		Region:       "eu-west",
		ProberID:     "prober-1",
		PublicURL:    mustURL(t, "http://linkwatch.test:8080"),
		AllowPrivate: true,
		Timeout:      5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c := NewChecker(cfg)
	t.Cleanup(c.Close)
	return c
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// startServer starts h on a loopback port until the test ends. Handlers that
// block must also return when release is closed, which happens before the
// server is closed.
func startServer(t testing.TB, h http.Handler) (srv *httptest.Server, release chan struct{}) {
	t.Helper()
	srv = httptest.NewServer(h)
	release = make(chan struct{})
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // cleanups run last-in first-out
	return srv, release
}

// destinationServer serves the destinations the tests check:
//
//	/ok                 200 "welcome to the spring campaign"
//	/chain/N            N redirects (relative Locations), then /ok
//	/loop/a, /loop/b    redirect to each other
//	/status/N           answers N
//	/moved              301 to /ok
//	/noloc              302 without a Location
//	/mailto             302 to a mailto: URL
//	/cred               302 to a URL with a password, on a closed port
//	/slow-headers       never answers
//	/slow-body          sends headers and a little body, then nothing
//	/slow               answers after 20ms
//	/big                streams 10 MiB, "EARLY" at 32 KiB and "LATE" at 1 MiB
//
// It records the User-Agent of every request.
type destinationServer struct {
	*httptest.Server
	mu     sync.Mutex
	agents []string
}

const welcome = "welcome to the spring campaign"

// bigBody is what /big streams.
var bigBody = func() []byte {
	b := bytes.Repeat([]byte("0123456789abcdef"), 10<<20/16)
	copy(b[32<<10:], "EARLY")
	copy(b[1<<20:], "LATE")
	return b
}()

func newDestinationServer(t testing.TB) *destinationServer {
	d := &destinationServer{}
	var release chan struct{}
	block := func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, welcome) })
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n <= 1 {
			http.Redirect(w, r, "/ok", http.StatusFound)
			return
		}
		w.Header().Set("Location", strconv.Itoa(n-1)) // relative to /chain/
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/loop/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/b", http.StatusFound) })
	mux.HandleFunc("/loop/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "a#again", http.StatusFound) })
	mux.HandleFunc("/status/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		w.WriteHeader(n)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusMovedPermanently) })
	mux.HandleFunc("/noloc", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusFound) })
	mux.HandleFunc("/mailto", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "mailto:campaign@example.com", http.StatusFound)
	})
	mux.HandleFunc("/cred", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://admin:hunter2@"+closedAddr(t)+"/", http.StatusFound)
	})
	mux.HandleFunc("/slow-headers", func(w http.ResponseWriter, r *http.Request) { block(r) })
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html>")
		w.(http.Flusher).Flush()
		block(r)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		fmt.Fprint(w, welcome)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		for b := bigBody; len(b) > 0; b = b[32<<10:] {
			if _, err := w.Write(b[:32<<10]); err != nil {
				return // the prober stopped reading
			}
		}
	})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.agents = append(d.agents, r.UserAgent())
		d.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
	d.Server, release = startServer(t, h)
	return d
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func monitor(u string, e linkwatch.Expectation) *linkwatch.Monitor {
	return &linkwatch.Monitor{ID: 7, Name: "landing", URL: u, Interval: time.Minute, Expect: e}
}
