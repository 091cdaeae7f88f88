package redirector

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
)

// ScanWriter is what the recorder needs from storage: one batch, all or nothing.
type ScanWriter interface {
	InsertScans(ctx context.Context, scans []linkwatch.Scan) error
}

// RecorderConfig sizes the scan queue.
type RecorderConfig struct {
	QueueSize     int           // scans held in memory; beyond it they are counted as dropped
	BatchSize     int           // scans per database write
	FlushInterval time.Duration // longest a scan waits for its batch to fill
	DrainTimeout  time.Duration // how long shutdown keeps retrying the final writes
}

// Recorder queues scans in memory and writes them in batches, so a redirect
// never waits for the database. While the database is down it holds the
// current batch and retries; the queue absorbs new scans until full, and what
// does not fit is counted in linkwatch_scans_dropped_total.
type Recorder struct {
	cfg   RecorderConfig
	w     ScanWriter
	log   *slog.Logger
	queue chan linkwatch.Scan
	// inHand counts scans taken off the queue into the batch being filled or
	// retried; they are still pending.
	inHand atomic.Int64

	written   prometheus.Counter
	dropped   prometheus.Counter
	failures  prometheus.Counter
	batchTime prometheus.Histogram
}

// NewRecorder returns a recorder; Run drains it. Its metrics are registered
// on reg.
func NewRecorder(cfg RecorderConfig, w ScanWriter, log *slog.Logger, reg prometheus.Registerer) *Recorder {
	r := &Recorder{
		cfg:   cfg,
		w:     w,
		log:   log,
		queue: make(chan linkwatch.Scan, cfg.QueueSize),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "linkwatch_scans_written_total", Help: "Scans written to the database.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "linkwatch_scans_dropped_total", Help: "Scans that could not be queued or written and are lost.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "linkwatch_scan_write_failures_total", Help: "Failed batch writes (each is retried).",
		}),
		batchTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "linkwatch_scan_batch_write_seconds", Help: "Time to write one batch of scans.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "linkwatch_scan_queue_depth", Help: "Scans waiting in memory to be written.",
	}, func() float64 { return float64(r.Pending()) })
	capacity := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "linkwatch_scan_queue_capacity", Help: "Scans the in-memory queue can hold.",
	}, func() float64 { return float64(cap(r.queue)) })
	reg.MustRegister(r.written, r.dropped, r.failures, r.batchTime, depth, capacity)
	return r
}

// Record queues a scan without blocking. A full queue counts the scan as
// dropped.
func (r *Recorder) Record(s linkwatch.Scan) {
	select {
	case r.queue <- s:
	default:
		r.dropped.Inc()
	}
}

// Pending returns the number of scans not yet written.
func (r *Recorder) Pending() int { return len(r.queue) + int(r.inHand.Load()) }

// Run writes batches until ctx ends, then writes everything still queued,
// retrying for up to DrainTimeout. Stop Record's callers (the HTTP server)
// before cancelling ctx, or their last scans may arrive after the drain.
func (r *Recorder) Run(ctx context.Context) error {
	batch := make([]linkwatch.Scan, 0, r.cfg.BatchSize)
	timer := time.NewTimer(r.cfg.FlushInterval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return r.drain(batch)
		case s := <-r.queue:
			batch = append(batch, s)
			r.inHand.Store(int64(len(batch)))
			if len(batch) < r.cfg.BatchSize {
				continue
			}
		case <-timer.C:
		}
		if len(batch) > 0 && r.writeRetrying(ctx, batch) {
			batch = batch[:0]
			r.inHand.Store(0)
		}
		timer.Reset(r.cfg.FlushInterval)
	}
}

// writeRetrying writes one batch, retrying with backoff until it succeeds or
// ctx ends. On ctx's end the batch is left for drain by returning false.
func (r *Recorder) writeRetrying(ctx context.Context, batch []linkwatch.Scan) bool {
	backoff := 100 * time.Millisecond
	for {
		if r.write(ctx, batch) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (r *Recorder) write(ctx context.Context, batch []linkwatch.Scan) bool {
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := r.w.InsertScans(wctx, batch); err != nil {
		r.failures.Inc()
		r.log.Warn("writing scans failed; holding them and retrying", "scans", len(batch), "queued", len(r.queue), "err", err)
		return false
	}
	r.batchTime.Observe(time.Since(start).Seconds())
	r.written.Add(float64(len(batch)))
	return true
}

// drain writes the batch in hand and everything queued, within DrainTimeout.
func (r *Recorder) drain(batch []linkwatch.Scan) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.DrainTimeout)
	defer cancel()
	for {
		for len(batch) < r.cfg.BatchSize {
			select {
			case s := <-r.queue:
				batch = append(batch, s)
				r.inHand.Store(int64(len(batch)))
				continue
			default:
			}
			break
		}
		if len(batch) == 0 {
			return nil
		}
		if !r.writeRetrying(ctx, batch) {
			lost := len(batch) + len(r.queue)
			r.dropped.Add(float64(lost))
			r.log.Error("shutdown: database unreachable, scans lost", "scans", lost)
			return nil
		}
		batch = batch[:0]
		r.inHand.Store(0)
	}
}
