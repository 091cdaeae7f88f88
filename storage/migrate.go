package storage

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema change: the SQL of the file NNNN_name.sql.
// Migrations are only ever added, never edited or removed, so upgrading
// linkwatch never loses data.
type Migration struct {
	Version int    // NNNN, counting up from 1 without gaps
	Name    string // the file name
	SQL     string
}

// Migrator is what an engine provides to the migration runner.
type Migrator interface {
	// Version returns the newest migration applied to the database, 0 for a
	// database that has none. It creates the bookkeeping it needs.
	Version(ctx context.Context) (int, error)
	// Apply runs m.SQL and records m.Version in one transaction: either both
	// happen or neither does.
	Apply(ctx context.Context, m Migration) error
}

// Migrations reads the migrations at the root of fsys, in version order. It
// fails on a file not named NNNN_name.sql, on duplicate versions and on gaps.
func Migrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		v, ok := parseMigrationName(e.Name())
		if !ok || e.IsDir() {
			return nil, fmt.Errorf("migration %q: name must be NNNN_name.sql (lower-case letters, digits and '_')", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if i > 0 && ms[i-1].Version == m.Version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", ms[i-1].Name, m.Name)
		}
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %04d (versions start at 1 and have no gaps)", m.Name, i+1)
		}
	}
	return ms, nil
}

// Migrate applies the migrations in fsys that the database lacks, in order,
// each in its own transaction. It refuses to touch a database whose schema is
// newer than the newest migration this binary knows: an older binary must not
// run against a schema it does not understand.
func Migrate(ctx context.Context, fsys fs.FS, m Migrator) error {
	ms, err := Migrations(fsys)
	if err != nil {
		return err
	}
	current, err := m.Version(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d); upgrade linkwatch", current, len(ms))
	}
	for _, mig := range ms[current:] {
		if err := m.Apply(ctx, mig); err != nil {
			return fmt.Errorf("apply migration %s: %w", mig.Name, err)
		}
	}
	return nil
}

// parseMigrationName returns the version of a file named NNNN_name.sql, name
// being lower-case letters, digits and '_'.
func parseMigrationName(file string) (int, bool) {
	base, ok := strings.CutSuffix(file, ".sql")
	if !ok || len(base) < 6 || base[4] != '_' {
		return 0, false
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		digit := c >= '0' && c <= '9'
		if i < 4 && !digit || i > 4 && !(digit || c >= 'a' && c <= 'z' || c == '_') {
			return 0, false
		}
	}
	v, err := strconv.Atoi(base[:4])
	return v, err == nil
}
