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
	"github.com/linkwatch/linkwatch/storage"
)

const linkColumns = `id, domain, slug, destination, fallback_url, tags, redirect_code,
	expires_at, check_interval, expect_statuses, expect_keyword, max_latency, failed_over, failover_mode,
	failover_since, failover_reason, created_at, updated_at`

// scanLink reads a row of linkColumns.
func scanLink(row interface{ Scan(...any) error }) (*linkwatch.Link, error) {
	var (
		l                linkwatch.Link
		tags             string
		expires          sql.NullInt64
		since            sql.NullInt64
		interval         int64
		statuses         string
		maxLat           int64
		created, updated int64
	)
	err := row.Scan(&l.ID, &l.Domain, &l.Slug, &l.Destination, &l.FallbackURL, &tags, &l.RedirectCode,
		&expires, &interval, &statuses, &l.Expect.Keyword, &maxLat, &l.FailedOver, &l.Failover,
		&since, &l.FailoverReason, &created, &updated)
	if err != nil {
		return nil, err
	}
	if l.Expect, err = expectation(statuses, l.Expect.Keyword, maxLat); err != nil {
		return nil, fmt.Errorf("link %d: %w", l.ID, err)
	}
	if err := json.Unmarshal([]byte(tags), &l.Tags); err != nil {
		return nil, fmt.Errorf("link %d: tags: %w", l.ID, err)
	}
	if l.Tags == nil {
		l.Tags = []string{}
	}
	if since.Valid {
		l.FailoverSince = fromMS(since.Int64)
	}
	if expires.Valid {
		l.ExpiresAt = fromMS(expires.Int64)
	}
	l.CheckInterval = time.Duration(interval) * time.Second
	l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
	return &l, nil
}

// normalize makes the caller's link equal to what the database stores.
func normalize(l *linkwatch.Link) {
	l.CreatedAt, l.UpdatedAt, l.ExpiresAt = stored(l.CreatedAt), stored(l.UpdatedAt), stored(l.ExpiresAt)
	l.FailoverSince = stored(l.FailoverSince)
	if l.Failover == "" {
		l.Failover = linkwatch.FailoverAuto
	}
	l.Expect = storage.StoredExpectation(l.Expect)
	if l.Tags == nil {
		l.Tags = []string{}
	}
}

func tagsJSON(tags []string) string {
	b, _ := json.Marshal(tags) // a []string always marshals
	return string(b)
}

func notFound(domain, slug string) error {
	if domain == "" {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "link %q not found", slug)
	}
	return linkwatch.Errorf(linkwatch.ENOTFOUND, "link %q not found on %s", slug, domain)
}

