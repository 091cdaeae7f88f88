package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const goBenchOutput = `goos: linux
goarch: amd64
pkg: github.com/linkwatch/linkwatch/redirector
cpu: Test CPU 9000
BenchmarkHandler/baseline-2         	 1000000	       100.0 ns/op	      16 B/op	       1 allocs/op
BenchmarkHandler/linkwatch-2        	  200000	       700.0 ns/op	     512 B/op	       5 allocs/op
PASS
ok  	github.com/linkwatch/linkwatch/redirector	3.1s
pkg: github.com/linkwatch/linkwatch/storage/sqlite
BenchmarkInsertScans-2   	       5	 71000000 ns/op	     70000 scans/s	 1000 B/op	 10 allocs/op
pkg: github.com/linkwatch/linkwatch/bench/baseline
BenchmarkSQLiteInsert-2   	       5	 50000000 ns/op	    100000 rows/s
BenchmarkPNGDecode-2   	       5	 1000 ns/op
pkg: github.com/linkwatch/linkwatch/qrcode
BenchmarkDecode-2   	       5	 4000 ns/op
BenchmarkSVG-2   	       5	 3000 ns/op
--- FAIL: BenchmarkBroken
`

func TestParseGoBench(t *testing.T) {
	s := section{name: "go"}
	if err := parseGoBench(&s, []byte(goBenchOutput)); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		metric, unit, baseline string
		value                  float64
	}{
		"redirector.Handler/baseline":  {"time/op", "ns/op", "", 100},
		"redirector.Handler/linkwatch": {"time/op", "ns/op", "redirector.Handler/baseline", 700},
		"storage/sqlite.InsertScans":   {"rate", "scans/s", "bench/baseline.SQLiteInsert", 70000},
		"bench/baseline.SQLiteInsert":  {"rate", "rows/s", "", 100000},
		"bench/baseline.PNGDecode":     {"time/op", "ns/op", "", 1000},
		"qrcode.Decode":                {"time/op", "ns/op", "bench/baseline.PNGDecode", 4000},
		"qrcode.SVG":                   {"time/op", "ns/op", "", 3000},
	}
	if len(s.figures) != len(want) {
		t.Errorf("%d figures, want %d: %+v", len(s.figures), len(want), s.figures)
	}
	for _, f := range s.figures {
		w, ok := want[f.subject]
		if !ok {
			t.Errorf("unexpected figure %q", f.subject)
			continue
		}
		if f.metric != w.metric || f.unit != w.unit || f.baseline != w.baseline || f.value != w.value {
			t.Errorf("%s = %s %v %s baseline %q, want %s %v %s baseline %q", f.subject, f.metric, f.value, f.unit, f.baseline,
				w.metric, w.value, w.unit, w.baseline)
		}
	}
	if f := s.find("redirector.Handler/linkwatch", "time/op"); f == nil || f.details != "700 ns/op, 512 B/op, 5 allocs/op" {
		t.Errorf("details of Handler/linkwatch: %+v", f)
	}
	if len(s.notes) != 1 || !strings.Contains(s.notes[0], "Test CPU 9000") {
		t.Errorf("notes %q, want the cpu line", s.notes)
	}
}

// With -count 3 each benchmark's figure is its median run, whole.
func TestParseGoBenchMedianOfRuns(t *testing.T) {
	out := `pkg: github.com/linkwatch/linkwatch/redirector
BenchmarkHandler/baseline-2   100   300 ns/op   16 B/op
BenchmarkHandler/baseline-2   100   100 ns/op   17 B/op
BenchmarkHandler/baseline-2   100   200 ns/op   18 B/op
pkg: github.com/linkwatch/linkwatch/storage/sqlite
BenchmarkInsertScans-2   5   1 ns/op   70000 scans/s
BenchmarkInsertScans-2   5   1 ns/op   90000 scans/s
`
	s := section{name: "go"}
	if err := parseGoBench(&s, []byte(out)); err != nil {
		t.Fatal(err)
	}
	if len(s.figures) != 2 {
		t.Fatalf("figures %+v, want one per benchmark", s.figures)
	}
	if f := s.figures[0]; f.value != 200 || f.details != "median of 3 runs, 200 ns/op, 18 B/op" {
		t.Errorf("Handler/baseline = %v (%s), want the median run, 200 ns/op with its 18 B/op", f.value, f.details)
	}
	if f := s.figures[1]; f.value != 70000 {
		t.Errorf("InsertScans = %v, want the lower middle of two runs, 70000", f.value)
	}
}

