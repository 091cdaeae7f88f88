package sqlite

import "context"

// DashboardKey returns the key stored under name, storing fresh under it
// first when there is none: the first caller's key is every caller's.
func (s *Store) DashboardKey(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	s.uses.Add(1)
	if _, err := s.write.ExecContext(ctx, `INSERT INTO dashboard_keys (name, key, created_at) VALUES (?, ?, CAST(strftime('%s', 'now') AS INTEGER) * 1000)
		ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, mapErr(err, "")
	}
	var key []byte
	err := s.write.QueryRowContext(ctx, `SELECT key FROM dashboard_keys WHERE name = ?`, name).Scan(&key)
	return key, mapErr(err, "")
}
