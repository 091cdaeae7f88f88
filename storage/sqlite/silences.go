package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"github.com/linkwatch/linkwatch/storage"
)

const silenceColumns = "id, matchers, start_at, end_at, author, comment, created_at, until_resolved"

// CreateSilence stores a new silence under the caller's ID; a taken ID is
// an ECONFLICT error. On success, s's times are as stored: UTC
// milliseconds.
func (s *Store) CreateSilence(ctx context.Context, sl *alerting.Silence) error {
	s.uses.Add(1)
	_, err := s.write.ExecContext(ctx, "INSERT INTO silences ("+silenceColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		sl.ID, string(storage.EncodeMatchers(sl.Matchers)), ms(sl.Start), ms(sl.End), sl.Author, sl.Comment,
		ms(sl.CreatedAt), sl.UntilResolved)
	if err != nil {
		return mapErr(err, "id")
	}
	sl.Start, sl.End, sl.CreatedAt = stored(sl.Start), stored(sl.End), stored(sl.CreatedAt)
	return nil
}

// ListSilences returns every silence, expired ones included, ordered by
// start, ties by ID.
func (s *Store) ListSilences(ctx context.Context) ([]alerting.Silence, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, "SELECT "+silenceColumns+" FROM silences ORDER BY start_at, id")
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []alerting.Silence{}
	for rows.Next() {
		var (
			sl                  alerting.Silence
			matchers            string
			start, end, created int64
		)
		if err := rows.Scan(&sl.ID, &matchers, &start, &end, &sl.Author, &sl.Comment, &created, &sl.UntilResolved); err != nil {
			return nil, mapErr(err, "")
		}
		if sl.Matchers, err = storage.DecodeMatchers([]byte(matchers)); err != nil {
			return nil, fmt.Errorf("silence %q: %w", sl.ID, err)
		}
		sl.Start, sl.End, sl.CreatedAt = fromMS(start), fromMS(end), fromMS(created)
		out = append(out, sl)
	}
	return out, mapErr(rows.Err(), "")
}

// ExpireSilence ends the silence at at, if it would end later; a silence
// already ended by then is left as it is. An absent silence is an
// ENOTFOUND error.
func (s *Store) ExpireSilence(ctx context.Context, id string, at time.Time) error {
	s.uses.Add(1)
	// SQLite counts the matched row even when end_at keeps its value.
	res, err := s.write.ExecContext(ctx, "UPDATE silences SET end_at = min(end_at, ?) WHERE id = ?", ms(at), id)
	if err != nil {
		return mapErr(err, "")
	}
	return affected(res, linkwatch.Errorf(linkwatch.ENOTFOUND, "silence %q not found", id))
}

const maintenanceColumns = "id, name, matchers, start_at, end_at, cron, duration_ns"

// CreateMaintenance stores a new maintenance window under the caller's ID;
// a taken ID is an ECONFLICT error. On success, m's times are as stored:
// UTC milliseconds.
func (s *Store) CreateMaintenance(ctx context.Context, m *alerting.Maintenance) error {
	s.uses.Add(1)
	_, err := s.write.ExecContext(ctx, "INSERT INTO maintenances ("+maintenanceColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
		m.ID, m.Name, string(storage.EncodeMatchers(m.Matchers)), nullMS(m.Start), nullMS(m.End), m.Cron,
		int64(m.Duration))
	if err != nil {
		return mapErr(err, "id")
	}
	m.Start, m.End = stored(m.Start), stored(m.End)
	return nil
}

// ListMaintenances returns every maintenance window, ordered by ID.
func (s *Store) ListMaintenances(ctx context.Context) ([]alerting.Maintenance, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, "SELECT "+maintenanceColumns+" FROM maintenances ORDER BY id")
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []alerting.Maintenance{}
	for rows.Next() {
		var (
			m          alerting.Maintenance
			matchers   string
			start, end sql.NullInt64
			duration   int64
		)
		if err := rows.Scan(&m.ID, &m.Name, &matchers, &start, &end, &m.Cron, &duration); err != nil {
			return nil, mapErr(err, "")
		}
		if m.Matchers, err = storage.DecodeMatchers([]byte(matchers)); err != nil {
			return nil, fmt.Errorf("maintenance %q: %w", m.ID, err)
		}
		if start.Valid {
			m.Start = fromMS(start.Int64)
		}
		if end.Valid {
			m.End = fromMS(end.Int64)
		}
		m.Duration = time.Duration(duration)
		out = append(out, m)
	}
	return out, mapErr(rows.Err(), "")
}

// DeleteMaintenance deletes the maintenance window, or returns an
// ENOTFOUND error.
func (s *Store) DeleteMaintenance(ctx context.Context, id string) error {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, "DELETE FROM maintenances WHERE id = ?", id)
	if err != nil {
		return mapErr(err, "")
	}
	return affected(res, linkwatch.Errorf(linkwatch.ENOTFOUND, "maintenance window %q not found", id))
}

// affected returns notFound when res changed no row.
func affected(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}
