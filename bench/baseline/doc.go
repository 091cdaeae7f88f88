// Package baseline holds the in-run baselines of the Go benchmarks: each
// benchmark here does the bare-library version of what a linkwatch
// benchmark measures (an HTTP GET with net/http, rows into SQLite with a
// prepared INSERT, rows into PostgreSQL with COPY, a PNG through
// image/png), so `make bench` reports every figure as a ratio to work
// measured on the same machine in the same run. bench/benchtool's summary
// pairs them with linkwatch's benchmarks (goBaselines in summary.go).
//
// The package has no code of its own: only benchmarks, and tests that keep
// them honest.
package baseline
