// Package sqlite stores Linkwatch's data in an embedded SQLite file: the
// zero-setup default for a single process. It uses modernc.org/sqlite (pure Go)
// through database/sql.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a SQLite database. It is safe for concurrent use.
//
// SQLite allows one writer at a time, so every write goes through a pool of
// exactly one connection and waits its turn in Go rather than failing with
// SQLITE_BUSY; reads use a separate pool and run in parallel with the writer
// (WAL mode).
type Store struct {
	write   *sql.DB
	read    *sql.DB
	uses    atomic.Int64 // database operations, reported as acquisitions
	hub     hub[linkwatch.LinkChange]
	signals hub[linkwatch.ProbeSignal]
	once    sync.Once
}

// Open opens (creating it if needed) the SQLite database file at path. Call
// Migrate before using the store.
func Open(ctx context.Context, path string) (*Store, error) {
	// The writer and the readers are separate pools: they must share a file.
	if path == "" || strings.Contains(path, ":memory:") || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: %q is not a database file path", path)
	}
	// The database holds token hashes, sessions and notifier secrets: it is
	// created readable by its owner only. SQLite gives the -wal and -shm
	// files the database file's mode, so they are 0600 too.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	q := url.Values{}
	// busy_timeout first: the others may need to wait for a lock.
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	// BEGIN IMMEDIATE takes the write lock up front, so a transaction never
	// fails half-way trying to upgrade a read lock held by another process.
	q.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	if err := write.PingContext(ctx); err != nil { // creates the file and turns on WAL
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	q.Del("_txlock")
	q.Add("_pragma", "query_only(1)")
	read, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	read.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	s := &Store{write: write, read: read}
	s.hub.init()
	s.signals.init()
	return s, nil
}

// Migrate applies the embedded schema migrations the database lacks.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return storage.Migrate(ctx, sub, migrator{s.write})
}

// Ping checks that the database can be read.
func (s *Store) Ping(ctx context.Context) error {
	s.uses.Add(1)
	var one int
	return mapErr(s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one), "")
}

// PoolStats reports both connection pools, the writer's and the readers', as
// one. database/sql does not count acquisitions, so AcquireCount counts the
// store's database operations.
func (s *Store) PoolStats() storage.PoolStats {
	w, r := s.write.Stats(), s.read.Stats()
	return storage.PoolStats{
		Acquired:     int64(w.InUse + r.InUse),
		Idle:         int64(w.Idle + r.Idle),
		Total:        int64(w.OpenConnections + r.OpenConnections),
		Max:          int64(w.MaxOpenConnections + r.MaxOpenConnections),
		AcquireCount: s.uses.Load(),
		WaitCount:    w.WaitCount + r.WaitCount,
		WaitDuration: w.WaitDuration + r.WaitDuration,
	}
}

// Close ends every WatchLinks call and closes the database.
func (s *Store) Close() {
	s.once.Do(func() {
		s.hub.close()
		s.signals.close()
		s.read.Close()
		s.write.Close()
	})
}

// migrator applies migrations through the writer connection.
type migrator struct{ db *sql.DB }

func (m migrator) Version(ctx context.Context) (int, error) {
	_, err := m.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`)
	if err != nil {
		return 0, err
	}
	var v int
	err = m.db.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	return v, err
}

func (m migrator) Apply(ctx context.Context, mig storage.Migration) error {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, mig.SQL); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		mig.Version, mig.Name, time.Now().UnixMilli())
	if err != nil {
		return err
	}
	return tx.Commit()
}

// mapErr turns driver errors into application errors: a unique violation
// into ECONFLICT about field, no rows into ENOTFOUND, a locked database into
// EUNAVAILABLE. Other errors are returned as they are.
func mapErr(err error, field string) error {
	var se *sqlite.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return &linkwatch.Error{Code: linkwatch.ENOTFOUND, Message: "not found", Err: err}
	case errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY):
		return &linkwatch.Error{Code: linkwatch.ECONFLICT, Field: field, Message: field + " is already taken", Err: err}
	case errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY:
		return &linkwatch.Error{Code: linkwatch.EUNAVAILABLE, Message: "database is busy", Err: err}
	}
	return err
}

// ms and fromMS convert times to and from the stored unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullMS stores the zero time as NULL.
func nullMS(t time.Time) sql.NullInt64 {
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: !t.IsZero()}
}

// stored truncates t as the database will, so that what callers hold equals
// what they will read back.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return fromMS(ms(t))
}
