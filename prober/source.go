package prober

import (
	"context"
	"time"

	"github.com/linkwatch/linkwatch"
)

// AssignmentStore is what an in-process prober reads its assignments from.
type AssignmentStore interface {
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	ListMonitors(ctx context.Context) ([]*linkwatch.Monitor, error)
}

// StoreSource assigns every link and monitor in the database to this prober:
// the single-process (serve) case.
type StoreSource struct {
	Store AssignmentStore
	Now   func() time.Time
}

// Assignments returns every link still in service and every monitor. A link
// that has expired with no fallback is retired and not checked.
func (s StoreSource) Assignments(ctx context.Context) ([]*linkwatch.Link, []*linkwatch.Monitor, error) {
	all, err := s.Store.ListLinks(ctx, linkwatch.LinkFilter{})
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	links := all[:0]
	for _, l := range all {
		if _, _, gone := l.Target(now); !gone {
			links = append(links, l)
		}
	}
	monitors, err := s.Store.ListMonitors(ctx)
	if err != nil {
		return nil, nil, err
	}
	return links, monitors, nil
}
