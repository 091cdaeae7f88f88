package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

// statusesJSON is the stored expect_statuses of e: a JSON array, never null.
func statusesJSON(e linkwatch.Expectation) string {
	if len(e.Statuses) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(e.Statuses) // an []int always marshals
	return string(b)
}

// expectation reads the stored columns of an expectation.
func expectation(statuses, keyword string, maxLatency int64) (linkwatch.Expectation, error) {
	e := linkwatch.Expectation{Keyword: keyword, MaxLatency: time.Duration(maxLatency) * time.Millisecond}
	if err := json.Unmarshal([]byte(statuses), &e.Statuses); err != nil {
		return e, fmt.Errorf("expect_statuses: %w", err)
	}
	return storage.StoredExpectation(e), nil
}

const monitorColumns = `id, name, url, check_interval, cron, expect_statuses, expect_keyword, max_latency,
	created_at, updated_at`

func scanMonitor(row interface{ Scan(...any) error }) (*linkwatch.Monitor, error) {
	var (
		m                 linkwatch.Monitor
		interval, maxLat  int64
		statuses, keyword string
		created, updated  int64
	)
	err := row.Scan(&m.ID, &m.Name, &m.URL, &interval, &m.Cron, &statuses, &keyword, &maxLat, &created, &updated)
	if err != nil {
		return nil, err
	}
	if m.Expect, err = expectation(statuses, keyword, maxLat); err != nil {
		return nil, fmt.Errorf("monitor %d: %w", m.ID, err)
	}
	m.Interval = time.Duration(interval) * time.Second
	m.CreatedAt, m.UpdatedAt = fromMS(created), fromMS(updated)
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
	s.uses.Add(1)
	normalizeMonitor(m)
	res, err := s.write.ExecContext(ctx, `INSERT INTO monitors (name, url, check_interval, cron, expect_statuses,
		expect_keyword, max_latency, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Name, m.URL, int64(m.Interval/time.Second), m.Cron, statusesJSON(m.Expect), m.Expect.Keyword,
		m.Expect.MaxLatency.Milliseconds(), ms(m.CreatedAt), ms(m.UpdatedAt))
	if err != nil {
		return mapErr(err, "")
	}
	m.ID, err = res.LastInsertId()
	return err
}

// MonitorByID returns the monitor, or an ENOTFOUND error.
func (s *Store) MonitorByID(ctx context.Context, id int64) (*linkwatch.Monitor, error) {
	s.uses.Add(1)
	m, err := scanMonitor(s.read.QueryRowContext(ctx, "SELECT "+monitorColumns+" FROM monitors WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, monitorNotFound(id)
	}
	return m, mapErr(err, "")
}

// ListMonitors returns every monitor, ordered by ID.
func (s *Store) ListMonitors(ctx context.Context) ([]*linkwatch.Monitor, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, "SELECT "+monitorColumns+" FROM monitors ORDER BY id")
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []*linkwatch.Monitor{}
	for rows.Next() {
		m, err := scanMonitor(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, mapErr(rows.Err(), "")
}

// UpdateMonitor reads the monitor, lets fn change it and writes every mutable
// field back, in one transaction. If fn fails, nothing changes and fn's error
// is returned as it is. ID and creation time cannot be changed.
func (s *Store) UpdateMonitor(ctx context.Context, id int64, fn func(*linkwatch.Monitor) error) (*linkwatch.Monitor, error) {
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer tx.Rollback()
	m, err := scanMonitor(tx.QueryRowContext(ctx, "SELECT "+monitorColumns+" FROM monitors WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, monitorNotFound(id)
	}
	if err != nil {
		return nil, mapErr(err, "")
	}
	created := m.CreatedAt
	if err := fn(m); err != nil {
		return nil, err
	}
	m.ID, m.CreatedAt = id, created
	normalizeMonitor(m)
	_, err = tx.ExecContext(ctx, `UPDATE monitors SET name = ?, url = ?, check_interval = ?, cron = ?,
		expect_statuses = ?, expect_keyword = ?, max_latency = ?, updated_at = ? WHERE id = ?`,
		m.Name, m.URL, int64(m.Interval/time.Second), m.Cron, statusesJSON(m.Expect), m.Expect.Keyword,
		m.Expect.MaxLatency.Milliseconds(), ms(m.UpdatedAt), id)
	if err != nil {
		return nil, mapErr(err, "")
	}
	if err := tx.Commit(); err != nil {
		return nil, mapErr(err, "")
	}
	return m, nil
}

// DeleteMonitor deletes the monitor with its check results, rollups and
// latest results, or returns an ENOTFOUND error.
func (s *Store) DeleteMonitor(ctx context.Context, id int64) error {
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "")
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "DELETE FROM monitors WHERE id = ?", id)
	if err != nil {
		return mapErr(err, "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return monitorNotFound(id)
	}
	if err := deleteResults(ctx, tx, linkwatch.Target{Kind: linkwatch.KindMonitor, ID: id}); err != nil {
		return mapErr(err, "")
	}
	return mapErr(tx.Commit(), "")
}
