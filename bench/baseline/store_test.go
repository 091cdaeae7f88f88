package baseline

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/linkwatch/linkwatch/storage/postgres/pgtest"
)

// rowsPerBatch matches the scan batches of storage's BenchmarkInsertScans.
const rowsPerBatch = 5000

// openSQLite opens a fresh database with the pragmas linkwatch's SQLite
// store uses (WAL, synchronous NORMAL) and a plain table of a scan's
// columns, without indexes or constraints.
func openSQLite(tb testing.TB) *sql.DB {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", filepath.Join(tb.TempDir(), "baseline.db")+"?"+q.Encode())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE rows (link_id INTEGER, at INTEGER, source TEXT, referrer TEXT, device TEXT, country TEXT)`); err != nil {
		tb.Fatal(err)
	}
	return db
}

// insertSQLite writes n rows in one transaction through one prepared
// statement.
func insertSQLite(ctx context.Context, db *sql.DB, n int, at time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for i := range n {
		if _, err := st.ExecContext(ctx, i%100, at.Add(time.Duration(i)*time.Millisecond).UnixMilli(), "qr", "news.example", "mobile", "DE"); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// BenchmarkSQLiteInsert writes batches of 5,000 six-column rows with a
// prepared INSERT in one transaction: the baseline of the SQLite store's
// BenchmarkInsertScans and BenchmarkInsertResults.
func BenchmarkSQLiteInsert(b *testing.B) {
	db := openSQLite(b)
	at := time.Now()
	for b.Loop() {
		if err := insertSQLite(b.Context(), db, rowsPerBatch, at); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*rowsPerBatch)/b.Elapsed().Seconds(), "rows/s")
}

// postgres connects to LINKWATCH_TEST_POSTGRES (pgtest: skipped without
// it, failed when it is required, as storage/postgres's benchmarks are) and
// creates a temporary table of a scan's columns.
func postgres(tb testing.TB) *pgx.Conn {
	dsn := pgtest.DSN(tb)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to LINKWATCH_TEST_POSTGRES: %v", err)
	}
	tb.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, `CREATE TEMPORARY TABLE rows (link_id bigint, at timestamptz, source text, referrer text, device text, country text)`); err != nil {
		tb.Fatal(err)
	}
	return conn
}

func copyPostgres(ctx context.Context, conn *pgx.Conn, n int, at time.Time) (int64, error) {
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{int64(i % 100), at.Add(time.Duration(i) * time.Millisecond), "qr", "news.example", "mobile", "DE"}
	}
	return conn.CopyFrom(ctx, pgx.Identifier{"rows"}, []string{"link_id", "at", "source", "referrer", "device", "country"}, pgx.CopyFromRows(rows))
}

// BenchmarkPostgresCopy writes batches of 5,000 six-column rows with COPY
// (pgx.CopyFrom) into a temporary table without indexes: the baseline of
// the PostgreSQL store's BenchmarkInsertScans and BenchmarkInsertResults.
func BenchmarkPostgresCopy(b *testing.B) {
	conn := postgres(b)
	at := time.Now()
	for b.Loop() {
		if _, err := copyPostgres(b.Context(), conn, rowsPerBatch, at); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*rowsPerBatch)/b.Elapsed().Seconds(), "rows/s")
}

func TestSQLiteInsertWritesEveryRow(t *testing.T) {
	db := openSQLite(t)
	if err := insertSQLite(t.Context(), db, 123, time.Now()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM rows`).Scan(&n); err != nil || n != 123 {
		t.Fatalf("rows after inserting 123: %d, %v", n, err)
	}
}

func TestPostgresCopyWritesEveryRow(t *testing.T) {
	conn := postgres(t)
	got, err := copyPostgres(t.Context(), conn, 123, time.Now())
	if err != nil || got != 123 {
		t.Fatalf("CopyFrom of 123 rows: %d, %v", got, err)
	}
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM rows`).Scan(&n); err != nil || n != 123 {
		t.Fatalf("rows after copying 123: %d, %v", n, err)
	}
}
