package sqlite

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/linkwatch/linkwatch/storage"
	"github.com/linkwatch/linkwatch/storage/storagetest"
)

func TestRollupsWithoutClasses(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "linkwatch.db"))
	storagetest.RollupsWithoutClasses(t, s, func(stored []int64) {
		if _, err := s.write.ExecContext(t.Context(), "UPDATE rollups SET classes = ?", string(appendInts(nil, stored))); err != nil {
			t.Fatal(err)
		}
	})
}

func TestParseClasses(t *testing.T) {
	tests := []struct {
		stored string
		want   []int64 // the first classes; the rest are zero
	}{
		{"[]", nil},
		{"[0,3]", []int64{0, 3}},
		{"[ 1, 2 ]", []int64{1, 2}}, // not as stored: read by encoding/json
	}
	for _, tt := range tests {
		got, err := parseClasses([]byte(tt.stored))
		if err != nil {
			t.Errorf("parseClasses(%s): %v", tt.stored, err)
			continue
		}
		if want := storage.Classes(tt.want); !slices.Equal(got, want) {
			t.Errorf("parseClasses(%s) = %v, want %v", tt.stored, got, want)
		}
	}
	if _, err := parseClasses([]byte("nonsense")); err == nil {
		t.Error("parseClasses(nonsense) did not fail")
	}
}
