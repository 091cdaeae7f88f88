// Package pgtest gives tests a PostgreSQL database of their own. It imports
// "testing", so only _test.go files may import it; the production binary
// never links it (cmd/linkwatch's TestBinaryDoesNotLinkTesting checks).
//
// Whether a PostgreSQL test runs, skips or fails is decided here and nowhere
// else: with Env unset the test skips, unless RequiredEnv is set (make
// test-postgres, .ci/run), in which case it fails; with Env set and the
// database unreachable it fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the environment variable holding the DSN of a PostgreSQL
// database that tests may use, for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Tests create their
// own schemas in it and drop them afterwards.
const Env = "LINKWATCH_TEST_POSTGRES"

// RequiredEnv, when set to anything but "" or "0", turns a skipped
// PostgreSQL test into a failed one: CI must not report the PostgreSQL
// suite "ok" with every test skipped.
const RequiredEnv = "LINKWATCH_TEST_POSTGRES_REQUIRED"

// DSN returns the DSN of a fresh, empty schema in the database Env names,
// dropped when t ends. Without Env it skips t, or fails it when RequiredEnv
// is set. It is how any package's tests get a PostgreSQL database:
//
//	s, err := postgres.Open(ctx, pgtest.DSN(t))
func DSN(t testing.TB) string {
	t.Helper()
	dsn, skip, fail := decide(os.Getenv)
	if fail != "" {
		t.Fatal(fail)
	}
	if skip != "" {
		t.Skip(skip)
	}
	return OpenSchema(t, dsn)
}

// decide says whether a PostgreSQL test runs (dsn), skips (skip) or fails
// (fail), from the environment.
func decide(getenv func(string) string) (dsn, skip, fail string) {
	dsn = getenv(Env)
	if dsn != "" {
		return dsn, "", ""
	}
	if r := getenv(RequiredEnv); r != "" && r != "0" {
		return "", "", RequiredEnv + " is set but " + Env + " is not: the PostgreSQL tests must run; set " +
			Env + " to a database DSN, e.g. " + Env + "='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'"
	}
	return "", "PostgreSQL tests are off; set " + Env + " to a database DSN to run them, e.g. " + Env +
		"='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'", ""
}

// OpenSchema creates a schema lwtest_<random> in the database dsn names and
// returns dsn with that schema as its search_path, so that tests running in
// parallel in one database never see each other's tables or notifications.
// The schema and everything in it is dropped when t ends. An unreachable
// database fails t: a DSN was given, so the tests were meant to run.
func OpenSchema(t testing.TB, dsn string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	schema := "lwtest_" + hex.EncodeToString(b[:])
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("PostgreSQL at %s=%s: create test schema: %v", Env, redact(dsn), err)
	}
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	return withSearchPath(dsn, schema)
}

// redact hides a password in a URL DSN before it is printed; a
// keyword/value DSN is not printed at all.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Redacted()
	}
	return "<keyword/value DSN>"
}

// withSearchPath sets the search_path run-time parameter of a URL or
// keyword/value DSN.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}
