package main

// benchtool summary renders bench/results.md from the fragments the
// benchmarks leave in bench/out/ (BENCH_OUT). Two kinds of fragment:
//
// NAME.gobench is the raw output of `go test -bench` (bench/go.sh writes
// go.gobench; `make bench-alerting` alerting-evaluate.gobench). Every benchmark becomes a figure: its rate when it
// reports one (a custom metric ending in "/s": scans/s, rows/s; not MB/s),
// otherwise its time per operation; the other numbers (ns/op, B/op,
// allocs/op, custom metrics) go into the figure's details. A benchmark's
// baseline is its sibling sub-benchmark named "baseline" (Handler/linkwatch
// against Handler/baseline), or the one goBaselines names (mostly the
// bare-library benchmarks of bench/baseline). With -count N (bench/go.sh's
// COUNT) a figure is the median of its N runs.
//
// NAME.tsv is a fragment any script can write with printf: header lines,
// then one figure per line, fields separated by one tab:
//
//	# title<TAB>Redirects: wrk -t2 -c64 -d10s, medians of 3 rounds
//	# note<TAB>any sentence worth keeping with the figures (repeatable)
//	# date<TAB>2026-12-07T23:30:00Z   (optional; otherwise the file's mtime)
//	subject<TAB>metric<TAB>value<TAB>unit<TAB>baseline<TAB>target<TAB>details
//
// value is a number. baseline (may be empty) is the subject of another line
// with the same metric: the figure is reported as value / that value.
// target (may be empty) is checked when it is one of ">=N", "<=N",
// "ratio>=N", "ratio<=N" and shown as written otherwise. details (may be
// empty or left off) are more absolute numbers, shown as written. Lines
// that are empty or start with "#" and no known header are skipped; any
// other malformed line is an error naming the file and line.
//
// Sections appear in the order of sectionOrder, then the rest by name; each
// says when its fragment was measured, so a stale one shows.

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// figure is one measured number.
type figure struct {
	subject, metric string
	value           float64
	unit            string
	baseline        string // subject of the baseline figure with the same metric; "" for none
	target          string
	details         string
}

// section is what one fragment holds.
type section struct {
	name     string // the fragment's file name without its extension
	title    string
	notes    []string
	measured time.Time
	figures  []figure
}

// sectionOrder puts the fragments `make bench` writes in the order it
// runs them; any other fragment follows, by name.
var sectionOrder = []string{"go", "redirect", "prober", "alerting-evaluate", "alerting", "statuspage", "overload"}

// goBaselines names the baseline of the Go benchmarks that have no
// "baseline" sibling. Keys and values are "<package path in the
// module>.<benchmark without the Benchmark prefix>".
var goBaselines = map[string]string{
	"prober.CheckMonitor/plain":                           "bench/baseline.HTTPGet",
	"prober.CheckMonitor/keyword":                         "bench/baseline.HTTPGet",
	"prober.CheckMonitorParallel":                         "bench/baseline.HTTPGetParallel",
	"prober.CheckLink":                                    "bench/baseline.HTTPGetRedirect",
	"storage/sqlite.InsertScans":                          "bench/baseline.SQLiteInsert",
	"storage/sqlite.InsertResults":                        "bench/baseline.SQLiteInsert",
	"storage/postgres.InsertScans":                        "bench/baseline.PostgresCopy",
	"storage/postgres.InsertResults/batch=500":            "bench/baseline.PostgresCopy",
	"storage/postgres.InsertResults/batch=5000":           "bench/baseline.PostgresCopy",
	"storage/postgres.InsertResults/batch=1000/pushers=3": "bench/baseline.PostgresCopy",
	"qrcode.PNG/size=256":                                 "bench/baseline.PNGEncode/size=256",
	"qrcode.PNG/size=1024":                                "bench/baseline.PNGEncode/size=1024",
	"qrcode.Decode":                                       "bench/baseline.PNGDecode",
	"alerting.Evaluate10kLinks":                           "alerting.Evaluate1kLinks",
}

func summaryCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	dir := fs.String("out", "bench/out", "the directory of the fragments")
	results := fs.String("results", "bench/results.md", "the file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secs, err := readSections(*dir)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	renderSummary(&buf, machineInfo(time.Now()), secs)
	if err := os.WriteFile(*results, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d sections from %s)\n", *results, len(secs), *dir)
	return nil
}

