package datadog

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var checkedAt = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func TestRecordResult(t *testing.T) {
	global := []string{"service:linkwatch", "env:prod"}
	tests := []struct {
		name     string
		result   linkwatch.Result
		target   string
		tags     []string
		duration string // "" when no duration is sent
		success  string
		check    string
		status   int
		message  string
		want     []string // tags of every message
		class    string   // error_class tag of the metrics
	}{
		{
			name:   "ok link",
			result: linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: 1}, Region: "eu-west", At: checkedAt, Step: linkwatch.StepDestination, Status: 200, Phases: linkwatch.Phases{Total: 123456789}},
			target: "Spring-Sale", tags: []string{"Spring 2025", "print"},
			duration: "123.456789", success: "1", check: ServiceCheckLinkUp, status: 0,
			want:  []string{"service:linkwatch", "env:prod", "region:eu-west", "link:spring-sale", "tag:spring_2025", "tag:print"},
			class: "error_class:none",
		},
		{
			name:   "degraded link",
			result: linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: 2}, Region: "us-east", At: checkedAt, Degraded: true, Status: 200, Phases: linkwatch.Phases{Total: 2500 * time.Millisecond}},
			target: "slow", tags: []string{"print"},
			duration: "2500", success: "1", check: ServiceCheckLinkUp, status: 1, message: "degraded: took 2.5s",
			want:  []string{"region:us-east", "link:slow", "tag:print"},
			class: "error_class:none",
		},
		{
			name:    "failing link without timing",
			result:  linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: 3}, Region: "ap-south", At: checkedAt, Step: linkwatch.StepDestination, Class: linkwatch.ClassDNS, Error: "lookup shop.example: no such host | m:x"},
			target:  "broken",
			success: "0", check: ServiceCheckLinkUp, status: 2, message: "dns: lookup shop.example: no such host / m:x",
			want:  []string{"region:ap-south", "link:broken"},
			class: "error_class:dns",
		},
		{
			name:   "failing fallback",
			result: linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindFallback, ID: 3}, Region: "ap-south", At: checkedAt, Step: linkwatch.StepDestination, Class: linkwatch.ClassHTTPStatus, Status: 503},
			target: "broken", tags: []string{"print"},
			success: "0", check: ServiceCheckFallbackUp, status: 2, message: "http_status",
			want:  []string{"region:ap-south", "fallback:broken", "tag:print"},
			class: "error_class:http_status",
		},
		{
			name:     "failing monitor",
			result:   linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindMonitor, ID: 7}, Region: "eu-west", At: checkedAt, Class: linkwatch.ClassTimeout, Error: "timed out after 10s", Phases: linkwatch.Phases{Total: 10 * time.Second}},
			target:   "Landing API",
			duration: "10000", success: "0", check: ServiceCheckMonitorUp, status: 2, message: "timeout: timed out after 10s",
			want:  []string{"region:eu-west", "monitor:landing_api"},
			class: "error_class:timeout",
		},
	}
	var golden strings.Builder
	ran := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := listenUDP(t)
			c := newTestClient(t, Config{Addr: a.addr, Tags: global})
			c.RecordResult(tt.result, tt.target, tt.tags)
			n := 2
			if tt.duration != "" {
				n = 3
			}
			got := a.read(n)

			if tt.duration != "" {
				d := find(t, got, "metric", MetricCheckDuration)
				if d.Type != "d" || d.Value != tt.duration {
					t.Errorf("duration: %s|%s, want %s|d", d.Value, d.Type, tt.duration)
				}
				assertTags(t, d, append(tt.want, tt.class))
			}
			s := find(t, got, "metric", MetricCheckSuccess)
			if s.Type != "g" || s.Value != tt.success {
				t.Errorf("success: %s|%s, want %s|g", s.Value, s.Type, tt.success)
			}
			assertTags(t, s, append(tt.want, tt.class))

			sc := find(t, got, "service_check", tt.check)
			if sc.Status != tt.status || sc.Text != tt.message {
				t.Errorf("service check: status %d %q, want %d %q", sc.Status, sc.Text, tt.status, tt.message)
			}
			if sc.Fields["d"] != fmt.Sprint(checkedAt.Unix()) {
				t.Errorf("service check timestamp %q, want %d", sc.Fields["d"], checkedAt.Unix())
			}
			assertTags(t, sc, tt.want)
			if slices.ContainsFunc(sc.Tags, func(s string) bool { return strings.HasPrefix(s, "error_class:") }) {
				t.Errorf("service check tagged %v: a new class would not replace the last status", sc.Tags)
			}

			// Close flushes everything; nothing else may have been sent.
			c.Close()
			a.assertNoMore()
			fmt.Fprintf(&golden, "# %s\n%s", tt.name, formatDatagrams(got))
			ran++
		})
	}
	if ran == len(tests) { // not when -run picks some cases
		compareGolden(t, "testdata/record_result.golden", golden.String())
	}
}

