package drills

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/linkwatch/linkwatch/storage/postgres/pgtest"
)

// database is a drill's own PostgreSQL schema (pgtest: skipped without
// LINKWATCH_TEST_POSTGRES, failed when LINKWATCH_TEST_POSTGRES_REQUIRED),
// dropped when t ends, after the drill's processes have stopped.
type database struct {
	dsn string // with the schema as search_path
}

func newDatabase(t *testing.T) *database {
	t.Helper()
	return &database{dsn: pgtest.DSN(t)}
}

// host is the server's host:port.
func (d *database) host(t testing.TB) string {
	t.Helper()
	u, err := url.Parse(d.dsn)
	if err != nil || u.Host == "" {
		t.Fatalf("the drills need a URL DSN in %s (postgres://…), got one they cannot parse", pgtest.Env)
	}
	h := u.Host
	if _, _, err := net.SplitHostPort(h); err != nil {
		h = net.JoinHostPort(h, "5432")
	}
	return h
}

// via returns the DSN with the server replaced by addr (a drill's proxy)
// and the given pgxpool settings (pool_max_conns=20, …) added.
func (d *database) via(t testing.TB, addr string, params ...string) string {
	t.Helper()
	u, err := url.Parse(d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	if addr != "" {
		u.Host = addr
	}
	q := u.Query()
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// conn is a direct connection for the drill's own queries (counting
// scans, holding a lock), closed when t ends.
func (d *database) conn(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// scans is the number of scans recorded for slug (rows carry a count).
func (d *database) scans(t testing.TB, c *pgx.Conn, slug string) int {
	t.Helper()
	var n int
	err := c.QueryRow(context.Background(),
		`SELECT COALESCE(SUM(s.count), 0) FROM scans s JOIN links l ON l.id = s.link_id WHERE l.slug = $1`, slug).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
