package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/statuspage"
)

// StampComponents records when the configuration's components were first
// seen and last changed (statuspage.ComponentTimesStore): one upsert for
// all of them that moves updated_at only for a different hash and never
// backwards (replicas racing on a new component: ON CONFLICT keeps the
// first row), then the stored rows.
func (s *Store) StampComponents(ctx context.Context, seen []statuspage.ComponentTimes, at time.Time) (map[string]statuspage.ComponentTimes, error) {
	ids := make([]string, 0, len(seen))
	hashes := make([]string, 0, len(seen))
	for _, c := range seen {
		if c.ID == "" {
			return nil, linkwatch.FieldErrorf("id", "a component needs an ID")
		}
		if slices.Contains(ids, c.ID) { // one row may be upserted once per statement
			continue
		}
		ids, hashes = append(ids, c.ID), append(hashes, c.Hash)
	}
	at = stored(at)
	_, err := s.pool.Exec(ctx, `INSERT INTO status_component_times (id, hash, created_at, updated_at)
		SELECT id, hash, $3, $3 FROM unnest($1::text[], $2::text[]) AS t(id, hash)
		ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at
		WHERE status_component_times.hash <> excluded.hash AND status_component_times.updated_at < excluded.updated_at`,
		ids, hashes, at)
	if err != nil {
		return nil, mapErr(err, "")
	}
	rows, err := s.pool.Query(ctx, "SELECT id, hash, created_at, updated_at FROM status_component_times WHERE id = ANY($1)", ids)
	if err != nil {
		return nil, mapErr(err, "")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (statuspage.ComponentTimes, error) {
		var t statuspage.ComponentTimes
		err := row.Scan(&t.ID, &t.Hash, &t.CreatedAt, &t.UpdatedAt)
		t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
		return t, err
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	out := make(map[string]statuspage.ComponentTimes, len(list))
	for _, t := range list {
		out[t.ID] = t
	}
	return out, nil
}
