package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/alerting"
	"go.yaml.in/yaml/v3"
)

func load(t *testing.T, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Flags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(fs, func(k string) string { return env[k] })
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DB != "linkwatch.db" || c.PublicURL.String() != "http://localhost:8080" ||
		c.AdminToken != "" || c.LogFormat != "json" || c.ScanFlushInterval != 5*time.Second {
		t.Fatalf("defaults: %+v", c)
	}
}

// TestPublicURLFromAddr: without a public_url, short links use the port
// the server listens on; a configured public_url always wins.
func TestPublicURLFromAddr(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
		set  bool
	}{
		{"default", nil, nil, "http://localhost:8080", false},
		{"env addr", nil, map[string]string{"LINKWATCH_ADDR": ":9090"}, "http://localhost:9090", false},
		{"flag addr with host", []string{"--addr", "127.0.0.1:7070"}, nil, "http://localhost:7070", false},
		{"ipv6 addr", []string{"--addr", "[::1]:7071"}, nil, "http://localhost:7071", false},
		{"public_url wins", []string{"--addr", ":9090"}, map[string]string{"LINKWATCH_PUBLIC_URL": "https://go.example.com"}, "https://go.example.com", true},
		{"public_url from the file wins", []string{"--config", "testdata/valid.yaml", "--addr", ":9090"}, nil, "https://go.example.com", true},
	} {
		c, err := load(t, tc.args, tc.env)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.PublicURL.String() != tc.want || c.IsSet("public_url") != tc.set {
			t.Errorf("%s: public_url %s (set %v), want %s (set %v)", tc.name, c.PublicURL, c.IsSet("public_url"), tc.want, tc.set)
		}
	}
}

func TestProberRetireAfter(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lc := c.ProberLifecycle(); lc.RetireAfter != time.Hour || lc.Silence != time.Minute || c.IsSet("prober_retire_after") {
		t.Errorf("default lifecycle %+v", lc)
	}
	c, err = load(t, []string{"--prober-retire-after", "3h"}, nil)
	if err != nil || c.ProberRetireAfter != 3*time.Hour {
		t.Fatalf("--prober-retire-after 3h: %v, %v", c, err)
	}
	c, err = load(t, nil, map[string]string{"LINKWATCH_PROBER_RETIRE_AFTER": "10m"})
	if err != nil || c.ProberRetireAfter != 10*time.Minute {
		t.Fatalf("LINKWATCH_PROBER_RETIRE_AFTER=10m: %v, %v", c, err)
	}
	if _, err := load(t, nil, map[string]string{"LINKWATCH_PROBER_RETIRE_AFTER": "59s"}); err == nil ||
		err.Error() != `config: LINKWATCH_PROBER_RETIRE_AFTER must be a duration from 2m0s to 720h0m0s, such as 30s; got "59s"` {
		t.Errorf("too short: %v", err)
	}
}

func TestPrecedence(t *testing.T) {
	// file < env < flag
	c, err := load(t, []string{"--config", "testdata/valid.yaml", "--addr", ":7070"},
		map[string]string{"LINKWATCH_ADDR": ":6060", "LINKWATCH_PUBLIC_URL": "https://env.example.com/", "LINKWATCH_DB": ""})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":7070" {
		t.Errorf("flag must win: addr = %q", c.Addr)
	}
	if c.PublicURL.String() != "https://env.example.com" {
		t.Errorf("env must beat file: public_url = %q", c.PublicURL)
	}
	if c.ScanBatchSize != 100 {
		t.Errorf("file must beat default: scan_batch_size = %d", c.ScanBatchSize)
	}
	if c.DB != "linkwatch.db" {
		t.Errorf("empty env is unset: db = %q", c.DB)
	}
}

// TestInvalid pins the exact one-line error for each failure mode.
func TestInvalid(t *testing.T) {
	want := map[string]string{
		"invalid-unknown-key.yaml":         "config: testdata/invalid-unknown-key.yaml: line 4: unknown key `pubic_url` (did you mean `public_url`?)",
		"invalid-unknown-key-far.yaml":     "config: testdata/invalid-unknown-key-far.yaml: line 2: unknown key `redirect_timeout`",
		"invalid-unset-variable.yaml":      `config: testdata/invalid-unset-variable.yaml: line 2: public_url: environment variable LW_TEST_UNSET_HOST is empty or not set`,
		"invalid-duplicate-key.yaml":       `config: testdata/invalid-duplicate-key.yaml: line 2: setting "addr" appears twice`,
		"invalid-public-url.yaml":          `config: testdata/invalid-public-url.yaml: line 3: public_url must be an absolute http(s) URL with no path, such as https://go.example.com; got "go.example.com"`,
		"invalid-duration.yaml":            `config: testdata/invalid-duration.yaml: line 1: scan_flush_interval must be a duration from 1ms to 24h0m0s, such as 30s; got "soon"`,
		"invalid-negative.yaml":            `config: testdata/invalid-negative.yaml: line 1: scan_queue_size must be a whole number from 1 to 50000000; got "-5"`,
		"invalid-not-mapping.yaml":         `config: testdata/invalid-not-mapping.yaml: line 1: the file must be a mapping of settings`,
		"invalid-list-value.yaml":          `config: testdata/invalid-list-value.yaml: line 1: addr must be a single value`,
		"invalid-syntax.yaml":              `config: testdata/invalid-syntax.yaml: line 2: found unexpected end of stream`,
		"invalid-log-format.yaml":          `config: testdata/invalid-log-format.yaml: line 1: log_format must be one of json, text; got "xml"`,
		"invalid-prober-retire-after.yaml": `config: testdata/invalid-prober-retire-after.yaml: line 1: prober_retire_after must be a duration from 2m0s to 720h0m0s, such as 30s; got "30s"`,
	}
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	if len(files) != len(want) {
		t.Fatalf("%d invalid-*.yaml files, %d expectations", len(files), len(want))
	}
	for _, f := range files {
		_, err := load(t, []string{"--config", f}, nil)
		if err == nil || err.Error() != want[filepath.Base(f)] {
			t.Errorf("%s:\n got  %v\n want %s", f, err, want[filepath.Base(f)])
		}
	}
}

