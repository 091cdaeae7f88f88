package redirector

import (
	"io"
	"log/slog"
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
// bench/redirect.sh's baseline.
func BenchmarkHandler(b *testing.B) {
	const n = 1000
	var links []*linkwatch.Link
	bare := map[string]string{}
	for i := range n {
		dest := "https://example.com/landing/" + strconv.Itoa(i) + "?utm_source=bench"
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
		durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "d"}, []string{"route", "code"})
		rd := New(Config{}, cache, discardRecorder{}, prometheus.NewRegistry(), durations)
		runHandler(b, rd.Handler(http.NotFoundHandler()), reqs)
	})
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
