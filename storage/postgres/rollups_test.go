package postgres

import (
	"testing"

	"github.com/linkwatch/linkwatch/storage/postgres/pgtest"
	"github.com/linkwatch/linkwatch/storage/storagetest"
)

func TestRollupsWithoutClasses(t *testing.T) {
	s, err := Open(t.Context(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	storagetest.RollupsWithoutClasses(t, s, func(stored []int64) {
		if stored == nil {
			stored = []int64{} // '{}', the migration's default, not NULL
		}
		if _, err := s.pool.Exec(t.Context(), "UPDATE rollups SET classes = $1", stored); err != nil {
			t.Fatal(err)
		}
	})
}
