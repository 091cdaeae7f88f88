package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

const resultColumns = `id, target_kind, target_id, region, prober, at, step, class, error, degraded, status,
	dns_ns, connect_ns, tls_ns, first_byte_ns, total_ns, hops, final_url, cert_expiry, fingerprint, failed_over`

// resultCopyColumns are resultColumns for pgx.CopyFrom.
var resultCopyColumns = []string{"id", "target_kind", "target_id", "region", "prober", "at", "step", "class",
	"error", "degraded", "status", "dns_ns", "connect_ns", "tls_ns", "first_byte_ns", "total_ns", "hops",
	"final_url", "cert_expiry", "fingerprint", "failed_over"}

// stagingTables are where InsertResults copies a batch before merging it into
// the real tables. They belong to the connection, are created by the first
// batch it carries and emptied by every commit. Their columns are spelled
// out rather than copied from the real tables, so that a connection opened
// before a migration does not keep a stale copy.
const stagingTables = `
CREATE TEMP TABLE IF NOT EXISTS linkwatch_results_in (
	id text, target_kind text, target_id bigint, region text, prober text, at timestamptz, step text,
	class text, error text, degraded boolean, status integer, dns_ns bigint, connect_ns bigint, tls_ns bigint,
	first_byte_ns bigint, total_ns bigint, hops jsonb, final_url text, cert_expiry timestamptz,
	fingerprint text, failed_over boolean
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS linkwatch_rollups_in (
	target_kind text, target_id bigint, resolution integer, start timestamptz, region text,
	checks bigint, failures bigint, degraded bigint, latency_sum bigint, latency bigint[], classes bigint[]
) ON COMMIT DELETE ROWS;`

func resultRow(r *linkwatch.Result) []any {
	p := &r.Phases
	return []any{r.ID, r.Target.Kind, r.Target.ID, r.Region, r.Prober, r.At, r.Step, r.Class, r.Error, r.Degraded,
		r.Status, int64(p.DNS), int64(p.Connect), int64(p.TLS), int64(p.FirstByte), int64(p.Total),
		storage.EncodeHops(r.Hops), r.FinalURL, nullTime(r.CertExpiry), r.Fingerprint, r.FailedOver}
}

// scanResult reads a row of resultColumns followed by extra.
func scanResult(row pgx.Row, extra ...any) (linkwatch.Result, error) {
	var (
		r                                   linkwatch.Result
		dns, connect, tls, firstByte, total int64
		hops                                []byte
		certExpiry                          *time.Time
	)
	err := row.Scan(append([]any{&r.ID, &r.Target.Kind, &r.Target.ID, &r.Region, &r.Prober, &r.At, &r.Step,
		&r.Class, &r.Error, &r.Degraded, &r.Status, &dns, &connect, &tls, &firstByte, &total, &hops, &r.FinalURL,
		&certExpiry, &r.Fingerprint, &r.FailedOver}, extra...)...)
	if err != nil {
		return r, err
	}
	r.Phases = linkwatch.Phases{DNS: time.Duration(dns), Connect: time.Duration(connect), TLS: time.Duration(tls),
		FirstByte: time.Duration(firstByte), Total: time.Duration(total)}
	if r.Hops, err = storage.DecodeHops(hops); err != nil {
		return r, err
	}
	r.At = r.At.UTC()
	if certExpiry != nil {
		r.CertExpiry = certExpiry.UTC()
	}
	return r, nil
}

func collectResults(rows pgx.Rows, err error) ([]linkwatch.Result, error) {
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (linkwatch.Result, error) { return scanResult(row) })
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []linkwatch.Result{}
	}
	return out, nil
}

