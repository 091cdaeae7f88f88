package storagetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// failing returns a failing result of tg from region at at.
func failing(tg linkwatch.Target, region string, at time.Time) linkwatch.Result {
	r := result(tg, region, at)
	r.Class, r.Error, r.Status = linkwatch.ClassHTTPStatus, "status 503", 503
	return r
}

func latestAll(t *testing.T, s Store) []linkwatch.Latest {
	t.Helper()
	ls, err := s.LatestAll(t.Context())
	if err != nil {
		t.Fatalf("LatestAll: %v", err)
	}
	return ls
}

// wantLatest checks that the latest result of tg from region is r, with
// failures failures in a row.
func wantLatest(t *testing.T, s Store, what string, r linkwatch.Result, failures int) {
	t.Helper()
	want := linkwatch.Latest{Result: storedResult(r), Failures: failures}
	for _, l := range latestAll(t, s) {
		if l.Target == r.Target && l.Region == r.Region {
			if !reflect.DeepEqual(l, want) {
				t.Errorf("%s: latest of %v from %s =\n %+v\nwant %+v", what, r.Target, r.Region, l, want)
			}
			return
		}
	}
	t.Errorf("%s: no latest result of %v from %s", what, r.Target, r.Region)
}

// testLatestFailures: failures in a row count across batches and a passing
// result resets the count.
func testLatestFailures(t *testing.T, s Store) {
	if got := latestAll(t, s); got == nil || len(got) != 0 {
		t.Errorf("LatestAll without results = %#v, want an empty, non-nil list", got)
	}
	at := func(i int) time.Time { return noon().Add(time.Duration(i) * time.Minute) }
	insertResults(t, s, []linkwatch.Result{result(link1, "eu", at(0))})
	wantLatest(t, s, "after a pass", result(link1, "eu", at(0)), 0)
	for i := 1; i <= 3; i++ {
		f := failing(link1, "eu", at(i))
		insertResults(t, s, []linkwatch.Result{f})
		wantLatest(t, s, fmt.Sprintf("after %d failures", i), f, i)
	}
	// A replay of a failure is not counted again.
	insertResults(t, s, []linkwatch.Result{failing(link1, "eu", at(3))})
	wantLatest(t, s, "after a replay", failing(link1, "eu", at(3)), 3)
	pass := result(link1, "eu", at(4))
	insertResults(t, s, []linkwatch.Result{pass})
	wantLatest(t, s, "after a pass", pass, 0)
	f := failing(link1, "eu", at(5))
	insertResults(t, s, []linkwatch.Result{f})
	wantLatest(t, s, "after a failure following a pass", f, 1)
	// A failure first of all counts one.
	us := failing(link1, "us", at(0))
	insertResults(t, s, []linkwatch.Result{us})
	wantLatest(t, s, "after a first failure", us, 1)
}

// testLatestFailuresBatch: the results of one batch for a target and region
// are counted in time order, whatever their order in the batch.
func testLatestFailuresBatch(t *testing.T, s Store) {
	at := func(i int) time.Time { return noon().Add(time.Duration(i) * time.Minute) }
	f1, f2, f3 := failing(link1, "eu", at(1)), failing(link1, "eu", at(2)), failing(link1, "eu", at(3))
	insertResults(t, s, []linkwatch.Result{f1, f2, f3})
	wantLatest(t, s, "after a batch of three failures", f3, 3)
	// Shuffled, with a pass in the middle: only the failures after it count.
	p, f4, f5, f6 := result(link1, "eu", at(4)), failing(link1, "eu", at(5)), failing(link1, "eu", at(6)),
		failing(link1, "eu", at(7))
	insertResults(t, s, []linkwatch.Result{f5, p, f6, f4})
	wantLatest(t, s, "after a shuffled batch with a pass", f6, 3)
	// Shuffled failures continue the stored count.
	f7, f8, f9 := failing(link1, "eu", at(8)), failing(link1, "eu", at(9)), failing(link1, "eu", at(10))
	insertResults(t, s, []linkwatch.Result{f9, f7, f8})
	wantLatest(t, s, "after a shuffled batch of failures", f9, 6)
	// A pass older than the latest, in a batch with newer failures, breaks
	// nothing; the newest pass in a shuffled batch resets the count.
	old := result(link1, "eu", at(0))
	p2, f10 := result(link1, "eu", at(12)), failing(link1, "eu", at(11))
	insertResults(t, s, []linkwatch.Result{p2, old, f10})
	wantLatest(t, s, "after a batch ending in a pass", p2, 0)
	// A batch of another target and region alongside is counted apart.
	m := linkwatch.Target{Kind: linkwatch.KindMonitor, ID: 1}
	g1, g2, e1 := failing(m, "eu", at(1)), failing(m, "eu", at(2)), failing(link1, "eu", at(13))
	insertResults(t, s, []linkwatch.Result{g2, e1, g1})
	wantLatest(t, s, "monitor after two failures", g2, 2)
	wantLatest(t, s, "link after a failure", e1, 1)
}

// testLatestFailuresOutOfOrder: a result older than the latest changes
// neither the latest result nor the count.
func testLatestFailuresOutOfOrder(t *testing.T, s Store) {
	at := func(i int) time.Time { return noon().Add(time.Duration(i) * time.Minute) }
	f1, f2 := failing(link1, "eu", at(1)), failing(link1, "eu", at(2))
	insertResults(t, s, []linkwatch.Result{f1})
	insertResults(t, s, []linkwatch.Result{f2})
	wantLatest(t, s, "after two failures", f2, 2)
	insertResults(t, s, []linkwatch.Result{failing(link1, "eu", at(0))})
	wantLatest(t, s, "after an older failure", f2, 2)
	// Nor does one at the same time.
	same := failing(link1, "eu", at(2))
	same.ID = "same-time"
	insertResults(t, s, []linkwatch.Result{same})
	wantLatest(t, s, "after a failure at the same time", f2, 2)
	insertResults(t, s, []linkwatch.Result{result(link1, "eu", at(-1))})
	wantLatest(t, s, "after an older pass", f2, 2)
	f3 := failing(link1, "eu", at(3))
	insertResults(t, s, []linkwatch.Result{f3})
	wantLatest(t, s, "after a newer failure", f3, 3)
	if n := len(results(t, s, link1)); n != 6 {
		t.Errorf("%d results stored, want 6: late results are stored all the same", n)
	}
}

