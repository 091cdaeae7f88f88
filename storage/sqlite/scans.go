package sqlite

import (
	"context"
	"database/sql"

	"github.com/linkwatch/linkwatch"
)

// InsertScans stores a batch of scans in one transaction: all or none.
func (s *Store) InsertScans(ctx context.Context, scans []linkwatch.Scan) error {
	if len(scans) == 0 {
		return nil
	}
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "")
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO scans
		(link_id, at, source, referrer_host, device, bot, country, fallback, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return mapErr(err, "")
	}
	defer stmt.Close()
	for _, sc := range scans {
		_, err := stmt.ExecContext(ctx, sc.LinkID, ms(sc.At), sc.Source, sc.ReferrerHost, sc.Device, sc.Bot, sc.Country, sc.Fallback, sc.Weight())
		if err != nil {
			return mapErr(err, "")
		}
	}
	return mapErr(tx.Commit(), "")
}

// ScanStats summarises the scans of q.LinkID in [q.From, q.To). Buckets are
// q.Bucket wide (at least a millisecond) and aligned to the Unix epoch.
func (s *Store) ScanStats(ctx context.Context, q linkwatch.ScanQuery) (*linkwatch.ScanStats, error) {
	bucket := q.Bucket.Milliseconds()
	if bucket < 1 {
		return nil, linkwatch.FieldErrorf("bucket", "bucket must be at least 1ms")
	}
	s.uses.Add(1)
	// One read transaction: every figure comes from the same snapshot.
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer tx.Rollback()
	const where = " FROM scans WHERE link_id = ? AND at >= ? AND at < ?"
	args := []any{q.LinkID, ms(q.From), ms(q.To)}
	st := &linkwatch.ScanStats{}
	err = tx.QueryRowContext(ctx, `SELECT coalesce(sum(count), 0), coalesce(sum((source = 'qr') * count), 0),
		coalesce(sum((source = 'link') * count), 0), coalesce(sum(bot * count), 0)`+where, args...).
		Scan(&st.Total, &st.QR, &st.Link, &st.Bots)
	if err != nil {
		return nil, mapErr(err, "")
	}

	// at - (at mod bucket), with mod rounding down also before 1970.
	rows, err := tx.QueryContext(ctx, "SELECT at - ((at % ?) + ?) % ? AS b, sum(count)"+where+" GROUP BY b ORDER BY b",
		append([]any{bucket, bucket, bucket}, args...)...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	st.Series = []linkwatch.ScanBucket{}
	for rows.Next() {
		var b linkwatch.ScanBucket
		var t int64
		if err := rows.Scan(&t, &b.Count); err != nil {
			return nil, err
		}
		b.T = fromMS(t)
		st.Series = append(st.Series, b)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "")
	}

	if st.Referrers, err = counts(ctx, tx, "referrer_host", where, args, 20); err != nil {
		return nil, err
	}
	if st.Devices, err = counts(ctx, tx, "device", where, args, -1); err != nil {
		return nil, err
	}
	return st, nil
}

// counts returns the scans per non-empty value of column, most first, ties
// by value, at most limit of them (-1: all).
func counts(ctx context.Context, tx *sql.Tx, column, where string, args []any, limit int) ([]linkwatch.Count, error) {
	rows, err := tx.QueryContext(ctx, "SELECT "+column+", sum(count) AS n"+where+" AND "+column+" <> ''"+
		" GROUP BY "+column+" ORDER BY n DESC, "+column+" LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []linkwatch.Count{}
	for rows.Next() {
		var c linkwatch.Count
		if err := rows.Scan(&c.Key, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, mapErr(rows.Err(), "")
}
