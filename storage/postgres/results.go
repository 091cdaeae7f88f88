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

// stagingTable is where InsertResults copies a batch before merging it into
// the real tables. It belongs to the connection, is created by the first
// batch it carries and emptied by every commit. Its columns are spelled out
// rather than copied from results, so that a connection opened before a
// migration does not keep a stale copy.
const stagingTable = `
CREATE TEMP TABLE IF NOT EXISTS linkwatch_results_in (
	id text, target_kind text, target_id bigint, region text, prober text, at timestamptz, step text,
	class text, error text, degraded boolean, status integer, dns_ns bigint, connect_ns bigint, tls_ns bigint,
	first_byte_ns bigint, total_ns bigint, hops jsonb, final_url text, cert_expiry timestamptz,
	fingerprint text, failed_over boolean
) ON COMMIT DELETE ROWS`

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
// The cost is a few statements per batch, none per result: the batch is
// copied into a staging table and inserted from there, what the new results
// add to the rollups is summed in Go (storage.RollupDeltas) and merged in one
// statement, and the latest results are created, locked and replaced with
// one statement each. Every statement takes its rows in one order (results
// by ID; rollups and latest results by key), the same in every batch, so
// that concurrent batches wait for each other rather than deadlock.
func (s *Store) InsertResults(ctx context.Context, results []linkwatch.Result) error {
	batch, err := storage.DistinctResults(results)
	if err != nil || len(batch) == 0 {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		fresh, err := insertFresh(ctx, tx, batch)
		if err != nil || len(fresh) == 0 {
			return err
		}
		return applyFresh(ctx, tx, storage.RollupDeltas(fresh), storage.Chains(fresh))
	})
	return mapErr(err, "")
}

// insertFresh copies batch into the staging table, inserts the results whose
// ID is not stored yet and returns them, in batch order.
func insertFresh(ctx context.Context, tx pgx.Tx, batch []linkwatch.Result) ([]linkwatch.Result, error) {
	if _, err := tx.Exec(ctx, stagingTable); err != nil {
		return nil, err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"pg_temp", "linkwatch_results_in"}, resultCopyColumns,
		pgx.CopyFromSlice(len(batch), func(i int) ([]any, error) { return resultRow(&batch[i]), nil }))
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, "INSERT INTO results ("+resultColumns+") SELECT "+resultColumns+
		` FROM pg_temp.linkwatch_results_in ORDER BY id COLLATE "C" ON CONFLICT (id) DO NOTHING RETURNING id`)
	if err != nil {
		return nil, err
	}
	isNew := make(map[string]bool, len(batch))
	var id string
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { isNew[id] = true; return nil }); err != nil {
		return nil, err
	}
	fresh := batch[:0]
	for _, r := range batch {
		if isNew[r.ID] {
			fresh = append(fresh, r)
		}
	}
	return fresh, nil
}

// latestKey is the key of a latest result.
type latestKey struct {
	kind   string
	id     int64
	region string
}

// applyFresh adds deltas to the rollups and applies chains, all in the
// staging table, to the latest results. One round trip adds the rollups,
// creates the latest results of targets and regions that have none and
// locks the others (the insert comes first so that a concurrent batch
// creating the same row is waited for); a second one replaces those that
// changed.
func applyFresh(ctx context.Context, tx pgx.Tx, deltas []linkwatch.Rollup, chains []storage.Chain) error {
	n := len(chains)
	kinds, ids, regions := make([]string, n), make([]int64, n), make([]string, n)
	first := make([]linkwatch.Latest, n)
	index := make(map[latestKey]int, n)
	for i, c := range chains {
		r := &c[0]
		kinds[i], ids[i], regions[i] = r.Target.Kind, r.Target.ID, r.Region
		index[latestKey{r.Target.Kind, r.Target.ID, r.Region}] = i
		first[i], _ = c.Apply(nil)
	}
	var b pgx.Batch
	queueRollups(&b, deltas)
	queueLatest(&b, first, "DO NOTHING RETURNING target_kind, target_id, region")
	// Only what health.Next reads of the previous latest result: its time,
	// class and failures in a row.
	b.Queue(`SELECT l.target_kind, l.target_id, l.region, l.id, l.at, l.class, l.consecutive_failures
		FROM latest_results AS l JOIN unnest($1::text[], $2::bigint[], $3::text[]) AS k (target_kind, target_id, region)
			USING (target_kind, target_id, region)
		ORDER BY l.target_kind COLLATE "C", l.target_id, l.region COLLATE "C" FOR UPDATE OF l`, kinds, ids, regions)
	br := tx.SendBatch(ctx, &b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return err
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	created := make([]bool, n)
	var k latestKey
	if _, err := pgx.ForEachRow(rows, []any{&k.kind, &k.id, &k.region}, func() error {
		created[index[k]] = true
		return nil
	}); err != nil {
		return err
	}
	if rows, err = br.Query(); err != nil {
		return err
	}
	var (
		prev    linkwatch.Latest
		changed []linkwatch.Latest
		n32     int32
	)
	_, err = pgx.ForEachRow(rows, []any{&prev.Target.Kind, &prev.Target.ID, &prev.Region, &prev.ID, &prev.At,
		&prev.Class, &n32}, func() error {
		i, ok := index[latestKey{prev.Target.Kind, prev.Target.ID, prev.Region}]
		if !ok || created[i] {
			return nil
		}
		prev.Failures = int(n32)
		if l, ok := chains[i].Apply(&prev); ok {
			changed = append(changed, l)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := br.Close(); err != nil {
		return err
	}
	if len(changed) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, latestInsert(`DO UPDATE SET
			id = excluded.id, prober = excluded.prober, at = excluded.at, step = excluded.step,
			class = excluded.class, error = excluded.error, degraded = excluded.degraded, status = excluded.status,
			dns_ns = excluded.dns_ns, connect_ns = excluded.connect_ns, tls_ns = excluded.tls_ns,
			first_byte_ns = excluded.first_byte_ns, total_ns = excluded.total_ns, hops = excluded.hops,
			final_url = excluded.final_url, cert_expiry = excluded.cert_expiry, fingerprint = excluded.fingerprint,
			failed_over = excluded.failed_over, consecutive_failures = excluded.consecutive_failures
		WHERE l.at < excluded.at`), latestArgs(changed)...)
	return err
}

// latestInsert is the statement writing latest results, all in the staging
// table and given by ID and failures in a row ($1, $2) in target and region
// order, to latest_results with the given ON CONFLICT action.
func latestInsert(onConflict string) string {
	return "INSERT INTO latest_results AS l (" + resultColumns + ", consecutive_failures) SELECT " +
		resultColumns + `, c.n FROM pg_temp.linkwatch_results_in
			JOIN unnest($1::text[], $2::integer[]) WITH ORDINALITY AS c (id, n, i) USING (id)
		ORDER BY c.i ON CONFLICT (target_kind, target_id, region) ` + onConflict
}

func latestArgs(latest []linkwatch.Latest) []any {
	ids := make([]string, len(latest))
	failures := make([]int32, len(latest))
	for i, l := range latest {
		ids[i], failures[i] = l.ID, int32(l.Failures)
	}
	return []any{ids, failures}
}

func queueLatest(b *pgx.Batch, latest []linkwatch.Latest, onConflict string) {
	b.Queue(latestInsert(onConflict), latestArgs(latest)...)
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
