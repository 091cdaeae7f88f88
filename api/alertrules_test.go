package api

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/alerting"
)

// recordingNotifier is a channel that records what it is sent.
type recordingNotifier struct {
	mu   sync.Mutex
	got  []alerting.Notification
	fail error
}

func (r *recordingNotifier) Notify(_ context.Context, n alerting.Notification, _ string) (alerting.Delivery, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return alerting.Delivery{}, r.fail
	}
	r.got = append(r.got, n)
	return alerting.Delivery{}, nil
}

func configRules(t *testing.T) []alerting.RuleSpec {
	limit := 0.5
	s := alerting.RuleSpec{Name: "spring_errors", Scope: alerting.ScopeSpec{Tag: "spring"}, Metric: alerting.MetricFailureRatio,
		Severity: alerting.SeverityWarning, Condition: alerting.RuleCondition{ConditionSpec: alerting.ConditionSpec{
			Threshold: &alerting.ThresholdSpec{Window: "5m", Op: ">=", Limit: &limit}}}}
	if _, err := s.Compile(); err != nil {
		t.Fatal(err)
	}
	return []alerting.RuleSpec{s}
}

const apiRule = `{"name":"promo_slow","scope":{"link":"promo"},"metric":"latency_ms","severity":"warning",
	"labels":{"team":"web"},"runbook_url":"https://wiki.example.com/slow",
	"condition":{"threshold":{"aggregate":"p95","window":"10m","op":">","limit":800,"recover_limit":600}},"for":"2m","recover_checks":2}`

func TestAlertRulesAPI(t *testing.T) {
	e := newEnv(t)
	var created ruleJSON
	e.mustDo("POST", "/api/v1/alert-rules", adminSecret, apiRule, 201, &created)
	if created.Source != "api" || created.Name != "promo_slow" || created.For != "2m" || created.CreatedAt == nil ||
		created.Condition.Threshold == nil || *created.Condition.Threshold.RecoverLimit != 600 {
		t.Fatalf("created %+v", created)
	}
	var body errorBody
	e.mustDo("POST", "/api/v1/alert-rules", adminSecret, apiRule, 409, &body)
	e.mustDo("POST", "/api/v1/alert-rules", e.read, apiRule, 403, &body)
	for _, c := range []struct {
		body, field string
		status      int
	}{
		{strings.Replace(apiRule, `"window":"10m"`, `"window":"ten"`, 1), "condition.threshold.window", 422},
		{strings.Replace(apiRule, `"promo_slow"`, `"link_down"`, 1), "name", 422},
		{strings.Replace(apiRule, `"metric":"latency_ms"`, `"metric":"cpu"`, 1), "metric", 422},
		{strings.Replace(apiRule, `"for":"2m"`, `"for":"2m","surprise":1`, 1), "surprise", 400},
		{strings.Replace(apiRule, `"promo_slow"`, `"spring_errors"`, 1), "", 409}, // the configuration's
	} {
		resp, b := e.do("POST", "/api/v1/alert-rules", adminSecret, c.body)
		if resp.StatusCode != c.status || (c.field != "" && !strings.Contains(string(b), `"field":"`+c.field+`"`)) {
			t.Errorf("%s: %d %s, want %d on %s", c.body, resp.StatusCode, b, c.status, c.field)
		}
	}

	var list struct {
		Defaults []defaultRuleJSON
		Rules    []ruleJSON
	}
	e.mustDo("GET", "/api/v1/alert-rules", e.read, "", 200, &list)
	if len(list.Defaults) != len(alerting.DefaultRuleNames) || len(list.Rules) != 2 ||
		list.Rules[0].Source != "config" || list.Rules[1].Name != "promo_slow" {
		t.Fatalf("list %+v", list)
	}

	replaced := strings.Replace(apiRule, `"limit":800`, `"limit":1000`, 1)
	var got ruleJSON
	e.mustDo("PUT", "/api/v1/alert-rules/promo_slow", adminSecret, replaced, 200, &got)
	e.mustDo("GET", "/api/v1/alert-rules/promo_slow", e.read, "", 200, &got)
	if *got.Condition.Threshold.Limit != 1000 || !got.CreatedAt.Equal(*created.CreatedAt) {
		t.Fatalf("after PUT %+v", got)
	}
	e.mustDo("PUT", "/api/v1/alert-rules/other", adminSecret, replaced, 422, &body)
	e.mustDo("PUT", "/api/v1/alert-rules/spring_errors", adminSecret, strings.Replace(apiRule, `"promo_slow"`, `"spring_errors"`, 1), 409, &body)
	e.mustDo("GET", "/api/v1/alert-rules/spring_errors", e.read, "", 200, &got)
	if got.Source != "config" {
		t.Fatalf("config rule %+v", got)
	}
	e.mustDo("DELETE", "/api/v1/alert-rules/spring_errors", adminSecret, "", 409, &body)
	e.mustDo("DELETE", "/api/v1/alert-rules/promo_slow", adminSecret, "", 204, nil)
	e.mustDo("DELETE", "/api/v1/alert-rules/promo_slow", adminSecret, "", 404, &body)
	e.mustDo("GET", "/api/v1/alert-rules/promo_slow", e.read, "", 404, &body)
}

func TestAlertHistoryAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	fence, ok, err := e.store.Lease(ctx, alerting.EvaluatorLease, "t", time.Minute, testNow)
	if err != nil || !ok {
		t.Fatal(err)
	}
	at := testNow.Add(-time.Hour)
	save := func(key, campaign string, p alerting.Phase) {
		at = at.Add(time.Minute)
		a := alerting.StoredAlert{Key: key, Rule: "link_down", Severity: "critical", Scope: "link/x",
			Labels: map[string]string{"campaign": campaign}, Summary: "x is down", UpdatedAt: at,
			State: alerting.AlertState{Phase: p, Since: at}}
		if err := e.store.SaveAlerts(ctx, fence, []alerting.StoredAlert{a}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []alerting.Phase{alerting.PhasePending, alerting.PhaseFiring, alerting.PhaseResolved} {
		save("link_down|link/1", "spring", p)
		save("link_down|link/2", "autumn", p)
	}
	var page struct {
		Events []eventJSON
		Next   string
	}
	e.mustDo("GET", "/api/v1/alerts/history?tag=spring&limit=2", e.read, "", 200, &page)
	if len(page.Events) != 2 || page.Events[0].To != "resolved" || page.Events[1].From != "pending" || page.Next == "" {
		t.Fatalf("page 1 %+v", page)
	}
	next := page.Next[strings.Index(page.Next, "/api/v1"):]
	e.mustDo("GET", next, e.read, "", 200, &page)
	if len(page.Events) != 1 || page.Events[0].From != "ok" || page.Events[0].To != "pending" {
		t.Fatalf("page 2 %+v", page)
	}
	var body errorBody
	e.mustDo("GET", "/api/v1/alerts/history?limit=0", e.read, "", 400, &body)
	e.mustDo("GET", "/api/v1/alerts/history?since=yesterday", e.read, "", 400, &body)
	e.mustDo("GET", "/api/v1/alerts/history?before=-3", e.read, "", 400, &body)
}

func TestChannelsAPI(t *testing.T) {
	e := newEnv(t)
	var list struct {
		Channels []alerting.ChannelInfo
		Routes   []alerting.RouteSpec
	}
	e.mustDo("GET", "/api/v1/channels", e.read, "", 200, &list)
	if len(list.Channels) != 1 || list.Channels[0].Target != "#oncall" || len(list.Routes) != 1 {
		t.Fatalf("channels %+v", list)
	}
	var body errorBody
	e.mustDo("POST", "/api/v1/channels/oncall/test", e.read, "", 403, &body)
	e.mustDo("POST", "/api/v1/channels/oncall/test", adminSecret, "", 200, nil)
	e.mustDo("POST", "/api/v1/channels/nope/test", adminSecret, "", 404, &body)
	if len(e.sent.got) != 1 || e.sent.got[0].Rule != "test" {
		t.Fatalf("sent %+v", e.sent.got)
	}
	e.sent.fail = context.DeadlineExceeded
	e.mustDo("POST", "/api/v1/channels/oncall/test", adminSecret, "", 503, &body)
}
