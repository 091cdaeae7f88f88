package sqlite

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDatabaseFilesAreOwnerOnly: a new database and its -wal and -shm files
// are readable and writable by their owner only.
func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "linkwatch.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := info.Mode().Perm(); m&0o077 != 0 {
			t.Errorf("%s has mode %v, want owner-only (0600)", filepath.Base(p), m)
		}
	}
}
