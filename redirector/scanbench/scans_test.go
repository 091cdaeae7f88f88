// Package scanbench measures the redirector's scan recording against the real
// stores. It is a package of its own so that the redirector's tests do not
// depend on storage.
package scanbench

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/redirector"
	"github.com/linkwatch/linkwatch/storage/postgres"
	"github.com/linkwatch/linkwatch/storage/postgres/pgtest"
	"github.com/linkwatch/linkwatch/storage/sqlite"
	"github.com/prometheus/client_golang/prometheus"
)

// rowCounter counts the rows and scans a redirector.ScanWriter is given.
type rowCounter struct {
	redirector.ScanWriter
	rows, scans atomic.Int64
}

func (c *rowCounter) InsertScans(ctx context.Context, scans []linkwatch.Scan) error {
	if err := c.ScanWriter.InsertScans(ctx, scans); err != nil {
		return err
	}
	c.rows.Add(int64(len(scans)))
	for _, s := range scans {
		c.scans.Add(s.Weight())
	}
	return nil
}

// trafficScans returns n scans of traffic at 20,000 scans a second spread
// evenly over links links, with a handful of sources, devices and referrers.
func trafficScans(n, links int, start time.Time) []linkwatch.Scan {
	rng := rand.New(rand.NewPCG(3, 4))
	devices := []string{linkwatch.DeviceMobile, linkwatch.DeviceMobile, linkwatch.DeviceDesktop, linkwatch.DeviceTablet}
	referrers := []string{"", "", "news.example", "social.example"}
	out := make([]linkwatch.Scan, n)
	for i := range out {
		s := linkwatch.Scan{LinkID: int64(rng.IntN(links) + 1), At: start.Add(time.Duration(i) * 50 * time.Microsecond),
			Source: linkwatch.SourceLink, Device: devices[rng.IntN(len(devices))], ReferrerHost: referrers[rng.IntN(len(referrers))]}
		if rng.IntN(3) == 0 {
			s.Source = linkwatch.SourceQR
		}
		out[i] = s
	}
	return out
}

// BenchmarkScanWrites writes scans through the recorder into SQLite and
// PostgreSQL with production's batch size, for traffic spread over 1,000
// links (folding makes a few rows of many scans) and over 1,000,000 (every
// scan is a row). scans/s is the rate the recorder writes at; x-1k is that
// over the 1,000-link rate of the same run, rows/scan how many rows each scan
// cost.
func BenchmarkScanWrites(b *testing.B) {
	const perOp = 100_000
	stores := []struct {
		name string
		open func(b *testing.B) redirector.ScanWriter
	}{
		{"sqlite", func(b *testing.B) redirector.ScanWriter {
			st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "scans.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(st.Close)
			if err := st.Migrate(b.Context()); err != nil {
				b.Fatal(err)
			}
			return st
		}},
		{"postgres", func(b *testing.B) redirector.ScanWriter {
			st, err := postgres.Open(b.Context(), pgtest.DSN(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(st.Close)
			if err := st.Migrate(b.Context()); err != nil {
				b.Fatal(err)
			}
			return st
		}},
	}
	for _, store := range stores {
		b.Run(store.name, func(b *testing.B) {
			var small float64 // scans/s at 1,000 links
			for _, links := range []int{1000, 1_000_000} {
				b.Run("links="+strconv.Itoa(links), func(b *testing.B) {
					w := &rowCounter{ScanWriter: store.open(b)}
					start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
					var elapsed time.Duration
					for b.Loop() {
						scans := trafficScans(perOp, links, start)
						start = start.Add(time.Hour)
						began := time.Now() // the recorder's work, not making up the traffic
						writeThroughRecorder(b, w, scans)
						elapsed += time.Since(began)
					}
					rate := float64(w.scans.Load()) / elapsed.Seconds()
					b.ReportMetric(rate, "scans/s")
					b.ReportMetric(float64(w.rows.Load())/float64(w.scans.Load()), "rows/scan")
					if links == 1000 {
						small = rate
					} else if small > 0 {
						b.ReportMetric(rate/small, "x-1k")
					}
				})
			}
		})
	}
}

// writeThroughRecorder queues every scan, then runs the recorder with a
// cancelled context, so it writes them all, batch by batch, and returns.
func writeThroughRecorder(b *testing.B, w redirector.ScanWriter, scans []linkwatch.Scan) {
	cfg := redirector.RecorderConfig{QueueSize: len(scans), BatchSize: 5000, FlushInterval: 5 * time.Second, DrainTimeout: time.Minute}
	r := redirector.NewRecorder(cfg, w, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	for _, s := range scans {
		r.Record(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Run(ctx); err != nil {
		b.Fatal(err)
	}
	if r.Dropped() != 0 || r.Pending() != 0 {
		b.Fatalf("%d scans dropped, %d pending", r.Dropped(), r.Pending())
	}
}
