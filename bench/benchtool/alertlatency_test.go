package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	s := func(n int) []time.Duration {
		d := make([]time.Duration, n)
		for i := range d {
			d[i] = time.Duration(i+1) * time.Second
		}
		return d
	}
	for _, tc := range []struct {
		n    int
		p    float64
		want time.Duration
	}{
		{1, 95, 1 * time.Second},
		{5, 95, 5 * time.Second},   // fewer than 20: the maximum
		{19, 95, 19 * time.Second}, // still the maximum
		{20, 95, 19 * time.Second}, // ⌈19⌉: the 19th
		{100, 95, 95 * time.Second},
		{5, 50, 3 * time.Second},
		{10, 50, 5 * time.Second}, // nearest rank, not the mean of the middle two
	} {
		if got := percentile(s(tc.n), tc.p); got != tc.want {
			t.Errorf("p%v of 1..%d s = %v, want %v", tc.p, tc.n, got, tc.want)
		}
	}
}

func TestUserAgentRegion(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (iPhone) Safari/604.1 LinkwatchProber/1 (region=eu-west)": "eu-west",
		"Mozilla/5.0 (iPhone) Safari/604.1 LinkwatchProber/1 (region=)":        "",
		"curl/8.5.0":                         "",
		"x (region=us-east":                  "us-east",
		"x (region=ap-south) (region=other)": "ap-south",
	} {
		if got := userAgentRegion(ua); got != want {
			t.Errorf("userAgentRegion(%q) = %q, want %q", ua, got, want)
		}
	}
}

func FuzzUserAgentRegion(f *testing.F) {
	f.Add("LinkwatchProber/1 (region=eu-west)")
	f.Add("(region=")
	f.Fuzz(func(t *testing.T, ua string) {
		r := userAgentRegion(ua)
		if strings.Contains(r, ")") || r != "" && !strings.Contains(ua, "(region="+r) {
			t.Errorf("userAgentRegion(%q) = %q", ua, r)
		}
	})
}

// A trial that never paged fails its interval whatever the others did, and
// the target is the interval plus 10 s at p95.
func TestAlertSummary(t *testing.T) {
	c := alertConfig{intervals: []time.Duration{10 * time.Second, time.Minute}}
	paged := func(d time.Duration) trial { return trial{detect: d, resolve: time.Second} }
	for _, tc := range []struct {
		name   string
		trials [][]trial
		pass   bool
		want   []string
		p95    map[string]float64 // the fragment's p95 figures by interval; absent: none
	}{
		{"met", [][]trial{{paged(12 * time.Second), paged(20 * time.Second)}, {paged(70 * time.Second)}}, true,
			[]string{"10s       2/2    12.00s  12.00s  20.00s  20.00s  <= 20.00s", "PASS"},
			map[string]float64{"10s": 20, "1m0s": 70}},
		{"slow at p95", [][]trial{{paged(12 * time.Second), paged(21 * time.Second)}, {paged(30 * time.Second)}}, false,
			[]string{"21.00s  <= 20.00s                FAIL"}, map[string]float64{"10s": 21, "1m0s": 30}},
		{"never paged", [][]trial{{paged(5 * time.Second)}, {paged(30 * time.Second), {}}}, false,
			[]string{"1m0s      1/2    30.00s  30.00s  never  never  <= 70.00s                FAIL"}, map[string]float64{"10s": 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			frag := &fragment{}
			if got := alertSummary(&out, c, tc.trials, newFakeSlack(), frag); got != tc.pass {
				t.Errorf("pass = %v, want %v", got, tc.pass)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("summary lacks %q:\n%s", w, out.String())
				}
			}
			s := section{figures: frag.figures}
			if err := checkBaselines(&s); err != nil {
				t.Error(err)
			}
			for _, iv := range []string{"10s", "1m0s"} {
				f := s.find(iv+": p95", "detection")
				want, ok := tc.p95[iv]
				switch {
				case ok && (f == nil || f.value != want || f.baseline != iv+": the check interval"):
					t.Errorf("%s p95 figure %+v, want %v s against the interval", iv, f, want)
				case !ok && f != nil:
					t.Errorf("%s p95 figure %+v, want none (never paged)", iv, f)
				}
			}
		})
	}
}
