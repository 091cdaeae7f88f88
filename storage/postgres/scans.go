package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
)

// InsertScans stores a batch of scans with COPY, one statement: all or none.
func (s *Store) InsertScans(ctx context.Context, scans []linkwatch.Scan) error {
	if len(scans) == 0 {
		return nil
	}
	rows := pgx.CopyFromSlice(len(scans), func(i int) ([]any, error) {
		sc := &scans[i]
		return []any{sc.LinkID, stored(sc.At), sc.Source, sc.ReferrerHost, sc.Device, sc.Bot, sc.Country, sc.Fallback, sc.Weight()}, nil
	})
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"scans"},
		[]string{"link_id", "at", "source", "referrer_host", "device", "bot", "country", "fallback", "count"}, rows)
	return mapErr(err, "")
}

// ScanStats summarises the scans of q.LinkID in [q.From, q.To). Buckets are
// q.Bucket wide (at least a millisecond) and aligned to the Unix epoch.
func (s *Store) ScanStats(ctx context.Context, q linkwatch.ScanQuery) (*linkwatch.ScanStats, error) {
	bucket := q.Bucket.Milliseconds()
	if bucket < 1 {
		return nil, linkwatch.FieldErrorf("bucket", "bucket must be at least 1ms")
	}
	st := &linkwatch.ScanStats{}
	// Repeatable read: every figure comes from the same snapshot.
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		const where = " FROM scans WHERE link_id = $1 AND at >= $2 AND at < $3"
		args := []any{q.LinkID, stored(q.From), stored(q.To)}
		err := tx.QueryRow(ctx, `SELECT coalesce(sum(count), 0), coalesce(sum(count) FILTER (WHERE source = 'qr'), 0),
			coalesce(sum(count) FILTER (WHERE source = 'link'), 0), coalesce(sum(count) FILTER (WHERE bot), 0)`+where, args...).
			Scan(&st.Total, &st.QR, &st.Link, &st.Bots)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT date_bin($4 * interval '1 millisecond', at, timestamptz '1970-01-01 00:00:00+00') AS b,
			sum(count)`+where+" GROUP BY b ORDER BY b", append(args, bucket)...)
		if err != nil {
			return err
		}
		st.Series, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (linkwatch.ScanBucket, error) {
			var b linkwatch.ScanBucket
			var t time.Time
			err := row.Scan(&t, &b.Count)
			b.T = t.UTC()
			return b, err
		})
		if err != nil {
			return err
		}
		if st.Referrers, err = counts(ctx, tx, "referrer_host", where, args, 20); err != nil {
			return err
		}
		st.Devices, err = counts(ctx, tx, "device", where, args, -1)
		return err
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	return st, nil
}

// counts returns the scans per non-empty value of column, most first, ties
// by value in byte order (as SQLite sorts), at most limit of them (-1: all).
func counts(ctx context.Context, tx pgx.Tx, column, where string, args []any, limit int) ([]linkwatch.Count, error) {
	q := "SELECT " + column + ", sum(count) AS n" + where + " AND " + column + " <> ''" +
		" GROUP BY " + column + ` ORDER BY n DESC, ` + column + ` COLLATE "C"`
	if limit >= 0 {
		q += " LIMIT $4"
		args = append(args, limit)
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (linkwatch.Count, error) {
		var c linkwatch.Count
		err := row.Scan(&c.Key, &c.Count)
		return c, err
	})
}
