package prober

import (
	"context"
	"log/slog"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
)

// ResultStore is what the in-process prober needs from storage.
type ResultStore interface {
	InsertResults(ctx context.Context, results []linkwatch.Result) error
}

// Writer is the in-process Sink: results are queued and written in batches,
// held and retried while the database is down, and flushed on shutdown.
type Writer struct {
	store    ResultStore
	log      *slog.Logger
	queue    chan linkwatch.Result
	batch    int
	interval time.Duration
	drain    time.Duration
	dropped  prometheus.Counter
}

// NewWriter returns a writer holding up to capacity results in memory.
func NewWriter(store ResultStore, capacity, batch int, interval, drainTimeout time.Duration, log *slog.Logger, reg prometheus.Registerer) *Writer {
	w := &Writer{
		store: store, log: log, queue: make(chan linkwatch.Result, capacity), batch: batch, interval: interval, drain: drainTimeout,
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "linkwatch_probe_results_dropped_total", Help: "Check results lost because the queue was full or the database stayed down at shutdown.",
		}),
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "linkwatch_probe_result_queue_depth", Help: "Check results waiting to be written.",
	}, func() float64 { return float64(len(w.queue)) })
	reg.MustRegister(w.dropped, depth)
	return w
}

// Submit queues a result without blocking; a full queue counts it as dropped.
func (w *Writer) Submit(r linkwatch.Result) {
	select {
	case w.queue <- r:
	default:
		w.dropped.Inc()
	}
}

// Run writes batches until ctx ends, then flushes what is queued. Stop the
// prober (the Submit caller) first.
func (w *Writer) Run(ctx context.Context) error {
	var pending []linkwatch.Result
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	for {
		in := w.queue
		if len(pending) >= w.batch {
			in = nil // a full batch waits for the database; the queue absorbs the rest
		}
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), w.drain)
			defer cancel()
			pending = w.takeAll(pending)
			if len(pending) > 0 && !w.write(dctx, pending, true) {
				w.dropped.Add(float64(len(pending)))
				w.log.Error("shutdown: check results lost, database unreachable", "results", len(pending))
			}
			return nil
		case r := <-in:
			pending = append(pending, r)
			if len(pending) < w.batch {
				continue
			}
		case <-tick.C:
		}
		if len(pending) > 0 && w.write(ctx, pending, false) {
			pending = pending[:0]
		}
	}
}

func (w *Writer) takeAll(pending []linkwatch.Result) []linkwatch.Result {
	for {
		select {
		case r := <-w.queue:
			pending = append(pending, r)
		default:
			return pending
		}
	}
}

// write stores the batch; on failure it reports false and the caller keeps
// the batch for the next tick. With retry, it retries until ctx ends.
func (w *Writer) write(ctx context.Context, batch []linkwatch.Result, retry bool) bool {
	for backoff := 100 * time.Millisecond; ; backoff = min(backoff*2, 2*time.Second) {
		err := w.store.InsertResults(ctx, batch)
		if err == nil {
			return true
		}
		w.log.Warn("writing check results failed; holding them", "results", len(batch), "err", err)
		if !retry {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
	}
}
