package postgres

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/statuspage"
	"github.com/linkwatch/linkwatch/storage"
)

// The status page's components, incidents, subscribers and closed months.
// Components and incidents are stored whole as JSON, beside the columns
// lists filter and order by.

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
	_, err = s.pool.Exec(ctx, `INSERT INTO status_components (id, position, name, group_id, body)
		VALUES ($1, $2, $3, $4, $5::jsonb)`, c.ID, c.Position, c.Name, c.GroupID, string(body))
	return mapErr(err, "id")
}

// ListComponents returns every component, ordered by position, then name,
// then ID (bytewise).
func (s *Store) ListComponents(ctx context.Context) ([]statuspage.Component, error) {
	rows, err := s.pool.Query(ctx, "SELECT body FROM status_components ORDER BY position, name, id")
	if err != nil {
		return nil, mapErr(err, "")
	}
	return collectBodies(rows, storage.DecodeComponent)
}

// UpdateComponent reads and locks the component, lets fn change it and
// writes it back, in one transaction. If fn fails, nothing changes and fn's
// error is returned as it is. ID and creation time cannot be changed; an
// absent component is an ENOTFOUND error.
func (s *Store) UpdateComponent(ctx context.Context, id string, fn func(*statuspage.Component) error) (*statuspage.Component, error) {
	var (
		c     *statuspage.Component
		fnErr error
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var body []byte
		err := tx.QueryRow(ctx, "SELECT body FROM status_components WHERE id = $1 FOR UPDATE", id).Scan(&body)
		if errors.Is(err, pgx.ErrNoRows) {
			return storage.ComponentNotFound(id)
		}
		if err != nil {
			return err
		}
		if c, err = storage.DecodeComponent(body); err != nil {
			return err
		}
		created := c.CreatedAt
		if fnErr = fn(c); fnErr != nil {
			return fnErr
		}
		c.ID, c.CreatedAt = id, created
		storage.NormalizeComponent(c)
		if body, err = storage.EncodeJSON(c); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE status_components SET position = $2, name = $3, group_id = $4, body = $5::jsonb
			WHERE id = $1`, id, c.Position, c.Name, c.GroupID, string(body))
		return err
	})
	switch {
	case fnErr != nil:
		return nil, fnErr
	case err != nil:
		return nil, mapErr(err, "")
	}
	return c, nil
}

// DeleteComponent deletes the component, or returns an ENOTFOUND error. Its
// children, the incidents naming it and its months are kept.
func (s *Store) DeleteComponent(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM status_components WHERE id = $1", id)
	if err != nil {
		return mapErr(err, "")
	}
	if tag.RowsAffected() == 0 {
		return storage.ComponentNotFound(id)
	}
	return nil
}

// incidentRow is the stored form of an incident: its columns and body.
func incidentRow(in *statuspage.Incident) ([]any, error) {
	body, err := storage.EncodeJSON(in)
	if err != nil {
		return nil, err
	}
	return []any{in.ID, in.Maintenance, in.Draft, in.Resolved(), in.StartedAt, nullTime(in.ScheduledFor),
		nullTime(in.ResolvedAt), string(body)}, nil
}

// CreateIncident stores a new incident or maintenance; a taken ID is an
// ECONFLICT error, an empty one EINVALID. On success, in is as stored: times
// in UTC milliseconds, Components and Updates not nil.
func (s *Store) CreateIncident(ctx context.Context, in *statuspage.Incident) error {
	if in.ID == "" {
		return linkwatch.FieldErrorf("id", "an incident needs an ID")
	}
	storage.NormalizeIncident(in)
	args, err := incidentRow(in)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO status_incidents
		(id, maintenance, draft, resolved, started_at, scheduled_for, resolved_at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`, args...)
	return mapErr(err, "id")
}

// IncidentByID returns the incident or maintenance, or an ENOTFOUND error.
func (s *Store) IncidentByID(ctx context.Context, id string) (*statuspage.Incident, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, "SELECT body FROM status_incidents WHERE id = $1", id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, storage.IncidentNotFound(id)
	}
	if err != nil {
		return nil, mapErr(err, "")
	}
	return storage.DecodeIncident(body)
}

