package storage_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/linkwatch/linkwatch/storage"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestPoolCollector(t *testing.T) {
	c := storage.NewPoolCollector(func() storage.PoolStats {
		return storage.PoolStats{
			Acquired: 3, Idle: 2, Total: 5, Max: 4,
			AcquireCount: 1200, WaitCount: 7, WaitDuration: 1500 * time.Millisecond,
		}
	})
	golden := filepath.Join("testdata", "pool_metrics.golden")
	if *update {
		// CollectAndFormat keeps only the metrics it is asked for.
		names := []string{
			"linkwatch_db_pool_acquired_connections", "linkwatch_db_pool_idle_connections",
			"linkwatch_db_pool_total_connections", "linkwatch_db_pool_max_connections",
			"linkwatch_db_pool_utilization", "linkwatch_db_pool_acquires_total",
			"linkwatch_db_pool_waits_total", "linkwatch_db_pool_wait_seconds_total",
		}
		b, err := testutil.CollectAndFormat(c, expfmt.TypeTextPlain, names...)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(c, bytes.NewReader(want)); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c); n != 8 {
		t.Errorf("collected %d metrics, want 8", n)
	}
}

func TestPoolCollectorUtilization(t *testing.T) {
	tests := []struct {
		name string
		s    storage.PoolStats
		want float64
	}{
		{"no limit known", storage.PoolStats{Acquired: 2}, 0},
		{"half", storage.PoolStats{Acquired: 2, Max: 4}, 0.5},
		{"full", storage.PoolStats{Acquired: 4, Max: 4}, 1},
		{"over the limit while shrinking", storage.PoolStats{Acquired: 6, Max: 4}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := storage.NewPoolCollector(func() storage.PoolStats { return tt.s })
			got, err := testutil.CollectAndFormat(c, expfmt.TypeTextPlain, "linkwatch_db_pool_utilization")
			if err != nil {
				t.Fatal(err)
			}
			want := "# HELP linkwatch_db_pool_utilization Connections in use as a fraction of the pool's limit, from 0 to 1.\n" +
				"# TYPE linkwatch_db_pool_utilization gauge\n" +
				"linkwatch_db_pool_utilization " + strconv.FormatFloat(tt.want, 'g', -1, 64) + "\n"
			if string(got) != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestUpCollector(t *testing.T) {
	var down error
	c := storage.NewUpCollector(func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the ping has no deadline")
		}
		return down
	})
	if got := testutil.ToFloat64(c); got != 1 {
		t.Errorf("linkwatch_db_up = %v with the database answering, want 1", got)
	}
	down = errors.New("connection refused")
	if got := testutil.ToFloat64(c); got != 0 {
		t.Errorf("linkwatch_db_up = %v with the database gone, want 0", got)
	}
}
