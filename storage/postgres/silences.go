package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/storage"
)

const silenceColumns = "id, matchers, start_at, end_at, author, comment, created_at, until_resolved"

// CreateSilence stores a new silence under the caller's ID; a taken ID is
// an ECONFLICT error. On success, s's times are as stored: UTC
// milliseconds.
func (s *Store) CreateSilence(ctx context.Context, sl *alerting.Silence) error {
	start, end, created := stored(sl.Start), stored(sl.End), stored(sl.CreatedAt)
	_, err := s.pool.Exec(ctx, "INSERT INTO silences ("+silenceColumns+") VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8)",
		sl.ID, string(storage.EncodeMatchers(sl.Matchers)), start, end, sl.Author, sl.Comment, created, sl.UntilResolved)
	if err != nil {
		return mapErr(err, "id")
	}
	sl.Start, sl.End, sl.CreatedAt = start, end, created
	return nil
}

// ListSilences returns every silence, expired ones included, ordered by
// start, ties by ID.
func (s *Store) ListSilences(ctx context.Context) ([]alerting.Silence, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+silenceColumns+` FROM silences ORDER BY start_at, id COLLATE "C"`)
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (alerting.Silence, error) {
		var (
			sl       alerting.Silence
			matchers []byte
		)
		if err := row.Scan(&sl.ID, &matchers, &sl.Start, &sl.End, &sl.Author, &sl.Comment, &sl.CreatedAt, &sl.UntilResolved); err != nil {
			return sl, err
		}
		sl.Start, sl.End, sl.CreatedAt = sl.Start.UTC(), sl.End.UTC(), sl.CreatedAt.UTC()
		var err error
		if sl.Matchers, err = storage.DecodeMatchers(matchers); err != nil {
			return sl, fmt.Errorf("silence %q: %w", sl.ID, err)
		}
		return sl, nil
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []alerting.Silence{}
	}
	return out, nil
}

// ExpireSilence ends the silence at at, if it would end later; a silence
// already ended by then is left as it is. An absent silence is an
// ENOTFOUND error.
func (s *Store) ExpireSilence(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, "UPDATE silences SET end_at = least(end_at, $2) WHERE id = $1", id, stored(at))
	if err != nil {
		return mapErr(err, "")
	}
	if tag.RowsAffected() == 0 {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "silence %q not found", id)
	}
	return nil
}

const maintenanceColumns = "id, name, matchers, start_at, end_at, cron, duration_ns"

// CreateMaintenance stores a new maintenance window under the caller's ID;
// a taken ID is an ECONFLICT error. On success, m's times are as stored:
// UTC milliseconds.
func (s *Store) CreateMaintenance(ctx context.Context, m *alerting.Maintenance) error {
	start, end := stored(m.Start), stored(m.End)
	_, err := s.pool.Exec(ctx, "INSERT INTO maintenances ("+maintenanceColumns+") VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)",
		m.ID, m.Name, string(storage.EncodeMatchers(m.Matchers)), nullTime(start), nullTime(end), m.Cron,
		int64(m.Duration))
	if err != nil {
		return mapErr(err, "id")
	}
	m.Start, m.End = start, end
	return nil
}

// ListMaintenances returns every maintenance window, ordered by ID.
func (s *Store) ListMaintenances(ctx context.Context) ([]alerting.Maintenance, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+maintenanceColumns+` FROM maintenances ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (alerting.Maintenance, error) {
		var (
			m          alerting.Maintenance
			matchers   []byte
			start, end *time.Time
			duration   int64
		)
		if err := row.Scan(&m.ID, &m.Name, &matchers, &start, &end, &m.Cron, &duration); err != nil {
			return m, err
		}
		if start != nil {
			m.Start = start.UTC()
		}
		if end != nil {
			m.End = end.UTC()
		}
		m.Duration = time.Duration(duration)
		var err error
		if m.Matchers, err = storage.DecodeMatchers(matchers); err != nil {
			return m, fmt.Errorf("maintenance %q: %w", m.ID, err)
		}
		return m, nil
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []alerting.Maintenance{}
	}
	return out, nil
}

// DeleteMaintenance deletes the maintenance window, or returns an
// ENOTFOUND error.
func (s *Store) DeleteMaintenance(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM maintenances WHERE id = $1", id)
	if err != nil {
		return mapErr(err, "")
	}
	if tag.RowsAffected() == 0 {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "maintenance window %q not found", id)
	}
	return nil
}
