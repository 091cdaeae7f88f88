package main

import (
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// targetPage is what the target answers on every path: a small landing page.
const targetPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spring sale</title></head>
<body><h1>Spring sale</h1><p>Everything 20% off until Sunday.</p></body></html>
`

// target is the destination of the prober benchmark's links: 200 with a
// small HTML page on any path, counting the requests. GET /_count answers
// the count so far (and is not counted itself).
func target(addr string) error {
	var count atomic.Int64
	page := []byte(targetPage)
	length := []string{strconv.Itoa(len(page))}
	ctype := []string{"text/html; charset=utf-8"}
	return serveUntilSignal(&http.Server{
		Addr:              addr,
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/_count" {
				io.WriteString(w, strconv.FormatInt(count.Load(), 10)+"\n")
				return
			}
			count.Add(1)
			h := w.Header()
			h["Content-Type"] = ctype
			h["Content-Length"] = length
			w.WriteHeader(http.StatusOK)
			if r.Method != http.MethodHead {
				w.Write(page)
			}
		}),
	})
}
