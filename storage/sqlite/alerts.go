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

// Alerts returns every stored alert, ordered by key.
func (s *Store) Alerts(ctx context.Context) ([]alerting.StoredAlert, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, `SELECT key, rule, severity, scope, labels, summary, state, updated_at
		FROM alerts ORDER BY key`)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []alerting.StoredAlert{}
	for rows.Next() {
		var (
			a             alerting.StoredAlert
			labels, state string
			updated       int64
		)
		if err := rows.Scan(&a.Key, &a.Rule, &a.Severity, &a.Scope, &labels, &a.Summary, &state, &updated); err != nil {
			return nil, mapErr(err, "")
		}
		a.UpdatedAt = fromMS(updated)
		if a.Labels, err = storage.DecodeLabels([]byte(labels)); err != nil {
			return nil, err
		}
		if a.State, err = storage.DecodeState([]byte(state)); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err(), "")
}

// SaveAlerts upserts alerts by key and enqueues out in one transaction, if
// fence is the current fence of the evaluator lease (storage.EvaluatorLease);
// otherwise it writes nothing and returns ECONFLICT. The transaction holds
// the write lock from its start, so no takeover can come between the check
// and the commit. Every alert whose phase changes (or that is new and not
// ok) adds an event to the alert history, in the same transaction. On
// success, out's IDs and CreatedAt are set. Each link's failover change is
// written in the same transaction; watchers hear of it once it commits.
func (s *Store) SaveAlerts(ctx context.Context, fence int64, alerts []alerting.StoredAlert, out []alerting.Outgoing, failovers []alerting.LinkFailover) error {
	batch, err := storage.DistinctAlerts(alerts)
	if err != nil {
		return err
	}
	queued, err := storage.StoredOutgoing(out, time.Now())
	if err != nil {
		return err
	}
	switches, err := storage.StoredFailovers(failovers)
	if err != nil {
		return err
	}
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "")
	}
	defer tx.Rollback()
	var current int64
	err = tx.QueryRowContext(ctx, "SELECT fence FROM leases WHERE name = ?", storage.EvaluatorLease).Scan(&current)
	if errors.Is(err, sql.ErrNoRows) || err == nil && current != fence {
		return storage.StaleFence(fence)
	}
	if err != nil {
		return mapErr(err, "")
	}
	// The history first: it reads the phases the batch replaces.
	if err := recordEvents(ctx, tx, batch); err != nil {
		return mapErr(err, "")
	}
	if err := upsertAlerts(ctx, tx, batch); err != nil {
		return mapErr(err, "")
	}
	ids, err := enqueue(ctx, tx, queued)
	if err != nil {
		return mapErr(err, "")
	}
	switched, err := switchLinks(ctx, tx, switches)
	if err != nil {
		return mapErr(err, "")
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err, "")
	}
	for _, c := range switched {
		s.hub.publish(c)
	}
	for i := range out {
		out[i].ID, out[i].CreatedAt = ids[i], queued[i].CreatedAt
	}
	return nil
}

// switchLinks applies the engine's failover decisions, each only while its
// link still has the mode and FailedOver it was decided on, and returns the
// changes to tell watchers once committed.
func switchLinks(ctx context.Context, tx *sql.Tx, fs []alerting.LinkFailover) ([]linkwatch.LinkChange, error) {
	var changes []linkwatch.LinkChange
	for _, f := range fs {
		var c linkwatch.LinkChange
		err := tx.QueryRowContext(ctx, `UPDATE links SET failed_over = ?1,
				failover_since = CASE WHEN ?2 IS NULL THEN failover_since ELSE ?2 END,
				failover_reason = CASE WHEN ?2 IS NULL THEN failover_reason ELSE ?3 END,
				updated_at = CASE WHEN ?2 IS NULL THEN updated_at ELSE ?2 END
			WHERE id = ?4 AND failover_mode = ?5 AND failed_over = ?6 RETURNING domain, slug`,
			f.FailedOver, nullMS(f.Since), f.Reason, f.LinkID, f.Mode, f.Was).Scan(&c.Domain, &c.Slug)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, storage.FailoverConflict(f)
		}
		if err != nil {
			return nil, err
		}
		changes = append(changes, c)
	}
	return changes, nil
}

