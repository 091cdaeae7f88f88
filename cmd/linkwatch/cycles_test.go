package main

import (
	"database/sql"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// Absence checks ("nothing is sent twice") count cycles of the loop that
// could send it, instead of sleeping: the alert engine's evaluations from
// its metric, the deliverer's and the status page builder's from the leases
// they renew at the start of every cycle.

// fastLoops are the settings that run the alert engine, the deliverer and the
// status page builder every 100ms.
var fastLoops = map[string]string{
	"LINKWATCH_ALERT_EVALUATION_INTERVAL": "100ms",
	"LINKWATCH_ALERT_DELIVERY_INTERVAL":   "100ms",
	"LINKWATCH_STATUS_REBUILD_INTERVAL":   "100ms",
}

// withFastLoops returns env with fastLoops added.
func withFastLoops(env map[string]string) map[string]string {
	for k, v := range fastLoops {
		env[k] = v
	}
	return env
}

var evaluationsRE = regexp.MustCompile(`(?m)^linkwatch_alert_evaluation_seconds_count (\d+)$`)

// evaluations is how many alert evaluation cycles s has completed.
func (s *server) evaluations(t *testing.T) int {
	t.Helper()
	_, m := s.get("/metrics")
	match := evaluationsRE.FindStringSubmatch(m)
	if match == nil {
		t.Fatal("no linkwatch_alert_evaluation_seconds_count in /metrics")
	}
	n, _ := strconv.Atoi(match[1])
	return n
}

// waitEvaluations waits until s has completed n more evaluation cycles.
func (s *server) waitEvaluations(t *testing.T, n int) {
	t.Helper()
	want := s.evaluations(t) + n
	waitUntil(t, 30*time.Second, func() bool { return s.evaluations(t) >= want })
}

// waitLeaseCycles waits until the lease name in the SQLite database at path
// has been renewed n more times: n more cycles of the loop holding it
// (alerting.DeliveryLease, statuspage.AutoLease) have started, so n-1 have
// run to the end.
func waitLeaseCycles(t *testing.T, path, name string, n int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	expires := func() int64 {
		var ms int64
		if err := db.QueryRowContext(t.Context(), "SELECT expires_at FROM leases WHERE name = ?", name).Scan(&ms); err != nil && err != sql.ErrNoRows {
			t.Fatalf("lease %s: %v", name, err)
		}
		return ms
	}
	last, seen := expires(), 0
	waitUntil(t, 30*time.Second, func() bool {
		if e := expires(); e != last {
			last = e
			seen++
		}
		return seen >= n
	})
}

// pushDeadline bounds a wait for something only a push can explain: the
// tests that use it run with hour-long check intervals and refreshes, so an
// arrival within it proves the push; how fast it came is logged against the
// product's target (seconds), which benchmarks and these logs measure — a
// loaded machine must not fail a test by being slow.
const pushDeadline = 30 * time.Second

// waitPushed waits for cond, up to pushDeadline, and logs how long it took
// against target.
func waitPushed(t *testing.T, what string, target time.Duration, cond func() bool) {
	t.Helper()
	start := time.Now()
	waitUntil(t, pushDeadline, cond)
	took := time.Since(start)
	verdict := "within"
	if took > target {
		verdict = "OVER"
	}
	t.Logf("%s: %s (%s the %s target)", what, took.Round(10*time.Millisecond), verdict, target)
}
