package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

const linkColumns = `id, domain, slug, destination, fallback_url, tags, redirect_code,
	expires_at, check_interval, expect_statuses, expect_keyword, max_latency, failed_over, failover_mode,
	failover_since, failover_reason, created_at, updated_at`

func scanLink(row pgx.Row) (*linkwatch.Link, error) {
	var (
		l        linkwatch.Link
		expires  *time.Time
		since    *time.Time
		interval int64
		maxLat   int64
	)
	err := row.Scan(&l.ID, &l.Domain, &l.Slug, &l.Destination, &l.FallbackURL, &l.Tags, &l.RedirectCode,
		&expires, &interval, &l.Expect.Statuses, &l.Expect.Keyword, &maxLat, &l.FailedOver, &l.Failover,
		&since, &l.FailoverReason, &l.CreatedAt, &l.UpdatedAt)
	if err != nil {
		return nil, err
	}
	l.Expect.MaxLatency = time.Duration(maxLat) * time.Millisecond
	l.Expect = storage.StoredExpectation(l.Expect)
	if l.Tags == nil {
		l.Tags = []string{}
	}
	if expires != nil {
		l.ExpiresAt = expires.UTC()
	}
	if since != nil {
		l.FailoverSince = since.UTC()
	}
	l.CheckInterval = time.Duration(interval) * time.Second
	l.CreatedAt, l.UpdatedAt = l.CreatedAt.UTC(), l.UpdatedAt.UTC()
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

// statuses is the expect_statuses of e: never NULL.
func statuses(e linkwatch.Expectation) []int {
	if e.Statuses == nil {
		return []int{}
	}
	return e.Statuses
}

func notFound(domain, slug string) error {
	if domain == "" {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "link %q not found", slug)
	}
	return linkwatch.Errorf(linkwatch.ENOTFOUND, "link %q not found on %s", slug, domain)
}

// notify tells every WatchLinks call, in every replica, about the change
// when tx commits; if tx rolls back, nobody hears of it.
func notify(ctx context.Context, tx pgx.Tx, domain, slug string) error {
	payload, _ := json.Marshal(change{Domain: domain, Slug: slug}) // strings always marshal
	_, err := tx.Exec(ctx, "SELECT pg_notify("+channelExpr+", $1)", string(payload))
	return err
}

// CreateLink stores a new link and sets its ID. Its times are truncated to
// milliseconds in UTC, as they are stored. A taken (domain, slug) is an
// ECONFLICT error about "slug".
func (s *Store) CreateLink(ctx context.Context, l *linkwatch.Link) error {
	normalize(l)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO links (domain, slug, destination, fallback_url, tags,
			redirect_code, expires_at, check_interval, expect_statuses, expect_keyword, max_latency,
			failed_over, failover_mode, failover_since, failover_reason, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
			l.Domain, l.Slug, l.Destination, l.FallbackURL, l.Tags, l.RedirectCode, nullTime(l.ExpiresAt),
			int64(l.CheckInterval/time.Second), statuses(l.Expect), l.Expect.Keyword, l.Expect.MaxLatency.Milliseconds(),
			l.FailedOver, l.Failover, nullTime(l.FailoverSince), l.FailoverReason, l.CreatedAt, l.UpdatedAt).Scan(&l.ID)
		if err != nil {
			return err
		}
		return notify(ctx, tx, l.Domain, l.Slug)
	})
	if err != nil {
		l.ID = 0
	}
	return mapErr(err, "slug")
}

// LinkBySlug returns the link slug on domain ("" for the default domain), or
// an ENOTFOUND error.
func (s *Store) LinkBySlug(ctx context.Context, domain, slug string) (*linkwatch.Link, error) {
	l, err := scanLink(s.pool.QueryRow(ctx, "SELECT "+linkColumns+" FROM links WHERE domain = $1 AND slug = $2", domain, slug))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(domain, slug)
	}
	return l, mapErr(err, "")
}

// ListLinks returns the links f selects, ordered by ID.
func (s *Store) ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error) {
	var q strings.Builder
	args := []any{f.AfterID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	q.WriteString("SELECT " + linkColumns + " FROM links WHERE id > $1")
	if f.Tag != "" {
		q.WriteString(" AND tags @> ARRAY[" + arg(f.Tag) + "::text]") // @> can use the GIN index
	}
	if f.Domain != nil {
		q.WriteString(" AND domain = " + arg(*f.Domain))
	}
	q.WriteString(" ORDER BY id")
	if f.Limit > 0 {
		q.WriteString(" LIMIT " + arg(f.Limit))
	}
	rows, err := s.pool.Query(ctx, q.String(), args...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	links := []*linkwatch.Link{}
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, mapErr(err, "")
		}
		links = append(links, l)
	}
	return links, mapErr(rows.Err(), "")
}

// UpdateLink reads and locks the link, lets fn change it and writes every
// mutable field back, in one transaction. If fn fails, nothing changes and
// fn's error is returned as it is. ID, domain, slug and creation time cannot
// be changed.
func (s *Store) UpdateLink(ctx context.Context, domain, slug string, fn func(*linkwatch.Link) error) (*linkwatch.Link, error) {
	var l *linkwatch.Link
	var fnErr error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		l, err = scanLink(tx.QueryRow(ctx, "SELECT "+linkColumns+" FROM links WHERE domain = $1 AND slug = $2 FOR UPDATE", domain, slug))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound(domain, slug)
		}
		if err != nil {
			return err
		}
		id, created := l.ID, l.CreatedAt
		if fnErr = fn(l); fnErr != nil {
			return fnErr
		}
		l.ID, l.Domain, l.Slug, l.CreatedAt = id, domain, slug, created
		normalize(l)
		_, err = tx.Exec(ctx, `UPDATE links SET destination = $1, fallback_url = $2, tags = $3, redirect_code = $4,
			expires_at = $5, check_interval = $6, expect_statuses = $7, expect_keyword = $8, max_latency = $9,
			failed_over = $10, failover_mode = $11, failover_since = $12, failover_reason = $13, updated_at = $14
			WHERE id = $15`,
			l.Destination, l.FallbackURL, l.Tags, l.RedirectCode, nullTime(l.ExpiresAt),
			int64(l.CheckInterval/time.Second), statuses(l.Expect), l.Expect.Keyword, l.Expect.MaxLatency.Milliseconds(),
			l.FailedOver, l.Failover, nullTime(l.FailoverSince), l.FailoverReason, l.UpdatedAt, l.ID)
		if err != nil {
			return err
		}
		return notify(ctx, tx, domain, slug)
	})
	switch {
	case fnErr != nil:
		return nil, fnErr
	case err != nil:
		return nil, mapErr(err, "")
	}
	return l, nil
}

// DeleteLink deletes the link with its scans, check results, rollups and
// latest results (its fallback's too), or returns an ENOTFOUND error.
func (s *Store) DeleteLink(ctx context.Context, domain, slug string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, "DELETE FROM links WHERE domain = $1 AND slug = $2 RETURNING id", domain, slug).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound(domain, slug)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM scans WHERE link_id = $1", id); err != nil {
			return err
		}
		for _, kind := range []string{linkwatch.KindLink, linkwatch.KindFallback} {
			if err := deleteResults(ctx, tx, linkwatch.Target{Kind: kind, ID: id}); err != nil {
				return err
			}
		}
		return notify(ctx, tx, domain, slug)
	})
	return mapErr(err, "")
}
