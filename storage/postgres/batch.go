package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

// The batch reads of pages that show many links at once (the dashboard):
// one query per kind of figure for a whole page, never one per link.

// SearchLinks returns the page of links q selects, newest first, and how
// many links it selects in all.
func (s *Store) SearchLinks(ctx context.Context, q linkwatch.LinkSearch) ([]*linkwatch.Link, int, error) {
	var where strings.Builder
	where.WriteString(" FROM links WHERE true")
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Query != "" {
		// strpos, not LIKE: the query's % and _ are plain characters.
		n := arg(storage.FoldASCII(q.Query))
		where.WriteString(" AND (strpos(lower(slug), " + n + ") > 0 OR strpos(lower(destination), " + n + ") > 0)")
	}
	if q.Tag != "" {
		where.WriteString(" AND tags @> ARRAY[" + arg(q.Tag) + "::text]")
	}
	var (
		links []*linkwatch.Link
		total int
	)
	// Repeatable read: the count and the page agree.
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT count(*)"+where.String(), args...).Scan(&total); err != nil {
			return err
		}
		page := " ORDER BY id DESC OFFSET " + arg(max(q.Offset, 0))
		if q.Limit > 0 {
			page += " LIMIT " + arg(q.Limit)
		}
		rows, err := tx.Query(ctx, "SELECT "+linkColumns+where.String()+page, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		links = []*linkwatch.Link{}
		for rows.Next() {
			l, err := scanLink(rows)
			if err != nil {
				return err
			}
			links = append(links, l)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, mapErr(err, "")
	}
	return links, total, nil
}

// idsByKind groups the IDs of targets by kind, each ID once.
func idsByKind(targets []linkwatch.Target) map[string][]int64 {
	ids := map[string][]int64{}
	seen := map[linkwatch.Target]bool{}
	for _, t := range targets {
		if !seen[t] {
			seen[t] = true
			ids[t.Kind] = append(ids[t.Kind], t.ID)
		}
	}
	return ids
}

// LatestFor returns the latest result of each of targets from every region,
// with the failures in a row there, ordered by target kind, target ID and
// region.
func (s *Store) LatestFor(ctx context.Context, targets []linkwatch.Target) ([]linkwatch.Latest, error) {
	out := []linkwatch.Latest{}
	byKind := idsByKind(targets)
	for _, kind := range storage.TargetKinds() {
		ids, ok := byKind[kind]
		if !ok {
			continue
		}
		ls, err := s.queryLatest(ctx, "SELECT "+resultColumns+`, consecutive_failures FROM latest_results
			WHERE target_kind = $1 AND target_id = ANY($2) ORDER BY target_id, region COLLATE "C"`, kind, ids)
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	return out, nil
}

// RollupsFor returns the rollups of resolution (linkwatch.Hourly or Daily)
// of targets that start in [from, to), ordered by target kind, target ID,
// start and region.
func (s *Store) RollupsFor(ctx context.Context, targets []linkwatch.Target, resolution time.Duration, from, to time.Time) ([]linkwatch.Rollup, error) {
	if err := storage.CheckResolution(resolution); err != nil {
		return nil, err
	}
	out := []linkwatch.Rollup{}
	byKind := idsByKind(targets)
	for _, kind := range storage.TargetKinds() {
		ids, ok := byKind[kind]
		if !ok {
			continue
		}
		rows, err := s.pool.Query(ctx, "SELECT "+rollupColumns+` FROM rollups
			WHERE target_kind = $1 AND target_id = ANY($2) AND resolution = $3 AND start >= $4 AND start < $5
			ORDER BY target_id, start, region COLLATE "C"`,
			kind, ids, int32(resolution/time.Second), stored(from), stored(to))
		if err != nil {
			return nil, mapErr(err, "")
		}
		rs, err := pgx.CollectRows(rows, scanRollup)
		if err != nil {
			return nil, mapErr(err, "")
		}
		out = append(out, rs...)
	}
	return out, nil
}

// ScanSeries returns, per link of linkIDs with scans in [from, to), its
// scans by people (bots left out) in buckets of bucket (at least a
// millisecond) aligned to the Unix epoch, so a day's buckets start at
// midnight UTC: only the non-empty ones, in time order.
func (s *Store) ScanSeries(ctx context.Context, linkIDs []int64, from, to time.Time, bucket time.Duration) (map[int64][]linkwatch.SourceScans, error) {
	width := bucket.Milliseconds()
	if width < 1 {
		return nil, linkwatch.FieldErrorf("bucket", "bucket must be at least 1ms")
	}
	out := map[int64][]linkwatch.SourceScans{}
	if len(linkIDs) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT link_id,
		date_bin($4 * interval '1 millisecond', at, timestamptz '1970-01-01 00:00:00+00') AS b,
		coalesce(sum(count) FILTER (WHERE source = 'qr'), 0), coalesce(sum(count) FILTER (WHERE source <> 'qr'), 0)
		FROM scans WHERE link_id = ANY($1) AND at >= $2 AND at < $3 AND NOT bot
		GROUP BY link_id, b ORDER BY link_id, b`, linkIDs, stored(from), stored(to), width)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			b  linkwatch.SourceScans
		)
		if err := rows.Scan(&id, &b.T, &b.QR, &b.Link); err != nil {
			return nil, mapErr(err, "")
		}
		b.T = b.T.UTC()
		out[id] = append(out[id], b)
	}
	return out, mapErr(rows.Err(), "")
}
