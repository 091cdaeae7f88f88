package prober

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch"
)

// landingPage is a small page of the size a campaign landing page's HTML
// often has.
var landingPage = "<!doctype html><title>Spring</title>" + strings.Repeat("<p>welcome to the spring campaign</p>", 400)

// BenchmarkCheckMonitor measures one monitor check against a local server
// over a kept-alive connection: the prober's own cost per HTTP request.
// cpu-ns/op is the process's user and system CPU time per check; the server
// runs in the same process, so it is an upper bound on the prober's share.
func BenchmarkCheckMonitor(b *testing.B) {
	srv, _ := startServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, landingPage)
	}))
	for _, bc := range []struct {
		name   string
		expect linkwatch.Expectation
	}{
		{"plain", linkwatch.Expectation{}},
		{"keyword", linkwatch.Expectation{Keyword: "autumn", Statuses: []int{200}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := testChecker(b, nil)
			m := monitor(srv.URL+"/", bc.expect)
			ctx := context.Background()
			wantClass := ""
			if bc.expect.Keyword != "" {
				wantClass = linkwatch.ClassKeyword
			}
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if res := c.CheckMonitor(ctx, m); res.Class != wantClass {
					b.Fatalf("class %q: %s", res.Class, res.Error)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkCheckMonitorParallel is BenchmarkCheckMonitor from many
// goroutines, as the scheduler runs checks.
func BenchmarkCheckMonitorParallel(b *testing.B) {
	srv, _ := startServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, landingPage)
	}))
	c := testChecker(b, nil)
	m := monitor(srv.URL+"/", linkwatch.Expectation{})
	b.ReportAllocs()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := c.CheckMonitor(context.Background(), m); !res.OK() {
				b.Error(res.Error)
				return
			}
		}
	})
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkCheckLink measures a link check: two requests, the short link's
// and the destination's.
func BenchmarkCheckLink(b *testing.B) {
	dest, _ := startServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, landingPage)
	}))
	red, _ := startServer(b, &fakeRedirector{code: 302, location: dest.URL + "/"})
	c := testChecker(b, func(cfg *Config) { cfg.PublicURL = mustURL(b, red.URL) })
	l := &linkwatch.Link{ID: 1, Slug: "spring", Destination: dest.URL + "/", RedirectCode: 302}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if res := c.CheckLink(context.Background(), Assign(l, c.cfg.PublicURL)); !res.OK() {
			b.Fatal(res.Error)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}
