package baseline

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// landingPage is the body prober's check benchmarks serve: a small
// campaign landing page.
var landingPage = "<!doctype html><title>Spring</title>" + strings.Repeat("<p>welcome to the spring campaign</p>", 400)

func landing(w http.ResponseWriter, r *http.Request) { io.WriteString(w, landingPage) }

// get fetches url with c and reads the whole body, as a check does.
func get(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &statusError{resp.StatusCode}
	}
	return nil
}

type statusError struct{ code int }

func (e *statusError) Error() string { return http.StatusText(e.code) }

// BenchmarkHTTPGet is one GET of the landing page over a kept-alive
// connection with net/http: the baseline of prober's BenchmarkCheckMonitor.
func BenchmarkHTTPGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(landing))
	defer srv.Close()
	c := srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		if err := get(c, srv.URL+"/"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHTTPGetParallel is BenchmarkHTTPGet from many goroutines: the
// baseline of BenchmarkCheckMonitorParallel.
func BenchmarkHTTPGetParallel(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(landing))
	defer srv.Close()
	c := srv.Client()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := get(c, srv.URL+"/"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkHTTPGetRedirect is a GET of a short link that answers 302 to
// the landing page on another server, followed by net/http: two requests,
// as prober's BenchmarkCheckLink makes.
func BenchmarkHTTPGetRedirect(b *testing.B) {
	dest := httptest.NewServer(http.HandlerFunc(landing))
	defer dest.Close()
	red := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, dest.URL+"/", http.StatusFound)
	}))
	defer red.Close()
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer c.CloseIdleConnections()
	b.ReportAllocs()
	for b.Loop() {
		if err := get(c, red.URL+"/spring"); err != nil {
			b.Fatal(err)
		}
	}
}

// The baselines must do the work they stand for: a landing page behind a
// redirect arrives whole.
func TestGetFollowsRedirectAndReadsBody(t *testing.T) {
	var n int
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n++; landing(w, r) }))
	defer dest.Close()
	red := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, dest.URL+"/", http.StatusFound)
	}))
	defer red.Close()
	if err := get(red.Client(), red.URL+"/spring"); err != nil || n != 1 {
		t.Fatalf("get through the redirect: %v, destination served %d times, want nil and 1", err, n)
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	defer gone.Close()
	if err := get(gone.Client(), gone.URL+"/"); err == nil {
		t.Error("get of a 404 returned nil")
	}
}