// readSections reads every fragment in dir; a missing dir is no fragments.
func readSections(dir string) ([]section, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var secs []section
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".tsv" && ext != ".gobench") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		s := section{name: strings.TrimSuffix(e.Name(), ext), measured: info.ModTime()}
		if ext == ".tsv" {
			err = parseTSV(&s, data)
		} else {
			err = parseGoBench(&s, data)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		secs = append(secs, s)
	}
	slices.SortStableFunc(secs, func(a, b section) int {
		ra, rb := rank(a.name), rank(b.name)
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a.name, b.name)
	})
	return secs, nil
}

func rank(name string) int {
	if i := slices.Index(sectionOrder, name); i >= 0 {
		return i
	}
	return len(sectionOrder)
}

func parseTSV(s *section, data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if h, ok := strings.CutPrefix(line, "# "); ok {
			key, val, _ := strings.Cut(h, "\t")
			switch key {
			case "title":
				s.title = val
			case "note":
				s.notes = append(s.notes, val)
			case "date":
				t, err := time.Parse(time.RFC3339, val)
				if err != nil {
					return fmt.Errorf("line %d: date %q is not RFC 3339", n, val)
				}
				s.measured = t
			}
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 6 || len(f) > 7 {
			return fmt.Errorf("line %d: %d fields, want 6 or 7 (subject, metric, value, unit, baseline, target[, details])", n, len(f))
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			return fmt.Errorf("line %d: value %q is not a number", n, f[2])
		}
		fig := figure{subject: f[0], metric: f[1], value: v, unit: f[3], baseline: f[4], target: f[5]}
		if len(f) == 7 {
			fig.details = f[6]
		}
		if fig.subject == "" || fig.metric == "" {
			return fmt.Errorf("line %d: no subject or metric", n)
		}
		s.figures = append(s.figures, fig)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return checkBaselines(s)
}

// checkBaselines rejects a figure whose baseline names no figure of its
// metric: a typo would otherwise print a figure without its ratio.
func checkBaselines(s *section) error {
	for _, f := range s.figures {
		if f.baseline != "" && s.find(f.baseline, f.metric) == nil {
			return fmt.Errorf("%s %s: baseline %q has no %s figure", f.subject, f.metric, f.baseline, f.metric)
		}
	}
	return nil
}

func (s *section) find(subject, metric string) *figure {
	for i := range s.figures {
		if s.figures[i].subject == subject && s.figures[i].metric == metric {
			return &s.figures[i]
		}
	}
	return nil
}

// goResult is one line of `go test -bench` output.
type goResult struct {
	name    string             // "<pkg>.<Name>" without Benchmark and -GOMAXPROCS
	metrics map[string]float64 // by unit
	units   []string           // in the order printed
}

const modulePath = "github.com/linkwatch/linkwatch"

func parseGoBench(s *section, data []byte) error {
	s.title = "Go benchmarks: " + s.name
	if s.name == "go" {
		s.title = "Go benchmarks (`make bench-go`)"
	}
	var pkg string
	var results []goResult
	for _, line := range strings.Split(string(data), "\n") {
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(p), modulePath), "/")
			if pkg == "" {
				pkg = "linkwatch"
			}
			continue
		}
		if c, ok := strings.CutPrefix(line, "cpu: "); ok && len(s.notes) == 0 {
			s.notes = append(s.notes, "The CPU as Go's benchmarks name it: "+strings.TrimSpace(c))
			continue
		}
		r, ok := parseGoLine(line)
		if !ok {
			continue
		}
		r.name = pkg + "." + r.name
		results = append(results, r)
	}
	// With -count N a benchmark has N lines: its figure is the run with the
	// median primary value.
	var order []string
	runs := map[string][]goResult{}
	for _, r := range results {
		if _, ok := runs[r.name]; !ok {
			order = append(order, r.name)
		}
		runs[r.name] = append(runs[r.name], r)
	}
	names := make(map[string]bool, len(order))
	for _, n := range order {
		names[n] = true
	}
	for _, name := range order {
		r, n := medianRun(runs[name])
		metric, unit, v := primary(r)
		var parts []string
		if n > 1 {
			parts = append(parts, fmt.Sprintf("median of %d runs", n))
		}
		for _, u := range r.units {
			parts = append(parts, formatNumber(r.metrics[u])+" "+u)
		}
		f := figure{subject: r.name, metric: metric, value: v, unit: unit, details: strings.Join(parts, ", ")}
		if b := goBaseline(r.name, names); b != "" {
			f.baseline = b
		}
		s.figures = append(s.figures, f)
	}
	// A baseline measured with another primary metric cannot give a ratio:
	// drop it rather than divide unlike numbers.
	for i, f := range s.figures {
		if f.baseline != "" && s.find(f.baseline, f.metric) == nil {
			s.figures[i].baseline = ""
		}
	}
	if len(s.figures) == 0 {
		return errors.New("no benchmark results")
	}
	return nil
}

