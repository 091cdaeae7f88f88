package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

const monitorColumns = `id, name, url, check_interval, cron, expect_statuses, expect_keyword, max_latency,
	created_at, updated_at`

func scanMonitor(row pgx.Row) (*linkwatch.Monitor, error) {
	var (
		m                linkwatch.Monitor
		interval, maxLat int64
	)
	err := row.Scan(&m.ID, &m.Name, &m.URL, &interval, &m.Cron, &m.Expect.Statuses, &m.Expect.Keyword, &maxLat,
		&m.CreatedAt, &m.UpdatedAt)
	if err != nil {
		return nil, err
	}
	m.Interval = time.Duration(interval) * time.Second
	m.Expect.MaxLatency = time.Duration(maxLat) * time.Millisecond
	m.Expect = storage.StoredExpectation(m.Expect)
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return &m, nil
}

// normalizeMonitor makes the caller's monitor equal to what the database
// stores: the interval in whole seconds, times in UTC milliseconds.
func normalizeMonitor(m *linkwatch.Monitor) {
	m.Interval = m.Interval.Truncate(time.Second)
	m.Expect = storage.StoredExpectation(m.Expect)
	m.CreatedAt, m.UpdatedAt = stored(m.CreatedAt), stored(m.UpdatedAt)
}

func monitorNotFound(id int64) error {
	return linkwatch.Errorf(linkwatch.ENOTFOUND, "monitor %d not found", id)
}

// CreateMonitor stores a new monitor and sets its ID. Its times are truncated
// to milliseconds in UTC, as they are stored.
func (s *Store) CreateMonitor(ctx context.Context, m *linkwatch.Monitor) error {
	normalizeMonitor(m)
	err := s.pool.QueryRow(ctx, `INSERT INTO monitors (name, url, check_interval, cron, expect_statuses,
		expect_keyword, max_latency, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		m.Name, m.URL, int64(m.Interval/time.Second), m.Cron, statuses(m.Expect), m.Expect.Keyword,
		m.Expect.MaxLatency.Milliseconds(), m.CreatedAt, m.UpdatedAt).Scan(&m.ID)
	return mapErr(err, "")
}

// MonitorByID returns the monitor, or an ENOTFOUND error.
func (s *Store) MonitorByID(ctx context.Context, id int64) (*linkwatch.Monitor, error) {
	m, err := scanMonitor(s.pool.QueryRow(ctx, "SELECT "+monitorColumns+" FROM monitors WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, monitorNotFound(id)
	}
	return m, mapErr(err, "")
}

// ListMonitors returns every monitor, ordered by ID.
func (s *Store) ListMonitors(ctx context.Context) ([]*linkwatch.Monitor, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+monitorColumns+" FROM monitors ORDER BY id")
	if err != nil {
		return nil, mapErr(err, "")
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*linkwatch.Monitor, error) { return scanMonitor(row) })
	if err != nil {
		return nil, mapErr(err, "")
	}
	if ms == nil {
		ms = []*linkwatch.Monitor{}
	}
	return ms, nil
}

// UpdateMonitor reads and locks the monitor, lets fn change it and writes
// every mutable field back, in one transaction. If fn fails, nothing changes
// and fn's error is returned as it is. ID and creation time cannot be changed.
func (s *Store) UpdateMonitor(ctx context.Context, id int64, fn func(*linkwatch.Monitor) error) (*linkwatch.Monitor, error) {
	var m *linkwatch.Monitor
	var fnErr error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		m, err = scanMonitor(tx.QueryRow(ctx, "SELECT "+monitorColumns+" FROM monitors WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return monitorNotFound(id)
		}
		if err != nil {
			return err
		}
		created := m.CreatedAt
		if fnErr = fn(m); fnErr != nil {
			return fnErr
		}
		m.ID, m.CreatedAt = id, created
		normalizeMonitor(m)
		_, err = tx.Exec(ctx, `UPDATE monitors SET name = $1, url = $2, check_interval = $3, cron = $4,
			expect_statuses = $5, expect_keyword = $6, max_latency = $7, updated_at = $8 WHERE id = $9`,
			m.Name, m.URL, int64(m.Interval/time.Second), m.Cron, statuses(m.Expect), m.Expect.Keyword,
			m.Expect.MaxLatency.Milliseconds(), m.UpdatedAt, id)
		return err
	})
	switch {
	case fnErr != nil:
		return nil, fnErr
	case err != nil:
		return nil, mapErr(err, "")
	}
	return m, nil
}

// DeleteMonitor deletes the monitor with its check results, rollups and
// latest results, or returns an ENOTFOUND error.
func (s *Store) DeleteMonitor(ctx context.Context, id int64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM monitors WHERE id = $1", id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return monitorNotFound(id)
		}
		return deleteResults(ctx, tx, linkwatch.Target{Kind: linkwatch.KindMonitor, ID: id})
	})
	return mapErr(err, "")
}
