package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/linkwatch/linkwatch"
)

// Heartbeat records a prober's heartbeat, replacing its previous one. Its
// LastSeen is stored to the millisecond in UTC. A heartbeat brings a stopped
// or retired prober back to life.
func (s *Store) Heartbeat(ctx context.Context, p linkwatch.ProberInfo) error {
	s.uses.Add(1)
	_, err := s.write.ExecContext(ctx, `INSERT INTO probers (id, region, version, last_seen) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET region = excluded.region, version = excluded.version, last_seen = excluded.last_seen,
			stopped_at = NULL, retired_at = NULL`,
		p.ID, p.Region, p.Version, ms(p.LastSeen))
	return mapErr(err, "")
}

// StopProber records that the prober id of region deregistered at at. It is
// an ENOTFOUND error when no such prober of that region ever beat.
func (s *Store) StopProber(ctx context.Context, id, region string, at time.Time) error {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, `UPDATE probers SET stopped_at = ? WHERE id = ? AND region = ?`, ms(at), id, region)
	return proberUpdated(res, err, id)
}

// RetireProber retires the prober id at at. It is an ENOTFOUND error when
// no such prober ever beat.
func (s *Store) RetireProber(ctx context.Context, id string, at time.Time) error {
	s.uses.Add(1)
	res, err := s.write.ExecContext(ctx, `UPDATE probers SET retired_at = ? WHERE id = ?`, ms(at), id)
	return proberUpdated(res, err, id)
}

func proberUpdated(res sql.Result, err error, id string) error {
	if err != nil {
		return mapErr(err, "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "prober %q not found", id)
	}
	return nil
}

// Probers returns every prober ever seen, ordered by region, then ID.
// Callers decide with a linkwatch.ProberLifecycle which are alive.
func (s *Store) Probers(ctx context.Context) ([]linkwatch.ProberInfo, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, "SELECT id, region, version, last_seen, stopped_at, retired_at FROM probers ORDER BY region, id")
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []linkwatch.ProberInfo{}
	for rows.Next() {
		var p linkwatch.ProberInfo
		var seen int64
		var stopped, retired sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Region, &p.Version, &seen, &stopped, &retired); err != nil {
			return nil, err
		}
		p.LastSeen = fromMS(seen)
		if stopped.Valid {
			p.StoppedAt = fromMS(stopped.Int64)
		}
		if retired.Valid {
			p.RetiredAt = fromMS(retired.Int64)
		}
		out = append(out, p)
	}
	return out, mapErr(rows.Err(), "")
}
