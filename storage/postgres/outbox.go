package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/storage"
)

// pending selects the outbox rows neither sent nor abandoned.
const pending = "sent_at IS NULL AND abandoned_at IS NULL"

// Due returns pending notifications with NotBefore at or before now, in the
// order they were enqueued, at most limit of them (0: all).
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]alerting.Outgoing, error) {
	q := `SELECT id, receiver, notification, not_before, attempts, last_error, created_at FROM outbox
		WHERE ` + pending + ` AND not_before <= $1 ORDER BY id`
	args := []any{stored(now)}
	if limit > 0 {
		q += " LIMIT $2"
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (alerting.Outgoing, error) {
		var (
			o    alerting.Outgoing
			note []byte
		)
		if err := row.Scan(&o.ID, &o.Receiver, &note, &o.NotBefore, &o.Attempts, &o.LastError, &o.CreatedAt); err != nil {
			return o, err
		}
		o.NotBefore, o.CreatedAt = o.NotBefore.UTC(), o.CreatedAt.UTC()
		var err error
		o.Notification, err = storage.DecodeNotification(note)
		return o, err
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []alerting.Outgoing{}
	}
	return out, nil
}

// Sent marks notification id delivered at at and, when ref is not empty,
// makes it the ref of the notification's (dedupe key, receiver). Marking a
// notification sent again changes nothing, so a worker may repeat the call;
// an unknown id is ENOTFOUND.
func (s *Store) Sent(ctx context.Context, id int64, ref string, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var key, receiver string
		err := tx.QueryRow(ctx, "UPDATE outbox SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL RETURNING dedupe_key, receiver",
			id, stored(at)).Scan(&key, &receiver)
		if errors.Is(err, pgx.ErrNoRows) {
			return exists(ctx, tx, id)
		}
		if err != nil || ref == "" {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO delivery_refs (dedupe_key, receiver, ref, sent_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (dedupe_key, receiver) DO UPDATE SET ref = excluded.ref, sent_at = excluded.sent_at`,
			key, receiver, ref, stored(at))
		return err
	})
	return mapErr(err, "")
}

// Retry records a failed attempt at notification id: one more attempt, its
// error, and no new attempt before notBefore. A notification already sent
// or abandoned is left alone; an unknown id is ENOTFOUND.
func (s *Store) Retry(ctx context.Context, id int64, notBefore time.Time, lastErr string) error {
	return s.updatePending(ctx, id, "attempts = attempts + 1, not_before = $2, last_error = $3", stored(notBefore), lastErr)
}

// Abandon gives notification id up: it is kept, with lastErr, but never due
// again. A notification already sent or abandoned is left alone; an unknown
// id is ENOTFOUND.
func (s *Store) Abandon(ctx context.Context, id int64, lastErr string) error {
	return s.updatePending(ctx, id, "abandoned_at = $2, last_error = $3", stored(time.Now()), lastErr)
}

// updatePending sets set ($2… are args) on notification id if it is pending.
func (s *Store) updatePending(ctx context.Context, id int64, set string, args ...any) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE outbox SET "+set+" WHERE id = $1 AND "+pending, append([]any{id}, args...)...)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		return exists(ctx, tx, id)
	})
	return mapErr(err, "")
}

// exists returns ENOTFOUND unless notification id is in the outbox.
func exists(ctx context.Context, tx pgx.Tx, id int64) error {
	var found bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM outbox WHERE id = $1)", id).Scan(&found); err != nil {
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
	_, err := s.pool.Exec(ctx, "UPDATE outbox SET not_before = $2 WHERE receiver = $1 AND "+pending+" AND not_before < $2",
		receiver, stored(until))
	return mapErr(err, "")
}

// Ref returns the ref of the last notification of (dedupeKey, receiver)
// marked sent with one, or "".
func (s *Store) Ref(ctx context.Context, dedupeKey, receiver string) (string, error) {
	var ref string
	err := s.pool.QueryRow(ctx, "SELECT ref FROM delivery_refs WHERE dedupe_key = $1 AND receiver = $2", dedupeKey, receiver).Scan(&ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return ref, mapErr(err, "")
}
