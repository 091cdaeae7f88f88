package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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
	s.uses.Add(1)
	_, err = s.write.ExecContext(ctx, "INSERT INTO alert_rules (name, spec, created_at, updated_at) VALUES (?, ?, ?, ?)",
		r.Spec.Name, spec, ms(r.CreatedAt), ms(r.UpdatedAt))
	if err != nil {
		return mapErr(err, "name")
	}
	r.CreatedAt, r.UpdatedAt = stored(r.CreatedAt), stored(r.UpdatedAt)
	return nil
}

// AlertRules returns every rule declared through the API, ordered by name.
func (s *Store) AlertRules(ctx context.Context) ([]alerting.StoredRule, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, "SELECT name, spec, created_at, updated_at FROM alert_rules ORDER BY name")
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []alerting.StoredRule{}
	for rows.Next() {
		var (
			r                alerting.StoredRule
			name, spec       string
			created, updated int64
		)
		if err := rows.Scan(&name, &spec, &created, &updated); err != nil {
			return nil, mapErr(err, "")
		}
		if err := json.Unmarshal([]byte(spec), &r.Spec); err != nil {
			return nil, fmt.Errorf("stored alert rule %q: %w", name, err)
		}
		r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, r)
	}
	return out, mapErr(rows.Err(), "")
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
	s.uses.Add(1)
	var created int64
	err = s.write.QueryRowContext(ctx, "UPDATE alert_rules SET spec = ?, updated_at = ? WHERE name = ? RETURNING created_at",
		spec, ms(r.UpdatedAt), r.Spec.Name).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "alert rule %q not found", r.Spec.Name)
	}
	if err != nil {
		return mapErr(err, "")
	}
	r.CreatedAt, r.UpdatedAt = fromMS(created), stored(r.UpdatedAt)
	return nil
}

// DeleteAlertRule deletes the named rule; an absent rule is an ENOTFOUND
// error. Its alerts and their history are kept.
func (s *Store) DeleteAlertRule(ctx context.Context, name string) error {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, "DELETE FROM alert_rules WHERE name = ?", name)
	if err != nil {
		return mapErr(err, "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return mapErr(err, "")
	} else if n == 0 {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "alert rule %q not found", name)
	}
	return nil
}

// recordEvents adds to the alert history, in tx, an event for every alert of
// batch (distinct keys) whose phase differs from its stored alert's, or
// that is new and not ok. It must run before the batch is stored; the write
// transaction keeps anyone else from changing the alerts in between.
func recordEvents(ctx context.Context, tx *sql.Tx, batch []alerting.StoredAlert) error {
	if len(batch) == 0 {
		return nil
	}
	keys := make([]string, len(batch))
	for i, a := range batch {
		keys[i] = a.Key
	}
	rows, err := tx.QueryContext(ctx, `SELECT key, coalesce(json_extract(state, '$.Phase'), '') FROM alerts
		WHERE key IN (SELECT value FROM json_each(?))`, jsonArray(keys))
	if err != nil {
		return err
	}
	defer rows.Close()
	old := make(map[string]alerting.Phase, len(batch))
	for rows.Next() {
		var key, phase string
		if err := rows.Scan(&key, &phase); err != nil {
			return err
		}
		old[key] = alerting.Phase(phase)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	events := storage.PhaseChanges(batch, old)
	if len(events) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO alert_events
		(key, rule, severity, scope, labels, summary, from_phase, to_phase, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, e := range events {
		_, err := stmt.ExecContext(ctx, e.Key, e.Rule, e.Severity, e.Scope, string(storage.EncodeLabels(e.Labels)),
			e.Summary, string(e.From), string(e.To), ms(e.At))
		if err != nil {
			return err
		}
	}
	return nil
}

// jsonArray is the JSON array of vs, for json_each.
func jsonArray[T any](vs []T) string {
	b, _ := json.Marshal(vs) // strings and integers always marshal
	return string(b)
}

// AlertHistory returns the alert events f selects, newest first (by ID):
// Key, Rule and Severity exactly; Tag, events whose campaign label (tags
// joined by ",") lists it; Since, events at or after it; Before, events
// with smaller IDs (the previous page's last). Limit defaults to 100 and is
// at most 1000.
func (s *Store) AlertHistory(ctx context.Context, f alerting.HistoryFilter) ([]alerting.AlertEvent, error) {
	if strings.Contains(f.Tag, ",") {
		return []alerting.AlertEvent{}, nil // no list split at "," holds it
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.Key != "" {
		add("key = ?", f.Key)
	}
	if f.Rule != "" {
		add("rule = ?", f.Rule)
	}
	if f.Severity != "" {
		add("severity = ?", f.Severity)
	}
	if f.Tag != "" {
		add(`instr(',' || json_extract(labels, '$.campaign') || ',', ',' || ? || ',') > 0`, f.Tag)
	}
	if !f.Since.IsZero() {
		add("at >= ?", ms(f.Since))
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	q := "SELECT id, key, rule, severity, scope, labels, summary, from_phase, to_phase, at FROM alert_events"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, storage.HistoryLimit(f.Limit))
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []alerting.AlertEvent{}
	for rows.Next() {
		var (
			e        alerting.AlertEvent
			labels   string
			from, to string
			at       int64
		)
		if err := rows.Scan(&e.ID, &e.Key, &e.Rule, &e.Severity, &e.Scope, &labels, &e.Summary, &from, &to, &at); err != nil {
			return nil, mapErr(err, "")
		}
		if e.Labels, err = storage.DecodeLabels([]byte(labels)); err != nil {
			return nil, fmt.Errorf("alert event %d: %w", e.ID, err)
		}
		e.From, e.To, e.At = alerting.Phase(from), alerting.Phase(to), fromMS(at)
		out = append(out, e)
	}
	return out, mapErr(rows.Err(), "")
}

// PruneAlertEvents deletes the alert events from before before and returns
// how many it deleted.
func (s *Store) PruneAlertEvents(ctx context.Context, before time.Time) (int64, error) {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, "DELETE FROM alert_events WHERE at < ?", ms(before))
	if err != nil {
		return 0, mapErr(err, "")
	}
	n, err := res.RowsAffected()
	return n, mapErr(err, "")
}

// ScanCounts returns the scans of the links linkIDs in [from, to), summed
// over the links, in one-minute buckets (starting on UTC minutes): only the
// non-empty ones, in time order. No links is nil.
func (s *Store) ScanCounts(ctx context.Context, linkIDs []int64, from, to time.Time) ([]linkwatch.ScanBucket, error) {
	if len(linkIDs) == 0 {
		return nil, nil
	}
	const minute = int64(time.Minute / time.Millisecond)
	s.uses.Add(1)
	// at - (at mod minute), with mod rounding down also before 1970.
	rows, err := s.read.QueryContext(ctx, `SELECT at - ((at % ?1) + ?1) % ?1 AS b, sum(count)
		FROM scans WHERE link_id IN (SELECT value FROM json_each(?2)) AND at >= ?3 AND at < ?4
		GROUP BY b ORDER BY b`, minute, jsonArray(linkIDs), ms(from), ms(to))
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []linkwatch.ScanBucket{}
	for rows.Next() {
		var (
			b linkwatch.ScanBucket
			t int64
		)
		if err := rows.Scan(&t, &b.Count); err != nil {
			return nil, mapErr(err, "")
		}
		b.T = fromMS(t)
		out = append(out, b)
	}
	return out, mapErr(rows.Err(), "")
}
