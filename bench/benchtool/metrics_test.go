package main

import (
	"math"
	"strings"
	"testing"
)

const page = `# HELP linkwatch_probe_results_total Check results.
# TYPE linkwatch_probe_results_total counter
linkwatch_probe_results_total{error_class="ok",region="bench"} 9990
linkwatch_probe_results_total{error_class="timeout",region="bench"} 10
linkwatch_probe_schedule_lag_seconds_bucket{le="0.001"} 50
linkwatch_probe_schedule_lag_seconds_bucket{le="0.002"} 90
linkwatch_probe_schedule_lag_seconds_bucket{le="0.004"} 100
linkwatch_probe_schedule_lag_seconds_bucket{le="+Inf"} 100
linkwatch_probe_schedule_lag_seconds_sum 0.1
linkwatch_probe_schedule_lag_seconds_count 100
odd{a="x \"q\" y",b="1,}"} 2 1700000000
linkwatch_probe_jobs 10000
`

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.sum("linkwatch_probe_results_total"); got != 10000 {
		t.Errorf("results = %v, want 10000", got)
	}
	if got := m.by("linkwatch_probe_results_total", "error_class")["timeout"]; got != 10 {
		t.Errorf("timeouts = %v, want 10", got)
	}
	if got := m.sum("odd", "a", `x "q" y`, "b", "1,}"); got != 2 {
		t.Errorf("odd = %v, want 2", got)
	}
	if got := m.sum("linkwatch_probe_jobs"); got != 10000 {
		t.Errorf("jobs = %v, want 10000", got)
	}
	h := m.hist("linkwatch_probe_schedule_lag_seconds")
	for _, tc := range []struct{ q, want float64 }{{0.5, 0.001}, {0.25, 0.0005}, {0.7, 0.0015}, {0.99, 0.0038}} {
		if got, over, ok := h.quantile(tc.q); !ok || over || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("quantile(%v) = %v, %v, %v; want %v", tc.q, got, over, ok, tc.want)
		}
	}
	h[math.Inf(1)] = 200 // 100 observations above 4ms
	if got, over, _ := h.quantile(0.99); !over || got != 0.004 {
		t.Errorf("quantile(0.99) in +Inf = %v, over %v; want 0.004, over", got, over)
	}
	if _, _, ok := h.minus(h).quantile(0.5); ok {
		t.Error("empty window has a quantile")
	}
}

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -2500: "-2,500"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
}
