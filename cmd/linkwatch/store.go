package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/linkwatch/linkwatch/storage"
	"github.com/linkwatch/linkwatch/storage/postgres"
	"github.com/linkwatch/linkwatch/storage/sqlite"
)

// store is what this binary wires together; each consumer sees only its part.
type store = storage.Engine

// isPostgres tells a PostgreSQL URL from a SQLite file path.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openStore opens the database LINKWATCH_DB names and applies migrations.
func openStore(ctx context.Context, dsn string) (store, error) {
	s, err := openDB(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	return s, nil
}

// openDB opens the database dsn names as it is, without migrating it.
func openDB(ctx context.Context, dsn string) (store, error) {
	if isPostgres(dsn) {
		return postgres.Open(ctx, dsn)
	}
	return sqlite.Open(ctx, dsn)
}

// describeDB names the database for humans without its credentials.
func describeDB(dsn string) string {
	if !isPostgres(dsn) {
		return "SQLite " + dsn
	}
	dsn, _, _ = strings.Cut(dsn, "?") // parameters may hold a password
	if i := strings.Index(dsn, "@"); i >= 0 {
		return "PostgreSQL " + dsn[i+1:]
	}
	return "PostgreSQL " + strings.TrimPrefix(strings.TrimPrefix(dsn, "postgresql://"), "postgres://")
}