func TestUnixSocket(t *testing.T) {
	a := listenUnixgram(t)
	c := newTestClient(t, Config{Addr: a.addr, Tags: []string{"service:linkwatch"}})
	c.RecordResult(linkwatch.Result{Target: linkwatch.Target{Kind: linkwatch.KindLink, ID: 1}, Region: "eu-west", Class: linkwatch.ClassConnect, Phases: linkwatch.Phases{Total: time.Second}}, "promo", nil)
	got := a.read(3)
	if s := find(t, got, "metric", MetricCheckSuccess); s.Value != "0" {
		t.Errorf("success over UDS = %s, want 0", s.Value)
	}
	if sc := find(t, got, "service_check", ServiceCheckLinkUp); sc.Status != 2 || !sc.hasTag("link:promo") {
		t.Errorf("service check over UDS: %+v", sc)
	}

	d, err := c.Notify(context.Background(), notification(alerting.KindFiring, alerting.SeverityCritical), "")
	if err != nil || d != (alerting.Delivery{}) {
		t.Fatalf("Notify over UDS = %+v, %v", d, err)
	}
	ev := find(t, a.read(1), "event", "[FIRING critical] link_down: spring-sale is down in 2 of 3 regions")
	if ev.Fields["t"] != "error" || ev.Fields["k"] != "link_down/link:1" || !ev.hasTag("service:linkwatch") {
		t.Errorf("event over UDS: %+v", ev)
	}
}

func TestClose(t *testing.T) {
	a := listenUDP(t)
	c := newTestClient(t, Config{Addr: a.addr})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	c.RecordResult(linkwatch.Result{Region: "eu-west"}, "promo", nil) // must not block or panic
	d, err := c.Notify(context.Background(), notification(alerting.KindFiring, alerting.SeverityWarning), "")
	if !errors.Is(err, errClosed) || !d.Retry {
		t.Errorf("Notify after Close = %+v, %v; want a retry", d, err)
	}
	a.assertNoMore()
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string // error substring, "" for success
	}{
		{Config{}, "neither a DogStatsD address nor an API key"},
		{Config{Addr: "localhost"}, `"localhost" is neither host:port`},
		{Config{Addr: "unix://"}, "has no socket path"},
		{Config{APIKey: "k", APIURL: "ftp://api.datadoghq.eu"}, "is not an http(s) URL"},
		{Config{APIKey: "k", APIURL: "api.datadoghq.eu"}, "is not an http(s) URL"},
		{Config{Addr: listenUDP(t).addr}, ""},
		{Config{Addr: "unix:///run/datadog/dsd.socket"}, ""},
		{Config{APIKey: "k"}, ""},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("New(%+v): %v", tt.cfg, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("New(%+v) = %v, want an error with %q", tt.cfg, err, tt.want)
		}
		if c != nil {
			c.RecordResult(linkwatch.Result{Region: "eu-west"}, "x", nil)
			c.Close()
		}
	}
	c, err := New(Config{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if c.eventsURL != DefaultAPIURL+"/api/v1/events" {
		t.Errorf("default events URL %s", c.eventsURL)
	}
}

// assertNoMore fails if a message arrives within a short while. It cannot
// fail a correct client, however slow the machine: it only looks for extras.
func (a *agent) assertNoMore() {
	a.t.Helper()
	a.conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	buf := make([]byte, 65536)
	if n, _, err := a.conn.ReadFrom(buf); err == nil {
		a.t.Errorf("unexpected datagram %q", buf[:n])
	}
}

func assertTags(t *testing.T, d datagram, want []string) {
	t.Helper()
	for _, tag := range want {
		if !d.hasTag(tag) {
			t.Errorf("%s %s: tags %v lack %s", d.Kind, d.Name, d.Tags, tag)
		}
	}
}

// formatDatagrams renders messages as sorted lines, for golden files.
func formatDatagrams(ds []datagram) string {
	var lines []string
	for _, d := range ds {
		var s string
		switch d.Kind {
		case "metric":
			s = fmt.Sprintf("metric %s %s|%s", d.Name, d.Value, d.Type)
		case "event":
			s = fmt.Sprintf("event %q %q alert_type=%s aggregation_key=%s", d.Name, d.Text, d.Fields["t"], d.Fields["k"])
		case "service_check":
			s = fmt.Sprintf("service_check %s status=%d message=%q", d.Name, d.Status, d.Text)
		}
		lines = append(lines, s+" #"+strings.Join(d.Tags, ","))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}
