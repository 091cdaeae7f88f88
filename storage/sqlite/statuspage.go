package sqlite

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/statuspage"
	"github.com/linkwatch/linkwatch/storage"
)

// The status page's components, incidents, subscribers and closed months.
// Components and incidents are stored whole as JSON, beside the columns
// lists filter and order by.

// rowsAffected reports whether res changed a row.
func rowsAffected(res sql.Result) (bool, error) {
	n, err := res.RowsAffected()
	return n > 0, mapErr(err, "")
}

// CreateComponent stores a new component; a taken ID is an ECONFLICT error,
// an empty one EINVALID. On success, c's times are as stored: UTC
// milliseconds.
func (s *Store) CreateComponent(ctx context.Context, c *statuspage.Component) error {
	if c.ID == "" {
		return linkwatch.FieldErrorf("id", "a component needs an ID")
	}
	storage.NormalizeComponent(c)
	body, err := storage.EncodeJSON(c)
	if err != nil {
		return err
	}
	s.uses.Add(1)
	_, err = s.write.ExecContext(ctx, `INSERT INTO status_components (id, position, name, group_id, body)
		VALUES (?, ?, ?, ?, ?)`, c.ID, c.Position, c.Name, c.GroupID, string(body))
	return mapErr(err, "id")
}

// ListComponents returns every component, ordered by position, then name,
// then ID (bytewise).
func (s *Store) ListComponents(ctx context.Context) ([]statuspage.Component, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, "SELECT body FROM status_components ORDER BY position, name, id")
	if err != nil {
		return nil, mapErr(err, "")
	}
	return scanBodies(rows, storage.DecodeComponent)
}

// UpdateComponent reads the component, lets fn change it and writes it
// back, in one write transaction. If fn fails, nothing changes and fn's
// error is returned as it is. ID and creation time cannot be changed; an
// absent component is an ENOTFOUND error.
func (s *Store) UpdateComponent(ctx context.Context, id string, fn func(*statuspage.Component) error) (*statuspage.Component, error) {
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer tx.Rollback()
	var body string
	err = tx.QueryRowContext(ctx, "SELECT body FROM status_components WHERE id = ?", id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ComponentNotFound(id)
	}
	if err != nil {
		return nil, mapErr(err, "")
	}
	c, err := storage.DecodeComponent([]byte(body))
	if err != nil {
		return nil, err
	}
	created := c.CreatedAt
	if err := fn(c); err != nil {
		return nil, err
	}
	c.ID, c.CreatedAt = id, created
	storage.NormalizeComponent(c)
	b, err := storage.EncodeJSON(c)
	if err != nil {
		return nil, err
	}
	_, err = tx.ExecContext(ctx, "UPDATE status_components SET position = ?, name = ?, group_id = ?, body = ? WHERE id = ?",
		c.Position, c.Name, c.GroupID, string(b), id)
	if err != nil {
		return nil, mapErr(err, "")
	}
	if err := tx.Commit(); err != nil {
		return nil, mapErr(err, "")
	}
	return c, nil
}

// DeleteComponent deletes the component, or returns an ENOTFOUND error. Its
// children, the incidents naming it and its months are kept.
func (s *Store) DeleteComponent(ctx context.Context, id string) error {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, "DELETE FROM status_components WHERE id = ?", id)
	if err != nil {
		return mapErr(err, "")
	}
	if ok, err := rowsAffected(res); err != nil {
		return err
	} else if !ok {
		return storage.ComponentNotFound(id)
	}
	return nil
}

// incidentRow is the stored form of an incident: its columns, body last.
func incidentRow(in *statuspage.Incident) ([]any, error) {
	body, err := storage.EncodeJSON(in)
	if err != nil {
		return nil, err
	}
	return []any{in.Maintenance, in.Draft, in.Resolved(), ms(in.StartedAt), nullMS(in.ScheduledFor),
		nullMS(in.ResolvedAt), string(body)}, nil
}

