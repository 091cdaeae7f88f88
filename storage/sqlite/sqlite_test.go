package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/linkwatch/linkwatch/storage/sqlite"
	"github.com/linkwatch/linkwatch/storage/storagetest"
)

var _ storagetest.Store = (*sqlite.Store)(nil)

func open(t testing.TB) *sqlite.Store {
	t.Helper()
	return openPath(t, filepath.Join(t.TempDir(), "linkwatch.db"))
}

// openPath opens and migrates the database at path, closed when t ends.
func openPath(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) (storagetest.Store, func() storagetest.Store) {
		path := filepath.Join(t.TempDir(), "linkwatch.db")
		return openPath(t, path), func() storagetest.Store { return openPath(t, path) }
	})
}

func BenchmarkInsertResults(b *testing.B) {
	s := open(b)
	const batch = 500
	round := 0
	for b.Loop() {
		if err := s.InsertResults(b.Context(), storagetest.ResultBatch(round, batch)); err != nil {
			b.Fatal(err)
		}
		round++
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "results/s")
}
