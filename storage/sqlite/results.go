package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

const resultColumns = `id, target_kind, target_id, region, prober, at, step, class, error, degraded, status,
	dns_ns, connect_ns, tls_ns, first_byte_ns, total_ns, hops, final_url, cert_expiry, fingerprint, failed_over`

// resultValues are the placeholders of resultColumns.
var resultValues = "(" + strings.Repeat("?, ", 20) + "?)"

func resultArgs(r *linkwatch.Result) []any {
	p := &r.Phases
	return []any{r.ID, r.Target.Kind, r.Target.ID, r.Region, r.Prober, ms(r.At), r.Step, r.Class, r.Error, r.Degraded,
		r.Status, int64(p.DNS), int64(p.Connect), int64(p.TLS), int64(p.FirstByte), int64(p.Total),
		string(storage.EncodeHops(r.Hops)), r.FinalURL, nullMS(r.CertExpiry), r.Fingerprint, r.FailedOver}
}

// scanResult reads a row of resultColumns followed by extra.
func scanResult(row interface{ Scan(...any) error }, extra ...any) (linkwatch.Result, error) {
	var (
		r                                   linkwatch.Result
		at                                  int64
		dns, connect, tls, firstByte, total int64
		hops                                string
		certExpiry                          sql.NullInt64
	)
	err := row.Scan(append([]any{&r.ID, &r.Target.Kind, &r.Target.ID, &r.Region, &r.Prober, &at, &r.Step,
		&r.Class, &r.Error, &r.Degraded, &r.Status, &dns, &connect, &tls, &firstByte, &total, &hops, &r.FinalURL,
		&certExpiry, &r.Fingerprint, &r.FailedOver}, extra...)...)
	if err != nil {
		return r, err
	}
	r.At = fromMS(at)
	r.Phases = linkwatch.Phases{DNS: time.Duration(dns), Connect: time.Duration(connect), TLS: time.Duration(tls),
		FirstByte: time.Duration(firstByte), Total: time.Duration(total)}
	if certExpiry.Valid {
		r.CertExpiry = fromMS(certExpiry.Int64)
	}
	r.Hops, err = storage.DecodeHops([]byte(hops))
	return r, err
}

func (s *Store) queryResults(ctx context.Context, q string, args ...any) ([]linkwatch.Result, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []linkwatch.Result{}
	for rows.Next() {
		r, err := scanResult(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err(), "")
}

// InsertResults stores a batch of check results in one transaction. A result
// whose ID is already stored, or came earlier in the batch, is skipped: probers
// replay their spools. Each new result is counted into its hourly and daily
// rollups and replaces the latest result of its target and region if it is
// newer, counting the failures in a row there (see storage.Chain.Apply): the
// new results of each target and region are applied in time order. A result
// older than the stored latest changes nothing, the count included.
func (s *Store) InsertResults(ctx context.Context, results []linkwatch.Result) error {
	batch, err := storage.DistinctResults(results)
	if err != nil || len(batch) == 0 {
		return err
	}
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "")
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO results ("+resultColumns+") VALUES "+resultValues+
		" ON CONFLICT (id) DO NOTHING")
	if err != nil {
		return mapErr(err, "")
	}
	defer stmt.Close()
	fresh := batch[:0]
	for _, r := range batch {
		res, err := stmt.ExecContext(ctx, resultArgs(&r)...)
		if err != nil {
			return mapErr(err, "")
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			fresh = append(fresh, r)
		}
	}
	if len(fresh) > 0 {
		if err := addRollups(ctx, tx, storage.RollupDeltas(fresh)); err != nil {
			return mapErr(err, "")
		}
		if err := updateLatest(ctx, tx, storage.Chains(fresh)); err != nil {
			return mapErr(err, "")
		}
	}
	return mapErr(tx.Commit(), "")
}

