package linkwatch_test

import (
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

func TestProberLifecycleState(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	lc := linkwatch.ProberLifecycle{Silence: time.Minute, RetireAfter: time.Hour}
	seen := func(ago time.Duration) linkwatch.ProberInfo {
		return linkwatch.ProberInfo{ID: "eu/host", Region: "eu", LastSeen: now.Add(-ago)}
	}
	stopped := seen(10 * time.Second)
	stopped.StoppedAt = now.Add(-5 * time.Second)
	retired := seen(0)
	retired.RetiredAt = now
	stoppedThenRetired := stopped
	stoppedThenRetired.RetiredAt = now
	for _, tc := range []struct {
		name string
		p    linkwatch.ProberInfo
		lc   linkwatch.ProberLifecycle
		want linkwatch.ProberState
	}{
		{"just heard", seen(0), lc, linkwatch.ProberLive},
		{"at the silence bound", seen(time.Minute), lc, linkwatch.ProberLive},
		{"past the silence bound", seen(time.Minute + time.Millisecond), lc, linkwatch.ProberSilent},
		{"at the retirement bound", seen(time.Hour), lc, linkwatch.ProberSilent},
		{"past the retirement bound", seen(time.Hour + time.Millisecond), lc, linkwatch.ProberRetired},
		{"a heartbeat from the future", seen(-time.Hour), lc, linkwatch.ProberLive},
		{"deregistered", stopped, lc, linkwatch.ProberStopped},
		{"retired by an admin", retired, lc, linkwatch.ProberRetired},
		{"retired wins over stopped", stoppedThenRetired, lc, linkwatch.ProberRetired},
		{"zero lifecycle: defaults", seen(2 * time.Minute), linkwatch.ProberLifecycle{}, linkwatch.ProberSilent},
		{"zero lifecycle: retired after an hour", seen(61 * time.Minute), linkwatch.ProberLifecycle{}, linkwatch.ProberRetired},
	} {
		if got := tc.lc.State(tc.p, now); got != tc.want {
			t.Errorf("%s: State = %q, want %q", tc.name, got, tc.want)
		}
	}
}
