package storagetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

func ptr[T any](v T) *T { return &v }

// rateRule returns a rule over a campaign's scans with a nested rate
// condition, pointers included (one to a zero).
func rateRule(name string) alerting.RuleSpec {
	r := alerting.RuleSpec{
		Name: name, Scope: alerting.ScopeSpec{Tag: "spring"}, Metric: alerting.MetricScans,
		Severity: alerting.SeverityWarning, Labels: map[string]string{"team": "growth", "note": `say "hi" \ é`},
		RunbookURL: "https://wiki.example.com/runbooks/scans?a=1&b=<2>",
		Condition: alerting.RuleCondition{ConditionSpec: alerting.ConditionSpec{Rate: &alerting.RateSpec{
			Change: &alerting.ChangeSpec{Aggregate: "sum", Window: "1h", Baseline: alerting.BaselineLastWeek, By: "percent",
				Direction: "drop", AtLeast: ptr(80.0), BaselineFloor: 50, MinLevel: ptr(0.0), MinSamples: 3},
		}}},
	}
	// Set apart: the timing fields may be promoted from an embedded struct.
	r.For, r.RecoverChecks = "10m", 3
	return r
}

// quorumRule returns a rule over a monitor with a threshold and a quorum.
func quorumRule(name string) alerting.RuleSpec {
	r := alerting.RuleSpec{
		Name: name, Scope: alerting.ScopeSpec{Monitor: "api"}, Metric: alerting.MetricFailureRatio,
		Severity: alerting.SeverityCritical,
		Condition: alerting.RuleCondition{
			ConditionSpec: alerting.ConditionSpec{Threshold: &alerting.ThresholdSpec{Window: "5m", Op: ">=",
				Limit: ptr(0.5), RecoverLimit: ptr(0.1)}},
			Quorum: &alerting.QuorumSpec{K: 2, Consecutive: 3},
			NoData: &alerting.NoDataSpec{After: "5m"},
		},
	}
	r.ForChecks, r.KeepFiringFor = 2, "15m"
	return r
}

func alertRules(t *testing.T, s Store) []alerting.StoredRule {
	t.Helper()
	rs, err := s.AlertRules(t.Context())
	if err != nil {
		t.Fatalf("AlertRules: %v", err)
	}
	return rs
}

// storedRule is what a store returns for r: times in UTC to the
// millisecond.
func storedRule(r alerting.StoredRule) alerting.StoredRule {
	r.CreatedAt, r.UpdatedAt = ms(r.CreatedAt), ms(r.UpdatedAt)
	return r
}

