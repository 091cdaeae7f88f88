package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

// The batch reads of pages that show many links at once (the dashboard):
// one query per kind of figure for a whole page, never one per link.

// SearchLinks returns the page of links q selects, newest first, and how
// many links it selects in all.
func (s *Store) SearchLinks(ctx context.Context, q linkwatch.LinkSearch) ([]*linkwatch.Link, int, error) {
	var where strings.Builder
	where.WriteString(" FROM links WHERE 1 = 1")
	var args []any
	if q.Query != "" {
		// instr, not LIKE: the query's % and _ are plain characters.
		where.WriteString(" AND (instr(lower(slug), ?) > 0 OR instr(lower(destination), ?) > 0)")
		needle := storage.FoldASCII(q.Query)
		args = append(args, needle, needle)
	}
	if q.Tag != "" {
		where.WriteString(" AND EXISTS (SELECT 1 FROM json_each(links.tags) WHERE json_each.value = ?)")
		args = append(args, q.Tag)
	}
	s.uses.Add(1)
	// One read transaction: the count and the page agree.
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, mapErr(err, "")
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT count(*)"+where.String(), args...).Scan(&total); err != nil {
		return nil, 0, mapErr(err, "")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+linkColumns+where.String()+" ORDER BY id DESC LIMIT ? OFFSET ?",
		append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, mapErr(err, "")
	}
	defer rows.Close()
	links := []*linkwatch.Link{}
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, 0, err
		}
		links = append(links, l)
	}
	return links, total, mapErr(rows.Err(), "")
}

// idsByKind groups the IDs of targets by kind, each ID once, as JSON arrays
// for json_each.
func idsByKind(targets []linkwatch.Target) map[string]string {
	ids := map[string][]int64{}
	seen := map[linkwatch.Target]bool{}
	for _, t := range targets {
		if !seen[t] {
			seen[t] = true
			ids[t.Kind] = append(ids[t.Kind], t.ID)
		}
	}
	out := make(map[string]string, len(ids))
	for kind, v := range ids {
		out[kind] = jsonArray(v)
	}
	return out
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
			WHERE target_kind = ? AND target_id IN (SELECT value FROM json_each(?)) ORDER BY target_id, region`, kind, ids)
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
		s.uses.Add(1)
		rows, err := s.read.QueryContext(ctx, `SELECT target_id, start, region, checks, failures, degraded, latency_sum, latency,
			classes FROM rollups WHERE target_kind = ? AND target_id IN (SELECT value FROM json_each(?)) AND resolution = ?
			AND start >= ? AND start < ? ORDER BY target_id, start, region`,
			kind, ids, int64(resolution/time.Second), ms(from), ms(to))
		if err != nil {
			return nil, mapErr(err, "")
		}
		for rows.Next() {
			r := linkwatch.Rollup{Target: linkwatch.Target{Kind: kind}, Resolution: resolution}
			var start, sum int64
			var latency, classes []byte
			if err := rows.Scan(&r.Target.ID, &start, &r.Region, &r.Checks, &r.Failures, &r.Degraded, &sum, &latency, &classes); err != nil {
				rows.Close()
				return nil, mapErr(err, "")
			}
			r.Start, r.LatencySum = fromMS(start), time.Duration(sum)
			if r.Latency, err = parseHistogram(latency); err != nil {
				rows.Close()
				return nil, err
			}
			if r.Classes, err = parseClasses(classes); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, mapErr(err, "")
		}
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
	s.uses.Add(1)
	// at - (at mod bucket), with mod rounding down also before 1970.
	rows, err := s.read.QueryContext(ctx, `SELECT link_id, at - ((at % ?1) + ?1) % ?1 AS b,
		sum((source = 'qr') * count), sum((source <> 'qr') * count)
		FROM scans WHERE link_id IN (SELECT value FROM json_each(?2)) AND at >= ?3 AND at < ?4 AND NOT bot
		GROUP BY link_id, b ORDER BY link_id, b`, width, jsonArray(linkIDs), ms(from), ms(to))
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, t int64
			b     linkwatch.SourceScans
		)
		if err := rows.Scan(&id, &t, &b.QR, &b.Link); err != nil {
			return nil, mapErr(err, "")
		}
		b.T = fromMS(t)
		out[id] = append(out[id], b)
	}
	return out, mapErr(rows.Err(), "")
}
