package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

const rollupKey = "target_kind = ? AND target_id = ? AND resolution = ? AND start = ? AND region = ?"

// addRollups adds deltas to the stored rollups, creating missing ones. The
// transaction holds the database's only write lock, so reading a row and
// writing it back cannot lose a concurrent update.
func addRollups(ctx context.Context, tx *sql.Tx, deltas []linkwatch.Rollup) error {
	get, err := tx.PrepareContext(ctx, "SELECT checks, failures, degraded, latency_sum, latency, classes FROM rollups WHERE "+rollupKey)
	if err != nil {
		return err
	}
	defer get.Close()
	put, err := tx.PrepareContext(ctx, `INSERT INTO rollups (target_kind, target_id, resolution, start, region,
		checks, failures, degraded, latency_sum, latency, classes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (target_kind, target_id, resolution, start, region) DO UPDATE SET checks = excluded.checks,
			failures = excluded.failures, degraded = excluded.degraded, latency_sum = excluded.latency_sum,
			latency = excluded.latency, classes = excluded.classes`)
	if err != nil {
		return err
	}
	defer put.Close()
	for _, d := range deltas {
		key := []any{d.Target.Kind, d.Target.ID, int64(d.Resolution / time.Second), ms(d.Start), d.Region}
		var (
			old              linkwatch.Rollup
			sum              int64
			latency, classes []byte
		)
		err := get.QueryRowContext(ctx, key...).Scan(&old.Checks, &old.Failures, &old.Degraded, &sum, &latency, &classes)
		d.Latency, d.Classes = storage.Histogram(d.Latency), storage.Classes(d.Classes)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			old.LatencySum = time.Duration(sum)
			if old.Latency, err = parseHistogram(latency); err != nil {
				return err
			}
			if old.Classes, err = parseClasses(classes); err != nil {
				return err
			}
			d.Checks += old.Checks
			d.Failures += old.Failures
			d.Degraded += old.Degraded
			d.LatencySum += old.LatencySum
			for i, n := range old.Latency {
				d.Latency[i] += n
			}
			for i, n := range old.Classes {
				d.Classes[i] += n
			}
		}
		_, err = put.ExecContext(ctx, append(key, d.Checks, d.Failures, d.Degraded, int64(d.LatencySum),
			string(appendInts(nil, d.Latency)), string(appendInts(nil, d.Classes)))...)
		if err != nil {
			return err
		}
	}
	return nil
}

// appendInts appends ns to b as a JSON array, the way rollups store their
// latency histogram and failures per class.
func appendInts(b []byte, ns []int64) []byte {
	b = append(b, '[')
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return append(b, ']')
}

// parseHistogram reads a stored latency histogram.
func parseHistogram(b []byte) ([]int64, error) {
	h, err := parseInts(b, "latency")
	return storage.Histogram(h), err
}

// parseClasses reads stored failures per error class.
func parseClasses(b []byte) ([]int64, error) {
	c, err := parseInts(b, "classes")
	return storage.Classes(c), err
}

// parseInts reads a stored JSON array of non-negative integers (as
// appendInts writes them) without encoding/json: a page of links reads
// thousands of them. Anything else falls back to encoding/json.
func parseInts(b []byte, column string) ([]int64, error) {
	slow := func() ([]int64, error) {
		var ns []int64
		if err := json.Unmarshal(b, &ns); err != nil {
			return nil, fmt.Errorf("rollup %s: %w", column, err)
		}
		return ns, nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return slow()
	}
	out := make([]int64, 0, len(linkwatch.LatencyBounds)+1)
	var n int64
	digits := false
	for _, c := range b[1:] {
		switch {
		case c >= '0' && c <= '9':
			n, digits = n*10+int64(c-'0'), true
		case (c == ',' || c == ']') && digits:
			out, n, digits = append(out, n), 0, false
		case c == ']' && len(out) == 0:
		default:
			return slow()
		}
	}
	return out, nil
}

// Rollups returns t's rollups of resolution (linkwatch.Hourly or Daily) that
// start in [from, to), ordered by start, then region.
func (s *Store) Rollups(ctx context.Context, t linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error) {
	if err := storage.CheckResolution(resolution); err != nil {
		return nil, err
	}
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, `SELECT start, region, checks, failures, degraded, latency_sum, latency, classes
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
		var latency, classes []byte
		if err := rows.Scan(&start, &r.Region, &r.Checks, &r.Failures, &r.Degraded, &sum, &latency, &classes); err != nil {
			return nil, err
		}
		r.Start, r.LatencySum = fromMS(start), time.Duration(sum)
		if r.Latency, err = parseHistogram(latency); err != nil {
			return nil, err
		}
		if r.Classes, err = parseClasses(classes); err != nil {
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
