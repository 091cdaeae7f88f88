package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// fragment is what one benchmark leaves for `benchtool summary`: a title,
// notes and figures, written as the NAME.tsv format summary.go describes.
type fragment struct {
	title   string
	notes   []string
	figures []figure
}

func (f *fragment) add(fig figure) { f.figures = append(f.figures, fig) }

// write writes the fragment to path through a temporary file, so a reader
// never sees half of it.
func (f *fragment) write(path string) error {
	var b bytes.Buffer
	clean := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")
	fmt.Fprintf(&b, "# title\t%s\n", clean.Replace(f.title))
	for _, n := range f.notes {
		fmt.Fprintf(&b, "# note\t%s\n", clean.Replace(n))
	}
	fmt.Fprintf(&b, "# date\t%s\n", time.Now().UTC().Format(time.RFC3339))
	for _, g := range f.figures {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean.Replace(g.subject), clean.Replace(g.metric),
			strconv.FormatFloat(g.value, 'g', -1, 64), clean.Replace(g.unit), clean.Replace(g.baseline),
			clean.Replace(g.target), clean.Replace(g.details))
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// bareClientCPU is the in-run baseline of the prober's CPU per request:
// this process's own CPU time (user + system) per GET of url with a plain
// net/http client, n requests from conc goroutines over kept-alive
// connections, bodies read in full.
func bareClientCPU(ctx context.Context, url string, n, conc int) (perRequest time.Duration, err error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	next := make(chan struct{})
	go func() {
		defer close(next)
		for range n {
			select {
			case next <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	before, err := selfCPU()
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range conc {
		wg.Go(func() {
			for range next {
				resp, gerr := client.Get(url)
				if gerr == nil {
					_, gerr = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				if gerr != nil && err == nil {
					err = gerr
				}
				if gerr == nil {
					done++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err != nil {
		return 0, fmt.Errorf("bare client baseline: %w", err)
	}
	after, cerr := selfCPU()
	if cerr != nil {
		return 0, cerr
	}
	if done == 0 {
		return 0, fmt.Errorf("bare client baseline: no request done")
	}
	return (after - before) / time.Duration(done), nil
}

func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
