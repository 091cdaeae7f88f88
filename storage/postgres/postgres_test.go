package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/storage/postgres"
	"github.com/linkwatch/linkwatch/storage/postgres/pgtest"
	"github.com/linkwatch/linkwatch/storage/storagetest"
)

var _ storagetest.Store = (*postgres.Store)(nil)

// open returns a migrated store in a fresh schema, and the schema's DSN.
func open(t testing.TB) (*postgres.Store, string) {
	t.Helper()
	dsn := pgtest.DSN(t)
	return openDSN(t, dsn), dsn
}

// openDSN opens and migrates a store for dsn, closed when t ends.
func openDSN(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn)
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
		s, dsn := open(t)
		return s, func() storagetest.Store { return openDSN(t, dsn) }
	})
}

func query[T any](t *testing.T, dsn, sql string) []T {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), sql)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[T])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrate(t *testing.T) {
	s, dsn := open(t)
	first := query[int32](t, dsn, "SELECT version FROM schema_migrations ORDER BY version")
	if len(first) == 0 || first[0] != 1 {
		t.Fatalf("schema_migrations = %v, want versions from 1", first)
	}
	link := &linkwatch.Link{Slug: "kept", Destination: "https://example.com/", RedirectCode: 302, CheckInterval: time.Minute}
	if err := s.CreateLink(t.Context(), link); err != nil {
		t.Fatal(err)
	}

	// Replicas starting together: each migrates, the lock makes them take turns.
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() {
			other, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				errs <- err
				return
			}
			defer other.Close()
			errs <- other.Migrate(t.Context())
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
	if got := query[int32](t, dsn, "SELECT version FROM schema_migrations ORDER BY version"); len(got) != len(first) {
		t.Errorf("after migrating again schema_migrations = %v, want %v", got, first)
	}
	if _, err := s.LinkBySlug(t.Context(), "", "kept"); err != nil {
		t.Errorf("link lost by migrating again: %v", err)
	}

	// A database migrated by a newer linkwatch is left alone.
	query[int32](t, dsn, "INSERT INTO schema_migrations (version, name) VALUES (99, '0099_future.sql') RETURNING version")
	err := s.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "database schema version 99 is newer than this binary knows") {
		t.Errorf("Migrate of a newer database: %v", err)
	}
}

// TestWatchConnectionLost checks that WatchLinks reports a lost connection as
// EUNAVAILABLE and that watching again starts with a Reset.
func TestWatchConnectionLost(t *testing.T) {
	s, dsn := open(t)
	changes := make(chan linkwatch.LinkChange, 10)
	done := make(chan error, 1)
	go func() {
		done <- s.WatchLinks(t.Context(), func(c linkwatch.LinkChange) { changes <- c })
	}()
	if c := <-changes; !c.Reset {
		t.Fatalf("first change %+v, want Reset", c)
	}
	schema := query[string](t, dsn, "SELECT current_schema()")[0]
	killed := query[bool](t, dsn, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND query LIKE 'LISTEN "linkwatch_links_`+schema+`"'`)
	if len(killed) != 1 {
		t.Fatalf("terminated %d listening connections, want 1", len(killed))
	}
	select {
	case err := <-done:
		if code := linkwatch.ErrorCode(err); code != linkwatch.EUNAVAILABLE {
			t.Errorf("WatchLinks returned %v (code %q) when its connection died, want %q", err, code, linkwatch.EUNAVAILABLE)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WatchLinks did not notice its connection died")
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { done <- s.WatchLinks(ctx, func(c linkwatch.LinkChange) { changes <- c }) }()
	if c := <-changes; !c.Reset {
		t.Errorf("first change after reconnecting %+v, want Reset", c)
	}
	cancel()
	<-done
}

func TestUnavailable(t *testing.T) {
	// Nothing listens on port 1.
	s, err := postgres.Open(t.Context(), "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checks := map[string]error{
		"Ping":        s.Ping(t.Context()),
		"CreateLink":  s.CreateLink(t.Context(), &linkwatch.Link{Slug: "x"}),
		"InsertScans": s.InsertScans(t.Context(), []linkwatch.Scan{{LinkID: 1, Source: "qr"}}),
		"WatchLinks":  s.WatchLinks(t.Context(), func(linkwatch.LinkChange) { t.Error("WatchLinks called fn without a connection") }),
	}
	_, checks["LinkBySlug"] = s.LinkBySlug(t.Context(), "", "x")
	for name, err := range checks {
		if code := linkwatch.ErrorCode(err); code != linkwatch.EUNAVAILABLE {
			t.Errorf("%s with the server down: %v (code %q), want %q", name, err, code, linkwatch.EUNAVAILABLE)
		}
	}
}

func BenchmarkInsertScans(b *testing.B) {
	dsn := pgtest.DSN(b)
	s, err := postgres.Open(b.Context(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
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
