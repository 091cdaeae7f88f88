package alerting

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// ev is one evaluation: an outcome at t0+d.
type ev struct {
	d time.Duration
	o OutcomeState
}

// every returns n evaluations of o, step apart, from t0+from.
func every(from, step time.Duration, n int, o OutcomeState) []ev {
	out := make([]ev, n)
	for i := range out {
		out[i] = ev{from + time.Duration(i)*step, o}
	}
	return out
}

// steps runs evaluations through Step from prev and returns the final state
// and the transitions as "fire@1m0s".
func steps(prev AlertState, t Timing, evs ...[]ev) (AlertState, []string) {
	var trs []string
	for _, e := range slices.Concat(evs...) {
		var tr Transition
		prev, tr = Step(prev, Outcome{State: e.o}, t, at(e.d))
		if tr != NoTransition {
			trs = append(trs, fmt.Sprintf("%s@%v", tr, e.d))
		}
	}
	return prev, trs
}

func TestStep(t *testing.T) {
	s := time.Second
	firing := AlertState{Phase: PhaseFiring, Since: at(-time.Minute), PendingSince: at(-2 * time.Minute),
		ConsecutiveBreaches: 3, LastBreach: at(-10 * s), FiredAt: at(-time.Minute)}
	resolved := AlertState{Phase: PhaseResolved, Since: at(-10 * s), ConsecutiveClears: 2,
		FiredAt: at(-time.Hour), ResolvedAt: at(-10 * s), LastBreach: at(-time.Minute)}
	tests := []struct {
		name   string
		prev   AlertState
		timing Timing
		evs    []ev
		phase  Phase
		trs    string
	}{
		// ok and pending.
		{"new alert, clear", AlertState{}, Timing{}, []ev{{0, Clear}}, PhaseOK, ""},
		{"no timing fires on the first breach", AlertState{}, Timing{}, []ev{{0, Breach}}, PhaseFiring, "fire@0s"},
		{"for_checks 3", AlertState{}, Timing{ForChecks: 3}, every(0, 10*s, 3, Breach), PhaseFiring, "fire@20s"},
		{"for_checks 3, two breaches", AlertState{}, Timing{ForChecks: 3}, every(0, 10*s, 2, Breach), PhasePending, ""},
		{"for 1m", AlertState{}, Timing{For: time.Minute}, every(0, 30*s, 3, Breach), PhaseFiring, "fire@1m0s"},
		{"for 1m, not yet", AlertState{}, Timing{For: time.Minute}, every(0, 20*s, 3, Breach), PhasePending, ""},
		{"for 1m and 3 checks: time is not enough", AlertState{}, Timing{For: time.Minute, ForChecks: 3},
			[]ev{{0, Breach}, {70 * s, Breach}, {80 * s, Breach}}, PhaseFiring, "fire@1m20s"},
		{"for 1m and 2 checks: checks are not enough", AlertState{}, Timing{For: time.Minute, ForChecks: 2},
			[]ev{{0, Breach}, {10 * s, Breach}, {60 * s, Breach}}, PhaseFiring, "fire@1m0s"},
		{"pending, clear: back to ok", AlertState{}, Timing{ForChecks: 3},
			[]ev{{0, Breach}, {10 * s, Breach}, {20 * s, Clear}, {30 * s, Breach}, {40 * s, Breach}}, PhasePending, ""},
		{"pending, band: back to ok", AlertState{}, Timing{ForChecks: 2},
			[]ev{{0, Breach}, {10 * s, Band}, {20 * s, Breach}}, PhasePending, ""},
		{"pending, no data keeps the run", AlertState{}, Timing{ForChecks: 3},
			[]ev{{0, Breach}, {10 * s, NoData}, {20 * s, NoData}, {30 * s, Breach}, {40 * s, Breach}}, PhaseFiring, "fire@40s"},
		{"no data never fires, however long", AlertState{}, Timing{For: time.Minute},
			slices.Concat([]ev{{0, Breach}}, every(10*s, 10*s, 60, NoData)), PhasePending, ""},
		{"ok, no data", AlertState{}, Timing{}, every(0, s, 5, NoData), PhaseOK, ""},

		// firing.
		{"firing, breach: still firing, no second fire", firing, Timing{}, every(0, 10*s, 5, Breach), PhaseFiring, ""},
		{"firing, clear resolves", firing, Timing{}, []ev{{0, Clear}}, PhaseResolved, "resolve@0s"},
		{"recover_checks 3", firing, Timing{RecoverChecks: 3}, every(0, 10*s, 3, Clear), PhaseResolved, "resolve@20s"},
		{"recover_checks 3, a breach restarts the count", firing, Timing{RecoverChecks: 3},
			[]ev{{0, Clear}, {10 * s, Clear}, {20 * s, Breach}, {30 * s, Clear}, {40 * s, Clear}}, PhaseFiring, ""},
		{"recover_checks 3, no data does not break the count", firing, Timing{RecoverChecks: 3},
			[]ev{{0, Clear}, {10 * s, NoData}, {20 * s, Clear}, {30 * s, Clear}}, PhaseResolved, "resolve@30s"},
		{"band holds a firing alert", firing, Timing{}, every(0, 10*s, 30, Band), PhaseFiring, ""},
		{"band restarts the count of clears", firing, Timing{RecoverChecks: 2},
			[]ev{{0, Clear}, {10 * s, Band}, {20 * s, Clear}, {30 * s, Clear}}, PhaseResolved, "resolve@30s"},
		{"keep_firing_for 5m after the last breach", firing, Timing{KeepFiringFor: 5 * time.Minute},
			every(0, time.Minute, 6, Clear), PhaseResolved, "resolve@5m0s"},
		{"keep_firing_for and recover_checks", firing, Timing{KeepFiringFor: time.Minute, RecoverChecks: 10},
			every(0, 10*s, 10, Clear), PhaseResolved, "resolve@1m30s"},
		{"firing, no data never resolves", firing, Timing{}, every(0, time.Minute, 120, NoData), PhaseFiring, ""},
		{"unknown outcome changes nothing", firing, Timing{}, []ev{{0, "maybe"}}, PhaseFiring, ""},

		// resolved.
		{"resolved, clear: ok", resolved, Timing{}, []ev{{0, Clear}}, PhaseOK, ""},
		{"resolved, band: ok", resolved, Timing{}, []ev{{0, Band}}, PhaseOK, ""},
		{"resolved, no data: stays resolved", resolved, Timing{}, []ev{{0, NoData}}, PhaseResolved, ""},
		{"resolved, breach: pending again", resolved, Timing{ForChecks: 2}, []ev{{0, Breach}}, PhasePending, ""},
		{"resolved, breach: fires again", resolved, Timing{}, []ev{{0, Breach}}, PhaseFiring, "fire@0s"},

		// A whole life.
		{"ok → pending → firing → resolved → ok", AlertState{}, Timing{ForChecks: 2, RecoverChecks: 2},
			slices.Concat(every(0, 10*s, 3, Breach), every(30*s, 10*s, 3, Clear)), PhaseOK, "fire@10s resolve@40s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, trs := steps(tt.prev, tt.timing, tt.evs)
			if got.Phase != tt.phase || strings.Join(trs, " ") != tt.trs {
				t.Errorf("= %s, transitions %q; want %s, %q (%+v)", got.Phase, strings.Join(trs, " "), tt.phase, tt.trs, got)
			}
		})
	}
}

