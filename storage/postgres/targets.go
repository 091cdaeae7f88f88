package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
)

// ExistingTargets reports which of targets exist: one query per kind, however
// many targets are asked about. A link's fallback exists while the link has
// a fallback URL.
func (s *Store) ExistingTargets(ctx context.Context, targets []linkwatch.Target) (map[linkwatch.Target]bool, error) {
	out := make(map[linkwatch.Target]bool, len(targets))
	for _, kind := range []struct{ kind, from string }{
		{linkwatch.KindLink, "links WHERE"},
		{linkwatch.KindFallback, "links WHERE fallback_url <> '' AND"},
		{linkwatch.KindMonitor, "monitors WHERE"},
	} {
		var ids []int64
		for _, t := range targets {
			if t.Kind == kind.kind {
				ids = append(ids, t.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		rows, err := s.pool.Query(ctx, "SELECT id FROM "+kind.from+" id = ANY($1)", ids)
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
