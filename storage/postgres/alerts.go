package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/storage"
)

// Alerts returns every stored alert, ordered by key.
func (s *Store) Alerts(ctx context.Context) ([]alerting.StoredAlert, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, rule, severity, scope, labels, summary, state, updated_at
		FROM alerts ORDER BY key COLLATE "C"`)
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (alerting.StoredAlert, error) {
		var (
			a             alerting.StoredAlert
			labels, state []byte
		)
		if err := row.Scan(&a.Key, &a.Rule, &a.Severity, &a.Scope, &labels, &a.Summary, &state, &a.UpdatedAt); err != nil {
			return a, err
		}
		a.UpdatedAt = a.UpdatedAt.UTC()
		var err error
		if a.Labels, err = storage.DecodeLabels(labels); err != nil {
			return a, err
		}
		a.State, err = storage.DecodeState(state)
		return a, err
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []alerting.StoredAlert{}
	}
	return out, nil
}

// SaveAlerts upserts alerts by key and enqueues out in one transaction, if
// fence is the current fence of the evaluator lease (storage.EvaluatorLease);
// otherwise it writes nothing and returns ECONFLICT. The lease row stays
// share-locked until the commit, so a takeover waits for a save in flight
// rather than overlapping it. Every alert whose phase changes (or that is
// new and not ok) adds an event to the alert history, in the same
// transaction, as does each link's failover change (with its NOTIFY, so
// every redirector serves the new side when it commits). On success, out's
// IDs and CreatedAt are set.
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
	var ids []int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var current int64
		err := tx.QueryRow(ctx, "SELECT fence FROM leases WHERE name = $1 FOR SHARE", storage.EvaluatorLease).Scan(&current)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && current != fence {
			return storage.StaleFence(fence)
		}
		if err != nil {
			return err
		}
		// The history first: it reads the phases the batch replaces.
		if err := recordEvents(ctx, tx, batch); err != nil {
			return err
		}
		if err := upsertAlerts(ctx, tx, batch); err != nil {
			return err
		}
		if ids, err = enqueue(ctx, tx, queued); err != nil {
			return err
		}
		return switchLinks(ctx, tx, switches)
	})
	if err != nil {
		return mapErr(err, "")
	}
	for i := range out {
		out[i].ID, out[i].CreatedAt = ids[i], queued[i].CreatedAt
	}
	return nil
}

// switchLinks applies the engine's failover decisions, each only while its
// link still has the mode and FailedOver it was decided on, and tells the
// redirectors.
func switchLinks(ctx context.Context, tx pgx.Tx, fs []alerting.LinkFailover) error {
	for _, f := range fs {
		var domain, slug string
		err := tx.QueryRow(ctx, `UPDATE links SET failed_over = $1,
				failover_since = CASE WHEN $2::timestamptz IS NULL THEN failover_since ELSE $2::timestamptz END,
				failover_reason = CASE WHEN $2::timestamptz IS NULL THEN failover_reason ELSE $3 END,
				updated_at = CASE WHEN $2::timestamptz IS NULL THEN updated_at ELSE $2::timestamptz END
			WHERE id = $4 AND failover_mode = $5 AND failed_over = $6 RETURNING domain, slug`,
			f.FailedOver, nullTime(f.Since), f.Reason, f.LinkID, f.Mode, f.Was).Scan(&domain, &slug)
		if errors.Is(err, pgx.ErrNoRows) {
			return storage.FailoverConflict(f)
		}
		if err != nil {
			return err
		}
		if err := notify(ctx, tx, domain, slug); err != nil {
			return err
		}
	}
	return nil
}

// upsertAlerts stores a batch of alerts with distinct keys in one statement,
// in key order so that concurrent batches cannot deadlock.
func upsertAlerts(ctx context.Context, tx pgx.Tx, batch []alerting.StoredAlert) error {
	if len(batch) == 0 {
		return nil
	}
	n := len(batch)
	keys, rules, severities, scopes := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	labels, summaries, states, updated := make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	for i, a := range batch {
		state, err := storage.EncodeJSON(a.State)
		if err != nil {
			return err
		}
		keys[i], rules[i], severities[i], scopes[i] = a.Key, a.Rule, a.Severity, a.Scope
		labels[i], summaries[i], states[i], updated[i] = string(storage.EncodeLabels(a.Labels)), a.Summary, string(state), a.UpdatedAt
	}
	_, err := tx.Exec(ctx, `INSERT INTO alerts (key, rule, severity, scope, labels, summary, state, updated_at)
		SELECT k, r, sv, sc, l::jsonb, su, st::jsonb, u
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
			AS t(k, r, sv, sc, l, su, st, u)
		ORDER BY k COLLATE "C"
		ON CONFLICT (key) DO UPDATE SET rule = excluded.rule, severity = excluded.severity, scope = excluded.scope,
			labels = excluded.labels, summary = excluded.summary, state = excluded.state, updated_at = excluded.updated_at`,
		keys, rules, severities, scopes, labels, summaries, states, updated)
	return err
}

// enqueue inserts a batch of notifications into the outbox in one statement
// and returns their IDs, in batch order and increasing, so that Due hands
// them out in the order they were enqueued.
func enqueue(ctx context.Context, tx pgx.Tx, batch []alerting.Outgoing) ([]int64, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, "SELECT nextval(pg_get_serial_sequence('outbox', 'id')) FROM generate_series(1, $1)", len(batch))
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	n := len(batch)
	receivers, keys, notes, errs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	notBefore, created, attempts := make([]time.Time, n), make([]time.Time, n), make([]int32, n)
	for i, o := range batch {
		note, err := storage.EncodeJSON(o.Notification)
		if err != nil {
			return nil, err
		}
		receivers[i], keys[i], notes[i], errs[i] = o.Receiver, o.Notification.DedupeKey, string(note), o.LastError
		notBefore[i], created[i], attempts[i] = o.NotBefore, o.CreatedAt, int32(o.Attempts)
	}
	_, err = tx.Exec(ctx, `INSERT INTO outbox (id, receiver, dedupe_key, notification, not_before, attempts, last_error, created_at)
		SELECT id, r, k, n::jsonb, nb, a, e, c
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::integer[], $7::text[], $8::timestamptz[])
			AS t(id, r, k, n, nb, a, e, c)`,
		ids, receivers, keys, notes, notBefore, attempts, errs, created)
	return ids, err
}

// Lease acquires or renews the lease name for holder until now+ttl, in one
// atomic statement: it is taken when nobody holds it, renewed when holder
// does, and taken over when its term ended at or before now. The fence is 1
// at the first acquisition and grows by one whenever the holder changes.
// While another holder's term runs, ok is false and fence is that term's.
func (s *Store) Lease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (int64, bool, error) {
	if err := storage.CheckLease(name, holder, ttl); err != nil {
		return 0, false, err
	}
	var fence int64
	err := s.pool.QueryRow(ctx, `INSERT INTO leases AS l (name, holder, fence, expires_at) VALUES ($1, $2, 1, $4)
		ON CONFLICT (name) DO UPDATE SET
			fence = CASE WHEN l.holder = excluded.holder THEN l.fence ELSE l.fence + 1 END,
			holder = excluded.holder, expires_at = excluded.expires_at
		WHERE l.holder = excluded.holder OR l.expires_at <= $3
		RETURNING fence`, name, holder, stored(now), stored(now.Add(ttl))).Scan(&fence)
	if err == nil {
		return fence, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, mapErr(err, "")
	}
	// Held by another: report its fence. The row exists, since the insert
	// conflicted, and is never deleted.
	err = s.pool.QueryRow(ctx, "SELECT fence FROM leases WHERE name = $1", name).Scan(&fence)
	return fence, false, mapErr(err, "")
}

var _ alerting.Store = (*Store)(nil)

// Enqueue adds notifications to the outbox outside an alert's state change
// (status page subscribers' incident updates).
func (s *Store) Enqueue(ctx context.Context, out []alerting.Outgoing) error {
	queued, err := storage.StoredOutgoing(out, time.Now())
	if err != nil || len(queued) == 0 {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := enqueue(ctx, tx, queued)
		return err
	})
}