// ListIncidents returns the incidents, or maintenances, f selects, newest
// StartedAt first, then by ID descending.
func (s *Store) ListIncidents(ctx context.Context, f statuspage.IncidentFilter) ([]statuspage.Incident, error) {
	args := []any{f.Maintenance}
	where := []string{"maintenance = $1"}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Unresolved {
		where = append(where, "NOT resolved")
	}
	if !f.Drafts {
		where = append(where, "NOT draft")
	}
	if !f.Since.IsZero() {
		add("(started_at >= $%d OR NOT resolved)", stored(f.Since))
	}
	if !f.Before.IsZero() {
		add("started_at < $%d", stored(f.Before))
	}
	args = append(args, storage.IncidentLimit(f.Limit))
	q := fmt.Sprintf("SELECT body FROM status_incidents WHERE %s ORDER BY started_at DESC, id DESC LIMIT $%d",
		strings.Join(where, " AND "), len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	return collectBodies(rows, storage.DecodeIncident)
}

// UpdateIncident reads and locks the incident, lets fn change it and writes
// it back, in one transaction. If fn fails, nothing changes and fn's error
// is returned as it is. ID and creation time cannot be changed; an absent
// incident is an ENOTFOUND error.
func (s *Store) UpdateIncident(ctx context.Context, id string, fn func(*statuspage.Incident) error) (*statuspage.Incident, error) {
	var (
		in    *statuspage.Incident
		fnErr error
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var body []byte
		err := tx.QueryRow(ctx, "SELECT body FROM status_incidents WHERE id = $1 FOR UPDATE", id).Scan(&body)
		if errors.Is(err, pgx.ErrNoRows) {
			return storage.IncidentNotFound(id)
		}
		if err != nil {
			return err
		}
		if in, err = storage.DecodeIncident(body); err != nil {
			return err
		}
		created := in.CreatedAt
		if fnErr = fn(in); fnErr != nil {
			return fnErr
		}
		in.ID, in.CreatedAt = id, created
		storage.NormalizeIncident(in)
		args, err := incidentRow(in)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE status_incidents SET maintenance = $2, draft = $3, resolved = $4,
			started_at = $5, scheduled_for = $6, resolved_at = $7, body = $8::jsonb WHERE id = $1`, args...)
		return err
	})
	switch {
	case fnErr != nil:
		return nil, fnErr
	case err != nil:
		return nil, mapErr(err, "")
	}
	return in, nil
}

// DeleteIncident deletes the incident or maintenance, or returns an
// ENOTFOUND error.
func (s *Store) DeleteIncident(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM status_incidents WHERE id = $1", id)
	if err != nil {
		return mapErr(err, "")
	}
	if tag.RowsAffected() == 0 {
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
	_, err := s.pool.Exec(ctx, `INSERT INTO status_subscribers (id, url, email, token, confirmed_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, sub.ID, sub.URL, sub.Email, sub.Token, nullTime(sub.ConfirmedAt), sub.CreatedAt)
	field := "id"
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.Contains(pgErr.ConstraintName, "email"):
			field = "email"
		case strings.Contains(pgErr.ConstraintName, "url"):
			field = "url"
		}
	}
	return mapErr(err, field)
}

