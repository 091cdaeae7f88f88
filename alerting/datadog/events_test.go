package datadog

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/linkwatch/linkwatch/alerting"
)

var (
	firedAt    = time.Date(2025, 3, 14, 9, 20, 0, 0, time.UTC)
	notifiedAt = time.Date(2025, 3, 14, 9, 27, 30, 0, time.UTC)
)

// notification is a link_down alert on one link of the spring campaign.
func notification(kind, severity string) alerting.Notification {
	return alerting.Notification{
		ID:        "n-" + kind + "-" + severity,
		DedupeKey: "link_down/link:1",
		Kind:      kind,
		Rule:      "link_down",
		Severity:  severity,
		Summary:   "spring-sale is down in 2 of 3 regions",
		Labels:    map[string]string{"team": "Payments", "_owner": "growth|ops"},
		Since:     firedAt,
		At:        notifiedAt,
		Alerts: []alerting.Alert{{
			Link: "spring-sale", ShortURL: "https://lw.example/spring-sale", Destination: "https://private.example/secret-landing",
			Tags: []string{"Spring 2025", "print"}, Regions: []string{"eu-west", "us-east"},
			ErrorClass: "dns", Error: "lookup shop.example: no such host", HealthURL: "https://lw.example/api/v1/links/spring-sale/health",
		}},
		StatusURL:  "https://lw.example/status",
		RunbookURL: "https://runbooks.example/link_down",
		SilenceURL: "https://linkwatch.example/silences/new?rule=link_down",
	}
}

func TestNotifyDogStatsD(t *testing.T) {
	tests := []struct {
		kind, severity string
		title          string
		alertType      string
	}{
		{alerting.KindFiring, alerting.SeverityCritical, "[FIRING critical] link_down: spring-sale is down in 2 of 3 regions", "error"},
		{alerting.KindFiring, alerting.SeverityWarning, "[FIRING warning] link_down: spring-sale is down in 2 of 3 regions", "warning"},
		{alerting.KindFiring, alerting.SeverityInfo, "[FIRING info] link_down: spring-sale is down in 2 of 3 regions", "info"},
		{alerting.KindRepeat, alerting.SeverityCritical, "[STILL FIRING critical] link_down: spring-sale is down in 2 of 3 regions", "error"},
		{alerting.KindResolved, alerting.SeverityCritical, "[RESOLVED] link_down: spring-sale is down in 2 of 3 regions", "success"},
	}
	a := listenUDP(t)
	c := newTestClient(t, Config{Addr: a.addr, Tags: []string{"service:linkwatch", "env:prod"}})
	c.now = func() time.Time { return notifiedAt.Add(time.Second) }
	var all []datagram
	for _, tt := range tests {
		n := notification(tt.kind, tt.severity)
		d, err := c.Notify(context.Background(), n, "")
		if err != nil || d != (alerting.Delivery{}) {
			t.Fatalf("%s %s: Notify = %+v, %v", tt.kind, tt.severity, d, err)
		}
		got := a.read(1)
		all = append(all, got...)
		ev := find(t, got, "event", tt.title)
		if ev.Fields["t"] != tt.alertType {
			t.Errorf("%s %s: alert type %q, want %q", tt.kind, tt.severity, ev.Fields["t"], tt.alertType)
		}
		if ev.Fields["k"] != n.DedupeKey {
			t.Errorf("aggregation key %q, want %q", ev.Fields["k"], n.DedupeKey)
		}
		if ev.Fields["d"] != fmt.Sprint(notifiedAt.Unix()) {
			t.Errorf("timestamp %q, want %d", ev.Fields["d"], notifiedAt.Unix())
		}
		assertTags(t, ev, []string{"service:linkwatch", "env:prod", "team:payments", "owner:growth_ops",
			"rule:link_down", "severity:" + tt.severity, "link:spring-sale", "tag:spring_2025", "tag:print"})
		for _, want := range []string{n.Summary, "regions eu-west, us-east", "dns: lookup shop.example", n.RunbookURL, "https://lw.example/spring-sale"} {
			if !strings.Contains(ev.Text, want) {
				t.Errorf("text %q lacks %q", ev.Text, want)
			}
		}
		if strings.Contains(ev.Text, "private.example") {
			t.Errorf("text %q shows the destination", ev.Text)
		}
	}
	compareGolden(t, "testdata/events.golden", formatDatagrams(all))
}

// A grouped notification of many links must still fit one UDP datagram:
// datadog-go refuses a larger message.
func TestNotifyDogStatsDLargeGroup(t *testing.T) {
	a := listenUDP(t)
	c := newTestClient(t, Config{Addr: a.addr, Tags: []string{"service:linkwatch"}})
	n := notification(alerting.KindFiring, alerting.SeverityCritical)
	n.Summary = strings.Repeat("fifty links of the spring campaign are down ", 5)
	n.DedupeKey = strings.Repeat("link_down/tag:spring-2025/", 10)
	for i := range 50 {
		n.Alerts = append(n.Alerts, alerting.Alert{Link: fmt.Sprintf("spring-%02d", i), Tags: []string{fmt.Sprintf("campaign-%02d", i)}, Regions: []string{"eu-west"}, ErrorClass: "connect", Error: "connection refused\nby peer"})
	}
	d, err := c.Notify(context.Background(), n, "")
	if err != nil || d.Retry {
		t.Fatalf("Notify = %+v, %v", d, err)
	}
	ev := a.read(1)[0]
	if ev.Kind != "event" || len(ev.Name) > maxTitle || !strings.HasSuffix(ev.Name, "…") {
		t.Errorf("title %q (%d bytes) not cut to %d", ev.Name, len(ev.Name), maxTitle)
	}
	if !strings.HasSuffix(ev.Text, "…") || !strings.HasPrefix(ev.Text, n.Summary) {
		t.Errorf("text not cut: %q", ev.Text)
	}
	if k := ev.Fields["k"]; len(k) != maxAggregationKey || k == aggregationKey(n.DedupeKey+"x") {
		t.Errorf("aggregation key %q: want %d bytes, distinct from a longer key's", k, maxAggregationKey)
	}
	if got := len(ev.Tags); got != maxAlertTags+5 { // + service, 2 labels, rule, severity
		t.Errorf("%d tags, want %d", got, maxAlertTags+5)
	}
}

func TestTruncateEscaped(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"a\nb", 4, "a\nb"},
		{"a\nb", 3, "…"}, // the escaped "a\\nb" is 4 bytes
		{"a\nbcd", 6, "a\nbcd"},
		{"a\nbcd", 5, "a…"}, // "a\\n…" would be 6
		{"héllo", 5, "h…"},  // é is two bytes
		{"xyz", 2, ""},
		{"x", 0, ""},
	} {
		got := truncateEscaped(tt.in, tt.n)
		if got != tt.want {
			t.Errorf("truncateEscaped(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if len(got)+strings.Count(got, "\n") > max(tt.n, 0) || !utf8.ValidString(got) {
			t.Errorf("truncateEscaped(%q, %d) = %q: too long or invalid", tt.in, tt.n, got)
		}
	}
}
