package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

const rollupColumns = "target_kind, target_id, resolution, start, region, checks, failures, degraded, latency_sum, latency, classes"

var rollupCopyColumns = []string{"target_kind", "target_id", "resolution", "start", "region", "checks", "failures",
	"degraded", "latency_sum", "latency", "classes"}

// addRollups adds deltas to the stored rollups, creating missing ones, in
// one statement. Rows are merged in key order, so that concurrent batches
// lock them in the same order.
func addRollups(ctx context.Context, tx pgx.Tx, deltas []linkwatch.Rollup) error {
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"pg_temp", "linkwatch_rollups_in"}, rollupCopyColumns,
		pgx.CopyFromSlice(len(deltas), func(i int) ([]any, error) {
			d := &deltas[i]
			return []any{d.Target.Kind, d.Target.ID, int32(d.Resolution / time.Second), d.Start, d.Region,
				d.Checks, d.Failures, d.Degraded, int64(d.LatencySum), d.Latency, d.Classes}, nil
		}))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "INSERT INTO rollups AS r ("+rollupColumns+") SELECT "+rollupColumns+
		` FROM pg_temp.linkwatch_rollups_in
		ORDER BY target_kind COLLATE "C", target_id, resolution, start, region COLLATE "C"
		ON CONFLICT (target_kind, target_id, resolution, start, region) DO UPDATE SET
			checks = r.checks + excluded.checks,
			failures = r.failures + excluded.failures,
			degraded = r.degraded + excluded.degraded,
			latency_sum = r.latency_sum + excluded.latency_sum,
			latency = ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0)
				FROM unnest(r.latency, excluded.latency) WITH ORDINALITY AS u(a, b, i) ORDER BY i),
			classes = ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0)
				FROM unnest(r.classes, excluded.classes) WITH ORDINALITY AS u(a, b, i) ORDER BY i)`)
	return err
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
