package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/linkwatch/linkwatch"
)

// Heartbeat records a prober's heartbeat, replacing its previous one. Its
// LastSeen is stored to the millisecond in UTC. A heartbeat brings a stopped
// or retired prober back to life.
func (s *Store) Heartbeat(ctx context.Context, p linkwatch.ProberInfo) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO probers (id, region, version, last_seen) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET region = excluded.region, version = excluded.version, last_seen = excluded.last_seen,
			stopped_at = NULL, retired_at = NULL`,
		p.ID, p.Region, p.Version, stored(p.LastSeen))
	return mapErr(err, "")
}

// StopProber records that the prober id of region deregistered at at. It is
// an ENOTFOUND error when no such prober of that region ever beat.
func (s *Store) StopProber(ctx context.Context, id, region string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE probers SET stopped_at = $1 WHERE id = $2 AND region = $3`, stored(at), id, region)
	return proberUpdated(tag, err, id)
}

// RetireProber retires the prober id at at. It is an ENOTFOUND error when
// no such prober ever beat.
func (s *Store) RetireProber(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE probers SET retired_at = $1 WHERE id = $2`, stored(at), id)
	return proberUpdated(tag, err, id)
}

func proberUpdated(tag pgconn.CommandTag, err error, id string) error {
	if err != nil {
		return mapErr(err, "")
	}
	if tag.RowsAffected() == 0 {
		return linkwatch.Errorf(linkwatch.ENOTFOUND, "prober %q not found", id)
	}
	return nil
}

// Probers returns every prober ever seen, ordered by region, then ID.
// Callers decide with a linkwatch.ProberLifecycle which are alive.
func (s *Store) Probers(ctx context.Context) ([]linkwatch.ProberInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, region, version, last_seen, stopped_at, retired_at FROM probers
		ORDER BY region COLLATE "C", id COLLATE "C"`)
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (linkwatch.ProberInfo, error) {
		var p linkwatch.ProberInfo
		var stopped, retired *time.Time
		err := row.Scan(&p.ID, &p.Region, &p.Version, &p.LastSeen, &stopped, &retired)
		p.LastSeen = p.LastSeen.UTC()
		if stopped != nil {
			p.StoppedAt = stopped.UTC()
		}
		if retired != nil {
			p.RetiredAt = retired.UTC()
		}
		return p, err
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	if out == nil {
		out = []linkwatch.ProberInfo{}
	}
	return out, nil
}
