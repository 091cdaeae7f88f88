package postgres

import "context"

// DashboardKey returns the key stored under name, storing fresh under it
// first when there is none: the first caller's key is every caller's.
func (s *Store) DashboardKey(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO dashboard_keys (name, key, created_at) VALUES ($1, $2, now())
		ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, mapErr(err, "")
	}
	var key []byte
	err := s.pool.QueryRow(ctx, `SELECT key FROM dashboard_keys WHERE name = $1`, name).Scan(&key)
	return key, mapErr(err, "")
}
