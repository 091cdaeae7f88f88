package alerting

import (
	"slices"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// TestProberLifecycleAlerts: only a silent prober warns. A stopped
// (deregistered) prober never does; a silent one whose silence outlasts
// prober_retire_after is retired and its alert resolves, once, and it stays
// resolved; one an admin retires resolves at once.
func TestProberLifecycleAlerts(t *testing.T) {
	w := newRuleWorld(t, EngineConfig{Probers: linkwatch.ProberLifecycle{Silence: time.Minute, RetireAfter: 10 * time.Minute}})
	start := w.now
	w.st.probers = []linkwatch.ProberInfo{
		{ID: "eu-west/a", Region: "eu-west", LastSeen: start},                                       // falls silent, is retired by time
		{ID: "eu-west/b", Region: "eu-west", LastSeen: start, StoppedAt: start},                     // stopped cleanly
		{ID: "us-east/a", Region: "us-east", LastSeen: start},                                       // falls silent, retired by an admin
		{ID: "us-east/b", Region: "us-east", LastSeen: start.Add(-3 * time.Hour), RetiredAt: start}, // long gone
	}
	silentSeries := func() float64 { return last(w.e.platform.series[MetricProbersSilent]) }
	for range 60 { // two minutes
		w.eval(2 * time.Second)
	}
	want := []string{"firing prober_silent prober_silent|prober/eu-west/a", "firing prober_silent prober_silent|prober/us-east/a"}
	if got := w.sent(); !slices.Equal(got, want) {
		t.Fatalf("after two silent minutes: sent %v, want %v", got, want)
	}
	if n := silentSeries(); n != 2 {
		t.Errorf("probers_silent = %v, want 2", n)
	}
	w.st.probers[2].RetiredAt = w.now // DELETE /probers/us-east/a
	w.eval(2 * time.Second)
	want = append(want, "resolved prober_silent prober_silent|prober/us-east/a")
	if got := w.sent(); !slices.Equal(got, want) {
		t.Fatalf("after retiring us-east/a: sent %v, want %v", got, want)
	}
	if got, wantText := w.lastSummary(), "prober us-east/a (us-east) was retired after 58 s"; got != wantText {
		t.Errorf("resolution says %q, want %q", got, wantText)
	}
	for w.now.Sub(start) <= 11*time.Minute {
		w.eval(2 * time.Second)
	}
	want = append(want, "resolved prober_silent prober_silent|prober/eu-west/a")
	if got := w.sent(); !slices.Equal(got, want) {
		t.Fatalf("after prober_retire_after: sent %v, want %v", got, want)
	}
	if n := silentSeries(); n != 0 {
		t.Errorf("probers_silent = %v after retirement, want 0", n)
	}
	for range 30 { // retired probers stay quiet
		w.eval(time.Minute)
	}
	if got := w.sent(); !slices.Equal(got, want) {
		t.Fatalf("later: sent %v, want %v", got, want)
	}
}

// TestProberSilentWarmUp: a control plane that was down for a while does
// not page for probers it could not hear: their silence counts only once
// the engine has watched for the silence period; a prober that beats within
// it never pages, one that stays silent does.
func TestProberSilentWarmUp(t *testing.T) {
	w := newRuleWorld(t, EngineConfig{})
	long := w.now.Add(-5 * time.Minute) // the control plane was down for 5 minutes
	w.st.probers = []linkwatch.ProberInfo{{ID: "eu-west/a", Region: "eu-west", LastSeen: long}, {ID: "eu-west/b", Region: "eu-west", LastSeen: long}}
	for range 5 { // 10 s: a beats again, b does not
		w.eval(2 * time.Second)
	}
	if got := w.sent(); len(got) != 0 {
		t.Fatalf("paged during warm-up: %v", got)
	}
	w.st.probers[0].LastSeen = w.now
	for range 40 {
		w.st.probers[0].LastSeen = w.now
		w.eval(2 * time.Second)
	}
	if got := w.sent(); !slices.Equal(got, []string{"firing prober_silent prober_silent|prober/eu-west/b"}) {
		t.Fatalf("after warm-up: sent %v", got)
	}
}
