package postgres

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

// TestEnv names the environment variable holding the DSN of a PostgreSQL
// database that tests may use, for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Tests create their
// own schemas in it and drop them afterwards.
const TestEnv = "LINKWATCH_TEST_POSTGRES"

// TestDSN returns the DSN of a fresh, empty schema in the database TestEnv
// names, dropped when t ends; without TestEnv it skips t. It is how any
// package's tests get a PostgreSQL database of their own:
//
//	s, err := postgres.Open(ctx, postgres.TestDSN(t))
func TestDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(TestEnv)
	if dsn == "" {
		t.Skipf("PostgreSQL tests are off; set %s to a database DSN to run them, e.g. %s='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'", TestEnv, TestEnv)
	}
	return OpenTestSchema(t, dsn)
}

// OpenTestSchema creates a schema lwtest_<random> in the database dsn names
// and returns dsn with that schema as its search_path, so that tests running
// in parallel in one database never see each other's tables or
// notifications. The schema and everything in it is dropped when t ends.
func OpenTestSchema(t testing.TB, dsn string) string {
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
	if err := exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
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