func equalRules(t *testing.T, what string, got []alerting.StoredRule, want ...alerting.StoredRule) {
	t.Helper()
	for i := range want {
		want[i] = storedRule(want[i])
	}
	if want == nil {
		want = []alerting.StoredRule{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testAlertRulesCRUD(t *testing.T, s Store) {
	if got := alertRules(t, s); got == nil || len(got) != 0 {
		t.Errorf("AlertRules without rules = %#v, want an empty, non-nil list", got)
	}
	at := created() // in zone(), with nanoseconds
	spring := alerting.StoredRule{Spec: rateRule("spring_scans_drop"), CreatedAt: at, UpdatedAt: at}
	api := alerting.StoredRule{Spec: quorumRule("api_down"), CreatedAt: at.Add(time.Minute), UpdatedAt: at.Add(time.Minute)}
	bare := alerting.StoredRule{Spec: alerting.RuleSpec{Name: "Bare"}, CreatedAt: at, UpdatedAt: at}
	for _, r := range []*alerting.StoredRule{&spring, &api, &bare} {
		if err := s.CreateAlertRule(t.Context(), r); err != nil {
			t.Fatalf("CreateAlertRule(%q): %v", r.Spec.Name, err)
		}
	}
	if want := ms(at); !spring.CreatedAt.Equal(want) || spring.CreatedAt.Location() != time.UTC || spring.UpdatedAt != want {
		t.Errorf("after CreateAlertRule, times %v and %v, want both %v (as stored)", spring.CreatedAt, spring.UpdatedAt, want)
	}
	// In byte order: upper case first.
	equalRules(t, "AlertRules", alertRules(t, s), bare, api, spring)

	taken := alerting.StoredRule{Spec: quorumRule("spring_scans_drop"), CreatedAt: at.Add(time.Hour), UpdatedAt: at.Add(time.Hour)}
	wantCode(t, "CreateAlertRule of a taken name", s.CreateAlertRule(t.Context(), &taken), linkwatch.ECONFLICT)
	nameless := alerting.StoredRule{Spec: rateRule(""), CreatedAt: at, UpdatedAt: at}
	wantCode(t, "CreateAlertRule without a name", s.CreateAlertRule(t.Context(), &nameless), linkwatch.EINVALID)
	equalRules(t, "AlertRules after refused creations", alertRules(t, s), bare, api, spring)

	// Replacing keeps CreatedAt, whatever the caller says, and reports it.
	replaced := alerting.StoredRule{Spec: quorumRule("spring_scans_drop"), CreatedAt: at.Add(48 * time.Hour),
		UpdatedAt: at.Add(2 * time.Hour)}
	replaced.Spec.Scope = alerting.ScopeSpec{All: true}
	if err := s.ReplaceAlertRule(t.Context(), &replaced); err != nil {
		t.Fatalf("ReplaceAlertRule: %v", err)
	}
	if replaced.CreatedAt != ms(at) || replaced.UpdatedAt != ms(at.Add(2*time.Hour)) {
		t.Errorf("after ReplaceAlertRule, times %v and %v, want %v and %v", replaced.CreatedAt, replaced.UpdatedAt,
			ms(at), ms(at.Add(2*time.Hour)))
	}
	want := alerting.StoredRule{Spec: replaced.Spec, CreatedAt: at, UpdatedAt: at.Add(2 * time.Hour)}
	equalRules(t, "AlertRules after a replacement", alertRules(t, s), bare, api, want)

	absent := alerting.StoredRule{Spec: rateRule("absent"), UpdatedAt: at}
	wantCode(t, "ReplaceAlertRule of an absent rule", s.ReplaceAlertRule(t.Context(), &absent), linkwatch.ENOTFOUND)
	nameless = alerting.StoredRule{Spec: rateRule(""), UpdatedAt: at}
	wantCode(t, "ReplaceAlertRule without a name", s.ReplaceAlertRule(t.Context(), &nameless), linkwatch.EINVALID)

	if err := s.DeleteAlertRule(t.Context(), "Bare"); err != nil {
		t.Fatalf("DeleteAlertRule: %v", err)
	}
	wantCode(t, "DeleteAlertRule of a deleted rule", s.DeleteAlertRule(t.Context(), "Bare"), linkwatch.ENOTFOUND)
	wantCode(t, "DeleteAlertRule of another case", s.DeleteAlertRule(t.Context(), "API_DOWN"), linkwatch.ENOTFOUND)
	equalRules(t, "AlertRules after a deletion", alertRules(t, s), api, want)
	// The name is free again.
	if err := s.CreateAlertRule(t.Context(), &bare); err != nil {
		t.Errorf("CreateAlertRule after deleting the name: %v", err)
	}
}

// phased returns alert key (of rule scans_drop) in phase p since at.
func phased(key string, p alerting.Phase, at time.Time) alerting.StoredAlert {
	return alerting.StoredAlert{
		Key: "scans_drop/" + key, Rule: "scans_drop", Severity: alerting.SeverityWarning, Scope: "link/" + key,
		Labels: map[string]string{"team": "growth", "campaign": "spring,summer"}, Summary: key + " is " + string(p),
		State: alerting.AlertState{Phase: p, Since: at}, UpdatedAt: at,
	}
}

// event is the event a store records when a takes phase to from from.
func event(a alerting.StoredAlert, from alerting.Phase, to alerting.Phase) alerting.AlertEvent {
	return alerting.AlertEvent{Key: a.Key, Rule: a.Rule, Severity: a.Severity, Scope: a.Scope, Labels: a.Labels,
		Summary: a.Summary, From: from, To: to, At: a.State.Since}
}

func history(t *testing.T, s Store, f alerting.HistoryFilter) []alerting.AlertEvent {
	t.Helper()
	es, err := s.AlertHistory(t.Context(), f)
	if err != nil {
		t.Fatalf("AlertHistory(%+v): %v", f, err)
	}
	return es
}

// equalEvents compares events without their IDs, which must be positive
// and decreasing (newest first).
func equalEvents(t *testing.T, what string, got []alerting.AlertEvent, want ...alerting.AlertEvent) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil, want a non-nil list", what)
	}
	bare := make([]alerting.AlertEvent, len(got))
	for i, e := range got {
		if e.ID <= 0 || i > 0 && e.ID >= got[i-1].ID {
			t.Errorf("%s: event IDs %v, want positive and decreasing", what, eventIDs(got))
		}
		e.ID = 0
		bare[i] = e
	}
	for i := range want {
		want[i].At = ms(want[i].At)
		if len(want[i].Labels) == 0 {
			want[i].Labels = nil
		}
	}
	if want == nil {
		want = []alerting.AlertEvent{}
	}
	if !reflect.DeepEqual(bare, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, bare, want)
	}
}

