package sqlite

import (
	"context"

	"github.com/linkwatch/linkwatch"
)

// Heartbeat records a prober's heartbeat, replacing its previous one. Its
// LastSeen is stored to the millisecond in UTC.
func (s *Store) Heartbeat(ctx context.Context, p linkwatch.ProberInfo) error {
	s.uses.Add(1)
	_, err := s.write.ExecContext(ctx, `INSERT INTO probers (id, region, version, last_seen) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET region = excluded.region, version = excluded.version, last_seen = excluded.last_seen`,
		p.ID, p.Region, p.Version, ms(p.LastSeen))
	return mapErr(err, "")
}

// Probers returns the last heartbeat of every prober ever seen, ordered by
// region, then ID. Callers decide from LastSeen which are alive.
func (s *Store) Probers(ctx context.Context) ([]linkwatch.ProberInfo, error) {
	s.uses.Add(1)
	rows, err := s.read.QueryContext(ctx, "SELECT id, region, version, last_seen FROM probers ORDER BY region, id")
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer rows.Close()
	out := []linkwatch.ProberInfo{}
	for rows.Next() {
		var p linkwatch.ProberInfo
		var seen int64
		if err := rows.Scan(&p.ID, &p.Region, &p.Version, &seen); err != nil {
			return nil, err
		}
		p.LastSeen = fromMS(seen)
		out = append(out, p)
	}
	return out, mapErr(rows.Err(), "")
}
