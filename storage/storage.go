// Package storage holds what the PostgreSQL and SQLite adapters share: the
// migration runner, pool statistics as Prometheus metrics, and what happens to
// a batch of check results outside SQL (replays dropped, rollup deltas, the
// latest result per region, the stored form of hops), and the stored forms of
// alerts and notifications with the evaluator lease's name. The adapters live
// in storage/postgres and storage/sqlite; storage/storagetest is the conformance
// suite both must pass. Consumers declare the few methods they need themselves.
package storage

import "time"

// PoolStats is a snapshot of a connection pool. Counters are cumulative since
// the pool was opened.
type PoolStats struct {
	Acquired     int64         // connections in use now
	Idle         int64         // idle connections now
	Total        int64         // open connections now
	Max          int64         // the pool's limit
	AcquireCount int64         // acquisitions so far
	WaitCount    int64         // acquisitions that had to wait for a connection
	WaitDuration time.Duration // total time spent waiting
}