// CreateIncident stores a new incident or maintenance; a taken ID is an
// ECONFLICT error, an empty one EINVALID. On success, in is as stored: times
// in UTC milliseconds, Components and Updates not nil.
func (s *Store) CreateIncident(ctx context.Context, in *statuspage.Incident) error {
	if in.ID == "" {
		return linkwatch.FieldErrorf("id", "an incident needs an ID")
	}
	storage.NormalizeIncident(in)
	row, err := incidentRow(in)
	if err != nil {
		return err
	}
	s.uses.Add(1)
	_, err = s.write.ExecContext(ctx, `INSERT INTO status_incidents
		(maintenance, draft, resolved, started_at, scheduled_for, resolved_at, body, id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, append(row, in.ID)...)
	return mapErr(err, "id")
}

// IncidentByID returns the incident or maintenance, or an ENOTFOUND error.
func (s *Store) IncidentByID(ctx context.Context, id string) (*statuspage.Incident, error) {
	s.uses.Add(1)
	var body string
	err := s.read.QueryRowContext(ctx, "SELECT body FROM status_incidents WHERE id = ?", id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.IncidentNotFound(id)
	}
	if err != nil {
		return nil, mapErr(err, "")
	}
	return storage.DecodeIncident([]byte(body))
}

// ListIncidents returns the incidents, or maintenances, f selects, newest
// StartedAt first, then by ID descending.
func (s *Store) ListIncidents(ctx context.Context, f statuspage.IncidentFilter) ([]statuspage.Incident, error) {
	where := []string{"maintenance = ?"}
	args := []any{f.Maintenance}
	if f.Unresolved {
		where = append(where, "NOT resolved")
	}
	if !f.Drafts {
		where = append(where, "NOT draft")
	}
	if !f.Since.IsZero() {
		where = append(where, "(started_at >= ? OR NOT resolved)")
		args = append(args, ms(f.Since))
	}
	if !f.Before.IsZero() {
		where = append(where, "started_at < ?")
		args = append(args, ms(f.Before))
	}
	args = append(args, storage.IncidentLimit(f.Limit))
	q := "SELECT body FROM status_incidents WHERE " + strings.Join(where, " AND ") +
		" ORDER BY started_at DESC, id DESC LIMIT ?"
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	return scanBodies(rows, storage.DecodeIncident)
}

// UpdateIncident reads the incident, lets fn change it and writes it back,
// in one write transaction. If fn fails, nothing changes and fn's error is
// returned as it is. ID and creation time cannot be changed; an absent
// incident is an ENOTFOUND error.
func (s *Store) UpdateIncident(ctx context.Context, id string, fn func(*statuspage.Incident) error) (*statuspage.Incident, error) {
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer tx.Rollback()
	var body string
	err = tx.QueryRowContext(ctx, "SELECT body FROM status_incidents WHERE id = ?", id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.IncidentNotFound(id)
	}
	if err != nil {
		return nil, mapErr(err, "")
	}
	in, err := storage.DecodeIncident([]byte(body))
	if err != nil {
		return nil, err
	}
	created := in.CreatedAt
	if err := fn(in); err != nil {
		return nil, err
	}
	in.ID, in.CreatedAt = id, created
	storage.NormalizeIncident(in)
	row, err := incidentRow(in)
	if err != nil {
		return nil, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE status_incidents SET maintenance = ?, draft = ?, resolved = ?,
		started_at = ?, scheduled_for = ?, resolved_at = ?, body = ? WHERE id = ?`, append(row, id)...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	if err := tx.Commit(); err != nil {
		return nil, mapErr(err, "")
	}
	return in, nil
}

// DeleteIncident deletes the incident or maintenance, or returns an
// ENOTFOUND error.
func (s *Store) DeleteIncident(ctx context.Context, id string) error {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, "DELETE FROM status_incidents WHERE id = ?", id)
	if err != nil {
		return mapErr(err, "")
	}
	if ok, err := rowsAffected(res); err != nil {
		return err
	} else if !ok {
		return storage.IncidentNotFound(id)
	}
	return nil
}

