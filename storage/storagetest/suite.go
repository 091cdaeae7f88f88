package storagetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// Open returns a fresh, empty, migrated store, closed when t ends, and
// reopen, which returns another handle on the same database, as another
// replica or the same process after a restart would open it (also migrated
// and closed when t ends).
type Open func(t *testing.T) (s Store, reopen func() Store)

// Run runs the conformance suite against the engine open returns. Every call
// of open must return a fresh, empty, migrated store. Subtests run in
// parallel, each with its own database.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"CreateLink/RoundTrip", testCreateRoundTrip},
		{"Outbox/Enqueue", testEnqueue},
		{"CreateLink/Defaults", testCreateDefaults},
		{"CreateLink/Conflict", testCreateConflict},
		{"LinkBySlug/NotFound", testLinkBySlugNotFound},
		{"ListLinks/Filters", testListFilters},
		{"ListLinks/Paging", testListPaging},
		{"UpdateLink/AllFields", testUpdateAllFields},
		{"UpdateLink/Immutable", testUpdateImmutable},
		{"UpdateLink/Rollback", testUpdateRollback},
		{"UpdateLink/NotFound", testUpdateNotFound},
		{"DeleteLink", testDelete},
		{"WatchLinks/Changes", testWatchChanges},
		{"WatchLinks/Subscribers", testWatchSubscribers},
		{"WatchLinks/Cancel", testWatchCancel},
		{"Signals/RoundTrip", testSignals},
		{"Signals/Cancel", testSignalsCancel},
		{"InsertScans/AllOrNothing", testInsertAllOrNothing},
		{"ScanStats/KnownData", testScanStats},
		{"ScanStats/Buckets", testScanBuckets},
		{"ScanStats/TopReferrers", testTopReferrers},
		{"ScanStats/Empty", testScanStatsEmpty},
		{"ScanStats/Counts", testScanCounts},
		{"Tokens/RoundTrip", testTokenRoundTrip},
		{"Tokens/Errors", testTokenErrors},
		{"Tokens/List", testTokenList},
		{"Tokens/Regions", testTokenRegions},
		{"Sessions/RoundTrip", testSessionRoundTrip},
		{"Sessions/Errors", testSessionErrors},
		{"Sessions/Prune", testSessionPrune},
		{"ExistingTargets", testExistingTargets},
		{"Monitors/RoundTrip", testMonitorRoundTrip},
		{"Monitors/Update", testMonitorUpdate},
		{"Monitors/UpdateRollback", testMonitorUpdateRollback},
		{"Monitors/NotFound", testMonitorNotFound},
		{"Monitors/DeleteCascade", testMonitorDeleteCascade},
		{"Results/RoundTrip", testResultRoundTrip},
		{"Results/Replay", testResultReplay},
		{"Results/Invalid", testResultInvalid},
		{"Results/Range", testResultRange},
		{"Results/LatestOrdering", testLatestOrdering},
		{"Results/LatestFailures", testLatestFailures},
		{"Results/LatestFailuresBatch", testLatestFailuresBatch},
		{"Results/LatestFailuresOutOfOrder", testLatestFailuresOutOfOrder},
		{"Results/LatestAll", testLatestAll},
		{"Results/ClearLatest", testClearLatest},
		{"Results/RollupsRecompute", testRollupsRecompute},
		{"Results/RollupBounds", testRollupBounds},
		{"Results/Prune", testResultPrune},
		{"Results/DeleteLinkCascade", testResultDeleteLink},
		{"Results/Concurrent", testResultConcurrent},
		{"Probers", testProbers},
		{"ProberLifecycle", testProberLifecycle},
		{"ConcurrentWrites", testConcurrentWrites},
		{"Pool", testPool},
		{"Alerts/RoundTrip", testAlertsRoundTrip},
		{"Alerts/Fence", testAlertsFence},
		{"Alerts/FailoverSwitch", testFailoverSwitch},
		{"Results/Fallback", testFallbackResults},
		{"Outbox/RoundTrip", testOutboxRoundTrip},
		{"Outbox/Lifecycle", testOutboxLifecycle},
		{"Outbox/DelayReceiver", testOutboxDelayReceiver},
		{"Leases/Terms", testLeaseTerms},
		{"Silences/RoundTrip", testSilenceRoundTrip},
		{"Silences/Ordering", testSilenceOrdering},
		{"Silences/Expire", testSilenceExpire},
		{"Silences/Errors", testSilenceErrors},
		{"Maintenances/RoundTrip", testMaintenanceRoundTrip},
		{"Maintenances/Errors", testMaintenanceErrors},
		{"AlertRules/CRUD", testAlertRulesCRUD},
		{"AlertHistory/Phases", testAlertHistoryPhases},
		{"AlertHistory/Fence", testAlertHistoryFence},
		{"AlertHistory/Filters", testAlertHistoryFilters},
		{"AlertHistory/Limits", testAlertHistoryLimits},
		{"ScanCounts/Minutes", testScanCountsMinutes},
		{"StatusComponents/CRUD", testStatusComponentsCRUD},
		{"StatusComponents/Concurrent", testStatusComponentsConcurrent},
		{"StatusIncidents/RoundTrip", testStatusIncidentsRoundTrip},
		{"StatusIncidents/Update", testStatusIncidentsUpdate},
		{"StatusIncidents/Filters", testStatusIncidentsFilters},
		{"StatusIncidents/Limits", testStatusIncidentsLimits},
		{"StatusSubscribers", testStatusSubscribers},
		{"StatusSubscribers/ByTokenAndExpiry", testStatusSubscribersByTokenAndExpiry},
		{"StatusMonths", testStatusMonths},
	}
	for _, tt := range append(tests, batchTests()...) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := open(t)
			tt.fn(t, s)
		})
	}
	// These use two handles on one database: two replicas, or one process
	// before and after a restart.
	shared := []struct {
		name string
		fn   func(t *testing.T, s Store, reopen func() Store)
	}{
		{"Outbox/ExactlyOnce", testOutboxExactlyOnce},
		{"Leases/Race", testLeaseRace},
		{"Leases/StaleLeader", testLeaseStaleLeader},
		{"DashboardKeys", testDashboardKeys},
		{"StatusComponentTimes", testStatusComponentTimes},
	}
	for _, tt := range shared {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, reopen := open(t)
			tt.fn(t, s, reopen)
		})
	}
}

