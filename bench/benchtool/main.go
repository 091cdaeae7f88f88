// Command benchtool supports the redirect benchmark: it runs the baseline (a
// bare net/http handler redirecting from a map, the fastest a Go redirector
// can be) and seeds links into a running linkwatch through its API.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: benchtool baseline|seed [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18081", "baseline listen address")
	server := fs.String("server", "http://127.0.0.1:18082", "linkwatch to seed")
	token := fs.String("token", os.Getenv("LINKWATCH_ADMIN_TOKEN"), "admin token for seeding")
	n := fs.Int("links", 1000, "number of links s0…s<n-1>")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "baseline":
		return baseline(*addr, *n)
	case "seed":
		return seed(*server, *token, *n)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func destination(i int) string {
	return "https://example.com/landing/" + strconv.Itoa(i) + "?utm_source=bench"
}

// baseline serves GET /{slug} from a map: no router, no metrics, no scans.
func baseline(addr string, n int) error {
	links := make(map[string]string, n)
	for i := range n {
		links["s"+strconv.Itoa(i)] = destination(i)
	}
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dest, ok := links[r.URL.Path[1:]]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header()["Location"] = []string{dest}
		w.WriteHeader(http.StatusFound)
	})}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// seed creates the links through the API, 16 at a time.
func seed(server, token string, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			body := fmt.Sprintf(`{"slug":"s%d","destination":%q}`, i, destination(i))
			req, _ := http.NewRequest("POST", server+"/api/v1/links", bytes.NewBufferString(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b, _ := io.ReadAll(resp.Body)
				errs <- fmt.Errorf("create s%d: %s %s", i, resp.Status, b)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}
