// Package postgres stores Linkwatch's data in PostgreSQL through pgx: the
// engine for several replicas. Link changes reach every replica through
// LISTEN/NOTIFY; scans are written with COPY.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateLock is the first key of the advisory lock held while migrating; the
// second is derived from the schema, so schemas migrate independently.
const migrateLock = 0x4c574d47 // "LWMG"

// Store is a PostgreSQL database. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	// closed ends WatchLinks calls when the store is closed.
	closed context.Context
	close  context.CancelFunc
	// heartbeat is how long WatchLinks waits before checking its connection.
	heartbeat time.Duration
	// heartbeats counts the connection checks that found it alive; tests
	// wait on it instead of sleeping.
	heartbeats atomic.Int64
}

// Open returns a store for the database dsn names: a postgres:// URL or
// keyword/value string, with pgxpool's pool_* settings. It does not connect;
// Migrate and Ping do. The DSN's search_path decides the schema.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	closed, cancel := context.WithCancel(context.Background())
	return &Store{pool: pool, closed: closed, close: cancel, heartbeat: heartbeat}, nil
}

// Migrate applies the embedded schema migrations the database lacks. It holds
// an advisory lock meanwhile, so replicas starting together migrate once.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return mapErr(err, "")
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1, hashtext(current_schema()))", migrateLock); err != nil {
		return mapErr(err, "")
	}
	defer func() {
		// The lock belongs to the session: if it cannot be released, the
		// connection must not go back to the pool holding it.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, "SELECT pg_advisory_unlock($1, hashtext(current_schema()))", migrateLock); err != nil {
			conn.Conn().Close(uctx)
		}
	}()
	return storage.Migrate(ctx, sub, migrator{conn.Conn()})
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return mapErr(s.pool.Ping(ctx), "")
}

// PoolStats reports the connection pool. Waits are acquisitions that found
// no idle connection and waited for one to be released or opened.
func (s *Store) PoolStats() storage.PoolStats {
	st := s.pool.Stat()
	return storage.PoolStats{
		Acquired:     int64(st.AcquiredConns()),
		Idle:         int64(st.IdleConns()),
		Total:        int64(st.TotalConns()),
		Max:          int64(st.MaxConns()),
		AcquireCount: st.AcquireCount(),
		WaitCount:    st.EmptyAcquireCount(),
		WaitDuration: st.EmptyAcquireWaitTime(),
	}
}

// Close ends every WatchLinks call and closes the pool, waiting for
// connections in use to be released.
func (s *Store) Close() {
	s.close()
	s.pool.Close()
}

// migrator applies migrations on the connection holding the migration lock.
type migrator struct{ conn *pgx.Conn }

func (m migrator) Version(ctx context.Context) (int, error) {
	_, err := m.conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`)
	if err != nil {
		return 0, mapErr(err, "")
	}
	var v int
	err = m.conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	return v, mapErr(err, "")
}

func (m migrator) Apply(ctx context.Context, mig storage.Migration) error {
	return pgx.BeginFunc(ctx, m.conn, func(tx pgx.Tx) error {
		// Without arguments Exec uses the simple protocol, which runs a file
		// of several statements.
		if _, err := tx.Exec(ctx, mig.SQL); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", mig.Version, mig.Name)
		return err
	})
}

// mapErr turns pgx errors into application errors: a unique violation into
// ECONFLICT about field, no rows into ENOTFOUND, an unreachable or lost server
// into EUNAVAILABLE. Context errors and others are returned as they are.
func mapErr(err error, field string) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &linkwatch.Error{Code: linkwatch.ENOTFOUND, Message: "not found", Err: err}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505": // unique_violation
			return &linkwatch.Error{Code: linkwatch.ECONFLICT, Field: field, Message: field + " is already taken", Err: err}
		case strings.HasPrefix(pgErr.Code, "08"), // connection_exception
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutting down, starting up
			pgErr.Code == "53300": // too_many_connections
			return unavailable(err)
		}
		return err // a server error: not a connection problem
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return unavailable(err)
	}
	return err
}

func unavailable(err error) error {
	return &linkwatch.Error{Code: linkwatch.EUNAVAILABLE, Message: "the database is unavailable", Err: err}
}

// stored truncates t as the database will, in UTC, so that what callers hold
// equals what they will read back.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Millisecond).UTC()
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