// medianRun returns the run with the median primary value (the lower
// middle one of an even count) and how many runs there were.
func medianRun(runs []goResult) (goResult, int) {
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b goResult) int {
		_, _, va := primary(a)
		_, _, vb := primary(b)
		return cmp.Compare(va, vb)
	})
	return sorted[(len(sorted)-1)/2], len(runs)
}

// parseGoLine reads "BenchmarkX/sub-2  N  v unit  v unit ...".
func parseGoLine(line string) (goResult, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return goResult{}, false
	}
	if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
		return goResult{}, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	r := goResult{name: name, metrics: map[string]float64{}}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return goResult{}, false
		}
		r.metrics[f[i+1]] = v
		r.units = append(r.units, f[i+1])
	}
	return r, true
}

// primary picks the figure of a Go benchmark: its first rate, else time per
// operation.
func primary(r goResult) (metric, unit string, v float64) {
	for _, u := range r.units {
		// MB/s comes from b.SetBytes: the time per operation says more.
		if strings.HasSuffix(u, "/s") && u != "MB/s" {
			return "rate", u, r.metrics[u]
		}
	}
	return "time/op", "ns/op", r.metrics["ns/op"]
}

func goBaseline(name string, have map[string]bool) string {
	if b, ok := goBaselines[name]; ok && have[b] {
		return b
	}
	if i := strings.LastIndexByte(name, '/'); i > 0 && !strings.HasSuffix(name, "/baseline") {
		if b := name[:i] + "/baseline"; have[b] {
			return b
		}
	}
	return ""
}

// machine is what the summary says about where it ran.
type machine struct {
	cores     int
	cpu       string
	goVersion string
	kernel    string
	load      string
	date      time.Time
}

func machineInfo(now time.Time) machine {
	m := machine{cores: runtime.NumCPU(), goVersion: runtime.Version(), date: now.UTC(), cpu: "unknown"}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.cpu, m.cores = cpuInfo(string(data), m.cores)
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(data))
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(data)); len(f) >= 3 {
			m.load = strings.Join(f[:3], " ")
		}
	}
	return m
}

// cpuInfo returns the first model name in /proc/cpuinfo and the number of
// processors it lists (fallback when it lists none).
func cpuInfo(data string, fallback int) (model string, cores int) {
	model = "unknown"
	for _, line := range strings.Split(data, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "model name":
			if model == "unknown" {
				model = strings.TrimSpace(val)
			}
		case "processor":
			cores++
		}
	}
	if cores == 0 {
		cores = fallback
	}
	return model, cores
}

