package prober

import (
	"context"
	"net/url"
	"time"

	"github.com/linkwatch/linkwatch"
)

// LinkAssignment is a link as a prober checks it: the link, the short URL its
// visitors open and the exact text its QR code must decode to. Both come
// from the control plane's public URL (see Assign), never from the prober's
// own settings, so every prober checks the URLs that are really printed.
type LinkAssignment struct {
	Link     *linkwatch.Link
	ShortURL string
	QRText   string
}

// Assign is the one place a check's short URL and QR text are made: from the
// public URL of the control plane that hands out the link (custom domains
// included), as the API's short_url and QR codes are.
func Assign(l *linkwatch.Link, publicURL *url.URL) LinkAssignment {
	return LinkAssignment{Link: l, ShortURL: l.ShortURL(publicURL), QRText: l.QRURL(publicURL)}
}

// Source supplies what this prober must check.
type Source interface {
	Assignments(ctx context.Context) (links []LinkAssignment, monitors []*linkwatch.Monitor, err error)
}

// AssignmentStore is what an in-process prober reads its assignments from.
type AssignmentStore interface {
	ListLinks(ctx context.Context, f linkwatch.LinkFilter) ([]*linkwatch.Link, error)
	ListMonitors(ctx context.Context) ([]*linkwatch.Monitor, error)
}

// StoreSource assigns every link and monitor in the database to this prober:
// the single-process (serve) case. Short URLs and QR texts are built from
// PublicURL, the server's own public URL.
type StoreSource struct {
	Store     AssignmentStore
	PublicURL *url.URL
	Now       func() time.Time
}

// Assignments returns every link still in service and every monitor. A link
// that has expired with no fallback is retired and not checked.
func (s StoreSource) Assignments(ctx context.Context) ([]LinkAssignment, []*linkwatch.Monitor, error) {
	all, err := s.Store.ListLinks(ctx, linkwatch.LinkFilter{})
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	links := make([]LinkAssignment, 0, len(all))
	for _, l := range all {
		if _, _, gone := l.Target(now); !gone {
			links = append(links, Assign(l, s.PublicURL))
		}
	}
	monitors, err := s.Store.ListMonitors(ctx)
	if err != nil {
		return nil, nil, err
	}
	return links, monitors, nil
}
