package storagetest

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// Bounds that hold every result of the tests.
var (
	beginning = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	end       = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// result returns a passing result of tg from region at at, with an ID made
// of the three.
func result(tg linkwatch.Target, region string, at time.Time) linkwatch.Result {
	return linkwatch.Result{
		ID: fmt.Sprintf("%s-%s-%d", tg, region, at.UnixNano()), Target: tg, Region: region, Prober: "prober-" + region,
		At: at, Step: linkwatch.StepDestination, Status: 200, Phases: linkwatch.Phases{Total: 80 * time.Millisecond},
		FinalURL: "https://example.com/",
	}
}

// storedResult is what a store returns for r: times in UTC to the
// millisecond, no hops as nil.
func storedResult(r linkwatch.Result) linkwatch.Result {
	r.At, r.CertExpiry = ms(r.At), ms(r.CertExpiry)
	if len(r.Hops) == 0 {
		r.Hops = nil
	}
	return r
}

func storedResults(rs ...linkwatch.Result) []linkwatch.Result {
	out := []linkwatch.Result{}
	for _, r := range rs {
		out = append(out, storedResult(r))
	}
	return out
}

func insertResults(t *testing.T, s Store, rs []linkwatch.Result) {
	t.Helper()
	if err := s.InsertResults(t.Context(), rs); err != nil {
		t.Fatalf("InsertResults: %v", err)
	}
}

// results returns every stored result of tg, newest first.
func results(t *testing.T, s Store, tg linkwatch.Target) []linkwatch.Result {
	t.Helper()
	rs, err := s.Results(t.Context(), tg, beginning, end, 0)
	if err != nil {
		t.Fatalf("Results(%v): %v", tg, err)
	}
	return rs
}

func latest(t *testing.T, s Store, tg linkwatch.Target) []linkwatch.Result {
	t.Helper()
	ls, err := s.LatestResults(t.Context(), tg)
	if err != nil {
		t.Fatalf("LatestResults(%v): %v", tg, err)
	}
	rs := make([]linkwatch.Result, len(ls))
	for i, l := range ls {
		rs[i] = l.Result
	}
	return rs
}

func rollups(t *testing.T, s Store, tg linkwatch.Target, res time.Duration) []linkwatch.Rollup {
	t.Helper()
	rs, err := s.Rollups(t.Context(), tg, res, beginning, end)
	if err != nil {
		t.Fatalf("Rollups(%v, %v): %v", tg, res, err)
	}
	return rs
}

func equalResults(t *testing.T, what string, got, want []linkwatch.Result) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

var link1 = linkwatch.Target{Kind: linkwatch.KindLink, ID: 1}

func testResultRoundTrip(t *testing.T, s Store) {
	if got := latest(t, s, link1); got == nil || len(got) != 0 {
		t.Errorf("LatestResults without results = %#v, want an empty, non-nil list", got)
	}
	if got := results(t, s, link1); got == nil || len(got) != 0 {
		t.Errorf("Results without results = %#v, want an empty, non-nil list", got)
	}
	if err := s.InsertResults(t.Context(), nil); err != nil {
		t.Errorf("InsertResults(nil): %v", err)
	}
	full := linkwatch.Result{
		ID: "0190a1b2-full", Target: link1, Region: "eu-west", Prober: "eu-west-1",
		At: time.Date(2024, 3, 10, 17, 30, 0, 123456789, zone()), Step: linkwatch.StepShortLink,
		Class: linkwatch.ClassTLS, Error: "x509: certificate has expired", Degraded: true, Status: 301,
		Phases: linkwatch.Phases{DNS: 1234567, Connect: 2345678, TLS: 3456789, FirstByte: 45678901, Total: 56789012},
		Hops: []linkwatch.Hop{
			{URL: "https://go.example.com/spring", Status: 302, Duration: 12345678},
			{URL: "https://example.com/spring?utm_source=qr&x=\"quoted\"", Status: 200, Duration: 23456789},
		},
		FinalURL: "https://example.com/spring", CertExpiry: time.Date(2024, 3, 1, 0, 0, 0, 999999999, zone()),
		Fingerprint: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", FailedOver: true,
	}
	plain := result(link1, "us-east", full.At.Add(-time.Minute))
	plain.Hops = []linkwatch.Hop{} // no hops reads back as nil
	insertResults(t, s, []linkwatch.Result{full, plain})
	equalResults(t, "Results", results(t, s, link1), storedResults(full, plain))
	equalResults(t, "LatestResults", latest(t, s, link1), storedResults(full, plain))
	for _, r := range results(t, s, link1) {
		if r.At.Location() != time.UTC || !r.CertExpiry.IsZero() && r.CertExpiry.Location() != time.UTC {
			t.Errorf("result %s: times in %v and %v, want UTC", r.ID, r.At.Location(), r.CertExpiry.Location())
		}
	}
	other := linkwatch.Target{Kind: linkwatch.KindMonitor, ID: link1.ID}
	equalResults(t, "Results of the monitor with the link's ID", results(t, s, other), []linkwatch.Result{})
}

// testResultReplay: a result stored once is skipped when it comes again, in
// a later batch or in the same one, even with other contents, and is counted
// into the rollups once.
func testResultReplay(t *testing.T, s Store) {
	a := result(link1, "eu", noon())
	b := result(link1, "eu", noon().Add(time.Minute))
	insertResults(t, s, []linkwatch.Result{a, b, a})
	changed := b
	changed.Class, changed.Status = linkwatch.ClassHTTPStatus, 500
	c := result(link1, "eu", noon().Add(2*time.Minute))
	insertResults(t, s, []linkwatch.Result{changed, a, c, c})
	insertResults(t, s, []linkwatch.Result{a, b, c})
	equalResults(t, "Results after replays", results(t, s, link1), storedResults(c, b, a))
	for _, res := range []time.Duration{linkwatch.Hourly, linkwatch.Daily} {
		rs := rollups(t, s, link1, res)
		if len(rs) != 1 || rs[0].Checks != 3 || rs[0].Failures != 0 {
			t.Errorf("%v rollups after replays = %+v, want one with 3 checks and no failures", res, rs)
		}
	}
}

// testResultInvalid: a batch with an invalid result is refused whole.
func testResultInvalid(t *testing.T, s Store) {
	good := result(link1, "eu", noon())
	for name, bad := range map[string]func(*linkwatch.Result){
		"no ID":        func(r *linkwatch.Result) { r.ID = "" },
		"unknown kind": func(r *linkwatch.Result) { r.Target.Kind = "carrier-pigeon" },
	} {
		r := result(link1, "us", noon())
		bad(&r)
		err := s.InsertResults(t.Context(), []linkwatch.Result{good, r})
		wantCode(t, "InsertResults with "+name, err, linkwatch.EINVALID)
	}
	equalResults(t, "Results after refused batches", results(t, s, link1), []linkwatch.Result{})
	if rs := rollups(t, s, link1, linkwatch.Hourly); len(rs) != 0 {
		t.Errorf("refused batches left rollups %+v", rs)
	}
	_, err := s.Rollups(t.Context(), link1, 2*time.Hour, beginning, end)
	wantCode(t, "Rollups of 2h", err, linkwatch.EINVALID)
	_, err = s.PruneRollups(t.Context(), time.Minute, end)
	wantCode(t, "PruneRollups of 1m", err, linkwatch.EINVALID)
}

func testResultRange(t *testing.T, s Store) {
	var rs []linkwatch.Result
	for i := range 5 {
		rs = append(rs, result(link1, "eu", noon().Add(time.Duration(i)*time.Minute)))
	}
	// The same time from another region: ties are ordered by ID, descending.
	tie := result(link1, "us", noon().Add(2*time.Minute))
	insertResults(t, s, append(rs, tie))
	if tie.ID < rs[2].ID {
		t.Fatal("test data: the tie's ID must sort after that of the result at the same time")
	}
	tests := []struct {
		from, to time.Time
		limit    int
		want     []linkwatch.Result
	}{
		{noon(), noon().Add(5 * time.Minute), 0, storedResults(rs[4], rs[3], tie, rs[2], rs[1], rs[0])},
		{noon().Add(time.Minute), noon().Add(2*time.Minute + time.Millisecond), 0, storedResults(tie, rs[2], rs[1])},
		{noon().Add(time.Minute), noon().Add(2 * time.Minute), 0, storedResults(rs[1])}, // To is excluded
		{noon(), end, 2, storedResults(rs[4], rs[3])},
		{noon().Add(time.Hour), end, 0, []linkwatch.Result{}},
	}
	for _, tt := range tests {
		got, err := s.Results(t.Context(), link1, tt.from, tt.to, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		equalResults(t, fmt.Sprintf("Results(%v, %v, %d)", tt.from, tt.to, tt.limit), got, tt.want)
	}
}

// testLatestOrdering: the latest result per region is the one with the newest
// At, whatever order results arrive in.
func testLatestOrdering(t *testing.T, s Store) {
	eu1 := result(link1, "eu", noon())
	eu2 := result(link1, "eu", noon().Add(time.Minute))
	eu3 := result(link1, "eu", noon().Add(2*time.Minute))
	us1 := result(link1, "us", noon())
	ap1 := result(link1, "ap", noon().Add(time.Hour))
	insertResults(t, s, []linkwatch.Result{eu2, us1})
	equalResults(t, "latest", latest(t, s, link1), storedResults(eu2, us1))
	insertResults(t, s, []linkwatch.Result{eu1}) // older, arriving later
	equalResults(t, "latest after an older result", latest(t, s, link1), storedResults(eu2, us1))
	insertResults(t, s, []linkwatch.Result{eu3, ap1, eu1}) // newest first within the batch
	equalResults(t, "latest after a newer result", latest(t, s, link1), storedResults(ap1, eu3, us1))
	// A result at the same time does not replace the latest.
	same := result(link1, "us", us1.At)
	same.ID, same.Class = "same-time", linkwatch.ClassTimeout
	insertResults(t, s, []linkwatch.Result{same})
	equalResults(t, "latest after a result at the same time", latest(t, s, link1), storedResults(ap1, eu3, us1))
}

func testResultPrune(t *testing.T, s Store) {
	day := func(d int) time.Time { return noon().AddDate(0, 0, d) }
	var rs []linkwatch.Result
	for d := range 4 {
		rs = append(rs, result(link1, "eu", day(d)), result(link1, "eu", day(d).Add(time.Hour)))
	}
	insertResults(t, s, rs)
	n, err := s.PruneResults(t.Context(), day(2))
	if err != nil || n != 4 {
		t.Errorf("PruneResults = %d, %v; want 4 deleted", n, err)
	}
	equalResults(t, "Results after pruning", results(t, s, link1), storedResults(rs[7], rs[6], rs[5], rs[4]))
	if n, err := s.PruneResults(t.Context(), end); err != nil || n != 4 {
		t.Errorf("PruneResults of everything = %d, %v; want 4", n, err)
	}
	// Rollups and the latest results outlive the raw results.
	equalResults(t, "latest after pruning everything", latest(t, s, link1), storedResults(rs[7]))
	if h, d := rollups(t, s, link1, linkwatch.Hourly), rollups(t, s, link1, linkwatch.Daily); len(h) != 8 || len(d) != 4 {
		t.Fatalf("after pruning results: %d hourly and %d daily rollups, want 8 and 4", len(h), len(d))
	}
	// Hourly rollups starting before day 3 noon: those of days 0 to 2.
	if n, err := s.PruneRollups(t.Context(), linkwatch.Hourly, day(3)); err != nil || n != 6 {
		t.Errorf("PruneRollups(hourly) = %d, %v; want 6", n, err)
	}
	if h, d := rollups(t, s, link1, linkwatch.Hourly), rollups(t, s, link1, linkwatch.Daily); len(h) != 2 || len(d) != 4 {
		t.Errorf("after pruning hourly rollups: %d hourly and %d daily, want 2 and 4", len(h), len(d))
	}
	if n, err := s.PruneRollups(t.Context(), linkwatch.Daily, day(1)); err != nil || n != 2 {
		t.Errorf("PruneRollups(daily) = %d, %v; want 2 (days 0 and 1 start before day 1 noon)", n, err)
	}
}

func testResultDeleteLink(t *testing.T, s Store) {
	gone := create(t, s, newLink("", "gone"))
	kept := create(t, s, newLink("", "kept"))
	goneT := linkwatch.Target{Kind: linkwatch.KindLink, ID: gone.ID}
	keptT := linkwatch.Target{Kind: linkwatch.KindLink, ID: kept.ID}
	insertResults(t, s, []linkwatch.Result{result(goneT, "eu", noon()), result(keptT, "eu", noon())})
	if err := s.DeleteLink(t.Context(), "", "gone"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		tg   linkwatch.Target
		want int
	}{{goneT, 0}, {keptT, 1}} {
		if n := len(results(t, s, tt.tg)) + len(latest(t, s, tt.tg)) + len(rollups(t, s, tt.tg, linkwatch.Hourly)) +
			len(rollups(t, s, tt.tg, linkwatch.Daily)); n != 4*tt.want {
			t.Errorf("%v: %d results, latest results and rollups after deleting link %d, want %d", tt.tg, n, gone.ID, 4*tt.want)
		}
	}
}

// testResultConcurrent inserts overlapping batches from many goroutines, as
// probers replaying their spools while pushing new results do: none may fail
// and every result must be counted exactly once.
func testResultConcurrent(t *testing.T, s Store) {
	const workers, n, size = 8, 400, 50
	all := make([]linkwatch.Result, n)
	for i := range all {
		tg := linkwatch.Target{Kind: linkwatch.KindLink, ID: int64(1 + i%3)}
		all[i] = result(tg, []string{"eu", "us"}[i/3%2], noon().Add(time.Duration(i)*time.Second))
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*n)
	for w := range workers {
		wg.Go(func() {
			// Each worker sends every result, in batches starting at its own
			// offset; odd workers reverse their batches.
			for b := range n / size {
				start := (w + b) * size % n
				batch := slices.Clone(all[start : start+size])
				if w%2 == 1 {
					slices.Reverse(batch)
				}
				if err := s.InsertResults(t.Context(), batch); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("InsertResults: %v", err)
	}
	var checks int64
	for id := range int64(3) {
		for _, r := range rollups(t, s, linkwatch.Target{Kind: linkwatch.KindLink, ID: 1 + id}, linkwatch.Daily) {
			checks += r.Checks
		}
	}
	if checks != n {
		t.Errorf("daily rollups count %d checks, want %d", checks, n)
	}
}

// ResultBatch returns the round-th of a series of batches of size fresh
// results, for benchmarks: 1,000 links checked from three regions, a check
// every 10ms, a tenth of them failing and some with redirects.
func ResultBatch(round, size int) []linkwatch.Result {
	regions := []string{"eu-west", "us-east", "ap-south"}
	start := time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)
	batch := make([]linkwatch.Result, size)
	for i := range batch {
		n := round*size + i
		tg := linkwatch.Target{Kind: linkwatch.KindLink, ID: int64(1 + n%1000)}
		r := result(tg, regions[n/1000%3], start.Add(time.Duration(n)*10*time.Millisecond))
		r.ID = fmt.Sprintf("bench-%09d", n)
		r.Phases = linkwatch.Phases{DNS: 2 * time.Millisecond, Connect: 10 * time.Millisecond,
			TLS: 30 * time.Millisecond, FirstByte: 90 * time.Millisecond, Total: time.Duration(50+n%400) * time.Millisecond}
		if n%10 == 0 {
			r.Class, r.Error, r.Status = linkwatch.ClassHTTPStatus, "status 503", 503
		}
		if n%4 == 0 {
			r.Hops = []linkwatch.Hop{{URL: "https://example.com/old", Status: 301, Duration: 20 * time.Millisecond}}
		}
		batch[i] = r
	}
	return batch
}