// InsertResults stores a batch of check results in one transaction. A result
// whose ID is already stored, or came earlier in the batch, is skipped: probers
// replay their spools. Each new result is counted into its hourly and daily
// rollups and replaces the latest result of its target and region if it is
// newer, counting the failures in a row there (see storage.Chain.Apply): the
// new results of each target and region are applied in time order. A result
// older than the stored latest changes nothing, the count included.
//
// The batch is copied into a staging table, inserted from there in ID order
// (so that concurrent batches replaying the same IDs wait for each other
// rather than deadlock), and what the new results add to the rollups is
// computed in Go with linkwatch.Rollup.Add and merged in one statement.
func (s *Store) InsertResults(ctx context.Context, results []linkwatch.Result) error {
	batch, err := storage.DistinctResults(results)
	if err != nil || len(batch) == 0 {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, stagingTables); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"pg_temp", "linkwatch_results_in"}, resultCopyColumns,
			pgx.CopyFromSlice(len(batch), func(i int) ([]any, error) { return resultRow(&batch[i]), nil }))
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "INSERT INTO results ("+resultColumns+") SELECT "+resultColumns+
			` FROM pg_temp.linkwatch_results_in ORDER BY id COLLATE "C" ON CONFLICT (id) DO NOTHING RETURNING id`)
		if err != nil {
			return err
		}
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		isNew := make(map[string]bool, len(inserted))
		for _, id := range inserted {
			isNew[id] = true
		}
		fresh := batch[:0]
		for _, r := range batch {
			if isNew[r.ID] {
				fresh = append(fresh, r)
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		if err := addRollups(ctx, tx, storage.RollupDeltas(fresh)); err != nil {
			return err
		}
		return updateLatest(ctx, tx, storage.Chains(fresh))
	})
	return mapErr(err, "")
}

// upsertLatest writes latest, all in the staging table, to latest_results
// with the given ON CONFLICT action, in target and region order.
func upsertLatest(ctx context.Context, tx pgx.Tx, latest []linkwatch.Latest, onConflict string) (pgx.Rows, error) {
	ids := make([]string, len(latest))
	failures := make([]int32, len(latest))
	for i, l := range latest {
		ids[i], failures[i] = l.ID, int32(l.Failures)
	}
	return tx.Query(ctx, "INSERT INTO latest_results AS l ("+resultColumns+", consecutive_failures) SELECT "+
		resultColumns+`, n FROM pg_temp.linkwatch_results_in JOIN unnest($1::text[], $2::integer[]) AS c (id, n) USING (id)
		ORDER BY target_kind COLLATE "C", target_id, region COLLATE "C"
		ON CONFLICT (target_kind, target_id, region) `+onConflict, ids, failures)
}

