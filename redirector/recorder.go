package redirector

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
)

// ScanWriter is what the recorder needs from storage: one batch, all or
// nothing. The recorder reuses the slice once InsertScans returns.
type ScanWriter interface {
	InsertScans(ctx context.Context, scans []linkwatch.Scan) error
}

// RecorderConfig sizes the scan queue.
type RecorderConfig struct {
	QueueSize     int           // scans held in memory; beyond it they are counted as dropped
	BatchSize     int           // rows per database write (identical scans within 10 seconds share a row)
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
	lost   atomic.Int64 // scans dropped, as linkwatch_scans_dropped_total counts them

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
		r.lost.Add(1)
	}
}

// Dropped returns the number of scans dropped so far.
func (r *Recorder) Dropped() int64 { return r.lost.Load() }

// Pending returns the number of scans not yet written.
func (r *Recorder) Pending() int { return len(r.queue) + int(r.inHand.Load()) }

// Run writes batches until ctx ends, then writes everything still queued,
// retrying for up to DrainTimeout. Stop Record's callers (the HTTP server)
// before cancelling ctx, or their last scans may arrive after the drain.
func (r *Recorder) Run(ctx context.Context) error {
	b := newBatch(r.cfg.BatchSize)
	timer := time.NewTimer(r.cfg.FlushInterval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return r.drain(b)
		case s := <-r.queue:
			b.add(s)
			r.inHand.Store(b.scans)
			if len(b.rows) < r.cfg.BatchSize {
				continue
			}
		case <-timer.C:
		}
		if len(b.rows) > 0 && r.writeRetrying(ctx, b.slice()) {
			b.reset()
			r.inHand.Store(0)
		}
		timer.Reset(r.cfg.FlushInterval)
	}
}

// foldSeconds is the time resolution of stored scans: identical scans within
// the same 10 seconds share a row. Scan statistics are read in buckets of a
// minute or more, so nothing visible is lost.
const foldSeconds = 10

// batch folds identical scans within the same 10 seconds into one row with a
// count: a popular link's thousands of scans become a handful of rows, which
// is what keeps recording cheap enough not to slow redirects.
//
// A batch is reused: its map and slice keep their room from one write to the
// next, so a batch of distinct links (a million links' traffic, where folding
// finds nothing to fold) costs no growing and rehashing each time.
type batch struct {
	rows  map[scanKey]int64
	scans int64
	out   []linkwatch.Scan
}

type scanKey struct {
	link                           int64
	second                         int64
	source, referrer, device, land string
	bot, fallback                  bool
}

func newBatch(size int) *batch {
	size = min(size, 10_000) // room to start with; a bigger batch grows once
	return &batch{rows: make(map[scanKey]int64, size), out: make([]linkwatch.Scan, 0, size)}
}

// reset empties the batch once it is written.
func (b *batch) reset() {
	clear(b.rows)
	clear(b.out) // drop the strings the rows held
	b.out, b.scans = b.out[:0], 0
}

func (b *batch) add(s linkwatch.Scan) {
	sec := s.At.Unix()
	sec -= sec % foldSeconds
	k := scanKey{s.LinkID, sec, s.Source, s.ReferrerHost, s.Device, s.Country, s.Bot, s.Fallback}
	b.rows[k] += s.Weight()
	b.scans += s.Weight()
}

func (b *batch) slice() []linkwatch.Scan {
	out := b.out[:0]
	for k, n := range b.rows {
		out = append(out, linkwatch.Scan{
			LinkID: k.link, At: time.Unix(k.second, 0).UTC(), Source: k.source, ReferrerHost: k.referrer,
			Device: k.device, Country: k.land, Bot: k.bot, Fallback: k.fallback, Count: n,
		})
	}
	// In the order of the scans index (link, time): each row lands next to
	// the one before it, instead of on a random page of the index.
	slices.SortFunc(out, func(a, b linkwatch.Scan) int {
		if c := cmp.Compare(a.LinkID, b.LinkID); c != 0 {
			return c
		}
		return a.At.Compare(b.At)
	})
	b.out = out
	return out
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
		r.log.Warn("writing scans failed; holding them and retrying", "rows", len(batch), "pending", r.Pending(), "err", err)
		return false
	}
	r.batchTime.Observe(time.Since(start).Seconds())
	for _, s := range batch {
		r.written.Add(float64(s.Weight()))
	}
	return true
}

// drain writes the batch in hand and everything queued, within DrainTimeout.
func (r *Recorder) drain(b *batch) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.DrainTimeout)
	defer cancel()
	for {
	fill:
		for len(b.rows) < r.cfg.BatchSize {
			select {
			case s := <-r.queue:
				b.add(s)
				r.inHand.Store(b.scans)
			default:
				break fill
			}
		}
		if len(b.rows) == 0 {
			return nil
		}
		if !r.writeRetrying(ctx, b.slice()) {
			lost := b.scans + int64(len(r.queue))
			r.dropped.Add(float64(lost))
			r.lost.Add(lost)
			r.log.Error("shutdown: database unreachable, scans lost", "scans", lost)
			return nil
		}
		b.reset()
		r.inHand.Store(0)
	}
}
