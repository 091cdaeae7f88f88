package prober

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type flakyResults struct {
	mu   sync.Mutex
	down bool
	ids  map[string]int
}

var _ ResultStore = (*flakyResults)(nil)

func (f *flakyResults) InsertResults(_ context.Context, rs []linkwatch.Result) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
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

func TestWriterHoldsResultsThroughAnOutage(t *testing.T) {
	store := &flakyResults{ids: map[string]int{}, down: true}
	w := NewWriter(store, 1000, 50, 10*time.Millisecond, 2*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	for i := range 400 {
		w.Submit(linkwatch.Result{ID: string(rune('a'+i%26)) + time.Duration(i).String()})
	}
	time.Sleep(50 * time.Millisecond)
	store.mu.Lock()
	store.down = false
	store.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for store.stored() < 400 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
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
