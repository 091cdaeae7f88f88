package storage_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/linkwatch/linkwatch/storage"
)

// fakeMigrator is an in-memory database: the versions applied, in order.
type fakeMigrator struct {
	applied []int
	failOn  int // Apply fails for this version
}

var _ storage.Migrator = (*fakeMigrator)(nil)

func (f *fakeMigrator) Version(context.Context) (int, error) {
	if len(f.applied) == 0 {
		return 0, nil
	}
	return f.applied[len(f.applied)-1], nil
}

func (f *fakeMigrator) Apply(_ context.Context, m storage.Migration) error {
	if m.Version == f.failOn {
		return errors.New("syntax error")
	}
	f.applied = append(f.applied, m.Version)
	return nil
}

func files(names ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for _, n := range names {
		fsys[n] = &fstest.MapFile{Data: []byte("-- " + n)}
	}
	return fsys
}

func TestMigrate(t *testing.T) {
	three := files("0001_init.sql", "0002_tags.sql", "0003_scans_index.sql")
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		applied []int // already in the database
		failOn  int
		want    []int  // applied afterwards; a bad set of files applies nothing
		wantErr string // substring; "" means success
	}{
		{name: "fresh database", fsys: three, want: []int{1, 2, 3}},
		{name: "pending only", fsys: three, applied: []int{1}, want: []int{1, 2, 3}},
		{name: "up to date", fsys: three, applied: []int{1, 2, 3}, want: []int{1, 2, 3}},
		{name: "no migrations", fsys: files(), want: nil},
		{
			name: "database newer", fsys: three, applied: []int{1, 2, 3, 4, 5}, want: []int{1, 2, 3, 4, 5},
			wantErr: "database schema version 5 is newer than this binary knows (3); upgrade linkwatch",
		},
		{
			name: "stops at failure", fsys: three, failOn: 2, want: []int{1},
			wantErr: "apply migration 0002_tags.sql: syntax error",
		},
		{name: "gap", fsys: files("0001_a.sql", "0003_c.sql"), wantErr: "0003_c.sql: expected version 0002"},
		{name: "starts at zero", fsys: files("0000_a.sql"), wantErr: "expected version 0001"},
		{name: "duplicate", fsys: files("0001_a.sql", "0001_b.sql"), wantErr: "have the same version"},
		{name: "bad name", fsys: files("0001_a.sql", "2_b.sql"), wantErr: `"2_b.sql": name must be NNNN_name.sql`},
		{name: "upper case", fsys: files("0001_Init.sql"), wantErr: "name must be"},
		{name: "not sql", fsys: files("0001_a.sql", "README.md"), wantErr: "name must be"},
		{name: "no name", fsys: files("0001_.sql"), wantErr: "name must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &fakeMigrator{applied: slices.Clone(tt.applied), failOn: tt.failOn}
			err := storage.Migrate(context.Background(), tt.fsys, m)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Migrate: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Migrate error = %v, want one containing %q", err, tt.wantErr)
			}
			if !slices.Equal(m.applied, tt.want) {
				t.Errorf("applied %v, want %v", m.applied, tt.want)
			}
		})
	}
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	m := &fakeMigrator{}
	fsys := files("0001_init.sql", "0002_more.sql")
	for range 2 {
		if err := storage.Migrate(context.Background(), fsys, m); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(m.applied, []int{1, 2}) {
		t.Errorf("applied %v, want [1 2]", m.applied)
	}
}

func TestMigrationsReadsSQL(t *testing.T) {
	fsys := fstest.MapFS{
		"0002_b.sql": {Data: []byte("CREATE TABLE b ();")},
		"0001_a.sql": {Data: []byte("CREATE TABLE a ();")},
	}
	ms, err := storage.Migrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []storage.Migration{
		{Version: 1, Name: "0001_a.sql", SQL: "CREATE TABLE a ();"},
		{Version: 2, Name: "0002_b.sql", SQL: "CREATE TABLE b ();"},
	}
	if !slices.Equal(ms, want) {
		t.Errorf("Migrations = %+v, want %+v", ms, want)
	}
}