// CreateSubscriber stores a new subscriber with its token: a webhook
// subscriber (URL) or an email subscriber (Email), never both. A taken ID is
// an ECONFLICT error about "id", a taken URL one about "url", a taken email
// address one about "email"; an empty ID, or neither or both of URL and
// Email, is EINVALID. On success, sub's times are as stored: UTC
// milliseconds.
func (s *Store) CreateSubscriber(ctx context.Context, sub *statuspage.Subscriber) error {
	if err := storage.CheckSubscriber(sub); err != nil {
		return err
	}
	s.uses.Add(1)
	_, err := s.write.ExecContext(ctx, `INSERT INTO status_subscribers (id, url, email, token, confirmed_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, sub.ID, sub.URL, sub.Email, sub.Token, nullMS(sub.ConfirmedAt), ms(sub.CreatedAt))
	field := "id"
	switch {
	case err == nil:
	case strings.Contains(err.Error(), "status_subscribers.email"):
		field = "email"
	case strings.Contains(err.Error(), "status_subscribers.url"):
		field = "url"
	}
	return mapErr(err, field)
}

// ListSubscribers returns every subscriber, tokens included, in the order
// they were created (then by ID).
func (s *Store) ListSubscribers(ctx context.Context) ([]statuspage.Subscriber, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, `SELECT id, url, email, token, confirmed_at, created_at FROM status_subscribers
		ORDER BY created_at, id`)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []statuspage.Subscriber{}
	for rows.Next() {
		var (
			sub       statuspage.Subscriber
			confirmed sql.NullInt64
			created   int64
		)
		if err := rows.Scan(&sub.ID, &sub.URL, &sub.Email, &sub.Token, &confirmed, &created); err != nil {
			return nil, mapErr(err, "")
		}
		if confirmed.Valid {
			sub.ConfirmedAt = fromMS(confirmed.Int64)
		}
		sub.CreatedAt = fromMS(created)
		out = append(out, sub)
	}
	return out, mapErr(rows.Err(), "")
}

// ConfirmSubscriber marks the subscriber confirmed at at, unless it already
// is (the first confirmation is kept). An absent subscriber is an ENOTFOUND
// error; a token other than its own (or empty) EFORBIDDEN; a zero at
// EINVALID.
func (s *Store) ConfirmSubscriber(ctx context.Context, id, token string, at time.Time) error {
	if at.IsZero() {
		return linkwatch.FieldErrorf("at", "a confirmation needs a time")
	}
	s.uses.Add(1)
	var want string
	err := s.read.QueryRowContext(ctx, "SELECT token FROM status_subscribers WHERE id = ?", id).Scan(&want)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.SubscriberNotFound(id)
	}
	if err != nil {
		return mapErr(err, "")
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return linkwatch.Errorf(linkwatch.EFORBIDDEN, "wrong confirmation token")
	}
	res, err := s.write.ExecContext(ctx, "UPDATE status_subscribers SET confirmed_at = coalesce(confirmed_at, ?) WHERE id = ?",
		ms(at), id)
	if err != nil {
		return mapErr(err, "")
	}
	if ok, err := rowsAffected(res); err != nil {
		return err
	} else if !ok { // deleted meanwhile
		return storage.SubscriberNotFound(id)
	}
	return nil
}

// SubscriberByToken returns the subscriber whose token is token (compared
// as stored: exactly), or an ENOTFOUND error; an empty token is never
// found.
func (s *Store) SubscriberByToken(ctx context.Context, token string) (*statuspage.Subscriber, error) {
	if token == "" {
		return nil, linkwatch.Errorf(linkwatch.ENOTFOUND, "no subscriber has this token")
	}
	s.uses.Add(1)
	var (
		sub       statuspage.Subscriber
		confirmed sql.NullInt64
		created   int64
	)
	err := s.read.QueryRowContext(ctx, `SELECT id, url, email, token, confirmed_at, created_at FROM status_subscribers
		WHERE token = ? ORDER BY created_at, id LIMIT 1`, token).Scan(&sub.ID, &sub.URL, &sub.Email, &sub.Token, &confirmed, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, linkwatch.Errorf(linkwatch.ENOTFOUND, "no subscriber has this token")
	}
	if err != nil {
		return nil, mapErr(err, "")
	}
	if confirmed.Valid {
		sub.ConfirmedAt = fromMS(confirmed.Int64)
	}
	sub.CreatedAt = fromMS(created)
	return &sub, nil
}

// DeleteUnconfirmedSubscribers deletes the subscribers never confirmed
// that were created before before, and returns how many.
func (s *Store) DeleteUnconfirmedSubscribers(ctx context.Context, before time.Time) (int, error) {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, "DELETE FROM status_subscribers WHERE confirmed_at IS NULL AND created_at < ?", ms(before))
	if err != nil {
		return 0, mapErr(err, "")
	}
	n, err := res.RowsAffected()
	return int(n), mapErr(err, "")
}

// DeleteSubscriber deletes the subscriber, or returns an ENOTFOUND error.
func (s *Store) DeleteSubscriber(ctx context.Context, id string) error {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, "DELETE FROM status_subscribers WHERE id = ?", id)
	if err != nil {
		return mapErr(err, "")
	}
	if ok, err := rowsAffected(res); err != nil {
		return err
	} else if !ok {
		return storage.SubscriberNotFound(id)
	}
	return nil
}

// SaveMonth stores a closed month's figures unless the component's month
// (m.Month in UTC milliseconds) is already stored: then nothing changes. An
// empty component ID is EINVALID.
func (s *Store) SaveMonth(ctx context.Context, m statuspage.Month) error {
	if m.ComponentID == "" {
		return linkwatch.FieldErrorf("component_id", "a month needs a component")
	}
	s.uses.Add(1)
	_, err := s.write.ExecContext(ctx, `INSERT INTO status_months (component_id, month, observed, major, partial, maintenance)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (component_id, month) DO NOTHING`,
		m.ComponentID, ms(m.Month), int64(m.Observed), int64(m.Major), int64(m.Partial), int64(m.Maintenance))
	return mapErr(err, "")
}

// Months returns the component's stored months, oldest first.
func (s *Store) Months(ctx context.Context, componentID string) ([]statuspage.Month, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, `SELECT component_id, month, observed, major, partial, maintenance
		FROM status_months WHERE component_id = ? ORDER BY month`, componentID)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []statuspage.Month{}
	for rows.Next() {
		var (
			m                                    statuspage.Month
			month, observed, major, partial, mnt int64
		)
		if err := rows.Scan(&m.ComponentID, &month, &observed, &major, &partial, &mnt); err != nil {
			return nil, mapErr(err, "")
		}
		m.Month = fromMS(month)
		m.Observed, m.Major, m.Partial, m.Maintenance = time.Duration(observed), time.Duration(major),
			time.Duration(partial), time.Duration(mnt)
		out = append(out, m)
	}
	return out, mapErr(rows.Err(), "")
}

// scanBodies reads rows of one JSON body column, decoding each, and closes
// rows; no rows is an empty list.
func scanBodies[T any](rows *sql.Rows, decode func([]byte) (*T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, mapErr(err, "")
		}
		v, err := decode(body)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, mapErr(rows.Err(), "")
}