func eventIDs(es []alerting.AlertEvent) []int64 {
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func save(t *testing.T, s Store, fence int64, as ...alerting.StoredAlert) {
	t.Helper()
	if err := s.SaveAlerts(t.Context(), fence, as, nil, nil); err != nil {
		t.Fatalf("SaveAlerts: %v", err)
	}
}

// testAlertHistoryPhases: SaveAlerts records one event per change of
// phase, and none when the phase stays ("" and ok are one phase).
func testAlertHistoryPhases(t *testing.T, s Store) {
	equalEvents(t, "AlertHistory without events", history(t, s, alerting.HistoryFilter{}))
	fence := evaluator(t, s, "control-1")
	t0 := created() // in zone(), with nanoseconds
	var want []alerting.AlertEvent
	step := func(what string, events ...alerting.AlertEvent) {
		t.Helper()
		want = append(events, want...)
		equalEvents(t, "AlertHistory after "+what, history(t, s, alerting.HistoryFilter{}), want...)
	}

	// New alerts: pending is an event from ""; ok and "" are none.
	a := phased("a", alerting.PhasePending, t0)
	save(t, s, fence, a, phased("b", alerting.PhaseOK, t0), phased("c", "", t0))
	step("new alerts", event(a, "", alerting.PhasePending))

	a = phased("a", alerting.PhaseFiring, t0.Add(time.Minute))
	save(t, s, fence, phased("c", alerting.PhaseOK, t0.Add(time.Minute)), a, phased("b", alerting.PhaseOK, t0.Add(time.Minute)))
	step("pending → firing", event(a, alerting.PhasePending, alerting.PhaseFiring))

	// Still firing, whatever else changed: no event.
	still := a
	still.Summary, still.Severity, still.UpdatedAt = "a is still firing", alerting.SeverityCritical, t0.Add(2*time.Minute)
	still.State.ConsecutiveBreaches = 5
	save(t, s, fence, still)
	step("firing → firing")

	a = phased("a", alerting.PhaseResolved, t0.Add(3*time.Minute))
	b := phased("b", alerting.PhasePending, t0.Add(3*time.Minute))
	b.Labels = nil
	save(t, s, fence, a, b)
	step("firing → resolved", event(b, alerting.PhaseOK, alerting.PhasePending), event(a, alerting.PhaseFiring, alerting.PhaseResolved))

	// The zero phase is ok; an event's At is when its phase began, or the
	// alert's UpdatedAt when that is unknown.
	a = phased("a", "", time.Time{})
	a.UpdatedAt = t0.Add(4 * time.Minute)
	save(t, s, fence, a)
	wantOK := event(a, alerting.PhaseResolved, alerting.PhaseOK)
	wantOK.At = a.UpdatedAt
	step("resolved → zero phase", wantOK)

	// Of a key twice in a batch, only the last counts.
	d1, d2 := phased("d", alerting.PhasePending, t0.Add(5*time.Minute)), phased("d", alerting.PhaseFiring, t0.Add(6*time.Minute))
	save(t, s, fence, d1, phased("a", alerting.PhaseOK, t0.Add(5*time.Minute)), d2)
	step("a key twice in a batch", event(d2, "", alerting.PhaseFiring))

	// A refused batch records nothing.
	err := s.SaveAlerts(t.Context(), fence, []alerting.StoredAlert{phased("e", alerting.PhaseFiring, t0), {Rule: "keyless"}}, nil, nil)
	wantCode(t, "SaveAlerts of an alert without a key", err, linkwatch.EINVALID)
	step("a refused batch")

	for _, e := range history(t, s, alerting.HistoryFilter{}) {
		if e.At.Location() != time.UTC {
			t.Errorf("event %d at %v, want UTC", e.ID, e.At)
		}
	}
}

// testAlertHistoryFence: a save refused for a stale fence records no event.
func testAlertHistoryFence(t *testing.T, s Store) {
	t0 := created()
	a := phased("a", alerting.PhasePending, t0)
	wantCode(t, "SaveAlerts before anyone took the lease", s.SaveAlerts(t.Context(), 0, []alerting.StoredAlert{a}, nil, nil),
		linkwatch.ECONFLICT)
	equalEvents(t, "AlertHistory after a refused save", history(t, s, alerting.HistoryFilter{}))

	old := evaluator(t, s, "control-1")
	save(t, s, old, a)
	// control-1's term ends; control-2 takes over.
	fence, ok, err := s.Lease(t.Context(), "alert-evaluator", "control-2", time.Minute, noon().Add(time.Minute))
	if err != nil || !ok || fence == old {
		t.Fatalf("takeover: Lease = %d, %v, %v; want a new fence", fence, ok, err)
	}
	firing := phased("a", alerting.PhaseFiring, t0.Add(time.Minute))
	err = s.SaveAlerts(t.Context(), old, []alerting.StoredAlert{firing, phased("b", alerting.PhaseFiring, t0)}, nil, nil)
	wantCode(t, "SaveAlerts with the former leader's fence", err, linkwatch.ECONFLICT)
	equalEvents(t, "AlertHistory after a stale save", history(t, s, alerting.HistoryFilter{}), event(a, "", alerting.PhasePending))
	equalAlerts(t, "Alerts after a stale save", alerts(t, s), a)

	save(t, s, fence, firing)
	equalEvents(t, "AlertHistory after the new leader's save", history(t, s, alerting.HistoryFilter{}),
		event(firing, alerting.PhasePending, alerting.PhaseFiring), event(a, "", alerting.PhasePending))
}

// testAlertHistoryFilters: each filter alone and together, paging, and
// pruning.
func testAlertHistoryFilters(t *testing.T, s Store) {
	fence := evaluator(t, s, "control-1")
	t0 := created().Truncate(time.Minute) // in zone()
	alert := func(key, rule, severity, campaign string, p alerting.Phase, at time.Time) alerting.StoredAlert {
		a := phased(key, p, at)
		a.Key, a.Rule, a.Severity, a.Labels = rule+"/"+key, rule, severity, map[string]string{"campaign": campaign}
		if campaign == "" {
			a.Labels = nil
		}
		return a
	}
	as := []alerting.StoredAlert{
		alert("k1", "r1", alerting.SeverityCritical, "spring", alerting.PhasePending, t0),
		alert("k2", "r1", alerting.SeverityWarning, "spring,summer", alerting.PhaseFiring, t0.Add(time.Minute)),
		alert("k3", "r2", alerting.SeverityWarning, "springtime,winter", alerting.PhasePending, t0.Add(2*time.Minute)),
		alert("k1", "r1", alerting.SeverityCritical, "spring", alerting.PhaseFiring, t0.Add(3*time.Minute)),
		alert("k4", "r2", alerting.SeverityInfo, "", alerting.PhaseFiring, t0.Add(4*time.Minute)),
		alert("k5", "r3", alerting.SeverityInfo, "autumn,spring", alerting.PhasePending, t0.Add(5*time.Minute)),
	}
	e := []alerting.AlertEvent{
		event(as[0], "", alerting.PhasePending),
		event(as[1], "", alerting.PhaseFiring),
		event(as[2], "", alerting.PhasePending),
		event(as[3], alerting.PhasePending, alerting.PhaseFiring),
		event(as[4], "", alerting.PhaseFiring),
		event(as[5], "", alerting.PhasePending),
	}
	for _, a := range as {
		save(t, s, fence, a)
	}
	all := history(t, s, alerting.HistoryFilter{})
	equalEvents(t, "AlertHistory", all, e[5], e[4], e[3], e[2], e[1], e[0])
	if len(all) != len(e) {
		t.FailNow()
	}
	id := func(i int) int64 { return all[len(all)-1-i].ID } // of e[i]

	for _, tc := range []struct {
		f    alerting.HistoryFilter
		want []alerting.AlertEvent
	}{
		{alerting.HistoryFilter{Key: "r1/k1"}, []alerting.AlertEvent{e[3], e[0]}},
		{alerting.HistoryFilter{Key: "r1/k"}, nil},
		{alerting.HistoryFilter{Rule: "r2"}, []alerting.AlertEvent{e[4], e[2]}},
		{alerting.HistoryFilter{Severity: alerting.SeverityWarning}, []alerting.AlertEvent{e[2], e[1]}},
		{alerting.HistoryFilter{Tag: "spring"}, []alerting.AlertEvent{e[5], e[3], e[1], e[0]}},
		{alerting.HistoryFilter{Tag: "summer"}, []alerting.AlertEvent{e[1]}},
		{alerting.HistoryFilter{Tag: "springtime"}, []alerting.AlertEvent{e[2]}},
		{alerting.HistoryFilter{Tag: "winter"}, []alerting.AlertEvent{e[2]}},
		{alerting.HistoryFilter{Tag: "spr"}, nil},
		{alerting.HistoryFilter{Tag: "Spring"}, nil},
		{alerting.HistoryFilter{Tag: "spring,summer"}, nil},
		{alerting.HistoryFilter{Tag: "%"}, nil},
		{alerting.HistoryFilter{Since: t0.Add(3 * time.Minute)}, []alerting.AlertEvent{e[5], e[4], e[3]}},
		{alerting.HistoryFilter{Since: t0.Add(3*time.Minute + time.Millisecond).In(time.UTC)}, []alerting.AlertEvent{e[5], e[4]}},
		{alerting.HistoryFilter{Before: id(3)}, []alerting.AlertEvent{e[2], e[1], e[0]}},
		{alerting.HistoryFilter{Before: id(3), Limit: 2}, []alerting.AlertEvent{e[2], e[1]}},
		{alerting.HistoryFilter{Limit: 1}, []alerting.AlertEvent{e[5]}},
		{alerting.HistoryFilter{Rule: "r1", Tag: "spring", Since: t0.Add(time.Minute)}, []alerting.AlertEvent{e[3], e[1]}},
		{alerting.HistoryFilter{Tag: "spring", Limit: 2}, []alerting.AlertEvent{e[5], e[3]}},
		{alerting.HistoryFilter{Tag: "spring", Before: id(3), Limit: 1}, []alerting.AlertEvent{e[1]}},
		{alerting.HistoryFilter{Key: "r1/k1", Severity: alerting.SeverityWarning}, nil},
	} {
		equalEvents(t, fmt.Sprintf("AlertHistory(%+v)", tc.f), history(t, s, tc.f), tc.want...)
	}

	// Paging backwards through everything.
	var paged []alerting.AlertEvent
	for f := (alerting.HistoryFilter{Limit: 4}); ; {
		page := history(t, s, f)
		paged = append(paged, page...)
		if len(page) < f.Limit || len(paged) > len(e) {
			break
		}
		f.Before = page[len(page)-1].ID
	}
	if !reflect.DeepEqual(paged, all) {
		t.Errorf("paging by 4: %v, want %v", eventIDs(paged), eventIDs(all))
	}

	// Pruning: before is exclusive.
	n, err := s.PruneAlertEvents(t.Context(), t0.Add(2*time.Minute))
	if err != nil || n != 2 {
		t.Errorf("PruneAlertEvents = %d, %v; want 2 events", n, err)
	}
	equalEvents(t, "AlertHistory after pruning", history(t, s, alerting.HistoryFilter{}), e[5], e[4], e[3], e[2])
	if n, err := s.PruneAlertEvents(t.Context(), t0.Add(2*time.Minute)); err != nil || n != 0 {
		t.Errorf("PruneAlertEvents again = %d, %v; want none", n, err)
	}
}

// testAlertHistoryLimits: the default and maximum limits, and a limit
// counting only the events the filters select.
func testAlertHistoryLimits(t *testing.T, s Store) {
	fence := evaluator(t, s, "control-1")
	t0 := created()
	old := phased("old", alerting.PhasePending, t0)
	save(t, s, fence, old)
	noise := make([]alerting.StoredAlert, 1004)
	for i := range noise {
		noise[i] = phased(fmt.Sprintf("noise-%04d", i), alerting.PhaseFiring, t0.Add(time.Minute))
		noise[i].Labels = map[string]string{"campaign": "winter"}
	}
	save(t, s, fence, noise...)
	for _, tc := range []struct{ limit, want int }{{0, 100}, {-1, 100}, {3, 3}, {1000, 1000}, {1001, 1000}, {5000, 1000}} {
		if got := history(t, s, alerting.HistoryFilter{Limit: tc.limit}); len(got) != tc.want {
			t.Errorf("AlertHistory(Limit: %d) = %d events, want %d", tc.limit, len(got), tc.want)
		}
	}
	got := history(t, s, alerting.HistoryFilter{Limit: 1000})
	if got[0].Key != noise[len(noise)-1].Key || got[999].Key != noise[len(noise)-1000].Key {
		t.Errorf("AlertHistory(Limit: 1000) from %s to %s, want the newest 1000", got[0].Key, got[999].Key)
	}
	// The one spring event is older than 1000 others.
	equalEvents(t, "AlertHistory(Tag: spring, Limit: 1)", history(t, s, alerting.HistoryFilter{Tag: "spring", Limit: 1}),
		event(old, "", alerting.PhasePending))
	equalEvents(t, "AlertHistory(Key: old)", history(t, s, alerting.HistoryFilter{Key: old.Key}),
		event(old, "", alerting.PhasePending))
}

func scanCounts(t *testing.T, s Store, ids []int64, from, to time.Time) []linkwatch.ScanBucket {
	t.Helper()
	got, err := s.ScanCounts(t.Context(), ids, from, to)
	if err != nil {
		t.Fatalf("ScanCounts(%v, %v, %v): %v", ids, from, to, err)
	}
	return got
}

// testScanCountsMinutes: ScanCounts sums the scans (rows' counts) of
// several links per UTC minute in [from, to).
func testScanCountsMinutes(t *testing.T, s Store) {
	at := noon()
	const milli = time.Millisecond
	insert(t, s, []linkwatch.Scan{
		{LinkID: 11, At: at.Add(30*time.Second - milli), Source: "qr", Count: 5}, // before from
		{LinkID: 11, At: at.Add(30 * time.Second), Source: "qr"},                 // count 0 is one scan
		{LinkID: 12, At: at.Add(time.Minute - milli), Source: "link", Count: 3},
		{LinkID: 11, At: at.Add(time.Minute), Source: "link", Bot: true, Count: 2},
		{LinkID: 12, At: at.Add(90 * time.Second), Source: "qr", Count: 1},
		{LinkID: 13, At: at.Add(time.Minute), Source: "qr", Count: 100}, // another link
		// Nothing in noon+2m.
		{LinkID: 12, At: at.Add(4*time.Minute - milli), Source: "link", Count: 7},
		{LinkID: 11, At: at.Add(4 * time.Minute), Source: "link", Count: 9}, // at to
	})
	from, to := at.Add(30*time.Second).In(zone()), at.Add(4*time.Minute).In(zone())
	want := []linkwatch.ScanBucket{bucket(at, 4), bucket(at.Add(time.Minute), 3), bucket(at.Add(3*time.Minute), 7)}
	if got := scanCounts(t, s, []int64{11, 12}, from, to); !reflect.DeepEqual(got, want) {
		t.Errorf("ScanCounts(11, 12) =\n %+v\nwant\n %+v", got, want)
	}
	// A link twice counts once.
	if got := scanCounts(t, s, []int64{12, 11, 12, 99}, from, to); !reflect.DeepEqual(got, want) {
		t.Errorf("ScanCounts(12, 11, 12, 99) =\n %+v\nwant\n %+v", got, want)
	}
	// From a whole minute: the row before noon+30s counts, by its count.
	want = []linkwatch.ScanBucket{bucket(at, 6), bucket(at.Add(time.Minute), 102)}
	if got := scanCounts(t, s, []int64{11, 13}, at, at.Add(time.Minute+time.Second)); !reflect.DeepEqual(got, want) {
		t.Errorf("ScanCounts(11, 13) from noon =\n %+v\nwant\n %+v", got, want)
	}
	if got := scanCounts(t, s, []int64{99}, from, to); len(got) != 0 {
		t.Errorf("ScanCounts of a link without scans = %+v, want none", got)
	}
	if got := scanCounts(t, s, []int64{11}, to, from); len(got) != 0 {
		t.Errorf("ScanCounts from after to = %+v, want none", got)
	}
	if got := scanCounts(t, s, nil, from, to); got != nil {
		t.Errorf("ScanCounts of no links = %+v, want nil", got)
	}
}
