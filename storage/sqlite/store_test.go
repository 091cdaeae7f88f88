package sqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

func openMigrated(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

func versions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.read.QueryContext(t.Context(), "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "linkwatch.db")
	s := openMigrated(t, path)
	first := versions(t, s)
	if len(first) == 0 || first[0] != 1 {
		t.Fatalf("schema_migrations = %v, want versions from 1", first)
	}
	link := &linkwatch.Link{Slug: "kept", Destination: "https://example.com/", RedirectCode: 302, CheckInterval: time.Minute}
	if err := s.CreateLink(t.Context(), link); err != nil {
		t.Fatal(err)
	}

	// Migrating again, in this process or after a restart, changes nothing.
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	s.Close()
	s = openMigrated(t, path)
	if got := versions(t, s); fmt.Sprint(got) != fmt.Sprint(first) {
		t.Errorf("after migrating again schema_migrations = %v, want %v", got, first)
	}
	if _, err := s.LinkBySlug(t.Context(), "", "kept"); err != nil {
		t.Errorf("link lost across restart and migration: %v", err)
	}

	// A database migrated by a newer linkwatch is left alone.
	if _, err := s.write.ExecContext(t.Context(), "INSERT INTO schema_migrations VALUES (99, '0099_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	err := s.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "database schema version 99 is newer than this binary knows") {
		t.Errorf("Migrate of a newer database: %v", err)
	}
}

func TestPragmas(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "linkwatch.db"))
	for _, db := range []struct {
		name string
		q    func(string) string
	}{
		{"writer", func(p string) (v string) { s.write.QueryRowContext(t.Context(), "PRAGMA "+p).Scan(&v); return v }},
		{"reader", func(p string) (v string) { s.read.QueryRowContext(t.Context(), "PRAGMA "+p).Scan(&v); return v }},
	} {
		for pragma, want := range map[string]string{"journal_mode": "wal", "busy_timeout": "5000", "foreign_keys": "1", "synchronous": "1"} {
			if got := db.q(pragma); got != want {
				t.Errorf("%s: PRAGMA %s = %q, want %q", db.name, pragma, got, want)
			}
		}
	}
}

// TestWatchOverflow checks that a watcher too slow to keep up is told to
// reload everything rather than silently missing changes, and that writers
// never wait for it.
func TestWatchOverflow(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "linkwatch.db"))
	got := make(chan linkwatch.LinkChange, 10)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		blocked := false
		done <- s.WatchLinks(t.Context(), func(c linkwatch.LinkChange) {
			got <- c
			if !c.Reset && !blocked {
				blocked = true
				<-release // stuck while the writers go on
			}
		})
	}()
	if c := <-got; !c.Reset {
		t.Fatalf("first change %+v, want Reset", c)
	}
	s.hub.publish(linkwatch.LinkChange{Slug: "first"})
	if c := <-got; c.Slug != "first" {
		t.Fatalf("got %+v, want the first change", c)
	}
	for i := range watchBuffer + 10 { // returns although nobody reads
		s.hub.publish(linkwatch.LinkChange{Slug: fmt.Sprint(i)})
	}
	close(release)
	for c := range got {
		if c.Reset {
			break
		}
	}
	// After the reset, changes arrive one by one again.
	s.hub.publish(linkwatch.LinkChange{Slug: "after"})
	if c := <-got; c.Slug != "after" {
		t.Errorf("after the reset got %+v, want the next change", c)
	}
	s.Close()
	if err := <-done; err == nil {
		t.Error("WatchLinks returned nil when the store closed")
	}
}

func BenchmarkInsertScans(b *testing.B) {
	s := openMigrated(b, filepath.Join(b.TempDir(), "linkwatch.db"))
	const batch = 5000
	scans := make([]linkwatch.Scan, batch)
	at := time.Now()
	for i := range scans {
		scans[i] = linkwatch.Scan{LinkID: int64(i % 100), At: at.Add(time.Duration(i) * time.Millisecond),
			Source: linkwatch.SourceQR, ReferrerHost: "news.example", Device: linkwatch.DeviceMobile, Country: "DE"}
	}
	for b.Loop() {
		if err := s.InsertScans(b.Context(), scans); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "scans/s")
}