// upsertAlerts stores a batch of alerts with distinct keys.
func upsertAlerts(ctx context.Context, tx *sql.Tx, batch []alerting.StoredAlert) error {
	if len(batch) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO alerts (key, rule, severity, scope, labels, summary, state, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET rule = excluded.rule, severity = excluded.severity, scope = excluded.scope,
			labels = excluded.labels, summary = excluded.summary, state = excluded.state, updated_at = excluded.updated_at`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, a := range batch {
		state, err := storage.EncodeJSON(a.State)
		if err != nil {
			return err
		}
		_, err = stmt.ExecContext(ctx, a.Key, a.Rule, a.Severity, a.Scope, string(storage.EncodeLabels(a.Labels)),
			a.Summary, string(state), ms(a.UpdatedAt))
		if err != nil {
			return err
		}
	}
	return nil
}

// enqueue inserts a batch of notifications into the outbox and returns their
// IDs, in batch order and increasing.
func enqueue(ctx context.Context, tx *sql.Tx, batch []alerting.Outgoing) ([]int64, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO outbox (receiver, dedupe_key, notification, not_before, attempts,
		last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	ids := make([]int64, len(batch))
	for i, o := range batch {
		note, err := storage.EncodeJSON(o.Notification)
		if err != nil {
			return nil, err
		}
		res, err := stmt.ExecContext(ctx, o.Receiver, o.Notification.DedupeKey, string(note), ms(o.NotBefore),
			o.Attempts, o.LastError, ms(o.CreatedAt))
		if err != nil {
			return nil, err
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// Lease acquires or renews the lease name for holder until now+ttl, in one
// write transaction: it is taken when nobody holds it, renewed when holder
// does, and taken over when its term ended at or before now. The fence is 1
// at the first acquisition and grows by one whenever the holder changes.
// While another holder's term runs, ok is false and fence is that term's.
func (s *Store) Lease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (int64, bool, error) {
	if err := storage.CheckLease(name, holder, ttl); err != nil {
		return 0, false, err
	}
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, mapErr(err, "")
	}
	defer tx.Rollback()
	var fence int64
	err = tx.QueryRowContext(ctx, `INSERT INTO leases (name, holder, fence, expires_at) VALUES (?1, ?2, 1, ?4)
		ON CONFLICT (name) DO UPDATE SET
			fence = CASE WHEN leases.holder = excluded.holder THEN leases.fence ELSE leases.fence + 1 END,
			holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?3
		RETURNING fence`, name, holder, ms(now), ms(now.Add(ttl))).Scan(&fence)
	ok := err == nil
	if errors.Is(err, sql.ErrNoRows) {
		// Held by another: report its fence.
		err = tx.QueryRowContext(ctx, "SELECT fence FROM leases WHERE name = ?", name).Scan(&fence)
	}
	if err != nil {
		return 0, false, mapErr(err, "")
	}
	if err := tx.Commit(); err != nil {
		return 0, false, mapErr(err, "")
	}
	return fence, ok, nil
}

var _ alerting.Store = (*Store)(nil)

// Enqueue adds notifications to the outbox outside an alert's state change
// (status page subscribers' incident updates).
func (s *Store) Enqueue(ctx context.Context, out []alerting.Outgoing) error {
	queued, err := storage.StoredOutgoing(out, time.Now())
	if err != nil || len(queued) == 0 {
		return err
	}
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "")
	}
	defer tx.Rollback()
	if _, err := enqueue(ctx, tx, queued); err != nil {
		return mapErr(err, "")
	}
	return mapErr(tx.Commit(), "")
}