func TestParseGoBenchWithoutResultsIsAnError(t *testing.T) {
	var s section
	if err := parseGoBench(&s, []byte("PASS\nok  \tx\t0.1s\n")); err == nil {
		t.Error("output without a benchmark line parsed without error")
	}
}

func TestParseTSV(t *testing.T) {
	frag := "# title\tRedirects\n# note\twrk on the same cores\n# date\t2026-12-07T10:00:00Z\n# a comment\n\n" +
		"baseline\treq/s\t30000\treq/s\t\t\t\n" +
		"sqlite\treq/s\t27000\treq/s\tbaseline\tratio>=0.9\tp50 1.9 ms\n" +
		"sqlite\tp99\t14\tms\t\t<=5\n"
	var s section
	if err := parseTSV(&s, []byte(frag)); err != nil {
		t.Fatal(err)
	}
	if s.title != "Redirects" || len(s.notes) != 1 || !s.measured.Equal(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("headers: %q %q %v", s.title, s.notes, s.measured)
	}
	if len(s.figures) != 3 || s.figures[1].baseline != "baseline" || s.figures[1].details != "p50 1.9 ms" || s.figures[2].target != "<=5" {
		t.Errorf("figures: %+v", s.figures)
	}
}

func TestParseTSVErrors(t *testing.T) {
	for name, frag := range map[string]string{
		"few fields":       "a\treq/s\t1\treq/s\n",
		"many fields":      "a\treq/s\t1\treq/s\t\t\t\textra\n",
		"not a number":     "a\treq/s\tfast\treq/s\t\t\n",
		"no subject":       "\treq/s\t1\treq/s\t\t\n",
		"unknown baseline": "a\treq/s\t1\treq/s\tb\t\n",
		"other metric":     "b\tp99\t1\tms\t\t\na\treq/s\t1\treq/s\tb\t\n",
		"bad date":         "# date\tyesterday\na\treq/s\t1\treq/s\t\t\n",
	} {
		var s section
		err := parseTSV(&s, []byte(frag))
		if err == nil {
			t.Errorf("%s: parsed without error", name)
		} else if !strings.Contains(err.Error(), "line") && name != "unknown baseline" && name != "other metric" {
			t.Errorf("%s: error %q names no line", name, err)
		}
	}
}

func TestTargetVerdict(t *testing.T) {
	for _, tc := range []struct {
		target   string
		value    float64
		unit     string
		ratio    float64
		hasRatio bool
		want     string
	}{
		{"", 1, "ms", 0, false, "—"},
		{">=5000", 14000, "req/s", 0, false, ">= 5,000 req/s: met"},
		{">=5000", 4000, "req/s", 0, false, ">= 5,000 req/s: **not met**"},
		{"<= 5", 14, "ms", 0, false, "<= 5 ms: **not met**"},
		{"ratio>=0.90", 1, "req/s", 0.95, true, "ratio >= 0.9: met"},
		{"ratio>=0.90", 1, "req/s", 0.85, true, "ratio >= 0.9: **not met**"},
		{"ratio>=0.90", 1, "req/s", 0, false, "ratio>=0.90: no ratio"},
		{"every minute", 1, "", 0, false, "every minute"},
		{">=fast", 1, "", 0, false, ">=fast"},
	} {
		if got := targetVerdict(tc.target, tc.value, tc.unit, tc.ratio, tc.hasRatio); got != tc.want {
			t.Errorf("targetVerdict(%q, %v %s, %v) = %q, want %q", tc.target, tc.value, tc.unit, tc.ratio, got, tc.want)
		}
	}
}

