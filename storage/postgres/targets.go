package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
)

// ExistingTargets reports which of targets exist: one query per kind, however
// many targets are asked about.
func (s *Store) ExistingTargets(ctx context.Context, targets []linkwatch.Target) (map[linkwatch.Target]bool, error) {
	out := make(map[linkwatch.Target]bool, len(targets))
	for _, kind := range []struct{ kind, table string }{{linkwatch.KindLink, "links"}, {linkwatch.KindMonitor, "monitors"}} {
		var ids []int64
		for _, t := range targets {
			if t.Kind == kind.kind {
				ids = append(ids, t.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		rows, err := s.pool.Query(ctx, "SELECT id FROM "+kind.table+" WHERE id = ANY($1)", ids)
		if err != nil {
			return nil, mapErr(err, "")
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return nil, mapErr(err, "")
		}
		for _, id := range found {
			out[linkwatch.Target{Kind: kind.kind, ID: id}] = true
		}
	}
	return out, nil
}