// zone is far from UTC so that a store which keeps the caller's zone, or
// reads times back in local time, fails the round trips.
func zone() *time.Location { return time.FixedZone("UTC+05:30", 5*3600+1800) }

// created is when test links were made; it has nanoseconds, stores keep
// milliseconds.
func created() time.Time { return time.Date(2024, 3, 10, 17, 30, 0, 123456789, zone()) }

// newLink returns a valid link as the API would hand it to the store.
func newLink(domain, slug string, tags ...string) *linkwatch.Link {
	if tags == nil {
		tags = []string{}
	}
	return &linkwatch.Link{
		Domain: domain, Slug: slug, Destination: "https://example.com/" + slug,
		Tags: tags, RedirectCode: 302, CheckInterval: time.Minute, Failover: linkwatch.FailoverAuto,
		CreatedAt: created(), UpdatedAt: created(),
	}
}

// ms is t as stores keep it: in UTC to the millisecond.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Millisecond).UTC()
}

// stored is what a store returns for l: times in UTC to the millisecond,
// tags never nil.
func stored(l linkwatch.Link) linkwatch.Link {
	l.CreatedAt, l.UpdatedAt, l.ExpiresAt = ms(l.CreatedAt), ms(l.UpdatedAt), ms(l.ExpiresAt)
	l.FailoverSince = ms(l.FailoverSince)
	if l.Tags == nil {
		l.Tags = []string{}
	}
	l.Expect = storedExpect(l.Expect)
	return l
}

// storedExpect is what a store returns for e: the maximum latency to the
// millisecond, no statuses as nil.
func storedExpect(e linkwatch.Expectation) linkwatch.Expectation {
	if len(e.Statuses) == 0 {
		e.Statuses = nil
	}
	e.MaxLatency = e.MaxLatency.Truncate(time.Millisecond)
	return e
}

func create(t *testing.T, s Store, l *linkwatch.Link) *linkwatch.Link {
	t.Helper()
	if err := s.CreateLink(t.Context(), l); err != nil {
		t.Fatalf("CreateLink(%q, %q): %v", l.Domain, l.Slug, err)
	}
	return l
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := linkwatch.ErrorCode(err); got != code {
		t.Errorf("%s: error %v has code %q, want %q", what, err, got, code)
	}
}

func equalLink(t *testing.T, what string, got *linkwatch.Link, want linkwatch.Link) {
	t.Helper()
	want = stored(want)
	if got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testPool(t *testing.T, s Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	st := s.PoolStats()
	if st.Max <= 0 || st.Total < 0 || st.Acquired < 0 || st.Idle < 0 || st.AcquireCount <= 0 {
		t.Errorf("PoolStats after Ping = %+v, want a limit and at least one acquisition", st)
	}
}

// testConcurrentWrites writes from many goroutines at once: no write may fail
// for the database being busy, and none may be lost.
func testConcurrentWrites(t *testing.T, s Store) {
	const workers, rounds, batch = 16, 10, 20
	l := create(t, s, newLink("", "busy"))
	at := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*2)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				scans := make([]linkwatch.Scan, batch)
				for i := range scans {
					scans[i] = linkwatch.Scan{LinkID: l.ID, At: at.Add(time.Duration(w*rounds+r) * time.Second), Source: linkwatch.SourceLink}
				}
				if err := s.InsertScans(t.Context(), scans); err != nil {
					errs <- fmt.Errorf("InsertScans: %w", err)
				}
				_, err := s.UpdateLink(t.Context(), "", "busy", func(l *linkwatch.Link) error {
					l.CheckInterval += time.Second
					return nil
				})
				if err != nil {
					errs <- fmt.Errorf("UpdateLink: %w", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err := s.ScanStats(t.Context(), linkwatch.ScanQuery{LinkID: l.ID, From: at, To: at.Add(time.Hour), Bucket: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != workers*rounds*batch {
		t.Errorf("%d scans stored, want %d", st.Total, workers*rounds*batch)
	}
	got, err := s.LinkBySlug(t.Context(), "", "busy")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Minute + workers*rounds*time.Second; got.CheckInterval != want {
		t.Errorf("check interval %v after %d increments of 1s from 1m, want %v: updates were lost", got.CheckInterval, workers*rounds, want)
	}
}