func TestEnvAndFlagErrorsNameTheSetting(t *testing.T) {
	_, err := load(t, nil, map[string]string{"LINKWATCH_PUBLIC_URL": "ftp://x"})
	if err == nil || !strings.HasPrefix(err.Error(), "config: LINKWATCH_PUBLIC_URL must be") {
		t.Errorf("env error = %v", err)
	}
	_, err = load(t, []string{"--scan-batch-size", "0"}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "config: --scan-batch-size must be") {
		t.Errorf("flag error = %v", err)
	}
	_, err = load(t, nil, map[string]string{"LINKWATCH_ADMIN_TOKEN": "short"})
	if err == nil || strings.Contains(err.Error(), "short") {
		t.Errorf("admin token error must not echo the secret: %v", err)
	}
}

func FuzzParseYAML(f *testing.F) {
	for _, name := range []string{"valid.yaml", "invalid-syntax.yaml", "invalid-list-value.yaml", "alerting.yaml"} {
		b, _ := os.ReadFile(filepath.Join("testdata", name))
		f.Add(b)
	}
	for _, s := range []string{
		baseYAML,
		"channels:\n  - {name: a, type: datadog}\nroutes:\n  - {match: '{x=\"1\"}', channels: [a, slack]}\n",
		"channels:\n  - name: w\n    type: webhook\n    url: https://h.example.com/${A}\n    secret: ${B}${A}\n",
		"alert_rules:\n  - &r {name: a, scope: {tag: s}, severity: info, metric: scans, condition: {threshold: {window: 5m, op: <, limit: 1}}}\n  - {<<: *r, name: b}\n",
		"alert_rules:\n  - {name: q, scope: {all: true}, severity: critical, condition: {quorum: {k: 2}}, labels: {team: x}}\n",
		"alert_rules: &a [*a]\n",
		"routes: ~\nalert_rules: []\nchannels:\n",
	} {
		f.Add([]byte(s))
	}
	env := map[string]string{"A": "secret-value-0123456789", "B": "b", "SLACK_TOKEN": "xoxb-1", "CRM_SECRET": "0123456789abcdef"}
	getenv := func(k string) string { return env[k] }
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parseYAML("fuzz.yaml", data, settings(), getenv)
		if err != nil {
			return
		}
		for k := range file.values {
			if !strings.Contains(strings.Join(keys(), " "), k) {
				t.Fatalf("unknown key %q accepted", k)
			}
		}
		// The strict decoder decodes what it accepts as yaml does.
		var plain struct {
			Routes     []alerting.RouteSpec `yaml:"routes"`
			AlertRules []alerting.RuleSpec  `yaml:"alert_rules"`
		}
		if yaml.Unmarshal(data, &plain) == nil {
			if len(plain.Routes)+len(file.routes) > 0 && !reflect.DeepEqual(plain.Routes, file.routes) {
				t.Fatalf("routes decode as\n %+v\nnot as yaml does\n %+v", file.routes, plain.Routes)
			}
			if len(plain.AlertRules)+len(file.rules) > 0 && !reflect.DeepEqual(plain.AlertRules, file.rules) {
				t.Fatalf("alert_rules decode as\n %+v\nnot as yaml does\n %+v", file.rules, plain.AlertRules)
			}
		}
		for _, c := range []*Config{{}, {SlackWebhookURL: "https://hooks.example.com/x", DogStatsDAddr: "localhost:8125", WebhookURL: "https://example.com/h"}} {
			if err := file.apply(c); err != nil {
				continue
			}
			for _, r := range c.AlertRules {
				if _, err := r.Compile(); err != nil {
					t.Fatalf("rule %q accepted but does not compile: %v", r.Name, err)
				}
			}
			for _, ch := range c.Channels {
				if err := ch.Validate(); err != nil {
					t.Fatalf("channel %q accepted but invalid: %v", ch.Name, err)
				}
			}
		}
	})
}

func keys() []string {
	var ks []string
	for _, s := range settings() {
		ks = append(ks, s.key)
	}
	return ks
}

