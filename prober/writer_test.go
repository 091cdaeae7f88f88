package prober

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type flakyResults struct {
	mu    sync.Mutex
	down  bool
	fails int // writes refused while down
	ids   map[string]int
}

var _ ResultStore = (*flakyResults)(nil)

func (f *flakyResults) InsertResults(_ context.Context, rs []linkwatch.Result) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		f.fails++
		return errors.New("database down")
	}
	for _, r := range rs {
		f.ids[r.ID]++
	}
	return nil
}

func (f *flakyResults) stored() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ids)
}

// TestWriterHoldsResultsThroughAnOutage runs in a synctest bubble: a second
// of database outage passes on the bubble's clock, deterministically.
func TestWriterHoldsResultsThroughAnOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &flakyResults{ids: map[string]int{}, down: true}
		w := NewWriter(store, 1000, 50, 10*time.Millisecond, 2*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- w.Run(ctx) }()
		for i := range 400 {
			w.Submit(linkwatch.Result{ID: string(rune('a'+i%26)) + time.Duration(i).String()})
		}
		time.Sleep(time.Second)
		synctest.Wait()
		store.mu.Lock()
		fails := store.fails
		store.down = false
		store.mu.Unlock()
		if fails < 10 || store.stored() != 0 {
			t.Fatalf("during a 1s outage with a 10ms flush interval: %d failed writes, %d stored; want retries and nothing stored", fails, store.stored())
		}
		time.Sleep(time.Second)
		synctest.Wait()
		cancel()
		<-done
		if store.stored() != 400 || testutil.ToFloat64(w.dropped) != 0 {
			t.Fatalf("stored %d of 400, dropped %v", store.stored(), testutil.ToFloat64(w.dropped))
		}
		for id, n := range store.ids {
			if n != 1 {
				t.Fatalf("result %s stored %d times", id, n)
			}
		}
	})
}

func TestWriterFlushesOnShutdown(t *testing.T) {
	store := &flakyResults{ids: map[string]int{}}
	w := NewWriter(store, 1000, 500, time.Hour, 2*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	for i := range 123 {
		w.Submit(linkwatch.Result{ID: time.Duration(i).String()})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w.Run(ctx)
	if store.stored() != 123 {
		t.Fatalf("stored %d, want 123", store.stored())
	}
}
