package config

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

// TestExpandEverySetting: ${VAR} works in every value of the file — the
// settings, not only channels — by one rule: unquoted values are typed by
// what they expand to, $$ is a literal $, and an unset variable is an error
// naming it and the key.
func TestExpandEverySetting(t *testing.T) {
	const src = `addr: ${LISTEN}
public_url: https://${HOST}
scan_batch_size: ${BATCH}
probe_allow_private: ${ALLOW}
status_title: "Acme $$5 ${BRAND} status"
alert_rules:
  - name: spring_quiet
    scope: {tag: "${CAMPAIGN}"}
    metric: scans
    severity: warning
    condition:
      threshold: {window: "${WINDOW}", op: <, limit: "${LIMIT}"}
status_components:
  - {id: shop, name: "${BRAND} shop", link: "${SLUG}"}
`
	env := map[string]string{"LISTEN": ":7070", "HOST": "go.example.com", "BATCH": "250", "ALLOW": "true", "BRAND": "Acme",
		"CAMPAIGN": "spring", "WINDOW": "15m", "LIMIT": "3", "SLUG": "spring-shop"}
	c, err := loadYAML(t, src, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":7070" || c.PublicURL.String() != "https://go.example.com" || c.ScanBatchSize != 250 || !c.ProbeAllowPrivate ||
		c.StatusTitle != "Acme $5 Acme status" {
		t.Errorf("settings: addr %q, public_url %s, scan_batch_size %d, probe_allow_private %v, status_title %q",
			c.Addr, c.PublicURL, c.ScanBatchSize, c.ProbeAllowPrivate, c.StatusTitle)
	}
	if len(c.AlertRules) != 1 || c.AlertRules[0].Scope.Tag != "spring" {
		t.Fatalf("rules: %+v", c.AlertRules)
	}
	th := c.AlertRules[0].Condition.Threshold
	if th == nil || th.Window != "15m" || th.Limit == nil || *th.Limit != 3 {
		t.Errorf("threshold: %+v", th)
	}
	if len(c.StatusComponents) != 1 || c.StatusComponents[0].Name != "Acme shop" || c.StatusComponents[0].Link != "spring-shop" {
		t.Errorf("components: %+v", c.StatusComponents)
	}

	for _, tc := range []struct{ unset, want string }{
		{"BATCH", "config: linkwatch.yaml: line 3: scan_batch_size: environment variable BATCH is empty or not set"},
		{"CAMPAIGN", "config: linkwatch.yaml: line 8: alert_rules[0] (spring_quiet): scope.tag: environment variable CAMPAIGN is empty or not set"},
		{"LIMIT", "config: linkwatch.yaml: line 12: alert_rules[0] (spring_quiet): condition.threshold.limit: environment variable LIMIT is empty or not set"},
		{"SLUG", "config: linkwatch.yaml: line 14: status_components[0]: link: environment variable SLUG is empty or not set"},
	} {
		e := map[string]string{}
		for k, v := range env {
			if k != tc.unset {
				e[k] = v
			}
		}
		if _, err := loadYAML(t, src, e); err == nil || err.Error() != tc.want {
			t.Errorf("%s unset:\n got  %v\n want %s", tc.unset, err, tc.want)
		}
	}
	// An expanded value is checked like a written one, and named by its key
	// and line.
	env["BATCH"] = "lots"
	if _, err := loadYAML(t, src, env); err == nil ||
		err.Error() != `config: linkwatch.yaml: line 3: scan_batch_size must be a whole number from 1 to 100000; got "lots"` {
		t.Errorf("bad expanded value: %v", err)
	}
}

func TestNearest(t *testing.T) {
	keys := []string{"addr", "public_url", "db", "probe_timeout", "probe_refresh"}
	for _, tc := range []struct{ word, want string }{
		{"pubic_url", "public_url"},
		{"public-url", "public_url"},
		{"Public_URL", "public_url"},
		{"adr", "addr"},
		{"probe_timout", "probe_timeout"},
		{"x", ""},
		{"region", ""},
		{strings.Repeat("a", 5000), ""},
	} {
		if got := Nearest(tc.word, keys); got != tc.want {
			t.Errorf("Nearest(%.20q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

// TestSettingsDescribed: every setting has a type and a group help texts
// can show, and FlagsFor registers only the settings it is given.
func TestSettingsDescribed(t *testing.T) {
	types := []string{"bool", "duration", "int", "string", "URL"}
	for _, s := range Settings() {
		if !slices.Contains(types, s.Type) || !slices.Contains(GroupOrder(), s.Group) || s.Help == "" || s.Env == "" {
			t.Errorf("setting %s: type %q, group %q", s.Key, s.Type, s.Group)
		}
	}
	if len(kinds()) != len(Settings()) {
		t.Errorf("%d settings described, %d settings", len(kinds()), len(Settings()))
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	FlagsFor(fs, "db", "region")
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if !slices.Equal(names, []string{"config", "db", "region"}) {
		t.Errorf("FlagsFor(db, region) registered %v", names)
	}
	if err := fs.Parse([]string{"--addr", ":1"}); err == nil {
		t.Error("--addr accepted by a flag set without it")
	}
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "plain", "${A}", "$$", "$${A}", "x${A}y$", "${", "${A", "$$$", "${1}"} {
		f.Add(s)
	}
	getenv := func(k string) string {
		if k == "A" {
			return "value-of-a"
		}
		return ""
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := expand(s, getenv)
		if err != nil {
			if strings.Contains(err.Error(), s) && len(s) > 8 {
				t.Fatalf("the error quotes the input: %v", err)
			}
			return
		}
		if !strings.Contains(s, "$") && got != s {
			t.Fatalf("expand(%q) = %q: text without $ changed", s, got)
		}
		if !strings.Contains(s, "${") && strings.Count(got, "$") > strings.Count(s, "$") {
			t.Fatalf("expand(%q) = %q: more $ than written", s, got)
		}
	})
}

// TestPairedSettingsNamedWhereSet: settings that need each other are named
// by the file's key and line when the file set them, by the variable when
// the environment did.
func TestPairedSettingsNamedWhereSet(t *testing.T) {
	_, err := loadYAML(t, "addr: \":0\"\nwebhook_url: https://crm.example.com/hook\n", nil)
	if err == nil || err.Error() != "config: webhook_url (linkwatch.yaml line 2) and LINKWATCH_WEBHOOK_SECRET go together" {
		t.Errorf("webhook_url alone: %v", err)
	}
	_, err = loadYAML(t, "smtp_addr: smtp.example.com:587\n\nsmtp_from: status@example.com\nsmtp_password: hunter2-smtp-password\n", nil)
	if err == nil || err.Error() != "config: LINKWATCH_SMTP_USERNAME and smtp_password (linkwatch.yaml line 4) go together" ||
		strings.Contains(err.Error(), "hunter2") {
		t.Errorf("smtp_password alone: %v", err)
	}
}
