package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

const rollupKey = "target_kind = ? AND target_id = ? AND resolution = ? AND start = ? AND region = ?"

// addRollups adds deltas to the stored rollups, creating missing ones. The
// transaction holds the database's only write lock, so reading a row and
// writing it back cannot lose a concurrent update.
func addRollups(ctx context.Context, tx *sql.Tx, deltas []linkwatch.Rollup) error {
	get, err := tx.PrepareContext(ctx, "SELECT checks, failures, degraded, latency_sum, latency FROM rollups WHERE "+rollupKey)
	if err != nil {
		return err
	}
	defer get.Close()
	put, err := tx.PrepareContext(ctx, `INSERT INTO rollups (target_kind, target_id, resolution, start, region,
		checks, failures, degraded, latency_sum, latency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (target_kind, target_id, resolution, start, region) DO UPDATE SET checks = excluded.checks,
			failures = excluded.failures, degraded = excluded.degraded, latency_sum = excluded.latency_sum,
			latency = excluded.latency`)
	if err != nil {
		return err
	}
	defer put.Close()
	for _, d := range deltas {
		key := []any{d.Target.Kind, d.Target.ID, int64(d.Resolution / time.Second), ms(d.Start), d.Region}
		var (
			old     linkwatch.Rollup
			sum     int64
			latency string
		)
		err := get.QueryRowContext(ctx, key...).Scan(&old.Checks, &old.Failures, &old.Degraded, &sum, &latency)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			old.LatencySum = time.Duration(sum)
			if old.Latency, err = histogram(latency); err != nil {
				return err
			}
			d.Checks += old.Checks
			d.Failures += old.Failures
			d.Degraded += old.Degraded
			d.LatencySum += old.LatencySum
			d.Latency = storage.Histogram(d.Latency)
			for i, n := range old.Latency {
				d.Latency[i] += n
			}
		}
		b, _ := json.Marshal(d.Latency) // an []int64 always marshals
		_, err = put.ExecContext(ctx, append(key, d.Checks, d.Failures, d.Degraded, int64(d.LatencySum), string(b))...)
		if err != nil {
			return err
		}
	}
	return nil
}

// histogram reads a stored latency histogram.
func histogram(s string) ([]int64, error) {
	var h []int64
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		return nil, fmt.Errorf("rollup latency: %w", err)
	}
	return storage.Histogram(h), nil
}

// Rollups returns t's rollups of resolution (linkwatch.Hourly or Daily) that
// start in [from, to), ordered by start, then region.
func (s *Store) Rollups(ctx context.Context, t linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error) {
	if err := storage.CheckResolution(resolution); err != nil {
		return nil, err
	}
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, `SELECT start, region, checks, failures, degraded, latency_sum, latency
		FROM rollups WHERE target_kind = ? AND target_id = ? AND resolution = ? AND start >= ? AND start < ?
		ORDER BY start, region`, t.Kind, t.ID, int64(resolution/time.Second), ms(from), ms(to))
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []linkwatch.Rollup{}
	for rows.Next() {
		r := linkwatch.Rollup{Target: t, Resolution: resolution}
		var start, sum int64
		var latency string
		if err := rows.Scan(&start, &r.Region, &r.Checks, &r.Failures, &r.Degraded, &sum, &latency); err != nil {
			return nil, err
		}
		r.Start, r.LatencySum = fromMS(start), time.Duration(sum)
		if r.Latency, err = histogram(latency); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err(), "")
}

// PruneRollups deletes the rollups of resolution that start before before
// and returns how many it deleted.
func (s *Store) PruneRollups(ctx context.Context, resolution time.Duration, before time.Time) (int64, error) {
	if err := storage.CheckResolution(resolution); err != nil {
		return 0, err
	}
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, "DELETE FROM rollups WHERE resolution = ? AND start < ?",
		int64(resolution/time.Second), ms(before))
	if err != nil {
		return 0, mapErr(err, "")
	}
	return res.RowsAffected()
}