func TestSMTP(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPAddr != "" || c.SMTPTLS != "starttls" {
		t.Errorf("SMTP defaults: addr %q, tls %q; want off, starttls", c.SMTPAddr, c.SMTPTLS)
	}
	c, err = load(t, []string{"--smtp-tls", "tls"}, map[string]string{"LINKWATCH_SMTP_ADDR": "smtp.example.com:465",
		"LINKWATCH_SMTP_FROM": "Acme status <status@example.com>", "LINKWATCH_SMTP_USERNAME": "acme",
		"LINKWATCH_SMTP_PASSWORD": "hunter2-smtp-password"})
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPAddr != "smtp.example.com:465" || c.SMTPFrom != "Acme status <status@example.com>" || c.SMTPUsername != "acme" ||
		c.SMTPPassword.Reveal() != "hunter2-smtp-password" || c.SMTPTLS != "tls" {
		t.Errorf("SMTP settings: %+v", c)
	}
	// A local relay may take a password in the clear.
	if _, err := load(t, nil, map[string]string{"LINKWATCH_SMTP_ADDR": "127.0.0.1:25", "LINKWATCH_SMTP_FROM": "status@example.com",
		"LINKWATCH_SMTP_USERNAME": "u", "LINKWATCH_SMTP_PASSWORD": "p", "LINKWATCH_SMTP_TLS": "none"}); err != nil {
		t.Errorf("a local relay without TLS: %v", err)
	}

	const password = "hunter2-smtp-password"
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LINKWATCH_SMTP_ADDR": "smtp.example.com"},
			`config: LINKWATCH_SMTP_ADDR must be host:port, such as smtp.example.com:587; got "smtp.example.com"`},
		{map[string]string{"LINKWATCH_SMTP_ADDR": ":587"},
			`config: LINKWATCH_SMTP_ADDR must be host:port, such as smtp.example.com:587; got ":587"`},
		{map[string]string{"LINKWATCH_SMTP_ADDR": "smtp.example.com:smtp"},
			`config: LINKWATCH_SMTP_ADDR must be host:port, such as smtp.example.com:587; got "smtp.example.com:smtp"`},
		{map[string]string{"LINKWATCH_SMTP_ADDR": "smtp.example.com:587", "LINKWATCH_SMTP_FROM": "not an address"},
			`config: LINKWATCH_SMTP_FROM must be an email address such as status@example.com or "Acme status <status@example.com>"; got "not an address"`},
		{map[string]string{"LINKWATCH_SMTP_ADDR": "smtp.example.com:587"},
			`config: LINKWATCH_SMTP_FROM is required with LINKWATCH_SMTP_ADDR`},
		{map[string]string{"LINKWATCH_SMTP_FROM": "status@example.com"},
			`config: LINKWATCH_SMTP_ADDR is required with LINKWATCH_SMTP_FROM, LINKWATCH_SMTP_USERNAME and LINKWATCH_SMTP_PASSWORD`},
		{map[string]string{"LINKWATCH_SMTP_ADDR": "smtp.example.com:587", "LINKWATCH_SMTP_FROM": "status@example.com", "LINKWATCH_SMTP_PASSWORD": password},
			`config: LINKWATCH_SMTP_USERNAME and LINKWATCH_SMTP_PASSWORD go together`},
		{map[string]string{"LINKWATCH_SMTP_ADDR": "smtp.example.com:587", "LINKWATCH_SMTP_FROM": "status@example.com", "LINKWATCH_SMTP_TLS": "ssl"},
			`config: LINKWATCH_SMTP_TLS must be one of starttls, tls, none; got "ssl"`},
		{map[string]string{"LINKWATCH_SMTP_ADDR": "smtp.example.com:25", "LINKWATCH_SMTP_FROM": "status@example.com", "LINKWATCH_SMTP_TLS": "none",
			"LINKWATCH_SMTP_USERNAME": "acme", "LINKWATCH_SMTP_PASSWORD": password},
			`config: LINKWATCH_SMTP_TLS none would send the SMTP password in the clear: use starttls or tls, or a relay on localhost`},
	} {
		_, err := load(t, nil, tc.env)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v:\n got  %v\n want %s", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), password) {
			t.Errorf("%v: the error shows the password: %v", tc.env, err)
		}
	}
}

// TestSubscribeAllowPrivate: subscription webhooks have their own setting,
// off by default and never inherited from probe_allow_private.
func TestSubscribeAllowPrivate(t *testing.T) {
	c, err := load(t, nil, map[string]string{"LINKWATCH_PROBE_ALLOW_PRIVATE": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.ProbeAllowPrivate || c.SubscribeAllowPrivate {
		t.Fatalf("probe_allow_private alone: probe %v, subscribe %v", c.ProbeAllowPrivate, c.SubscribeAllowPrivate)
	}
	c, err = load(t, nil, map[string]string{"LINKWATCH_SUBSCRIBE_ALLOW_PRIVATE": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ProbeAllowPrivate || !c.SubscribeAllowPrivate {
		t.Fatalf("subscribe_allow_private alone: probe %v, subscribe %v", c.ProbeAllowPrivate, c.SubscribeAllowPrivate)
	}
}
