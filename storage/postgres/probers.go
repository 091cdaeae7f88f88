package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
)

// Heartbeat records a prober's heartbeat, replacing its previous one. Its
// LastSeen is stored to the millisecond in UTC.
func (s *Store) Heartbeat(ctx context.Context, p linkwatch.ProberInfo) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO probers (id, region, version, last_seen) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET region = excluded.region, version = excluded.version, last_seen = excluded.last_seen`,
		p.ID, p.Region, p.Version, stored(p.LastSeen))
	return mapErr(err, "")
}

// Probers returns the last heartbeat of every prober ever seen, ordered by
// region, then ID. Callers decide from LastSeen which are alive.
func (s *Store) Probers(ctx context.Context) ([]linkwatch.ProberInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, region, version, last_seen FROM probers
		ORDER BY region COLLATE "C", id COLLATE "C"`)
	if err != nil {
		return nil, mapErr(err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (linkwatch.ProberInfo, error) {
		var p linkwatch.ProberInfo
		err := row.Scan(&p.ID, &p.Region, &p.Version, &p.LastSeen)
		p.LastSeen = p.LastSeen.UTC()
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
