package sqlite

import (
	"context"
	"strings"

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
		var ids []any
		seen := map[int64]bool{}
		for _, t := range targets {
			if t.Kind == kind.kind && !seen[t.ID] {
				seen[t.ID] = true
				ids = append(ids, t.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		s.uses.Add(1)
		// Targets come in pushes of at most a thousand: far below SQLite's
		// limit of 32766 parameters.
		rows, err := s.read.QueryContext(ctx, "SELECT id FROM "+kind.from+" id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", ids...)
		if err != nil {
			return nil, mapErr(err, "")
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, mapErr(err, "")
			}
			out[linkwatch.Target{Kind: kind.kind, ID: id}] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, mapErr(err, "")
		}
	}
	return out, nil
}