// updateLatest applies each chain, all in the staging table, to the latest
// result of its target and region. Chains of targets and regions without a
// latest result insert theirs; the other latest results are locked, in
// target and region order, and updated from what they hold. The insert comes
// first so that a concurrent batch creating the same row is waited for.
func updateLatest(ctx context.Context, tx pgx.Tx, chains []storage.Chain) error {
	type key struct {
		kind   string
		id     int64
		region string
	}
	fresh := make([]linkwatch.Latest, len(chains))
	for i, c := range chains {
		fresh[i], _ = c.Apply(nil)
	}
	rows, err := upsertLatest(ctx, tx, fresh, "DO NOTHING RETURNING target_kind, target_id, region")
	if err != nil {
		return err
	}
	created := make(map[key]bool)
	var k key
	_, err = pgx.ForEachRow(rows, []any{&k.kind, &k.id, &k.region}, func() error {
		created[k] = true
		return nil
	})
	if err != nil {
		return err
	}
	var (
		kinds, regions []string
		ids            []int64
		rest           = make(map[key]storage.Chain)
	)
	for _, c := range chains {
		r := c[0]
		if k := (key{r.Target.Kind, r.Target.ID, r.Region}); !created[k] {
			kinds, ids, regions = append(kinds, k.kind), append(ids, k.id), append(regions, k.region)
			rest[k] = c
		}
	}
	if len(rest) == 0 {
		return nil
	}
	rows, err = tx.Query(ctx, "SELECT "+resultColumns+`, consecutive_failures FROM latest_results
		WHERE (target_kind, target_id, region) IN (SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]))
		ORDER BY target_kind COLLATE "C", target_id, region COLLATE "C" FOR UPDATE`, kinds, ids, regions)
	if err != nil {
		return err
	}
	stored, err := pgx.CollectRows(rows, scanLatest)
	if err != nil {
		return err
	}
	var changed []linkwatch.Latest
	for _, prev := range stored {
		if l, ok := rest[key{prev.Target.Kind, prev.Target.ID, prev.Region}].Apply(&prev); ok {
			changed = append(changed, l)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	rows, err = upsertLatest(ctx, tx, changed, `DO UPDATE SET
			id = excluded.id, prober = excluded.prober, at = excluded.at, step = excluded.step,
			class = excluded.class, error = excluded.error, degraded = excluded.degraded, status = excluded.status,
			dns_ns = excluded.dns_ns, connect_ns = excluded.connect_ns, tls_ns = excluded.tls_ns,
			first_byte_ns = excluded.first_byte_ns, total_ns = excluded.total_ns, hops = excluded.hops,
			final_url = excluded.final_url, cert_expiry = excluded.cert_expiry, fingerprint = excluded.fingerprint,
			failed_over = excluded.failed_over, consecutive_failures = excluded.consecutive_failures
		WHERE l.at < excluded.at`)
	if err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

func scanLatest(row pgx.CollectableRow) (linkwatch.Latest, error) {
	var (
		l   linkwatch.Latest
		n   int32
		err error
	)
	l.Result, err = scanResult(row, &n)
	l.Failures = int(n)
	return l, err
}

// LatestResults returns the latest result of t from each region, with the
// failures in a row there, ordered by region.
func (s *Store) LatestResults(ctx context.Context, t linkwatch.Target) ([]linkwatch.Latest, error) {
	return s.queryLatest(ctx, "SELECT "+resultColumns+`, consecutive_failures FROM latest_results
		WHERE target_kind = $1 AND target_id = $2 ORDER BY region COLLATE "C"`, t.Kind, t.ID)
}

// ClearLatest forgets the latest result of t from region (its results and
// rollups stay), or returns ENOTFOUND when there is none.
func (s *Store) ClearLatest(ctx context.Context, t linkwatch.Target, region string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM latest_results WHERE target_kind = $1 AND target_id = $2 AND region = $3`,
		t.Kind, t.ID, region)
	if err != nil {
		return mapErr(err, "")
	}
	if tag.RowsAffected() == 0 {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "no latest result of %s %d from region %q", t.Kind, t.ID, region)
	}
	return nil
}

// LatestAll returns the latest result of every target from every region,
// with the failures in a row there, ordered by target kind, target ID and
// region.
func (s *Store) LatestAll(ctx context.Context) ([]linkwatch.Latest, error) {
	return s.queryLatest(ctx, "SELECT "+resultColumns+`, consecutive_failures FROM latest_results
		ORDER BY target_kind COLLATE "C", target_id, region COLLATE "C"`)
}

func (s *Store) queryLatest(ctx context.Context, query string, args ...any) ([]linkwatch.Latest, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, scanLatest)
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []linkwatch.Latest{}
	}
	return out, nil
}

// Results returns the stored results of t with At in [from, to), newest
// first (ties by ID, descending), at most limit of them (0: all).
func (s *Store) Results(ctx context.Context, t linkwatch.Target, from, to time.Time, limit int) ([]linkwatch.Result, error) {
	q := "SELECT " + resultColumns + ` FROM results WHERE target_kind = $1 AND target_id = $2 AND at >= $3 AND at < $4
		ORDER BY at DESC, id COLLATE "C" DESC`
	args := []any{t.Kind, t.ID, stored(from), stored(to)}
	if limit > 0 {
		q += " LIMIT $5"
		args = append(args, limit)
	}
	return collectResults(s.pool.Query(ctx, q, args...))
}

// PruneResults deletes the raw results from before before and returns how
// many it deleted. Rollups and latest results stay.
func (s *Store) PruneResults(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM results WHERE at < $1", stored(before))
	if err != nil {
		return 0, mapErr(err, "")
	}
	return tag.RowsAffected(), nil
}

// deleteResults deletes everything stored about t's checks.
func deleteResults(ctx context.Context, tx pgx.Tx, t linkwatch.Target) error {
	for _, table := range []string{"results", "latest_results", "rollups"} {
		if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE target_kind = $1 AND target_id = $2", t.Kind, t.ID); err != nil {
			return err
		}
	}
	return nil
}
