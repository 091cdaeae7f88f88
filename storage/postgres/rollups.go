package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

const rollupColumns = "target_kind, target_id, resolution, start, region, checks, failures, degraded, latency_sum, latency, classes"

// queueRollups queues the statement adding deltas, sorted by key as
// storage.RollupDeltas returns them, to the stored rollups, creating missing
// ones. Rows are merged in that order, so that concurrent batches lock them
// in the same order. The deltas travel as arrays, their histograms and
// classes flattened into one array each.
func queueRollups(b *pgx.Batch, deltas []linkwatch.Rollup) {
	n := len(deltas)
	var (
		kinds, regions                  = make([]string, n), make([]string, n)
		ids                             = make([]int64, n)
		resolutions                     = make([]int32, n)
		starts                          = make([]time.Time, n)
		checks, failures, degraded, sum = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		latency                         = make([]int64, 0, n*latencyBuckets)
		classes                         = make([]int64, 0, n*len(linkwatch.ErrorClasses))
	)
	for i, d := range deltas {
		kinds[i], ids[i], regions[i] = d.Target.Kind, d.Target.ID, d.Region
		resolutions[i], starts[i] = int32(d.Resolution/time.Second), d.Start
		checks[i], failures[i], degraded[i], sum[i] = d.Checks, d.Failures, d.Degraded, int64(d.LatencySum)
		latency = append(latency, storage.Histogram(d.Latency)...)
		classes = append(classes, storage.Classes(d.Classes)...)
	}
	b.Queue(addRollups, kinds, ids, resolutions, starts, regions, checks, failures, degraded, sum, latency, classes)
}

// latencyBuckets is the length of a rollup's latency histogram.
var latencyBuckets = len(linkwatch.LatencyBounds) + 1

// addRollups is the statement queueRollups queues. A stored histogram or
// classes array shorter than the delta's (stored before a class was
// appended) is padded with zeros; a longer one, which only a change of the
// latency bounds can leave, is cut to the delta's length, as
// storage.Histogram reads it anyway.
var addRollups = "INSERT INTO rollups AS r (" + rollupColumns + `)
	SELECT target_kind, target_id, resolution, start, region, checks, failures, degraded, latency_sum,
		($10::bigint[])[(i::integer - 1) * ` + strconv.Itoa(latencyBuckets) + ` + 1 : i::integer * ` + strconv.Itoa(latencyBuckets) + `],
		($11::bigint[])[(i::integer - 1) * ` + strconv.Itoa(len(linkwatch.ErrorClasses)) + ` + 1 : i::integer * ` + strconv.Itoa(len(linkwatch.ErrorClasses)) + `]
	FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::timestamptz[], $5::text[],
		$6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
		WITH ORDINALITY AS d (target_kind, target_id, resolution, start, region, checks, failures, degraded, latency_sum, i)
	ORDER BY i
	ON CONFLICT (target_kind, target_id, resolution, start, region) DO UPDATE SET
		checks = r.checks + excluded.checks,
		failures = r.failures + excluded.failures,
		degraded = r.degraded + excluded.degraded,
		latency_sum = r.latency_sum + excluded.latency_sum,
		latency = ` + sumArrays("latency", latencyBuckets) + `,
		classes = ` + sumArrays("classes", len(linkwatch.ErrorClasses))

// sumArrays returns the SQL of the element-wise sum of the first n elements
// of r.<column> and excluded.<column>, a missing stored element counting 0.
func sumArrays(column string, n int) string {
	terms := make([]string, n)
	for i := range terms {
		j := strconv.Itoa(i + 1)
		terms[i] = "coalesce(r." + column + "[" + j + "], 0) + excluded." + column + "[" + j + "]"
	}
	return "ARRAY[" + strings.Join(terms, ", ") + "]"
}

// scanRollup reads a row of rollupColumns.
func scanRollup(row pgx.CollectableRow) (linkwatch.Rollup, error) {
	var (
		r                linkwatch.Rollup
		res              int32
		sum              int64
		latency, classes []int64
	)
	err := row.Scan(&r.Target.Kind, &r.Target.ID, &res, &r.Start, &r.Region, &r.Checks, &r.Failures,
		&r.Degraded, &sum, &latency, &classes)
	r.Resolution, r.LatencySum = time.Duration(res)*time.Second, time.Duration(sum)
	r.Start, r.Latency, r.Classes = r.Start.UTC(), storage.Histogram(latency), storage.Classes(classes)
	return r, err
}

// Rollups returns t's rollups of resolution (linkwatch.Hourly or Daily) that
// start in [from, to), ordered by start, then region.
func (s *Store) Rollups(ctx context.Context, t linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error) {
	if err := storage.CheckResolution(resolution); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, "SELECT "+rollupColumns+` FROM rollups
		WHERE target_kind = $1 AND target_id = $2 AND resolution = $3 AND start >= $4 AND start < $5
		ORDER BY start, region COLLATE "C"`,
		t.Kind, t.ID, int32(resolution/time.Second), stored(from), stored(to))
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, scanRollup)
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []linkwatch.Rollup{}
	}
	return out, nil
}

// PruneRollups deletes the rollups of resolution that start before before
// and returns how many it deleted.
func (s *Store) PruneRollups(ctx context.Context, resolution time.Duration, before time.Time) (int64, error) {
	if err := storage.CheckResolution(resolution); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM rollups WHERE resolution = $1 AND start < $2",
		int32(resolution/time.Second), stored(before))
	if err != nil {
		return 0, mapErr(err, "")
	}
	return tag.RowsAffected(), nil
}
