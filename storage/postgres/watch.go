package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/linkwatch/linkwatch"
)

// channelExpr is the NOTIFY channel of link changes, per schema, so that
// several Linkwatch installations (or parallel tests) in one database do not
// hear each other. Channel names are limited to 63 bytes.
const channelExpr = "left('linkwatch_links_' || current_schema(), 63)"

// heartbeat is how long WatchLinks waits for a notification before it checks
// that its connection is still alive: a server that vanished without closing
// the connection would otherwise go unnoticed until TCP gives up.
const heartbeat = 30 * time.Second

// change is the payload of a link change notification.
type change struct {
	Domain string `json:"domain"`
	Slug   string `json:"slug"`
}

// WatchLinks listens on a dedicated connection for link changes made by any
// replica. Once it listens it calls fn with a Reset (everything read from now
// on is current), then once per committed change. It returns the context's
// error when ctx ends, and an EUNAVAILABLE error when the connection is lost:
// the caller calls it again, and gets a fresh Reset. fn is called from one
// goroutine at a time.
func (s *Store) WatchLinks(ctx context.Context, fn func(linkwatch.LinkChange)) error {
	return s.listen(ctx, channelExpr, func() { fn(linkwatch.LinkChange{Reset: true}) }, func(payload string) {
		var c change
		if err := json.Unmarshal([]byte(payload), &c); err != nil {
			// Not ours, or from a newer version: reload rather than guess.
			fn(linkwatch.LinkChange{Reset: true})
			return
		}
		fn(linkwatch.LinkChange{Domain: c.Domain, Slug: c.Slug})
	})
}

// listen calls ready once it listens on the channel expr names, then
// payload with each notification's, until ctx ends or the store closes
// (ctx's error, or an error) or the connection is lost (EUNAVAILABLE).
func (s *Store) listen(ctx context.Context, expr string, ready func(), payload func(string)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closed, cancel)
	defer stop()
	err := s.watch(ctx, expr, ready, payload)
	switch {
	case s.closed.Err() != nil:
		return errors.New("postgres: store closed")
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return mapErr(err, "")
}

func (s *Store) watch(ctx context.Context, expr string, ready func(), payload func(string)) error {
	// Not from the pool: the connection is held for as long as the watch
	// lasts and must not be handed to anyone else while it listens.
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	var channel string
	if err := conn.QueryRow(ctx, "SELECT "+expr).Scan(&channel); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	ready()
	for {
		wctx, cancel := context.WithTimeout(ctx, s.heartbeat)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && pgconn.Timeout(err):
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
			s.heartbeats.Add(1)
			continue
		case err != nil:
			return err
		}
		payload(n.Payload)
	}
}
