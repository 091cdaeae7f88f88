package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
	"go.yaml.in/yaml/v3"
)

// secret is a distinctive secret value: it must never appear in an error.
const secret = "Zq9-sEcReT-xoxb-4242-abcdefghij"

var alertingEnv = map[string]string{
	"SLACK_TOKEN":          secret,
	"GROWTH_SLACK_WEBHOOK": "https://hooks.slack.com/services/" + secret,
	"CRM_SECRET":           secret,
}

func f64(v float64) *float64 { return &v }

func TestAlertingExample(t *testing.T) {
	c, err := load(t, []string{"--config", "testdata/alerting.yaml"}, alertingEnv)
	if err != nil {
		t.Fatal(err)
	}
	wantChannels := []alerting.ChannelSpec{
		{Name: "oncall", Type: "slack", Token: secret, Channel: "#oncall"},
		{Name: "growth", Type: "slack", WebhookURL: linkwatch.Secret("https://hooks.slack.com/services/" + secret)},
		{Name: "crm", Type: "webhook", URL: "https://crm.example.com/hooks/linkwatch", Secret: secret},
	}
	if !reflect.DeepEqual(c.Channels, wantChannels) {
		t.Errorf("channels:\n got  %#v\n want %#v", c.Channels, wantChannels)
	}
	wantRoutes := []alerting.RouteSpec{
		{Match: `{severity="critical"}`, Channels: []string{"oncall", "datadog"}},
		{Match: `{campaign=~"spring.*"}`, Channels: []string{"growth", "crm"}},
	}
	if !reflect.DeepEqual(c.Routes, wantRoutes) {
		t.Errorf("routes:\n got  %+v\n want %+v", c.Routes, wantRoutes)
	}

	// Timing fields are set by name: they may live in an embedded struct.
	spring := alerting.RuleSpec{Name: "spring_scans_drop", Scope: alerting.ScopeSpec{Tag: "spring"}, Metric: "scans", Severity: "warning"}
	spring.Condition.Rate = &alerting.RateSpec{Change: &alerting.ChangeSpec{Aggregate: "sum", Window: "1h", Baseline: "last_week",
		By: "percent", Direction: "drop", AtLeast: f64(80), BaselineFloor: 50}}
	spring.For = "10m"
	slow := alerting.RuleSpec{Name: "checkout_slow", Scope: alerting.ScopeSpec{Link: "checkout"}, Metric: "latency_ms", Severity: "warning",
		Labels: map[string]string{"team": "web"}, RunbookURL: "https://wiki.example.com/runbooks/checkout-slow"}
	slow.Condition.Threshold = &alerting.ThresholdSpec{Aggregate: "p95", Window: "5m", Op: ">=", Limit: f64(800), RecoverLimit: f64(600), MinSamples: 5}
	slow.For, slow.RecoverChecks = "5m", 3
	promo := alerting.RuleSpec{Name: "promo_down", Scope: alerting.ScopeSpec{Tag: "promo"}, Severity: "critical"}
	promo.Condition.Quorum = &alerting.QuorumSpec{K: 2, Consecutive: 3}
	pool := alerting.RuleSpec{Name: "db_pool_climbing", Scope: alerting.ScopeSpec{Platform: "db_pool_utilization"}, Severity: "critical"}
	pool.Condition.Rate = &alerting.RateSpec{
		Change:  &alerting.ChangeSpec{Aggregate: "avg", Window: "30s", Baseline: "ago", Ago: "3m", By: "absolute", Direction: "rise", AtLeast: f64(10), MinLevel: f64(80)},
		Predict: &alerting.PredictSpec{Window: "2m", Limit: f64(100), Within: "5m"},
	}
	pool.ForChecks = 2
	silent := alerting.RuleSpec{Name: "homepage_silent", Scope: alerting.ScopeSpec{Monitor: "homepage"}, Severity: "info"}
	silent.Condition.NoData = &alerting.NoDataSpec{After: "10m"}
	silent.KeepFiringFor = "15m"
	wantRules := []alerting.RuleSpec{spring, slow, promo, pool, silent}
	if !reflect.DeepEqual(c.AlertRules, wantRules) {
		t.Errorf("alert_rules:\n got  %+v\n want %+v", c.AlertRules, wantRules)
	}

	// The strict decoder agrees with yaml's own, secrets aside.
	data, err := os.ReadFile("testdata/alerting.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var plain struct {
		Routes     []alerting.RouteSpec `yaml:"routes"`
		AlertRules []alerting.RuleSpec  `yaml:"alert_rules"`
	}
	if err := yaml.Unmarshal(data, &plain); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plain.Routes, c.Routes) || !reflect.DeepEqual(plain.AlertRules, c.AlertRules) {
		t.Errorf("yaml.Unmarshal decodes differently:\n %+v\n %+v", plain.Routes, plain.AlertRules)
	}

	if got, want := c.ChannelNames(), []string{"crm", "datadog", "growth", "oncall"}; !slices.Equal(got, want) {
		t.Errorf("ChannelNames = %v, want %v", got, want)
	}
	r, err := alerting.NewRouter(c.ChannelNames(), c.Routes)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Channels(map[string]string{"severity": "critical", "campaign": "spring-2026"}); !slices.Equal(got, []string{"crm", "datadog", "growth", "oncall"}) {
		t.Errorf("routed to %v", got)
	}

	// With every implicit channel.
	env := map[string]string{"LINKWATCH_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0", "LINKWATCH_WEBHOOK_URL": "https://example.com/hook",
		"LINKWATCH_WEBHOOK_SECRET": "0123456789abcdef"}
	for k, v := range alertingEnv {
		env[k] = v
	}
	c, err = load(t, []string{"--config", "testdata/alerting.yaml"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.ChannelNames(), []string{"crm", "datadog", "growth", "oncall", "slack", "webhook"}; !slices.Equal(got, want) {
		t.Errorf("ChannelNames = %v, want %v", got, want)
	}
}

func TestAlertingSectionsOptional(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Channels != nil || c.Routes != nil || c.AlertRules != nil || c.ChannelNames() != nil {
		t.Errorf("no file: %v %v %v %v", c.Channels, c.Routes, c.AlertRules, c.ChannelNames())
	}
	c, err = loadYAML(t, "channels:\nroutes: []\nalert_rules: ~\n", map[string]string{"LINKWATCH_SLACK_TOKEN": "xoxb-1", "LINKWATCH_SLACK_CHANNEL": "#a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Channels)+len(c.Routes)+len(c.AlertRules) != 0 || !slices.Equal(c.ChannelNames(), []string{"slack"}) {
		t.Errorf("empty sections: %v %v %v %v", c.Channels, c.Routes, c.AlertRules, c.ChannelNames())
	}
}

func loadYAML(t *testing.T, src string, env map[string]string) (*Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "linkwatch.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(t, []string{"--config", path}, env)
	if err != nil {
		return nil, &pathError{strings.ReplaceAll(err.Error(), path, "linkwatch.yaml")}
	}
	return c, nil
}

type pathError struct{ s string }

func (e *pathError) Error() string { return e.s }

// A rule and channels the invalid cases start from.
const baseYAML = `channels:
  - {name: oncall, type: slack, token: "${SLACK_TOKEN}", channel: "#oncall"}
  - {name: growth, type: webhook, url: https://crm.example.com/hook, secret: "${CRM_SECRET}"}
routes:
  - {match: '{severity="critical"}', channels: [oncall]}
alert_rules:
  - name: spring_scans_drop
    scope: {tag: spring}
    metric: scans
    severity: warning
    condition:
      rate: {change: {aggregate: sum, window: 1h, baseline: last_week, by: percent, direction: drop, at_least: 80, baseline_floor: 50}}
    for: 10m
`

// edit returns baseYAML with old replaced by new.
func edit(old, new string) string {
	if !strings.Contains(baseYAML, old) {
		panic("baseYAML has no " + old)
	}
	return strings.Replace(baseYAML, old, new, 1)
}

// TestAlertingInvalid pins the one-line error of each failure mode; none
// holds a secret.
func TestAlertingInvalid(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want string
	}{
		{"unknown field in a rule", edit("    severity: warning\n", "    severity: warning\n    sevrity: info\n"), nil,
			"config: linkwatch.yaml: line 11: alert_rules[0] (spring_scans_drop): unknown key `sevrity` (did you mean `severity`?)"},
		{"unknown field in a condition", edit("window: 1h", "windw: 1h"), nil,
			"config: linkwatch.yaml: line 12: alert_rules[0] (spring_scans_drop): condition.rate.change: unknown key `windw` (did you mean `window`?)"},
		{"unknown field in a channel", edit(`channel: "#oncall"`, `chanel: "#oncall"`), nil,
			"config: linkwatch.yaml: line 2: channels[0] (oncall): unknown key `chanel` (did you mean `channel`?)"},
		{"unknown field, nothing near", edit(`channels: [oncall]`, `targets: [oncall]`), nil,
			"config: linkwatch.yaml: line 5: routes[0]: unknown key `targets` (keys: channels, match)"},
		{"unknown field in a route", edit(`channels: [oncall]`, `channel: [oncall]`), nil,
			"config: linkwatch.yaml: line 5: routes[0]: unknown key `channel` (did you mean `channels`?)"},
		{"unknown field through a merge key", "alert_rules:\n  - &r {name: a, scope: {tag: s}, severity: warning, metric: scans, condition: {threshold: {window: 5m, op: <, limit: 1}}}\n  - {<<: *r, name: b, sevrity: x}\n", nil,
			"config: linkwatch.yaml: line 3: alert_rules[1] (b): unknown key `sevrity` (did you mean `severity`?)"},
		{"bad condition", edit("baseline: last_week", "baseline: ago, ago: soon"), nil,
			`config: linkwatch.yaml: line 12: alert_rules[0] (spring_scans_drop): condition.rate.change.ago: rate.change.ago must be a duration such as 5m; got "soon"`},
		{"lookback too long for check results", edit("metric: scans", "metric: failure_ratio"), nil,
			`config: linkwatch.yaml: line 11: alert_rules[0] (spring_scans_drop): condition: a rule over check results may look back at most 24h (this one needs 169h); use hourly rollups or scans for longer baselines`},
		{"not a number", edit("    for: 10m\n", "    for: 10m\n    for_checks: lots\n"), nil,
			`config: linkwatch.yaml: line 14: alert_rules[0] (spring_scans_drop): for_checks: must be a whole number`},
		{"default rule name", edit("name: spring_scans_drop", "name: link_down"), nil,
			`config: linkwatch.yaml: line 7: alert_rules[0] (link_down): name: name "link_down" belongs to a default rule; choose another`},
		{"duplicate rule name", baseYAML + "  - {name: spring_scans_drop, scope: {all: true}, severity: info, condition: {quorum: {}}}\n", nil,
			`config: linkwatch.yaml: line 14: alert_rules[1] (spring_scans_drop): name: rule "spring_scans_drop" is already declared at line 7`},
		{"duplicate channel", edit("routes:", "  - {name: oncall, type: datadog}\nroutes:"), nil,
			`config: linkwatch.yaml: line 4: channels[2] (oncall): name: channel "oncall" is already declared at line 2`},
		{"unknown channel type", edit(`type: webhook`, `type: pager`), nil,
			`config: linkwatch.yaml: line 3: channels[1] (growth): type: type must be slack, webhook or datadog; got "pager"`},
		{"datadog channel without dogstatsd_addr", edit("routes:", "  - {name: dd, type: datadog}\nroutes:"), nil,
			`config: linkwatch.yaml: line 4: channels[2] (dd): type: a datadog channel needs dogstatsd_addr (LINKWATCH_DOGSTATSD_ADDR) or datadog_api_key (LINKWATCH_DATADOG_API_KEY)`},
		{"route to an unknown channel", edit("channels: [oncall]", "channels: [oncall, pager]"), nil,
			`config: linkwatch.yaml: line 5: routes[0]: channels: unknown channel "pager" (known: growth, oncall)`},
		{"route without channels", edit("channels: [oncall]", "channels: []"), nil,
			`config: linkwatch.yaml: line 5: routes[0]: channels must name at least one channel`},
		{"bad matcher", edit(`'{severity="critical"}'`, `'{severity=critical}'`), nil,
			`config: linkwatch.yaml: line 5: routes[0]: match: invalid matchers at column 11: expected a double-quoted value after severity=, got "c"`},
		{"matcher matching everything", edit(`'{severity="critical"}'`, `'{severity=~".*"}'`), nil,
			`config: linkwatch.yaml: line 5: routes[0]: match: the matchers would match every alert: at least one must not match a missing label, nor every rule name or every severity`},
		{"webhook secret too short", baseYAML, map[string]string{"CRM_SECRET": "Zq9short"},
			`config: linkwatch.yaml: line 3: channels[1] (growth): url: a webhook needs url and a secret of at least 16 bytes`},
		{"literal webhook secret too short", edit(`"${CRM_SECRET}"`, `Zq9short`), nil,
			`config: linkwatch.yaml: line 3: channels[1] (growth): url: a webhook needs url and a secret of at least 16 bytes`},
		{"missing env var", baseYAML, map[string]string{"CRM_SECRET": ""},
			`config: linkwatch.yaml: line 3: channels[1] (growth): secret: environment variable CRM_SECRET is empty or not set`},
		{"bad env var reference", edit(`"${CRM_SECRET}"`, `"${CRM SECRET}"`), nil,
			`config: linkwatch.yaml: line 3: channels[1] (growth): secret: ${ must enclose an environment variable name, as in ${SLACK_TOKEN} (write $$ for a literal $)`},
		{"unquoted env var in a flow mapping", edit(`"${SLACK_TOKEN}"`, `${SLACK_TOKEN}`), nil,
			`config: linkwatch.yaml: line 1: did not find expected ',' or '}' (inside {…} or […], quote ${VAR} references: token: "${SLACK_TOKEN}")`},
		{"webhook url not a URL", edit("url: https://crm.example.com/hook", "url: "+secret), nil,
			`config: linkwatch.yaml: line 3: channels[1] (growth): url: must be an absolute http(s) URL`},
		{"expanded webhook url not a URL", edit("url: https://crm.example.com/hook", `url: "${CRM_SECRET}"`), nil,
			`config: linkwatch.yaml: line 3: channels[1] (growth): url: must be an absolute http(s) URL`},
		{"token not a string", edit(`token: "${SLACK_TOKEN}"`, `token: {a: 1}`), nil,
			`config: linkwatch.yaml: line 2: channels[0] (oncall): token: must be a string`},
		{"secret with a bad tag", edit(`secret: "${CRM_SECRET}"`, `secret: !!int `+secret), nil,
			`config: linkwatch.yaml: line 3: channels[1] (growth): secret: must be a string`},
		{"channel named slack while the slack webhook is set", strings.ReplaceAll(baseYAML, "oncall", "slack"),
			map[string]string{"LINKWATCH_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/" + secret},
			`config: linkwatch.yaml: line 2: channels[0] (slack): name: "slack" is the channel slack_webhook_url (LINKWATCH_SLACK_WEBHOOK_URL) configures; choose another name`},
		{"channel named datadog while dogstatsd_addr is set", "dogstatsd_addr: localhost:8125\nchannels:\n  - {name: datadog, type: datadog}\n", nil,
			`config: linkwatch.yaml: line 3: channels[0] (datadog): name: "datadog" is the channel dogstatsd_addr (LINKWATCH_DOGSTATSD_ADDR) configures; choose another name`},
		{"section not a list", "routes: {match: x}\n", nil,
			`config: linkwatch.yaml: line 1: routes must be a list`},
		{"entry not a mapping", "alert_rules:\n  - spring\n", nil,
			`config: linkwatch.yaml: line 2: alert_rules[0]: must be a mapping`},
		{"section twice", baseYAML + "routes: []\n", nil,
			`config: linkwatch.yaml: line 14: section "routes" appears twice`},
		{"field twice", edit("    for: 10m\n", "    for: 10m\n    for: 5m\n"), nil,
			`config: linkwatch.yaml: line 14: alert_rules[0] (spring_scans_drop): "for" appears twice`},
	}
	if _, err := loadYAML(t, baseYAML, alertingEnv); err != nil {
		t.Fatalf("baseYAML: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range alertingEnv {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			_, err := loadYAML(t, tt.yaml, env)
			if err == nil {
				t.Fatal("loaded")
			}
			if err.Error() != tt.want {
				t.Errorf("\n got  %s\n want %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("not one line: %q", err)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "Zq9") {
				t.Errorf("the secret leaked: %s", err)
			}
		})
	}
}

func TestAlertingAnchorsAndMerges(t *testing.T) {
	src := `alert_rules:
  - &slow
    name: slow_a
    scope: {link: a}
    metric: latency_ms
    severity: warning
    labels: &team {team: web}
    condition: {threshold: {aggregate: p95, window: 5m, op: ">=", limit: 800}}
  - <<: *slow
    name: slow_b
    scope: {tag: b}
    labels: {owner: ann}
  - <<: [{severity: info, name: ignored}, *slow]
    name: slow_c
    labels: *team
`
	c, err := loadYAML(t, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	var plain struct {
		AlertRules []alerting.RuleSpec `yaml:"alert_rules"`
	}
	if err := yaml.Unmarshal([]byte(src), &plain); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.AlertRules, plain.AlertRules) {
		t.Errorf("got  %+v\nwant %+v", c.AlertRules, plain.AlertRules)
	}
	// A key replaces what a merge set (no deep merge); earlier merges win.
	if len(c.AlertRules) != 3 || c.AlertRules[1].Scope != (alerting.ScopeSpec{Tag: "b"}) || len(c.AlertRules[1].Labels) != 1 ||
		c.AlertRules[2].Severity != "info" || c.AlertRules[2].Name != "slow_c" || c.AlertRules[2].Labels["team"] != "web" {
		t.Errorf("merges: %+v", c.AlertRules)
	}

	// Aliases that loop or explode end with an error, quickly.
	for _, src := range []string{
		"alert_rules:\n  - &a {<<: *a}\n",
		"alert_rules: &a [*a]\n",
	} {
		if _, err := parseYAML("loop.yaml", []byte(src), settings(), func(string) string { return "" }); err == nil {
			t.Errorf("%q: no error", src)
		}
	}
	var b strings.Builder
	b.WriteString("routes:\n  - &a0 {channels: [x]}\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&b, "  - &a%d {<<: [*a%d, *a%d, *a%d, *a%d]}\n", i, i-1, i-1, i-1, i-1)
	}
	_, err = parseYAML("laughs.yaml", []byte(b.String()), settings(), func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "too many") {
		t.Errorf("billion laughs: %v", err)
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "1", "B_2": "two", "EMPTY": ""}
	getenv := func(k string) string { return env[k] }
	for _, tt := range []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${A}", "1", ""},
		{"x${A}y${B_2}z", "x1ytwoz", ""},
		{"$A and $ and $", "$A and $ and $", ""}, // only ${NAME} expands
		{"$$", "$", ""},
		{"a$$b$$$${A}", "a$b$${A}", ""}, // $$ escapes, left to right
		{"$${A}", "${A}", ""},
		{"$$${A}", "$1", ""},
		{"x$", "x$", ""},
		{"${EMPTY}", "", "environment variable EMPTY is empty or not set"},
		{"${UNSET}", "", "environment variable UNSET is empty or not set"},
		{"${}", "", "${ must enclose an environment variable name, as in ${SLACK_TOKEN} (write $$ for a literal $)"},
		{"ab${A", "", "${ must enclose an environment variable name, as in ${SLACK_TOKEN} (write $$ for a literal $)"},
		{"${1A}", "", "${ must enclose an environment variable name, as in ${SLACK_TOKEN} (write $$ for a literal $)"},
	} {
		got, err := expand(tt.in, getenv)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("expand(%q) error = %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
