package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/storage"
)

// Alert rules declared through the API, alert history and the scan counts
// alert rules read.

// CreateAlertRule stores a new rule under its spec's name; a taken name is
// an ECONFLICT error. On success, r's times are as stored: UTC
// milliseconds.
func (s *Store) CreateAlertRule(ctx context.Context, r *alerting.StoredRule) error {
	spec, err := storage.EncodeRuleSpec(r.Spec)
	if err != nil {
		return err
	}
	created, updated := stored(r.CreatedAt), stored(r.UpdatedAt)
	_, err = s.pool.Exec(ctx, "INSERT INTO alert_rules (name, spec, created_at, updated_at) VALUES ($1, $2::jsonb, $3, $4)",
		r.Spec.Name, spec, created, updated)
	if err != nil {
		return mapErr(err, "name")
	}
	r.CreatedAt, r.UpdatedAt = created, updated
	return nil
}

// AlertRules returns every rule declared through the API, ordered by name.
func (s *Store) AlertRules(ctx context.Context) ([]alerting.StoredRule, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, spec, created_at, updated_at FROM alert_rules ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (alerting.StoredRule, error) {
		var (
			r    alerting.StoredRule
			name string
			spec []byte
		)
		if err := row.Scan(&name, &spec, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return r, err
		}
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		if err := json.Unmarshal(spec, &r.Spec); err != nil {
			return r, fmt.Errorf("stored alert rule %q: %w", name, err)
		}
		return r, nil
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []alerting.StoredRule{}
	}
	return out, nil
}

// ReplaceAlertRule replaces the spec of the rule named r.Spec.Name and sets
// its UpdatedAt to r.UpdatedAt, keeping its CreatedAt; an absent rule is an
// ENOTFOUND error. On success, r's times are as stored: CreatedAt the
// rule's, both in UTC milliseconds.
func (s *Store) ReplaceAlertRule(ctx context.Context, r *alerting.StoredRule) error {
	spec, err := storage.EncodeRuleSpec(r.Spec)
	if err != nil {
		return err
	}
	updated := stored(r.UpdatedAt)
	var created time.Time
	err = s.pool.QueryRow(ctx, "UPDATE alert_rules SET spec = $2::jsonb, updated_at = $3 WHERE name = $1 RETURNING created_at",
		r.Spec.Name, spec, updated).Scan(&created)
	if errors.Is(err, pgx.ErrNoRows) {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "alert rule %q not found", r.Spec.Name)
	}
	if err != nil {
		return mapErr(err, "")
	}
	r.CreatedAt, r.UpdatedAt = created.UTC(), updated
	return nil
}

// DeleteAlertRule deletes the named rule; an absent rule is an ENOTFOUND
// error. Its alerts and their history are kept.
func (s *Store) DeleteAlertRule(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM alert_rules WHERE name = $1", name)
	if err != nil {
		return mapErr(err, "")
	}
	if tag.RowsAffected() == 0 {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "alert rule %q not found", name)
	}
	return nil
}

