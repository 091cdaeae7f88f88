// Package drills holds Linkwatch's operational drills: tests that start the
// real linkwatch binary as separate processes on loopback (redirectors, the
// control plane, probers, a load balancer, a TCP proxy in front of
// PostgreSQL), break something on purpose, and check the promise that
// failure must keep: no failed redirect, no lost scan, a page before the
// pool is exhausted, a failover within two check intervals.
//
// Every drill has two lengths. `make test` runs the short one (durations and
// rates scaled down, the same assertions); `make drills` runs the full one
// (go test -drills.full) and prints one table: drill, what was measured, the
// result, pass or fail. The drills are in the _test.go files; this file only
// names the package.
package drills
