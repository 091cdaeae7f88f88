package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/storage"
)

// pending selects the outbox rows neither sent nor abandoned.
const pending = "sent_at IS NULL AND abandoned_at IS NULL"

// Due returns pending notifications with NotBefore at or before now, in the
// order they were enqueued, at most limit of them (0: all).
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]alerting.Outgoing, error) {
	if limit <= 0 {
		limit = -1 // no limit
	}
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, `SELECT id, receiver, notification, not_before, attempts, last_error, created_at
		FROM outbox WHERE `+pending+` AND not_before <= ? ORDER BY id LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []alerting.Outgoing{}
	for rows.Next() {
		var (
			o                  alerting.Outgoing
			note               string
			notBefore, created int64
		)
		if err := rows.Scan(&o.ID, &o.Receiver, &note, &notBefore, &o.Attempts, &o.LastError, &created); err != nil {
			return nil, mapErr(err, "")
		}
		o.NotBefore, o.CreatedAt = fromMS(notBefore), fromMS(created)
		if o.Notification, err = storage.DecodeNotification([]byte(note)); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, mapErr(rows.Err(), "")
}

// Sent marks notification id delivered at at and, when ref is not empty,
// makes it the ref of the notification's (dedupe key, receiver). Marking a
// notification sent again changes nothing, so a worker may repeat the call;
// an unknown id is ENOTFOUND.
func (s *Store) Sent(ctx context.Context, id int64, ref string, at time.Time) error {
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "")
	}
	defer tx.Rollback()
	var key, receiver string
	err = tx.QueryRowContext(ctx, "UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL RETURNING dedupe_key, receiver",
		ms(at), id).Scan(&key, &receiver)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return mapErr(exists(ctx, tx, id), "")
	case err != nil:
		return mapErr(err, "")
	}
	if ref != "" {
		_, err = tx.ExecContext(ctx, `INSERT INTO delivery_refs (dedupe_key, receiver, ref, sent_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (dedupe_key, receiver) DO UPDATE SET ref = excluded.ref, sent_at = excluded.sent_at`,
			key, receiver, ref, ms(at))
		if err != nil {
			return mapErr(err, "")
		}
	}
	return mapErr(tx.Commit(), "")
}

// Retry records a failed attempt at notification id: one more attempt, its
// error, and no new attempt before notBefore. A notification already sent
// or abandoned is left alone; an unknown id is ENOTFOUND.
func (s *Store) Retry(ctx context.Context, id int64, notBefore time.Time, lastErr string) error {
	return s.updatePending(ctx, id, "attempts = attempts + 1, not_before = ?, last_error = ?", ms(notBefore), lastErr)
}

// Abandon gives notification id up: it is kept, with lastErr, but never due
// again. A notification already sent or abandoned is left alone; an unknown
// id is ENOTFOUND.
func (s *Store) Abandon(ctx context.Context, id int64, lastErr string) error {
	return s.updatePending(ctx, id, "abandoned_at = ?, last_error = ?", ms(time.Now()), lastErr)
}

// updatePending sets set, whose placeholders args fill, on notification id
// if it is pending.
func (s *Store) updatePending(ctx context.Context, id int64, set string, args ...any) error {
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "")
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "UPDATE outbox SET "+set+" WHERE id = ? AND "+pending, append(args, id)...)
	if err != nil {
		return mapErr(err, "")
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = exists(ctx, tx, id)
		}
		return mapErr(err, "")
	}
	return mapErr(tx.Commit(), "")
}

// exists returns ENOTFOUND unless notification id is in the outbox.
func exists(ctx context.Context, tx *sql.Tx, id int64) error {
	var found bool
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ?)", id).Scan(&found); err != nil {
		return err
	}
	if !found {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "notification %d not found", id)
	}
	return nil
}

// DelayReceiver moves every pending notification for receiver due before
// until to until; later ones keep their time.
func (s *Store) DelayReceiver(ctx context.Context, receiver string, until time.Time) error {
	s.uses.Add(1)
	_, err := s.write.ExecContext(ctx, "UPDATE outbox SET not_before = ?2 WHERE receiver = ?1 AND "+pending+" AND not_before < ?2",
		receiver, ms(until))
	return mapErr(err, "")
}

// Ref returns the ref of the last notification of (dedupeKey, receiver)
// marked sent with one, or "".
func (s *Store) Ref(ctx context.Context, dedupeKey, receiver string) (string, error) {
	s.uses.Add(1)
	var ref string
	err := s.read.QueryRowContext(ctx, "SELECT ref FROM delivery_refs WHERE dedupe_key = ? AND receiver = ?", dedupeKey, receiver).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return ref, mapErr(err, "")
}
