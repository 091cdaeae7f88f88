package redirector

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// flakyWriter fails while down is set and keeps what it was given otherwise.
type flakyWriter struct {
	mu      sync.Mutex
	down    bool
	batches [][]linkwatch.Scan
	calls   int
}

var _ ScanWriter = (*flakyWriter)(nil)

func (w *flakyWriter) InsertScans(_ context.Context, scans []linkwatch.Scan) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	if w.down {
		return linkwatch.Errorf(linkwatch.EUNAVAILABLE, "database down")
	}
	w.batches = append(w.batches, append([]linkwatch.Scan(nil), scans...))
	return nil
}

func (w *flakyWriter) setDown(v bool) {
	w.mu.Lock()
	w.down = v
	w.mu.Unlock()
}

func (w *flakyWriter) written() (n int, ids map[int64]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids = map[int64]int{}
	for _, b := range w.batches {
		for _, s := range b {
			n += int(s.Weight())
			ids[s.LinkID] += int(s.Weight())
		}
	}
	return n, ids
}

func newTestRecorder(cfg RecorderConfig, w ScanWriter) (*Recorder, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	return NewRecorder(cfg, w, slog.New(slog.NewTextHandler(io.Discard, nil)), reg), reg
}

func TestRecorderBatchesAndSurvivesOutage(t *testing.T) {
	w := &flakyWriter{}
	r, _ := newTestRecorder(RecorderConfig{QueueSize: 10000, BatchSize: 100, FlushInterval: 10 * time.Millisecond, DrainTimeout: 5 * time.Second}, w)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()

	for i := range 250 {
		r.Record(linkwatch.Scan{LinkID: int64(i)})
	}
	waitFor(t, func() bool { n, _ := w.written(); return n == 250 })

	w.setDown(true)
	for i := 250; i < 1250; i++ {
		r.Record(linkwatch.Scan{LinkID: int64(i)})
	}
	waitFor(t, func() bool { w.mu.Lock(); defer w.mu.Unlock(); return w.calls > 3 }) // retrying
	w.setDown(false)
	waitFor(t, func() bool { n, _ := w.written(); return n == 1250 })

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	n, ids := w.written()
	if n != 1250 || len(ids) != 1250 {
		t.Fatalf("written %d scans, %d distinct; want 1250 each (nothing lost or repeated)", n, len(ids))
	}
	if got := testutil.ToFloat64(r.written); got != 1250 {
		t.Errorf("linkwatch_scans_written_total = %v", got)
	}
	if got := testutil.ToFloat64(r.dropped); got != 0 {
		t.Errorf("linkwatch_scans_dropped_total = %v", got)
	}
}

func TestRecorderCountsWhatDoesNotFit(t *testing.T) {
	w := &flakyWriter{}
	r, _ := newTestRecorder(RecorderConfig{QueueSize: 10, BatchSize: 5, FlushInterval: time.Hour, DrainTimeout: time.Second}, w)
	for i := range 15 { // not running: the queue holds 10
		r.Record(linkwatch.Scan{LinkID: int64(i)})
	}
	if got := testutil.ToFloat64(r.dropped); got != 5 {
		t.Fatalf("dropped = %v, want 5", got)
	}
	if r.Pending() != 10 {
		t.Fatalf("pending = %d, want 10", r.Pending())
	}
}

func TestRecorderFlushesQueueOnShutdown(t *testing.T) {
	w := &flakyWriter{}
	r, _ := newTestRecorder(RecorderConfig{QueueSize: 100000, BatchSize: 1000, FlushInterval: time.Hour, DrainTimeout: 5 * time.Second}, w)
	for i := range 12345 {
		r.Record(linkwatch.Scan{LinkID: int64(i)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // shut down before Run has written anything
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n, ids := w.written(); n != 12345 || len(ids) != 12345 {
		t.Fatalf("written %d (%d distinct), want 12345", n, len(ids))
	}
}

func TestRecorderShutdownWithDatabaseDownCountsLoss(t *testing.T) {
	w := &flakyWriter{down: true}
	r, _ := newTestRecorder(RecorderConfig{QueueSize: 100, BatchSize: 10, FlushInterval: time.Hour, DrainTimeout: 300 * time.Millisecond}, w)
	for i := range 42 {
		r.Record(linkwatch.Scan{LinkID: int64(i)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(r.dropped); got != 42 {
		t.Fatalf("dropped = %v, want all 42 counted", got)
	}
}

func TestRecorderFoldsIdenticalScans(t *testing.T) {
	w := &flakyWriter{}
	r, _ := newTestRecorder(RecorderConfig{QueueSize: 10000, BatchSize: 1000, FlushInterval: time.Hour, DrainTimeout: time.Second}, w)
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for i := range 3000 {
		s := linkwatch.Scan{LinkID: 1, At: at.Add(time.Duration(i%1000) * time.Millisecond), Source: "qr", Device: "mobile"}
		if i%3 == 0 {
			s.Source = "link" // a second row
		}
		r.Record(s)
	}
	r.Record(linkwatch.Scan{LinkID: 1, At: at.Add(9 * time.Second), Source: "qr", Device: "mobile"})  // the same 10 seconds: folded
	r.Record(linkwatch.Scan{LinkID: 1, At: at.Add(10 * time.Second), Source: "qr", Device: "mobile"}) // the next 10 seconds: a third row
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Run(ctx)
	if len(w.batches) != 1 || len(w.batches[0]) != 3 {
		t.Fatalf("batches %v, want one of 3 rows", w.batches)
	}
	got := map[string]int64{}
	for _, s := range w.batches[0] {
		got[s.Source+s.At.Format(time.TimeOnly)] = s.Count
	}
	want := map[string]int64{"qr12:00:00": 2001, "link12:00:00": 1000, "qr12:00:10": 1}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	if n := testutil.ToFloat64(r.written); n != 3002 {
		t.Fatalf("written = %v, want 3002", n)
	}
}

// TestRecorderWritesInIndexOrder: each batch goes to the database in the
// order of the scans index, link then time, and a reused batch carries
// nothing over from the one before.
func TestRecorderWritesInIndexOrder(t *testing.T) {
	w := &flakyWriter{}
	r, _ := newTestRecorder(RecorderConfig{QueueSize: 10000, BatchSize: 500, FlushInterval: time.Hour, DrainTimeout: 5 * time.Second}, w)
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for i := range 2000 {
		r.Record(linkwatch.Scan{LinkID: int64((i * 7919) % 1000), At: at.Add(time.Duration(i%50) * 10 * time.Second), Source: "link"})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if len(w.batches) != 4 {
		t.Fatalf("%d batches, want 4 of 500 rows", len(w.batches))
	}
	for i, b := range w.batches {
		ok := slices.IsSortedFunc(b, func(a, b linkwatch.Scan) int {
			if a.LinkID != b.LinkID {
				return cmp.Compare(a.LinkID, b.LinkID)
			}
			return a.At.Compare(b.At)
		})
		if !ok || len(b) != 500 {
			t.Errorf("batch %d: %d rows, sorted %v; want 500 in (link, time) order", i, len(b), ok)
		}
	}
	if n, _ := w.written(); n != 2000 {
		t.Fatalf("written %d scans, want 2000", n)
	}
}