// ListSubscribers returns every subscriber, tokens included, in the order
// they were created (then by ID).
func (s *Store) ListSubscribers(ctx context.Context) ([]statuspage.Subscriber, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, url, email, token, confirmed_at, created_at FROM status_subscribers
		ORDER BY created_at, id`)
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (statuspage.Subscriber, error) {
		var (
			sub       statuspage.Subscriber
			confirmed *time.Time
		)
		if err := row.Scan(&sub.ID, &sub.URL, &sub.Email, &sub.Token, &confirmed, &sub.CreatedAt); err != nil {
			return sub, err
		}
		if confirmed != nil {
			sub.ConfirmedAt = confirmed.UTC()
		}
		sub.CreatedAt = sub.CreatedAt.UTC()
		return sub, nil
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []statuspage.Subscriber{}
	}
	return out, nil
}

// ConfirmSubscriber marks the subscriber confirmed at at, unless it already
// is (the first confirmation is kept). An absent subscriber is an ENOTFOUND
// error; a token other than its own (or empty) EFORBIDDEN; a zero at
// EINVALID.
func (s *Store) ConfirmSubscriber(ctx context.Context, id, token string, at time.Time) error {
	if at.IsZero() {
		return linkwatch.FieldErrorf("at", "a confirmation needs a time")
	}
	var want string
	err := s.pool.QueryRow(ctx, "SELECT token FROM status_subscribers WHERE id = $1", id).Scan(&want)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.SubscriberNotFound(id)
	}
	if err != nil {
		return mapErr(err, "")
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return linkwatch.Errorf(linkwatch.EFORBIDDEN, "wrong confirmation token")
	}
	tag, err := s.pool.Exec(ctx, `UPDATE status_subscribers SET confirmed_at = coalesce(confirmed_at, $2)
		WHERE id = $1`, id, stored(at))
	if err != nil {
		return mapErr(err, "")
	}
	if tag.RowsAffected() == 0 { // deleted meanwhile
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
	var (
		sub       statuspage.Subscriber
		confirmed *time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT id, url, email, token, confirmed_at, created_at FROM status_subscribers
		WHERE token = $1 ORDER BY created_at, id LIMIT 1`, token).Scan(&sub.ID, &sub.URL, &sub.Email, &sub.Token, &confirmed, &sub.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, linkwatch.Errorf(linkwatch.ENOTFOUND, "no subscriber has this token")
	}
	if err != nil {
		return nil, mapErr(err, "")
	}
	if confirmed != nil {
		sub.ConfirmedAt = confirmed.UTC()
	}
	sub.CreatedAt = sub.CreatedAt.UTC()
	return &sub, nil
}

// DeleteUnconfirmedSubscribers deletes the subscribers never confirmed
// that were created before before, and returns how many.
func (s *Store) DeleteUnconfirmedSubscribers(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM status_subscribers WHERE confirmed_at IS NULL AND created_at < $1", stored(before))
	if err != nil {
		return 0, mapErr(err, "")
	}
	return int(tag.RowsAffected()), nil
}

// DeleteSubscriber deletes the subscriber, or returns an ENOTFOUND error.
func (s *Store) DeleteSubscriber(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM status_subscribers WHERE id = $1", id)
	if err != nil {
		return mapErr(err, "")
	}
	if tag.RowsAffected() == 0 {
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
	_, err := s.pool.Exec(ctx, `INSERT INTO status_months (component_id, month, observed, major, partial, maintenance)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (component_id, month) DO NOTHING`,
		m.ComponentID, stored(m.Month), int64(m.Observed), int64(m.Major), int64(m.Partial), int64(m.Maintenance))
	return mapErr(err, "")
}

// Months returns the component's stored months, oldest first.
func (s *Store) Months(ctx context.Context, componentID string) ([]statuspage.Month, error) {
	rows, err := s.pool.Query(ctx, `SELECT component_id, month, observed, major, partial, maintenance FROM status_months
		WHERE component_id = $1 ORDER BY month`, componentID)
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (statuspage.Month, error) {
		var (
			m                               statuspage.Month
			observed, major, partial, maint int64
		)
		if err := row.Scan(&m.ComponentID, &m.Month, &observed, &major, &partial, &maint); err != nil {
			return m, err
		}
		m.Month = m.Month.UTC()
		m.Observed, m.Major, m.Partial, m.Maintenance = time.Duration(observed), time.Duration(major),
			time.Duration(partial), time.Duration(maint)
		return m, nil
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []statuspage.Month{}
	}
	return out, nil
}

// collectBodies reads rows of one JSON body column, decoding each; no rows
// is an empty list.
func collectBodies[T any](rows pgx.Rows, decode func([]byte) (*T, error)) ([]T, error) {
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) {
		var body []byte
		var zero T
		if err := row.Scan(&body); err != nil {
			return zero, err
		}
		v, err := decode(body)
		if err != nil {
			return zero, err
		}
		return *v, nil
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}
