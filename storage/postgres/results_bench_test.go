package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage/postgres/pgtest"
	"github.com/linkwatch/linkwatch/storage/storagetest"
)

// BenchmarkInsertResults measures result ingest: batches of fresh results
// (storagetest.ResultBatch: 1,000 links checked from three regions, a tenth
// failing) stored with their rollups and latest results, in results/s.
// Building the batches is not timed.
//
//   - batch=500, batch=5000: one prober pushing batches of that size.
//   - batch=1000/pushers=3: three probers, one per region, pushing batches
//     of 1,000 (the API's largest push) at the same time, each round waiting
//     for all three.
//
// On a busy machine results/s says as much about the neighbours as about
// the code, so the CPU time spent per result is reported too: db-cpu-ns by
// the server processes of the store's connections (when the server runs on
// this machine and /proc shows them), go-cpu-ns by this process while it
// was inserting.
func BenchmarkInsertResults(b *testing.B) {
	for _, size := range []int{500, 5000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			benchmarkIngest(b, size, 1)
		})
	}
	b.Run("batch=1000/pushers=3", func(b *testing.B) {
		// With batches of 1,000, ResultBatch's round r is all of region
		// r%3: each pusher keeps to its region, as a region's prober does.
		benchmarkIngest(b, 1000, 3)
	})
}

// benchmarkIngest runs rounds of pushers concurrent InsertResults calls of
// size fresh results each, over a pool of pushers connections.
func benchmarkIngest(b *testing.B, size, pushers int) {
	app := "linkwatch-bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	schema := pgtest.DSN(b)
	s := openDSN(b, withParams(schema, map[string]string{"application_name": app, "pool_max_conns": strconv.Itoa(pushers)}))
	round := 0
	next := func() [][]linkwatch.Result {
		batches := make([][]linkwatch.Result, pushers)
		for p := range batches {
			batches[p] = storagetest.ResultBatch(round*pushers+p, size)
		}
		round++
		return batches
	}
	var goCPU time.Duration // this process's, inside InsertResults calls
	push := func(batches [][]linkwatch.Result) {
		start := processCPU()
		errs := make([]error, pushers)
		var wg sync.WaitGroup
		for p := range batches {
			wg.Go(func() { errs[p] = s.InsertResults(b.Context(), batches[p]) })
		}
		wg.Wait()
		goCPU += processCPU() - start
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	push(next()) // opens the pool's connections, so that their server processes are known
	goCPU = 0
	pids := serverPIDs(b, schema, app)
	dbStart := serverCPU(pids)
	for b.Loop() {
		b.StopTimer()
		batches := next()
		b.StartTimer()
		push(batches)
	}
	n := float64(b.N * size * pushers)
	b.ReportMetric(n/b.Elapsed().Seconds(), "results/s")
	b.ReportMetric(float64(goCPU.Nanoseconds())/n, "go-cpu-ns/result")
	if dbStart >= 0 {
		if dbEnd := serverCPU(pids); dbEnd >= 0 {
			b.ReportMetric(float64((dbEnd-dbStart).Nanoseconds())/n, "db-cpu-ns/result")
		}
	}
}

// withParams adds run-time and pool parameters to a URL or keyword/value DSN.
func withParams(dsn string, params map[string]string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for k, v := range params {
		dsn += " " + k + "=" + v
	}
	return dsn
}

// serverPIDs returns the server process IDs of the connections to dsn's
// database named app.
func serverPIDs(b *testing.B, dsn, app string) []int {
	conn, err := pgx.Connect(b.Context(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(b.Context(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
	if err != nil {
		b.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		b.Fatal(err)
	}
	out := make([]int, len(pids))
	for i, p := range pids {
		out[i] = int(p)
	}
	return out
}

// serverCPU returns the user and system CPU time of the processes pids from
// /proc, or -1 when one cannot be read (a server on another machine).
func serverCPU(pids []int) time.Duration {
	if len(pids) == 0 {
		return -1
	}
	var total time.Duration
	for _, pid := range pids {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return -1
		}
		// The command (field 2) is in parentheses and may hold spaces;
		// utime and stime are fields 14 and 15, in clock ticks (100 a second
		// on Linux).
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 {
			return -1
		}
		for _, s := range f[11:13] {
			ticks, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return -1
			}
			total += time.Duration(ticks) * 10 * time.Millisecond
		}
	}
	return total
}

// processCPU returns this process's user and system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
