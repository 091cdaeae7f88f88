package health

import (
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestFresh(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Time
		want bool
	}{
		{"just now", now, true},
		{"three intervals and 30 s ago", now.Add(-3*time.Minute - 30*time.Second), true},
		{"a moment older", now.Add(-3*time.Minute - 31*time.Second), false},
		{"a minute ahead (clock skew)", now.Add(time.Minute), true},
		{"more than a minute ahead", now.Add(time.Minute + time.Second), false},
		{"dated 2099", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		if got := Fresh(tc.at, time.Minute, now); got != tc.want {
			t.Errorf("%s: Fresh = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !Freshness(time.Minute, now)(linkwatch.Latest{Result: linkwatch.Result{At: now}}) {
		t.Error("Freshness disagrees with Fresh")
	}
	if got := MonitorInterval(&linkwatch.Monitor{Interval: time.Minute, Cron: "0 3 * * *"}); got != 24*time.Hour {
		t.Errorf("a cron monitor's interval = %v, want a day", got)
	}
}

func res(at time.Time, class string) linkwatch.Result {
	return linkwatch.Result{ID: at.String(), Region: "eu", At: at, Class: class}
}

func TestNext(t *testing.T) {
	at := func(i int) time.Time { return now.Add(time.Duration(i) * time.Minute) }
	fail := linkwatch.ClassHTTPStatus
	l, ok := Next(nil, res(at(0), fail))
	if !ok || l.Failures != 1 {
		t.Fatalf("a first failure: %+v %v, want 1 failure", l, ok)
	}
	l, ok = Next(&l, res(at(1), fail))
	if !ok || l.Failures != 2 {
		t.Fatalf("a second failure: %d, want 2", l.Failures)
	}
	if same, ok := Next(&l, res(at(1), "")); ok || same.Failures != 2 || !same.At.Equal(at(1)) || same.OK() {
		t.Errorf("a result at the same time replaced the latest: %+v", same)
	}
	if older, ok := Next(&l, res(at(0), "")); ok || older.Failures != 2 {
		t.Errorf("an older result replaced the latest: %+v", older)
	}
	l, ok = Next(&l, res(at(2), ""))
	if !ok || l.Failures != 0 {
		t.Errorf("a pass: %d failures, want 0", l.Failures)
	}
	l, _ = Next(&l, res(at(3), fail))
	if l.Failures != 1 {
		t.Errorf("a failure after a pass: %d, want 1", l.Failures)
	}
}

func TestAssess(t *testing.T) {
	latest := func(region string, ago time.Duration, class string, failures int, slow bool) linkwatch.Latest {
		r := linkwatch.Result{Region: region, At: now.Add(-ago), Class: class, Degraded: slow}
		if class == linkwatch.ClassHTTPStatus {
			r.Status = 503
		}
		if class == linkwatch.ClassDNS {
			r.Error = "no such host"
		}
		return linkwatch.Latest{Result: r, Failures: failures}
	}
	up := func(region string) linkwatch.Latest { return latest(region, time.Minute, "", 0, false) }
	for _, tc := range []struct {
		name   string
		latest []linkwatch.Latest
		state  State
		reason string
	}{
		{"nothing yet", nil, Unknown, "no region has reported yet"},
		{"all up", []linkwatch.Latest{up("eu"), up("us"), up("ap")}, Up, "up in 3 of 3 regions"},
		{"one of three failing", []linkwatch.Latest{latest("eu", time.Minute, linkwatch.ClassHTTPStatus, 5, false), up("us"), up("ap")},
			Degraded, "1 of 3 regions failing: http_status 503"},
		{"two of three failing", []linkwatch.Latest{latest("eu", time.Minute, linkwatch.ClassHTTPStatus, 2, false),
			latest("us", time.Minute, linkwatch.ClassDNS, 3, false), up("ap")},
			Down, "2 of 3 regions failing: dns: no such host; http_status 503"},
		{"one of one failing once", []linkwatch.Latest{latest("eu", time.Minute, linkwatch.ClassHTTPStatus, 1, false)},
			Degraded, "1 of 1 region failing: http_status 503 (not yet twice in a row)"},
		{"one of one failing twice", []linkwatch.Latest{latest("eu", time.Minute, linkwatch.ClassHTTPStatus, 2, false)},
			Down, "1 of 1 region failing: http_status 503"},
		{"slow", []linkwatch.Latest{up("eu"), latest("us", time.Minute, "", 0, true)}, Degraded, "slow in 1 of 2 regions: us"},
		{"stale", []linkwatch.Latest{latest("eu", time.Hour, linkwatch.ClassHTTPStatus, 9, false)}, Unknown, "no region reported recently"},
		{"a stale failing region beside a fresh one", []linkwatch.Latest{latest("eu", time.Hour, linkwatch.ClassHTTPStatus, 9, false), up("us")},
			Up, "up in 1 of 1 region; no recent results from eu"},
	} {
		a := Assess(tc.latest, time.Minute, now)
		if a.State != tc.state || a.Reason != tc.reason {
			t.Errorf("%s: %s %q, want %s %q", tc.name, a.State, a.Reason, tc.state, tc.reason)
		}
		if (a.State == Down) != (a.Quorum.State == QuorumDown) {
			t.Errorf("%s: state %s but the link_down quorum says %s", tc.name, a.State, a.Quorum.State)
		}
	}
}
