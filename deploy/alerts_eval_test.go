package deploy

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/promql/promqltest"
)

// series is one loaded series: its labels and a value a minute from time 0.
type series struct {
	labels string
	values []float64
}

// counter is a counter growing by perMinute(m) in each minute m.
func counter(labels string, minutes int, perMinute func(m int) float64) series {
	s := series{labels: labels, values: make([]float64, minutes+1)}
	for m := 1; m <= minutes; m++ {
		s.values[m] = s.values[m-1] + perMinute(m)
	}
	return s
}

// firstFiring evaluates an alert of the PrometheusRule (its recording
// rules inlined) over the series every minute, as Prometheus would, and
// returns the minute it first fires — its expression true for its whole
// `for` — or -1.
func firstFiring(t *testing.T, rs ruleSet, name, severity string, minutes int, data ...series) int {
	t.Helper()
	a := findAlert(t, rs, name, severity)
	var load strings.Builder
	load.WriteString("load 1m\n")
	for _, s := range data {
		fmt.Fprintf(&load, "  %s", s.labels)
		for _, v := range s.values {
			fmt.Fprintf(&load, " %g", v)
		}
		load.WriteString("\n")
	}
	st := promqltest.LoadedStorage(t, load.String())
	eng := promqltest.NewTestEngine(t, false, 5*time.Minute, 50_000_000)
	q, err := eng.NewRangeQuery(context.Background(), st, nil, inline(rs, a.Expr.String()),
		time.Unix(0, 0), time.Unix(0, 0).Add(time.Duration(minutes)*time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	res := q.Exec(context.Background())
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	m, err := res.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	var hold time.Duration
	if a.For != nil {
		d, err := time.ParseDuration(string(*a.For))
		if err != nil {
			t.Fatal(err)
		}
		hold = d
	}
	first := -1
	step := time.Minute.Milliseconds()
	for _, s := range m {
		since, prev := int64(-1), int64(-1)
		for _, p := range s.Floats {
			if since < 0 || p.T-prev > step {
				since = p.T // pending from here: a gap resets it
			}
			prev = p.T
			if time.Duration(p.T-since)*time.Millisecond >= hold {
				if minute := int(p.T / step); first < 0 || minute < first {
					first = minute
				}
				break
			}
		}
	}
	t.Logf("%s (%s) first fires at minute %d", name, severity, first)
	return first
}

func findAlert(t *testing.T, rs ruleSet, name, severity string) monitoringv1.Rule {
	t.Helper()
	for _, a := range rs.alerts {
		if a.Alert == name && a.Labels["severity"] == severity {
			return a.Rule
		}
	}
	t.Fatalf("no %s alert %s", severity, name)
	return monitoringv1.Rule{}
}

var recordName = regexp.MustCompile(`linkwatch:[a-z_]+:[a-z_0-9]+`)

// inline replaces recording rules' names by their expressions.
func inline(rs ruleSet, expr string) string {
	return recordName.ReplaceAllStringFunc(expr, func(name string) string {
		if q, ok := rs.records[name]; ok {
			return "(" + q.expr + ")"
		}
		return name
	})
}

// TestAlertsFire evaluates the PrometheusRule's alerts on made-up histories
// with Prometheus's own engine: each pages when it should, and not when it
// should not.
func TestAlertsFire(t *testing.T) {
	rs := loadRules(t, render(t, "single-region"))
	const rps = 1000 * 60 // redirects a minute
	redirects := func(code string, perMinute func(int) float64, minutes int) series {
		return counter(fmt.Sprintf(`linkwatch_redirects_total{job="linkwatch-redirector",namespace="lw",pod="r",code=%q}`, code), minutes, perMinute)
	}
	t.Run("a 5-minute total outage pages", func(t *testing.T) {
		const minutes = 120
		outage := func(m int) bool { return m > 90 && m <= 95 }
		got := firstFiring(t, rs, "LinkwatchRedirectErrorBudgetBurn", "critical", minutes,
			redirects("302", func(m int) float64 {
				if outage(m) {
					return 0
				}
				return rps
			}, minutes),
			redirects("503", func(m int) float64 {
				if outage(m) {
					return rps
				}
				return 0
			}, minutes))
		if got < 91 || got > 98 {
			t.Errorf("paged at minute %d, want within minutes of the outage (91-95)", got)
		}
	})
	t.Run("errors within the budget never alert", func(t *testing.T) {
		const minutes = 4 * 24 * 60
		ok := redirects("302", func(int) float64 { return rps * 0.9995 }, minutes)
		bad := redirects("503", func(int) float64 { return rps * 0.0005 }, minutes)
		for _, sev := range []string{"critical", "warning"} {
			if got := firstFiring(t, rs, "LinkwatchRedirectErrorBudgetBurn", sev, minutes, ok, bad); got >= 0 {
				t.Errorf("%s fired at minute %d on 0.05 %% errors (half the budget)", sev, got)
			}
		}
	})
	t.Run("twice the budget for days opens a ticket, no page", func(t *testing.T) {
		const minutes = 4 * 24 * 60
		ok := redirects("302", func(int) float64 { return rps * 0.998 }, minutes)
		bad := redirects("503", func(int) float64 { return rps * 0.002 }, minutes)
		if got := firstFiring(t, rs, "LinkwatchRedirectErrorBudgetBurn", "warning", minutes, ok, bad); got < 0 {
			t.Error("no ticket on 0.2 % errors for four days")
		}
		if got := firstFiring(t, rs, "LinkwatchRedirectErrorBudgetBurn", "critical", minutes, ok, bad); got >= 0 {
			t.Errorf("paged at minute %d on 0.2 %% errors", got)
		}
	})
	t.Run("five minutes of slow redirects page", func(t *testing.T) {
		const minutes = 120
		slow := func(m int) bool { return m > 90 && m <= 95 }
		labels := `{job="linkwatch-redirector",namespace="lw",pod="r",route="/{slug}",code="302"`
		fast := counter("linkwatch_http_request_duration_seconds_bucket"+labels+`,le="0.1"}`, minutes, func(m int) float64 {
			if slow(m) {
				return 0
			}
			return rps
		})
		all := counter("linkwatch_http_request_duration_seconds_count"+labels+"}", minutes, func(int) float64 { return rps })
		if got := firstFiring(t, rs, "LinkwatchRedirectLatencyBudgetBurn", "critical", minutes, fast, all); got < 91 || got > 98 {
			t.Errorf("paged at minute %d, want within minutes of the slowdown (91-95)", got)
		}
		steady := counter("linkwatch_http_request_duration_seconds_bucket"+labels+`,le="0.1"}`, minutes, func(int) float64 { return rps })
		if got := firstFiring(t, rs, "LinkwatchRedirectLatencyBudgetBurn", "critical", minutes, steady, all); got >= 0 {
			t.Errorf("paged at minute %d with every redirect fast", got)
		}
	})
	t.Run("the seed incident pages before the pool is exhausted", func(t *testing.T) {
		// 85 % for 10 minutes, then 85 → 100 % over 3 minutes (minutes 10-13).
		const minutes = 20
		util := series{labels: `linkwatch_db_pool_utilization{namespace="lw",pod="c"}`}
		for m := 0; m <= minutes; m++ {
			util.values = append(util.values, min(0.85+0.05*float64(max(m-10, 0)), 1))
		}
		got := firstFiring(t, rs, "LinkwatchDBPoolSaturation", "critical", minutes, util)
		if got < 0 || got >= 13 {
			t.Errorf("paged at minute %d; the pool is full at minute 13", got)
		}
	})
	t.Run("a busy but steady pool does not page", func(t *testing.T) {
		const minutes = 60
		util := series{labels: `linkwatch_db_pool_utilization{namespace="lw",pod="c"}`}
		for m := 0; m <= minutes; m++ {
			util.values = append(util.values, 0.9+0.02*float64(m%2))
		}
		if got := firstFiring(t, rs, "LinkwatchDBPoolSaturation", "critical", minutes, util); got >= 0 {
			t.Errorf("paged at minute %d on a pool steady at 90-92 %%", got)
		}
	})
	t.Run("a database outage pages, a blip does not", func(t *testing.T) {
		const minutes = 30
		up := func(down func(int) bool) series {
			s := series{labels: `linkwatch_db_up{job="linkwatch-control",namespace="lw",pod="c"}`}
			for m := 0; m <= minutes; m++ {
				v := 1.0
				if down(m) {
					v = 0
				}
				s.values = append(s.values, v)
			}
			return s
		}
		if got := firstFiring(t, rs, "LinkwatchDatabaseUnreachable", "critical", minutes, up(func(m int) bool { return m >= 10 && m < 20 })); got < 11 || got > 12 {
			t.Errorf("paged at minute %d, want a minute after the outage began (10)", got)
		}
		if got := firstFiring(t, rs, "LinkwatchDatabaseUnreachable", "critical", minutes, up(func(m int) bool { return m == 10 })); got >= 0 {
			t.Errorf("paged at minute %d on one failed scrape", got)
		}
	})
	t.Run("a dropped scan warns", func(t *testing.T) {
		const minutes = 30
		drops := counter(`linkwatch_scans_dropped_total{namespace="lw",pod="r"}`, minutes, func(m int) float64 {
			if m == 20 {
				return 5
			}
			return 0
		})
		if got := firstFiring(t, rs, "LinkwatchScanQueueDrops", "warning", minutes, drops); got < 20 || got > 21 {
			t.Errorf("warned at minute %d, want at the drops (20)", got)
		}
	})
	t.Run("a silent region warns", func(t *testing.T) {
		const minutes = 90
		checks := func(region string, until int) series {
			return counter(fmt.Sprintf(`linkwatch_probe_results_total{job="linkwatch-prober",namespace="lw",pod="p-%s",region=%q,error_class="ok"}`, region, region),
				minutes, func(m int) float64 {
					if m > until {
						return 0
					}
					return 100
				})
		}
		got := firstFiring(t, rs, "LinkwatchProberSilent", "warning", minutes, checks("eu-west", minutes), checks("us-east", 40))
		if got < 41 || got > 60 {
			t.Errorf("warned at minute %d, want within 20 minutes of us-east's last check (40)", got)
		}
	})
}