func TestCPUInfo(t *testing.T) {
	data := "processor\t: 0\nmodel name\t: AMD EPYC 7763\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7763\n"
	if model, cores := cpuInfo(data, 8); model != "AMD EPYC 7763" || cores != 2 {
		t.Errorf("cpuInfo = %q, %d", model, cores)
	}
	if model, cores := cpuInfo("", 8); model != "unknown" || cores != 8 {
		t.Errorf("cpuInfo of nothing = %q, %d", model, cores)
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v          float64
		unit, want string
	}{{388.6, "ns/op", "388.6 ns/op"}, {3436, "ns/op", "3.44 µs/op"}, {427780643, "ns/op", "427.78 ms/op"}, {2.5e9, "ns/op", "2.50 s/op"},
		{89227, "scans/s", "89,227 scans/s"}} {
		if got := formatValue(tc.v, tc.unit); got != tc.want {
			t.Errorf("formatValue(%v, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.0123: "0.0123", 1.5: "1.50", 16: "16", 123.45: "123.5", 1234: "1,234", 31789.4: "31,789", 1234567: "1,234,567", -2500: "-2,500"} {
		if got := formatNumber(v); got != want {
			t.Errorf("formatNumber(%v) = %q, want %q", v, got, want)
		}
	}
}

// The whole command: fragments in a directory, results.md out, sections
// in make bench's order, ratios against the in-run baselines.
func TestSummaryCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(out, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("statuspage.tsv", "# title\tStatus page\n# note\twrk shares the cores.\nstylesheet\treq/s\t50000\treq/s\t\t\n/status\treq/s\t14000\treq/s\tstylesheet\t>=5000\n")
	write("go.gobench", goBenchOutput)
	write("redirect.tsv", "# title\tRedirects | wrk\nmap\treq/s\t30000\treq/s\t\t\nsqlite\treq/s\t27000\treq/s\tmap\tratio>=0.90\n"+
		"map\tp99\t10\tms\t\t\nsqlite\tp99\t14\tms\tmap\t<=5\n")
	write("ignored.txt", "not a fragment")
	results := filepath.Join(dir, "results.md")
	var stdout bytes.Buffer
	if err := summaryCmd([]string{"--out", out, "--results", results}, &stdout); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	md := string(data)
	for _, want := range []string{
		"cores", "Machine: ",
		"| redirector.Handler/linkwatch | 700 ns/op | redirector.Handler/baseline | 100 ns/op | 7.000 |",
		"| redirector.Handler/baseline | 100 ns/op | (is the baseline) | — | 1.000 |",
		"| storage/sqlite.InsertScans | 70,000 scans/s | bench/baseline.SQLiteInsert | 100,000 rows/s | 0.700 |",
		"| sqlite | 27,000 req/s | map | 30,000 req/s | 0.900 | ratio >= 0.9: met |",
		"| /status | 14,000 req/s | stylesheet | 50,000 req/s | 0.280 | >= 5,000 req/s: met |",
		"## Redirects | wrk",
		"\nWrk shares the cores.\n",
		"| sqlite (p99) | 14 ms | map | 10 ms | 1.400 | <= 5 ms: **not met** |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
	goAt, redirectAt, statusAt := strings.Index(md, "## Go benchmarks"), strings.Index(md, "## Redirects"), strings.Index(md, "## Status page")
	if goAt < 0 || !(goAt < redirectAt && redirectAt < statusAt) {
		t.Errorf("sections out of order: go %d, redirect %d, status page %d", goAt, redirectAt, statusAt)
	}
	if !strings.Contains(stdout.String(), "3 sections") {
		t.Errorf("stdout %q", stdout.String())
	}

	write("broken.tsv", "a\treq/s\tfast\treq/s\t\t\n")
	if err := summaryCmd([]string{"--out", out, "--results", results}, &stdout); err == nil || !strings.Contains(err.Error(), "broken.tsv") {
		t.Errorf("a malformed fragment: %v, want an error naming it", err)
	}
}

func TestSummaryWithoutFragments(t *testing.T) {
	results := filepath.Join(t.TempDir(), "results.md")
	if err := summaryCmd([]string{"--out", filepath.Join(t.TempDir(), "none"), "--results", results}, new(bytes.Buffer)); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(results); !strings.Contains(string(data), "No fragments") {
		t.Errorf("results.md without fragments:\n%s", data)
	}
}