// CreateLink stores a new link and sets its ID. Its times are truncated to
// milliseconds in UTC, as they are stored. A taken (domain, slug) is an
// ECONFLICT error about "slug".
func (s *Store) CreateLink(ctx context.Context, l *linkwatch.Link) error {
	s.uses.Add(1)
	normalize(l)
	res, err := s.write.ExecContext(ctx, `INSERT INTO links (domain, slug, destination, fallback_url, tags,
		redirect_code, expires_at, check_interval, expect_statuses, expect_keyword, max_latency,
		failed_over, failover_mode, failover_since, failover_reason, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.Domain, l.Slug, l.Destination, l.FallbackURL, tagsJSON(l.Tags), l.RedirectCode,
		nullMS(l.ExpiresAt), int64(l.CheckInterval/time.Second), statusesJSON(l.Expect), l.Expect.Keyword,
		l.Expect.MaxLatency.Milliseconds(), l.FailedOver, l.Failover, nullMS(l.FailoverSince), l.FailoverReason,
		ms(l.CreatedAt), ms(l.UpdatedAt))
	if err != nil {
		return mapErr(err, "slug")
	}
	if l.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	s.hub.publish(linkwatch.LinkChange{Domain: l.Domain, Slug: l.Slug})
	return nil
}

// LinkBySlug returns the link slug on domain ("" for the default domain), or
// an ENOTFOUND error.
func (s *Store) LinkBySlug(ctx context.Context, domain, slug string) (*linkwatch.Link, error) {
	s.uses.Add(1)
	row := s.read.QueryRowContext(ctx, "SELECT "+linkColumns+" FROM links WHERE domain = ? AND slug = ?", domain, slug)
	l, err := scanLink(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(domain, slug)
	}
	return l, mapErr(err, "")
}

// ListLinks returns the links f selects, ordered by ID.
func (s *Store) ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error) {
	s.uses.Add(1)
	var q strings.Builder
	q.WriteString("SELECT " + linkColumns + " FROM links WHERE id > ?")
	args := []any{f.AfterID}
	if f.Tag != "" {
		q.WriteString(" AND EXISTS (SELECT 1 FROM json_each(links.tags) WHERE json_each.value = ?)")
		args = append(args, f.Tag)
	}
	if f.Domain != nil {
		q.WriteString(" AND domain = ?")
		args = append(args, *f.Domain)
	}
	q.WriteString(" ORDER BY id")
	if f.Limit > 0 {
		q.WriteString(" LIMIT ?")
		args = append(args, f.Limit)
	}
	rows, err := s.read.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	links := []*linkwatch.Link{}
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, err
		}
		links = append(links, l)
	}
	return links, mapErr(rows.Err(), "")
}

// UpdateLink reads the link, lets fn change it and writes every mutable field
// back, in one transaction. If fn fails, nothing changes and fn's error is
// returned as it is. ID, domain, slug and creation time cannot be changed.
func (s *Store) UpdateLink(ctx context.Context, domain, slug string, fn func(*linkwatch.Link) error) (*linkwatch.Link, error) {
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer tx.Rollback()
	l, err := scanLink(tx.QueryRowContext(ctx, "SELECT "+linkColumns+" FROM links WHERE domain = ? AND slug = ?", domain, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(domain, slug)
	}
	if err != nil {
		return nil, mapErr(err, "")
	}
	id, created := l.ID, l.CreatedAt
	if err := fn(l); err != nil {
		return nil, err
	}
	l.ID, l.Domain, l.Slug, l.CreatedAt = id, domain, slug, created
	normalize(l)
	_, err = tx.ExecContext(ctx, `UPDATE links SET destination = ?, fallback_url = ?, tags = ?, redirect_code = ?,
		expires_at = ?, check_interval = ?, expect_statuses = ?, expect_keyword = ?, max_latency = ?,
		failed_over = ?, failover_mode = ?, failover_since = ?, failover_reason = ?, updated_at = ? WHERE id = ?`,
		l.Destination, l.FallbackURL, tagsJSON(l.Tags), l.RedirectCode, nullMS(l.ExpiresAt),
		int64(l.CheckInterval/time.Second), statusesJSON(l.Expect), l.Expect.Keyword,
		l.Expect.MaxLatency.Milliseconds(), l.FailedOver, l.Failover, nullMS(l.FailoverSince), l.FailoverReason,
		ms(l.UpdatedAt), l.ID)
	if err != nil {
		return nil, mapErr(err, "")
	}
	if err := tx.Commit(); err != nil {
		return nil, mapErr(err, "")
	}
	s.hub.publish(linkwatch.LinkChange{Domain: domain, Slug: slug})
	return l, nil
}

// DeleteLink deletes the link with its scans, check results, rollups and
// latest results (its fallback's too), or returns an ENOTFOUND error.
func (s *Store) DeleteLink(ctx context.Context, domain, slug string) error {
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "")
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, "DELETE FROM links WHERE domain = ? AND slug = ? RETURNING id", domain, slug).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(domain, slug)
	}
	if err != nil {
		return mapErr(err, "")
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM scans WHERE link_id = ?", id); err != nil {
		return mapErr(err, "")
	}
	for _, kind := range []string{linkwatch.KindLink, linkwatch.KindFallback} {
		if err := deleteResults(ctx, tx, linkwatch.Target{Kind: kind, ID: id}); err != nil {
			return mapErr(err, "")
		}
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err, "")
	}
	s.hub.publish(linkwatch.LinkChange{Domain: domain, Slug: slug})
	return nil
}
