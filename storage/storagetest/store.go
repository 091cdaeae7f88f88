// Package storagetest is the conformance suite every storage engine passes.
package storagetest

import (
	"context"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

// Store is everything an engine provides. Consumers never use this interface:
// each declares the few methods it needs.
type Store interface {
	CreateLink(ctx context.Context, l *linkwatch.Link) error
	LinkBySlug(ctx context.Context, domain, slug string) (*linkwatch.Link, error)
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	UpdateLink(ctx context.Context, domain, slug string, fn func(*linkwatch.Link) error) (*linkwatch.Link, error)
	DeleteLink(ctx context.Context, domain, slug string) error
	WatchLinks(ctx context.Context, fn func(linkwatch.LinkChange)) error

	InsertScans(ctx context.Context, scans []linkwatch.Scan) error
	ScanStats(ctx context.Context, q linkwatch.ScanQuery) (*linkwatch.ScanStats, error)

	CreateToken(ctx context.Context, t *linkwatch.Token) error
	TokenByID(ctx context.Context, id string) (*linkwatch.Token, error)
	ListTokens(ctx context.Context) ([]*linkwatch.Token, error)
	DeleteToken(ctx context.Context, id string) error

	Ping(ctx context.Context) error
	PoolStats() storage.PoolStats
	Close()
}
