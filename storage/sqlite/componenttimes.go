package sqlite

import (
	"context"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/statuspage"
)

// StampComponents records when the configuration's components were first
// seen and last changed (statuspage.ComponentTimesStore), in one
// transaction: an upsert per component that moves updated_at only for a
// different hash and never backwards, then the stored rows.
func (s *Store) StampComponents(ctx context.Context, seen []statuspage.ComponentTimes, at time.Time) (map[string]statuspage.ComponentTimes, error) {
	for _, c := range seen {
		if c.ID == "" {
			return nil, linkwatch.FieldErrorf("id", "a component needs an ID")
		}
	}
	s.uses.Add(1)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, mapErr(err, "")
	}
	defer tx.Rollback()
	for _, c := range seen {
		_, err := tx.ExecContext(ctx, `INSERT INTO status_component_times (id, hash, created_at, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at
			WHERE status_component_times.hash <> excluded.hash AND status_component_times.updated_at < excluded.updated_at`,
			c.ID, c.Hash, ms(at), ms(at))
		if err != nil {
			return nil, mapErr(err, "")
		}
	}
	out := make(map[string]statuspage.ComponentTimes, len(seen))
	for _, c := range seen {
		var (
			t                statuspage.ComponentTimes
			created, updated int64
		)
		err := tx.QueryRowContext(ctx, "SELECT id, hash, created_at, updated_at FROM status_component_times WHERE id = ?", c.ID).
			Scan(&t.ID, &t.Hash, &created, &updated)
		if err != nil {
			return nil, mapErr(err, "")
		}
		t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
		out[t.ID] = t
	}
	return out, mapErr(tx.Commit(), "")
}