func renderSummary(w io.Writer, m machine, secs []section) {
	fmt.Fprintln(w, "# Benchmark results")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Written by `make bench` (`benchtool summary`) from the fragments in `bench/out/`; do not edit by hand.")
	fmt.Fprintln(w, "Ratio is the figure divided by its baseline, measured in the same run on the same machine:")
	fmt.Fprintln(w, "for rates (req/s, rows/s) below 1 is slower than the baseline, for times above 1 is slower.")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Machine: %d cores, %s; %s", m.cores, m.cpu, m.goVersion)
	if m.kernel != "" {
		fmt.Fprintf(w, "; Linux %s", m.kernel)
	}
	fmt.Fprintf(w, ". Summary written %s", m.date.Format("2006-01-02 15:04 MST"))
	if m.load != "" {
		fmt.Fprintf(w, " (load average %s)", m.load)
	}
	fmt.Fprintln(w, ".")
	if len(secs) == 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "No fragments: run `make bench` (or one of its `bench-*` targets).")
		return
	}
	for _, s := range secs {
		fmt.Fprintln(w)
		title := s.title
		if title == "" {
			title = s.name
		}
		fmt.Fprintf(w, "## %s\n\n", title)
		fmt.Fprintf(w, "Measured %s (`bench/out/%s`).\n", s.measured.UTC().Format("2006-01-02 15:04 MST"), s.name)
		for _, n := range s.notes {
			fmt.Fprintf(w, "%s.\n", sentence(n))
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| figure | value | baseline | baseline value | ratio | target | details |")
		fmt.Fprintln(w, "| --- | ---: | --- | ---: | ---: | --- | --- |")
		for _, f := range s.figures {
			name := f.subject
			if f.metric != "rate" && f.metric != "time/op" && f.metric != f.unit {
				name += " (" + f.metric + ")"
			}
			base, baseValue, ratio := "—", "—", "—"
			isBaseline := false
			for _, g := range s.figures {
				if g.baseline == f.subject && g.metric == f.metric {
					isBaseline = true
				}
			}
			var r float64
			hasRatio := false
			if b := s.find(f.baseline, f.metric); f.baseline != "" && b != nil {
				base, baseValue = b.subject, formatValue(b.value, b.unit)
				if b.value != 0 {
					r, hasRatio = f.value/b.value, true
					ratio = strconv.FormatFloat(r, 'f', 3, 64)
				}
			} else if isBaseline {
				base, ratio = "(is the baseline)", "1.000"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", mdCell(name), mdCell(formatValue(f.value, f.unit)),
				mdCell(base), baseValue, ratio, mdCell(targetVerdict(f.target, f.value, f.unit, r, hasRatio)), mdCell(f.details))
		}
	}
}

// sentence is a note with a capital first letter and no final full stop
// (the summary adds one).
func sentence(n string) string {
	n = strings.TrimSuffix(strings.TrimSpace(n), ".")
	if r, size := utf8.DecodeRuneInString(n); size > 0 {
		n = string(unicode.ToUpper(r)) + n[size:]
	}
	return n
}

// targetVerdict checks a target of the forms ">=N", "<=N", "ratio>=N",
// "ratio<=N"; any other is shown as written.
func targetVerdict(target string, value float64, unit string, ratio float64, hasRatio bool) string {
	t := strings.ReplaceAll(target, " ", "")
	if t == "" {
		return "—"
	}
	v, what := value, ""
	if rest, ok := strings.CutPrefix(t, "ratio"); ok {
		if !hasRatio {
			return target + ": no ratio"
		}
		t, v, what, unit = rest, ratio, "ratio ", ""
	}
	var ok bool
	var limit float64
	var err error
	switch {
	case strings.HasPrefix(t, ">="):
		limit, err = strconv.ParseFloat(t[2:], 64)
		ok = v >= limit
	case strings.HasPrefix(t, "<="):
		limit, err = strconv.ParseFloat(t[2:], 64)
		ok = v <= limit
	default:
		return target
	}
	if err != nil {
		return target
	}
	bound := what + t[:2] + " " + strings.TrimSpace(formatNumber(limit)+" "+unit)
	if ok {
		return bound + ": met"
	}
	return bound + ": **not met**"
}

// formatValue prints a value with its unit, times per operation in the
// unit that reads best (ns, µs, ms, s).
func formatValue(v float64, unit string) string {
	if unit == "ns/op" {
		for _, u := range []struct {
			scale float64
			name  string
		}{{1e9, "s/op"}, {1e6, "ms/op"}, {1e3, "µs/op"}} {
			if v >= u.scale {
				return strconv.FormatFloat(v/u.scale, 'f', 2, 64) + " " + u.name
			}
		}
	}
	return formatNumber(v) + " " + unit
}

// formatNumber prints v with thousands separators: whole numbers and
// numbers from 1,000 up without decimals, others with about four
// significant digits.
func formatNumber(v float64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	var s string
	switch {
	case v >= 1000 || v == float64(int64(v)):
		s = thousandsSep(strconv.FormatFloat(v, 'f', 0, 64))
	case v >= 100:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		s = strconv.FormatFloat(v, 'g', 3, 64)
	}
	if neg {
		s = "-" + s
	}
	return s
}

func thousandsSep(digits string) string {
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mdCell keeps a table cell on its row.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