// recordEvents adds to the alert history, in tx, an event for every alert of
// batch (distinct keys) whose phase differs from its stored alert's, or
// that is new and not ok. It must run before the batch is stored; the
// caller's fencing check keeps other evaluators from changing the alerts in
// between.
func recordEvents(ctx context.Context, tx pgx.Tx, batch []alerting.StoredAlert) error {
	if len(batch) == 0 {
		return nil
	}
	keys := make([]string, len(batch))
	for i, a := range batch {
		keys[i] = a.Key
	}
	// Locked in key order, as upsertAlerts writes them: a concurrent save of
	// the same alerts waits and then reads what this one stored.
	rows, err := tx.Query(ctx, `SELECT key, coalesce(state->>'Phase', '') FROM alerts WHERE key = ANY($1)
		ORDER BY key COLLATE "C" FOR UPDATE`, keys)
	if err != nil {
		return err
	}
	old := make(map[string]alerting.Phase, len(batch))
	var (
		key   string
		phase alerting.Phase
	)
	_, err = pgx.ForEachRow(rows, []any{&key, &phase}, func() error {
		old[key] = phase
		return nil
	})
	if err != nil {
		return err
	}
	events := storage.PhaseChanges(batch, old)
	if len(events) == 0 {
		return nil
	}
	n := len(events)
	ks, rules, severities, scopes := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	labels, summaries, froms, tos, ats := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	for i, e := range events {
		ks[i], rules[i], severities[i], scopes[i] = e.Key, e.Rule, e.Severity, e.Scope
		labels[i], summaries[i] = string(storage.EncodeLabels(e.Labels)), e.Summary
		froms[i], tos[i], ats[i] = string(e.From), string(e.To), e.At
	}
	_, err = tx.Exec(ctx, `INSERT INTO alert_events (key, rule, severity, scope, labels, summary, from_phase, to_phase, at)
		SELECT k, r, sv, sc, l::jsonb, su, f, t, a
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
			WITH ORDINALITY AS e(k, r, sv, sc, l, su, f, t, a, i)
		ORDER BY i`,
		ks, rules, severities, scopes, labels, summaries, froms, tos, ats)
	return err
}

// AlertHistory returns the alert events f selects, newest first (by ID):
// Key, Rule and Severity exactly; Tag, events whose campaign label (tags
// joined by ",") lists it; Since, events at or after it; Before, events
// with smaller IDs (the previous page's last). Limit defaults to 100 and is
// at most 1000.
func (s *Store) AlertHistory(ctx context.Context, f alerting.HistoryFilter) ([]alerting.AlertEvent, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Key != "" {
		add("key = $%d", f.Key)
	}
	if f.Rule != "" {
		add("rule = $%d", f.Rule)
	}
	if f.Severity != "" {
		add("severity = $%d", f.Severity)
	}
	if f.Tag != "" {
		add("$%d = ANY(string_to_array(labels->>'campaign', ','))", f.Tag)
	}
	if !f.Since.IsZero() {
		add("at >= $%d", stored(f.Since))
	}
	if f.Before > 0 {
		add("id < $%d", f.Before)
	}
	q := "SELECT id, key, rule, severity, scope, labels, summary, from_phase, to_phase, at FROM alert_events"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, storage.HistoryLimit(f.Limit))
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (alerting.AlertEvent, error) {
		var (
			e      alerting.AlertEvent
			labels []byte
		)
		if err := row.Scan(&e.ID, &e.Key, &e.Rule, &e.Severity, &e.Scope, &labels, &e.Summary, &e.From, &e.To, &e.At); err != nil {
			return e, err
		}
		e.At = e.At.UTC()
		var err error
		e.Labels, err = storage.DecodeLabels(labels)
		return e, err
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []alerting.AlertEvent{}
	}
	return out, nil
}

// PruneAlertEvents deletes the alert events from before before and returns
// how many it deleted.
func (s *Store) PruneAlertEvents(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM alert_events WHERE at < $1", stored(before))
	if err != nil {
		return 0, mapErr(err, "")
	}
	return tag.RowsAffected(), nil
}

// ScanCounts returns the scans of the links linkIDs in [from, to), summed
// over the links, in one-minute buckets (starting on UTC minutes): only the
// non-empty ones, in time order. No links is nil.
func (s *Store) ScanCounts(ctx context.Context, linkIDs []int64, from, to time.Time) ([]linkwatch.ScanBucket, error) {
	if len(linkIDs) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT date_bin(interval '1 minute', at, timestamptz '1970-01-01 00:00:00+00') AS b, sum(count)
		FROM scans WHERE link_id = ANY($1) AND at >= $2 AND at < $3
		GROUP BY b ORDER BY b`, linkIDs, stored(from), stored(to))
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (linkwatch.ScanBucket, error) {
		var b linkwatch.ScanBucket
		err := row.Scan(&b.T, &b.Count)
		b.T = b.T.UTC()
		return b, err
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []linkwatch.ScanBucket{}
	}
	return out, nil
}