// TestStepRecordsTimes checks the timestamps and counters of one life.
func TestStepRecordsTimes(t *testing.T) {
	timing := Timing{ForChecks: 2, RecoverChecks: 2}
	s, _ := steps(AlertState{}, timing, []ev{{0, Breach}})
	want := AlertState{Phase: PhasePending, Since: at(0), PendingSince: at(0), ConsecutiveBreaches: 1, LastBreach: at(0)}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("pending = %+v\nwant %+v", s, want)
	}
	s, _ = steps(s, timing, []ev{{10 * time.Second, Breach}, {20 * time.Second, Breach}})
	want = AlertState{Phase: PhaseFiring, Since: at(10 * time.Second), PendingSince: at(0), ConsecutiveBreaches: 3,
		LastBreach: at(20 * time.Second), FiredAt: at(10 * time.Second)}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("firing = %+v\nwant %+v", s, want)
	}
	s, _ = steps(s, timing, []ev{{30 * time.Second, Clear}, {40 * time.Second, Clear}})
	want = AlertState{Phase: PhaseResolved, Since: at(40 * time.Second), ConsecutiveClears: 2,
		LastBreach: at(20 * time.Second), FiredAt: at(10 * time.Second), ResolvedAt: at(40 * time.Second)}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("resolved = %+v\nwant %+v", s, want)
	}
	s, _ = steps(s, Timing{}, []ev{{time.Minute, Breach}})
	if s.Phase != PhaseFiring || s.FiredAt != at(time.Minute) || !s.ResolvedAt.IsZero() || s.ConsecutiveBreaches != 1 {
		t.Errorf("firing again = %+v", s)
	}
	before := s
	if s, tr := Step(s, Outcome{State: NoData}, Timing{}, at(time.Hour)); !reflect.DeepEqual(s, before) || tr != NoTransition {
		t.Errorf("no data changed %+v into %+v (%s)", before, s, tr)
	}
}

func TestTimingSpec(t *testing.T) {
	got, err := TimingSpec{For: "2m", ForChecks: 2, RecoverChecks: 3, KeepFiringFor: "5m"}.Compile()
	want := Timing{For: 2 * time.Minute, ForChecks: 2, RecoverChecks: 3, KeepFiringFor: 5 * time.Minute}
	if err != nil || got != want {
		t.Errorf("Compile = %+v, %v; want %+v", got, err, want)
	}
	if got, err := (TimingSpec{}).Compile(); err != nil || got != (Timing{}) {
		t.Errorf("empty Compile = %+v, %v", got, err)
	}
	for spec, wantErr := range map[TimingSpec]string{
		{For: "soon"}:           `invalid (for): for must be a duration such as 5m; got "soon"`,
		{KeepFiringFor: "-1m"}:  `invalid (keep_firing_for): keep_firing_for must be more than 0 and at most 744h; got "-1m"`,
		{ForChecks: -1}:         "invalid (for_checks): for_checks must be from 0 to 1000; got -1",
		{RecoverChecks: 100000}: "invalid (recover_checks): recover_checks must be from 0 to 1000; got 100000",
	} {
		_, err := spec.Compile()
		if err == nil || err.Error() != wantErr || linkwatch.ErrorCode(err) != linkwatch.EINVALID {
			t.Errorf("%+v: %v, want %s", spec, err, wantErr)
		}
	}
}
