package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"
)

func mustRule(t *testing.T, yml string) *Rule {
	t.Helper()
	var s RuleSpec
	dec := yaml.NewDecoder(strings.NewReader(yml))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	r, err := s.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRuleCompileErrors(t *testing.T) {
	base := func() RuleSpec {
		limit := 0.5
		return RuleSpec{Name: "r", Scope: ScopeSpec{Tag: "spring"}, Metric: MetricFailureRatio, Severity: SeverityWarning,
			Condition: RuleCondition{ConditionSpec: ConditionSpec{Threshold: &ThresholdSpec{Window: "5m", Op: ">", Limit: &limit}}}}
	}
	cases := []struct {
		name, field string
		edit        func(*RuleSpec)
	}{
		{"bad name", "name", func(s *RuleSpec) { s.Name = "Bad Name" }},
		{"default name", "name", func(s *RuleSpec) { s.Name = "link_down" }},
		{"no scope", "scope", func(s *RuleSpec) { s.Scope = ScopeSpec{} }},
		{"two scopes", "scope", func(s *RuleSpec) { s.Scope.All = true }},
		{"bad slug", "scope.link", func(s *RuleSpec) { s.Scope = ScopeSpec{Link: "a b"} }},
		{"unknown platform", "scope.platform", func(s *RuleSpec) { s.Scope = ScopeSpec{Platform: "cpu"} }},
		{"severity", "severity", func(s *RuleSpec) { s.Severity = "page" }},
		{"label", "labels", func(s *RuleSpec) { s.Labels = map[string]string{"rule": "x"} }},
		{"runbook", "runbook_url", func(s *RuleSpec) { s.RunbookURL = "javascript:alert(1)" }},
		{"no condition", "condition", func(s *RuleSpec) { s.Condition = RuleCondition{} }},
		{"two conditions", "condition", func(s *RuleSpec) { s.Condition.Quorum = &QuorumSpec{} }},
		{"metric", "metric", func(s *RuleSpec) { s.Metric = "cpu" }},
		{"scans on a monitor", "metric", func(s *RuleSpec) { s.Scope = ScopeSpec{Monitor: "api"}; s.Metric = MetricScans }},
		{"quorum with metric", "metric", func(s *RuleSpec) {
			s.Condition = RuleCondition{Quorum: &QuorumSpec{K: 2}}
		}},
		{"quorum on platform", "condition", func(s *RuleSpec) {
			s.Scope, s.Metric, s.Condition = ScopeSpec{Platform: MetricPoolUtilization}, "", RuleCondition{Quorum: &QuorumSpec{}}
		}},
		{"platform metric mismatch", "metric", func(s *RuleSpec) { s.Scope = ScopeSpec{Platform: MetricPoolUtilization} }},
		{"nested field", "condition.threshold.window", func(s *RuleSpec) { s.Condition.Threshold.Window = "soon" }},
		{"timing", "for", func(s *RuleSpec) { s.For = "-1m" }},
		{"result lookback", "condition", func(s *RuleSpec) {
			at := 50.0
			s.Condition = RuleCondition{ConditionSpec: ConditionSpec{Rate: &RateSpec{Change: &ChangeSpec{Window: "1h",
				Baseline: BaselineLastWeek, By: "percent", Direction: "rise", AtLeast: &at}}}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := base()
			c.edit(&s)
			_, err := s.Compile()
			var le *linkwatch.Error
			if err == nil || !asError(err, &le) || le.Code != linkwatch.EINVALID || le.Field != c.field {
				t.Fatalf("Compile() = %v (%#v), want an invalid error on %q", err, le, c.field)
			}
		})
	}
	if _, err := base().Compile(); err != nil {
		t.Fatalf("the base rule: %v", err)
	}
}

func asError(err error, target **linkwatch.Error) bool {
	e, ok := err.(*linkwatch.Error)
	*target = e
	return ok
}

func TestRuleSpecJSONRoundTrip(t *testing.T) {
	r := mustRule(t, `
name: spring_scans_drop
scope: {tag: spring}
metric: scans
severity: warning
labels: {team: growth}
runbook_url: https://wiki.example.com/scans
condition:
  rate: {change: {aggregate: sum, window: 1h, baseline: last_week, by: percent, direction: drop, at_least: 80, baseline_floor: 50}}
for: 5m
recover_checks: 3
`)
	b, err := json.Marshal(r.Spec)
	if err != nil {
		t.Fatal(err)
	}
	var back RuleSpec
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if string(b) != string(b2) || !strings.Contains(string(b), `"for":"5m"`) || !strings.Contains(string(b), `"baseline":"last_week"`) {
		t.Fatalf("round trip:\n%s\n%s", b, b2)
	}
	if r.lookback != Week+time.Hour {
		t.Fatalf("lookback %v", r.lookback)
	}
}

// ruleWorld is an engine over an in-memory store with links in three
// regions.
type ruleWorld struct {
	t   *testing.T
	now time.Time
	st  *engineStore
	e   *Engine
}

func newRuleWorld(t *testing.T, cfg EngineConfig, links ...*linkwatch.Link) *ruleWorld {
	w := &ruleWorld{t: t, now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	w.st = &engineStore{memStore: newMemStore(), links: links, alerts: map[string]StoredAlert{}, fence: 1}
	cfg.Holder, cfg.Now = "a", func() time.Time { return w.now }
	if cfg.Receivers == nil && cfg.Router == nil {
		cfg.Receivers = []string{"slack"}
	}
	w.e = NewEngine(cfg, w.st, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	return w
}

// results sets every link's latest result in each region: failing[slug]
// lists the regions where it fails (with n consecutive failures).
func (w *ruleWorld) results(failing map[string][]string, n int, latency time.Duration) {
	w.st.latest = nil
	for _, l := range w.st.links {
		for _, region := range []string{"ap-south", "eu-west", "us-east"} {
			r := linkwatch.Latest{Result: linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}, Region: region,
				At: w.now, Step: linkwatch.StepDestination, Phases: linkwatch.Phases{Total: latency}}}
			if slices.Contains(failing[l.Slug], region) {
				r.Class, r.Error, r.Failures = linkwatch.ClassHTTPStatus, "final status 502", n
			}
			w.st.latest = append(w.st.latest, r)
		}
	}
}

func (w *ruleWorld) eval(step time.Duration) {
	w.t.Helper()
	if err := w.e.Evaluate(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.now = w.now.Add(step)
}

// sent lists the notifications queued, in order, as "kind rule key".
func (w *ruleWorld) sent() []string {
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	var out []string
	for id := int64(1); id <= w.st.nextID; id++ {
		if r := w.st.rows[id]; r != nil {
			out = append(out, r.Notification.Kind+" "+r.Notification.Rule+" "+r.Notification.DedupeKey)
		}
	}
	return out
}

// lastSummary is the summary of the latest notification queued.
func (w *ruleWorld) lastSummary() string {
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	for id := w.st.nextID; id >= 1; id-- {
		if r := w.st.rows[id]; r != nil {
			return r.Notification.Summary
		}
	}
	return ""
}

func campaignLinks(n int, tag string) []*linkwatch.Link {
	var links []*linkwatch.Link
	for i := range n {
		links = append(links, &linkwatch.Link{ID: int64(i + 1), Slug: fmt.Sprintf("%s-%02d", tag, i), Destination: "https://shop.example.com/",
			Tags: []string{tag}, RedirectCode: 302, CheckInterval: 10 * time.Second})
	}
	return links
}

// TestCampaignGrouping: fifty links of one campaign going down over a
// minute make one page and a few updates, not fifty pages; they resolve in
// one message.
func TestCampaignGrouping(t *testing.T) {
	links := campaignLinks(50, "spring")
	w := newRuleWorld(t, EngineConfig{}, links...)
	failing := map[string][]string{}
	for i, l := range links {
		failing[l.Slug] = []string{"eu-west", "us-east"}
		if i%5 == 4 { // ten links fail every 2 s
			w.results(failing, 3, 100*time.Millisecond)
			w.eval(2 * time.Second)
		}
	}
	for range 40 { // 80 s more of all fifty down
		w.results(failing, 3, 100*time.Millisecond)
		w.eval(2 * time.Second)
	}
	got := w.sent()
	if len(got) == 0 || got[0] != "firing link_down link_down|campaign/spring" {
		t.Fatalf("first notification: %v", got)
	}
	if len(got) > 3 {
		t.Fatalf("%d notifications for one campaign: %v", len(got), got)
	}
	w.st.mu.Lock()
	lastRow := w.st.rows[w.st.nextID].Notification
	w.st.mu.Unlock()
	if n := len(lastRow.Alerts); n != 50 {
		t.Fatalf("the latest group notification lists %d links, want 50", n)
	}
	if a := w.st.alerts["link_down|link/7"]; a.State.Phase != PhaseFiring {
		t.Fatalf("each member keeps its own state: %+v", a.State)
	}
	w.results(nil, 0, 100*time.Millisecond)
	w.eval(2 * time.Second)
	got = w.sent()
	if got[len(got)-1] != "resolved link_down link_down|campaign/spring" {
		t.Fatalf("after recovery: %v", got)
	}
	for _, s := range got {
		if strings.Contains(s, "regional_degradation") {
			t.Fatalf("a down link also sent a degradation: %v", got)
		}
	}
}

// TestDeclaredRules: a declared failure-ratio rule on a tag, a stricter
// quorum and a no-data rule, stepped on results as they arrive.
func TestDeclaredRules(t *testing.T) {
	links := append(campaignLinks(2, "spring"), &linkwatch.Link{ID: 9, Slug: "solo", Destination: "https://a.example/",
		RedirectCode: 302, CheckInterval: 10 * time.Second})
	ratio := mustRule(t, `{name: spring_errors, scope: {tag: spring}, metric: failure_ratio, severity: warning,
		labels: {team: growth}, runbook_url: "https://wiki.example.com/errors",
		condition: {threshold: {window: 1m, op: ">=", limit: 0.5, min_samples: 6}}, for_checks: 2}`)
	strict := mustRule(t, `{name: solo_all_regions, scope: {link: solo}, severity: critical, condition: {quorum: {k: 3}}}`)
	silent := mustRule(t, `{name: solo_silent, scope: {link: solo}, severity: info, condition: {no_data: {after: 30s}}}`)
	w := newRuleWorld(t, EngineConfig{Rules: []*Rule{ratio, strict, silent}}, links...)

	// spring-00 fails in two regions of three, every 10 s: ratio 2/3.
	for range 4 {
		w.results(map[string][]string{"spring-00": {"eu-west", "us-east"}, "solo": {"eu-west", "us-east"}}, 1, 0)
		w.eval(10 * time.Second)
	}
	got := w.sent()
	want := []string{"firing spring_errors spring_errors|campaign/spring"}
	if !slices.Contains(got, want[0]) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	for _, s := range got {
		if strings.Contains(s, "solo_all_regions") {
			t.Fatalf("quorum 3 paged with two failing regions: %v", got)
		}
	}
	w.st.mu.Lock()
	for _, r := range w.st.rows {
		if r.Notification.Rule == "spring_errors" && (r.Notification.RunbookURL != "https://wiki.example.com/errors" ||
			r.Notification.Alerts[0].Link != "spring-00" || r.Notification.Labels["team"] != "growth" || r.Notification.Labels["link"] != "") {
			t.Errorf("notification %+v", r.Notification)
		}
	}
	w.st.mu.Unlock()
	if a := w.st.alerts["spring_errors|link/1"]; a.Labels["team"] != "growth" || a.Labels["campaign"] != "spring" {
		t.Fatalf("labels %v", a.Labels)
	}

	w.results(map[string][]string{"solo": {"eu-west", "us-east", "ap-south"}}, 1, 0)
	w.eval(10 * time.Second)
	if got := w.sent(); !slices.Contains(got, "firing solo_all_regions solo_all_regions|link/9") {
		t.Fatalf("three failing regions: %v", got)
	}

	// us-east stops reporting solo: after 30 s, solo_silent fires.
	keep := w.st.latest
	for range 4 {
		w.st.latest = nil
		for _, l := range keep {
			if l.Target.ID == 9 && l.Region == "us-east" {
				w.st.latest = append(w.st.latest, l) // stale
				continue
			}
			l.At = w.now
			l.Class, l.Failures = "", 0
			w.st.latest = append(w.st.latest, l)
		}
		w.eval(10 * time.Second)
	}
	if got := w.sent(); !slices.Contains(got, "firing solo_silent solo_silent|link/9") {
		t.Fatalf("a silent region: %v", got)
	}
}

// TestScanDropRule: a campaign whose scans fall 80% against the same hour
// last week fires once its rule's for has passed; the rule reads the store
// once a minute.
func TestScanDropRule(t *testing.T) {
	links := campaignLinks(2, "print")
	created := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, l := range links {
		l.CreatedAt = created
	}
	r := mustRule(t, `{name: print_scans_drop, scope: {tag: print}, metric: scans, severity: warning,
		condition: {rate: {change: {aggregate: sum, window: 1h, baseline: last_week, by: percent, direction: drop,
		                            at_least: 80, baseline_floor: 50, min_samples: 60}}}, for_checks: 3}`)
	w := newRuleWorld(t, EngineConfig{Rules: []*Rule{r}}, links...)
	start := w.now
	// Last week: 20 scans a minute across the two links. This week: 20 a
	// minute until start, then 2.
	for m := start.Add(-Week - 2*time.Hour); m.Before(start.Add(-Week + time.Hour)); m = m.Add(time.Minute) {
		w.st.scans = append(w.st.scans, linkwatch.Scan{LinkID: 1, At: m, Count: 12}, linkwatch.Scan{LinkID: 2, At: m, Count: 8})
	}
	for m := start.Add(-2 * time.Hour); m.Before(start.Add(time.Hour)); m = m.Add(time.Minute) {
		n := int64(20)
		if !m.Before(start) {
			n = 2
		}
		w.st.scans = append(w.st.scans, linkwatch.Scan{LinkID: 1, At: m.Add(10 * time.Second), Count: n})
	}
	var firedAt time.Time
	for range 60 * 30 { // an hour at 2 s
		w.eval(2 * time.Second)
		if firedAt.IsZero() && slices.Contains(w.sent(), "firing print_scans_drop print_scans_drop|tag/print") {
			firedAt = w.now
		}
	}
	if firedAt.IsZero() {
		t.Fatalf("the drop never fired: %v %+v", w.sent(), w.st.alerts["print_scans_drop|tag/print"])
	}
	// 80% of 1200 = 960 fewer scans: 18 fewer a minute → after ~54 minutes.
	if d := firedAt.Sub(start); d < 50*time.Minute || d > 60*time.Minute {
		t.Fatalf("fired %v after the drop began", d)
	}
	if got := w.sent(); len(got) != 1 {
		t.Fatalf("notifications %v", got)
	}
	if a := w.st.alerts["print_scans_drop|tag/print"]; a.Labels["campaign"] != "print" || a.State.ConsecutiveBreaches > 10 {
		t.Fatalf("alert %+v", a)
	}
}

// TestProberSilent: a prober that stops sending heartbeats warns; one that
// resumes resolves.
func TestProberSilent(t *testing.T) {
	w := newRuleWorld(t, EngineConfig{})
	w.st.probers = []linkwatch.ProberInfo{{ID: "p1", Region: "eu-west", LastSeen: w.now}, {ID: "p2", Region: "us-east", LastSeen: w.now}}
	for range 40 {
		w.st.probers[1].LastSeen = w.now
		w.eval(2 * time.Second)
	}
	if got := w.sent(); len(got) != 1 || got[0] != "firing prober_silent prober_silent|prober/p1" {
		t.Fatalf("sent %v", got)
	}
	if a := w.st.alerts["prober_silent|prober/p1"]; a.Labels["region"] != "eu-west" {
		t.Fatalf("labels %v", a.Labels)
	}
	w.st.probers[0].LastSeen = w.now
	w.eval(2 * time.Second)
	if got := w.sent(); len(got) != 2 || got[1] != "resolved prober_silent prober_silent|prober/p1" {
		t.Fatalf("sent %v", got)
	}
}

// TestScanQueueDrops: scans dropped by the redirector warn.
func TestScanQueueDrops(t *testing.T) {
	var dropped float64
	w := newRuleWorld(t, EngineConfig{ScanDrops: func() float64 { return dropped }})
	w.eval(2 * time.Second)
	dropped = 120
	w.eval(2 * time.Second)
	if got := w.sent(); len(got) != 1 || got[0] != "firing scan_queue_drops scan_queue_drops|platform" {
		t.Fatalf("sent %v", got)
	}
	for range 160 { // 5 minutes and more without drops
		w.eval(2 * time.Second)
	}
	if got := w.sent(); len(got) != 2 || got[1] != "resolved scan_queue_drops scan_queue_drops|platform" {
		t.Fatalf("sent %v", got)
	}
}

// TestRouting: routes pick channels by labels.
func TestRouting(t *testing.T) {
	router, err := NewRouter([]string{"oncall", "growth", "all"}, []RouteSpec{
		{Match: `{severity="critical"}`, Channels: []string{"oncall"}},
		{Match: `{campaign=~"spring.*"}`, Channels: []string{"growth"}},
		{Channels: []string{"all"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		labels map[string]string
		want   []string
	}{
		{map[string]string{"severity": "critical", "campaign": "spring"}, []string{"all", "growth", "oncall"}},
		{map[string]string{"severity": "warning"}, []string{"all"}},
	} {
		if got := router.Channels(c.labels); !slices.Equal(got, c.want) {
			t.Errorf("Channels(%v) = %v, want %v", c.labels, got, c.want)
		}
	}
	if _, err := NewRouter([]string{"a"}, []RouteSpec{{Channels: []string{"b"}}}); err == nil {
		t.Error("a route to an unknown channel was accepted")
	}
	if _, err := NewRouter([]string{"a"}, []RouteSpec{{Match: "{x=~\"(\"}", Channels: []string{"a"}}}); err == nil {
		t.Error("a bad matcher was accepted")
	}

	links := campaignLinks(1, "spring")
	w := newRuleWorld(t, EngineConfig{Router: router}, links...)
	for range 3 {
		w.results(map[string][]string{"spring-00": {"eu-west", "us-east", "ap-south"}}, 3, 0)
		w.eval(2 * time.Second)
	}
	w.st.mu.Lock()
	var receivers []string
	for _, r := range w.st.rows {
		receivers = append(receivers, r.Receiver)
	}
	w.st.mu.Unlock()
	slices.Sort(receivers)
	if !slices.Equal(receivers, []string{"all", "growth", "oncall"}) {
		t.Fatalf("link_down went to %v", receivers)
	}
}

// TestCampaignScansDropDefault: without configuration, a campaign whose
// scans collapse against last week warns; a campaign younger than a week
// has no baseline and stays quiet.
func TestCampaignScansDropDefault(t *testing.T) {
	old := campaignLinks(1, "billboard")
	young := campaignLinks(1, "flyer")
	young[0].ID = 2
	w := newRuleWorld(t, EngineConfig{}, append(old, young...)...)
	start := w.now
	old[0].CreatedAt = start.Add(-30 * 24 * time.Hour)
	young[0].CreatedAt = start.Add(-3 * 24 * time.Hour)
	for m := start.Add(-Week - 2*time.Hour); m.Before(start.Add(-Week + time.Hour)); m = m.Add(time.Minute) {
		w.st.scans = append(w.st.scans, linkwatch.Scan{LinkID: 1, At: m, Count: 30})
	}
	for m := start.Add(-2 * time.Hour); m.Before(start.Add(2 * time.Hour)); m = m.Add(time.Minute) {
		w.st.scans = append(w.st.scans, linkwatch.Scan{LinkID: 2, At: m, Count: 1}) // flyer: 1 a minute, no history
		if m.Before(start) {
			w.st.scans = append(w.st.scans, linkwatch.Scan{LinkID: 1, At: m, Count: 30})
		}
	}
	for range 90 * 6 { // 90 minutes at 10 s
		w.eval(10 * time.Second)
	}
	got := w.sent()
	if len(got) != 1 || got[0] != "firing campaign_scans_drop campaign_scans_drop|tag/billboard" {
		t.Fatalf("sent %v", got)
	}
}

// TestRedirectMismatchNeedsTwoChecks: a region's first mismatch can be a
// redirector that has not heard of a change the prober heard of by push;
// redirect_mismatch pages once the region sees it twice in a row.
func TestRedirectMismatchNeedsTwoChecks(t *testing.T) {
	l := &linkwatch.Link{ID: 1, Slug: "spring", Destination: "https://shop.example.com/", RedirectCode: 302,
		CheckInterval: time.Minute, Tags: []string{}}
	w := newRuleWorld(t, EngineConfig{}, l)
	mismatch := func(failures int) {
		w.results(nil, 0, 10*time.Millisecond)
		r := &w.st.latest[1] // eu-west
		r.Step, r.Class, r.Error, r.Failures = linkwatch.StepShortLink, linkwatch.ClassRedirectMismatch, "answered 404, want 302", failures
	}
	mismatch(1)
	for range 5 {
		w.eval(2 * time.Second)
	}
	if got := w.sent(); len(got) != 0 {
		t.Fatalf("after one mismatching check: sent %v", got)
	}
	mismatch(2)
	w.eval(2 * time.Second)
	if got := w.sent(); !slices.Contains(got, "firing redirect_mismatch redirect_mismatch|host/shop.example.com") {
		t.Fatalf("after two mismatching checks in a row: sent %v, want the redirect_mismatch page", got)
	}
}

// TestFiringSummaryWithoutData: a firing link_down whose regions fall
// silent keeps saying what was last seen, not "down in 0 of 0 regions".
func TestFiringSummaryWithoutData(t *testing.T) {
	l := &linkwatch.Link{ID: 1, Slug: "spring", Destination: "https://shop.example.com/", RedirectCode: 302,
		CheckInterval: time.Minute, Tags: []string{}}
	w := newRuleWorld(t, EngineConfig{}, l)
	w.results(map[string][]string{"spring": {"ap-south", "eu-west", "us-east"}}, 2, 10*time.Millisecond)
	w.eval(2 * time.Second)
	w.now = w.now.Add(10 * time.Minute) // every region falls silent
	w.eval(2 * time.Second)
	alerts, err := w.st.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.Key == "link_down|link/1" {
			if a.State.Phase != PhaseFiring || !strings.Contains(a.Summary, "down in 3 of 3 regions") {
				t.Fatalf("link_down without data: %s %q, want still firing with what was last seen", a.State.Phase, a.Summary)
			}
			return
		}
	}
	t.Fatal("no link_down alert")
}