// testLatestAll: every target's latest results, from every region, ordered
// by target kind, target ID and region, with their fields in full.
func testLatestAll(t *testing.T, s Store) {
	link2 := linkwatch.Target{Kind: linkwatch.KindLink, ID: 2}
	link10 := linkwatch.Target{Kind: linkwatch.KindLink, ID: 10}
	mon1 := linkwatch.Target{Kind: linkwatch.KindMonitor, ID: 1}
	full := failing(link2, "us", noon().Add(123456789*time.Nanosecond).In(zone()))
	full.Hops = []linkwatch.Hop{{URL: "https://example.com/old", Status: 301, Duration: 20 * time.Millisecond}}
	full.CertExpiry = noon().AddDate(0, 1, 0).Add(999 * time.Microsecond)
	full.Phases = linkwatch.Phases{DNS: 1, Connect: 2, TLS: 3, FirstByte: 4, Total: 5}
	full.Degraded, full.FailedOver, full.Fingerprint, full.Prober = true, true, "abc", "us-1"
	m1, m2 := failing(mon1, "eu", noon()), failing(mon1, "eu", noon().Add(time.Minute))
	rs := []linkwatch.Result{
		result(link10, "eu", noon()), m1, full, result(mon1, "ap", noon()), result(link2, "eu", noon()),
		result(link1, "us", noon()), m2, result(link2, "ap", noon()), failing(link1, "eu", noon()),
	}
	insertResults(t, s, rs[:4]) // m1, then m2 in the second batch
	insertResults(t, s, rs[4:])
	l := func(r linkwatch.Result, n int) linkwatch.Latest {
		return linkwatch.Latest{Result: storedResult(r), Failures: n}
	}
	want := []linkwatch.Latest{
		l(rs[8], 1), l(rs[5], 0), // link 1: eu, us
		l(rs[7], 0), l(rs[4], 0), l(full, 1), // link 2: ap, eu, us
		l(rs[0], 0),           // link 10 after link 2
		l(rs[3], 0), l(m2, 2), // monitor 1: ap, eu
	}
	if got := latestAll(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("LatestAll:\n got %+v\nwant %+v", got, want)
	}
	// LatestAll agrees with LatestResults.
	var fromLatest []linkwatch.Result
	for _, tg := range []linkwatch.Target{link1, link2, link10, mon1} {
		fromLatest = append(fromLatest, latest(t, s, tg)...)
	}
	var fromAll []linkwatch.Result
	for _, l := range latestAll(t, s) {
		fromAll = append(fromAll, l.Result)
	}
	equalResults(t, "LatestAll against LatestResults", fromAll, fromLatest)
}

// testClearLatest: clearing a target's latest result from one region forgets
// that one only; results and rollups stay, and the next result starts a new
// count.
func testClearLatest(t *testing.T, s Store) {
	at := func(i int) time.Time { return noon().Add(time.Duration(i) * time.Minute) }
	mon1 := linkwatch.Target{Kind: linkwatch.KindMonitor, ID: 1}
	insertResults(t, s, []linkwatch.Result{failing(link1, "eu", at(0)), failing(link1, "eu", at(1)),
		result(link1, "us", at(1)), failing(mon1, "eu", at(1))})
	ls, err := s.LatestResults(t.Context(), link1)
	if err != nil {
		t.Fatalf("LatestResults: %v", err)
	}
	if len(ls) != 2 || ls[0].Region != "eu" || ls[0].Failures != 2 || ls[1].Region != "us" || ls[1].Failures != 0 {
		t.Fatalf("LatestResults = %+v, want eu failing twice and us passing", ls)
	}
	if err := s.ClearLatest(t.Context(), link1, "eu"); err != nil {
		t.Fatalf("ClearLatest: %v", err)
	}
	if got := latest(t, s, link1); len(got) != 1 || got[0].Region != "us" {
		t.Errorf("latest after clearing eu = %+v, want us only", got)
	}
	wantLatest(t, s, "the monitor's eu is kept", failing(mon1, "eu", at(1)), 1)
	if n := len(results(t, s, link1)); n != 3 {
		t.Errorf("%d results after clearing, want 3: results stay", n)
	}
	if n := len(rollups(t, s, link1, linkwatch.Hourly)); n == 0 {
		t.Error("no rollups after clearing: rollups stay")
	}
	wantCode(t, "ClearLatest again", s.ClearLatest(t.Context(), link1, "eu"), linkwatch.ENOTFOUND)
	wantCode(t, "ClearLatest of an unknown region", s.ClearLatest(t.Context(), link1, "mars"), linkwatch.ENOTFOUND)
	wantCode(t, "ClearLatest of an unknown target", s.ClearLatest(t.Context(), linkwatch.Target{Kind: linkwatch.KindLink, ID: 99}, "us"), linkwatch.ENOTFOUND)
	// An older result may now become the latest again, counting from one.
	f := failing(link1, "eu", at(-1))
	f.ID = "after-clear"
	insertResults(t, s, []linkwatch.Result{f})
	wantLatest(t, s, "a result after clearing", f, 1)
}