// updateLatest applies each chain to the latest result of its target and
// region. The transaction holds SQLite's write lock, so what it reads of the
// latest results stays true until it commits.
func updateLatest(ctx context.Context, tx *sql.Tx, chains []storage.Chain) error {
	get, err := tx.PrepareContext(ctx, "SELECT "+resultColumns+`, consecutive_failures FROM latest_results
		WHERE target_kind = ? AND target_id = ? AND region = ?`)
	if err != nil {
		return err
	}
	defer get.Close()
	put, err := tx.PrepareContext(ctx, "INSERT OR REPLACE INTO latest_results ("+resultColumns+
		", consecutive_failures) VALUES "+strings.TrimSuffix(resultValues, ")")+", ?)")
	if err != nil {
		return err
	}
	defer put.Close()
	for _, c := range chains {
		var prev *linkwatch.Latest
		stored, err := scanLatest(get.QueryRowContext(ctx, c[0].Target.Kind, c[0].Target.ID, c[0].Region))
		switch {
		case err == nil:
			prev = &stored
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		l, ok := c.Apply(prev)
		if !ok {
			continue
		}
		if _, err := put.ExecContext(ctx, append(resultArgs(&l.Result), l.Failures)...); err != nil {
			return err
		}
	}
	return nil
}

func scanLatest(row interface{ Scan(...any) error }) (linkwatch.Latest, error) {
	var (
		l   linkwatch.Latest
		err error
	)
	l.Result, err = scanResult(row, &l.Failures)
	return l, err
}

// LatestResults returns the latest result of t from each region, with the
// failures in a row there, ordered by region.
func (s *Store) LatestResults(ctx context.Context, t linkwatch.Target) ([]linkwatch.Latest, error) {
	return s.queryLatest(ctx, "SELECT "+resultColumns+`, consecutive_failures FROM latest_results
		WHERE target_kind = ? AND target_id = ? ORDER BY region`, t.Kind, t.ID)
}

// ClearLatest forgets the latest result of t from region (its results and
// rollups stay), or returns ENOTFOUND when there is none.
func (s *Store) ClearLatest(ctx context.Context, t linkwatch.Target, region string) error {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, `DELETE FROM latest_results WHERE target_kind = ? AND target_id = ? AND region = ?`,
		t.Kind, t.ID, region)
	if err != nil {
		return mapErr(err, "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "no latest result of %s %d from region %q", t.Kind, t.ID, region)
	}
	return nil
}

// LatestAll returns the latest result of every target from every region,
// with the failures in a row there, ordered by target kind, target ID and
// region.
func (s *Store) LatestAll(ctx context.Context) ([]linkwatch.Latest, error) {
	return s.queryLatest(ctx, "SELECT "+resultColumns+`, consecutive_failures FROM latest_results
		ORDER BY target_kind, target_id, region`)
}

func (s *Store) queryLatest(ctx context.Context, query string, args ...any) ([]linkwatch.Latest, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []linkwatch.Latest{}
	for rows.Next() {
		l, err := scanLatest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, mapErr(rows.Err(), "")
}

// Results returns the stored results of t with At in [from, to), newest
// first (ties by ID, descending), at most limit of them (0: all).
func (s *Store) Results(ctx context.Context, t linkwatch.Target, from, to time.Time, limit int) ([]linkwatch.Result, error) {
	if limit <= 0 {
		limit = -1 // no limit
	}
	return s.queryResults(ctx, "SELECT "+resultColumns+` FROM results
		WHERE target_kind = ? AND target_id = ? AND at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?`,
		t.Kind, t.ID, ms(from), ms(to), limit)
}

// PruneResults deletes the raw results from before before and returns how
// many it deleted. Rollups and latest results stay.
func (s *Store) PruneResults(ctx context.Context, before time.Time) (int64, error) {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, "DELETE FROM results WHERE at < ?", ms(before))
	if err != nil {
		return 0, mapErr(err, "")
	}
	return res.RowsAffected()
}

// deleteResults deletes everything stored about t's checks.
func deleteResults(ctx context.Context, tx *sql.Tx, t linkwatch.Target) error {
	for _, table := range []string{"results", "latest_results", "rollups"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE target_kind = ? AND target_id = ?", t.Kind, t.ID); err != nil {
			return err
		}
	}
	return nil
}
