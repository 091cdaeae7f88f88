package redirector

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

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
// handler at 1,000,000 (scale, below).
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
	b.Run("scale", benchmarkScale)
}

// benchmarkScale serves requests for random links of a 1,000-link and of a
// 1,000,000-link cache in alternating rounds of 4,096 on one goroutine,
// timing each round. x-1k is the time per redirect at a million links over
// the time at a thousand, from each size's fastest round: on a shared
// machine the fastest rounds are the ones nothing else ran during, so both
// sizes are compared on the same quiet machine (the -mean figures include
// the interruptions).
func benchmarkScale(b *testing.B) {
	type size struct {
		h     http.Handler
		reqs  []*http.Request
		total time.Duration
		best  time.Duration
	}
	var sizes []*size
	for _, n := range []int{1000, 1_000_000} {
		cache := quietCache(newPagedLinks(n, destination))
		if err := cache.reload(b.Context()); err != nil {
			b.Fatal(err)
		}
		sizes = append(sizes, &size{h: benchRedirector(cache), reqs: randomRequests(n, 4096), best: time.Hour})
	}
	w := &nullWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	rounds := 0
	for done := 0; done < b.N; done += 2 * 4096 {
		for _, sz := range sizes {
			start := time.Now()
			for _, r := range sz.reqs {
				clear(w.h)
				sz.h.ServeHTTP(w, r)
			}
			took := time.Since(start)
			sz.total += took
			sz.best = min(sz.best, took)
		}
		rounds++
	}
	per := func(d time.Duration, n int) float64 { return float64(d.Nanoseconds()) / float64(n*4096) }
	small, big := per(sizes[0].best, 1), per(sizes[1].best, 1)
	b.ReportMetric(small, "ns/redirect-1k")
	b.ReportMetric(big, "ns/redirect-1M")
	b.ReportMetric(per(sizes[0].total, rounds), "ns/redirect-1k-mean")
	b.ReportMetric(per(sizes[1].total, rounds), "ns/redirect-1M-mean")
	b.ReportMetric(big/small, "x-1k")
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
