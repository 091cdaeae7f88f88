package redirector

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
)

// discardRecorder keeps nothing; the handler's own cost is measured.
type discardRecorder struct{}

func (discardRecorder) Record(linkwatch.Scan) {}

// nullWriter is a ResponseWriter that costs nothing, so the handler is measured.
type nullWriter struct{ h http.Header }

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nullWriter) WriteHeader(int)             {}

func benchRequests(n int) []*http.Request {
	reqs := make([]*http.Request, n)
	for i := range reqs {
		target := "/s" + strconv.Itoa(i)
		if i%3 == 0 {
			target += "?lw=qr"
		}
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
		reqs[i] = r
	}
	return reqs
}

// BenchmarkHandler compares the redirect handler (scans recorded into a
// discarding recorder) with a bare map lookup, the in-process part of
// bench/redirect.sh's baseline, and the handler at 1,000 links with the
// handler at 1,000,000: the requests go to random links, and the x-1k metric
// is the time per redirect over the 1,000-link figure of the same run.
func BenchmarkHandler(b *testing.B) {
	const n = 1000
	var links []*linkwatch.Link
	bare := map[string]string{}
	for i := range n {
		dest := destination(i)
		links = append(links, &linkwatch.Link{Slug: "s" + strconv.Itoa(i), Destination: dest, RedirectCode: 302})
		bare["s"+strconv.Itoa(i)] = dest
	}
	reqs := benchRequests(n)
	b.Run("baseline", func(b *testing.B) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			dest, ok := bare[r.URL.Path[1:]]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header()["Location"] = []string{dest}
			w.WriteHeader(http.StatusFound)
		})
		runHandler(b, h, reqs)
	})
	b.Run("linkwatch", func(b *testing.B) {
		cache := NewCache(newFakeLinks(links...), slog.New(slog.NewTextHandler(io.Discard, nil)))
		cache.apply(linkwatch.LinkChange{Reset: true})
		runHandler(b, benchRedirector(cache), reqs)
	})
	var small float64 // ns per redirect at 1,000 links
	for _, size := range []int{1000, 1_000_000} {
		cache := quietCache(newPagedLinks(size, destination))
		if err := cache.reload(b.Context()); err != nil {
			b.Fatal(err)
		}
		h := benchRedirector(cache)
		reqs := randomRequests(size, 4096)
		b.Run("links="+strconv.Itoa(size), func(b *testing.B) {
			runHandler(b, h, reqs)
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if size == 1000 {
				small = ns
			} else if small > 0 {
				b.ReportMetric(ns/small, "x-1k")
			}
		})
	}
}

func benchRedirector(cache *Cache) http.Handler {
	durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "d"}, []string{"route", "code"})
	rd := New(Config{}, cache, discardRecorder{}, prometheus.NewRegistry(), durations)
	return rd.Handler(http.NotFoundHandler())
}

// randomRequests returns n requests for random links among s0…s(links-1).
// Few enough requests to stay in the processor's caches, so the links'
// number is what is measured, not the requests'.
func randomRequests(links, n int) []*http.Request {
	rng := rand.New(rand.NewPCG(1, 2))
	reqs := benchRequests(n)
	for _, r := range reqs {
		r.URL.Path = "/s" + strconv.Itoa(rng.IntN(links))
	}
	return reqs
}

// BenchmarkCacheMemory reports the heap the link cache holds per link after
// a collection, after the first load and after a reload that changed every
// link.
func BenchmarkCacheMemory(b *testing.B) {
	for _, size := range []int{100_000, 1_000_000} {
		b.Run("links="+strconv.Itoa(size), func(b *testing.B) {
			var first, changed float64
			for b.Loop() {
				first, changed = cacheBytesPerLink(b, size)
			}
			b.ReportMetric(first, "B/link")
			b.ReportMetric(changed, "B/link-reloaded")
		})
	}
}

func runHandler(b *testing.B, h http.Handler, reqs []*http.Request) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &nullWriter{h: http.Header{}}
		i := 0
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, reqs[i%len(reqs)])
			i++
		}
	})
}

// BenchmarkCacheLoad times the cache's first load and a reload in which
// nothing changed, from an in-memory store (the database's part is not
// measured): the redirector's own share of getting ready.
func BenchmarkCacheLoad(b *testing.B) {
	for _, size := range []int{100_000, 1_000_000} {
		store := newPagedLinks(size, destination)
		b.Run("links="+strconv.Itoa(size)+"/first", func(b *testing.B) {
			for b.Loop() {
				if err := quietCache(store).reload(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("links="+strconv.Itoa(size)+"/unchanged", func(b *testing.B) {
			c := quietCache(store)
			if err := c.reload(b.Context()); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := c.reload(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
