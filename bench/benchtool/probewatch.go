package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// watchConfig says what probewatch watches.
type watchConfig struct {
	prober     string // the prober's metrics base URL
	pid        int
	target     string // the target server's base URL
	redirector string // the redirector's base URL
	links      int
	duration   time.Duration
	period     time.Duration
	clkTck     int
	fragment   string // where to write the figures for `benchtool summary` ("": nowhere)
}

// Targets of the prober benchmark.
const (
	targetLagP99       = 1.0     // seconds
	targetCPUPerReq    = 0.25e-3 // seconds of CPU per HTTP request
	targetPeakRSSBytes = 150e6
	boundarySlack      = 0.001 // of the links, for checks straddling a minute boundary
)

// sample is everything measured at one instant.
type sample struct {
	at         time.Time
	results    map[string]float64 // by error class ("ok" for passing checks)
	lag        histogram          // linkwatch_probe_schedule_lag_seconds
	jobs       float64
	skipped    float64
	pushed     float64
	spooled    float64
	dropped    float64
	cpuTicks   uint64  // utime + stime of the prober
	rssKB      uint64  // VmRSS
	hwmKB      uint64  // VmHWM
	dest       float64 // requests the target server answered
	shortLinks float64 // short-link requests the redirector answered
}

func (s *sample) checks() float64 {
	var n float64
	for _, v := range s.results {
		n += v
	}
	return n
}

func (s *sample) requests() float64 { return s.dest + s.shortLinks }

// probewatch waits until the prober has loaded its assignments, then samples
// once per period for the duration and prints each period and a summary
// against the targets.
func probewatch(c watchConfig, out io.Writer) error {
	if c.pid <= 0 {
		return fmt.Errorf("probewatch: --pid is required")
	}
	started, err := processStart(c.pid, c.clkTck)
	if err != nil {
		return err
	}
	// Minute 1 starts once every link is on the schedule: from then on each
	// period of c.period holds exactly one slot of every link.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		m, err := scrape(c.prober + "/metrics")
		if err == nil && m.sum("linkwatch_probe_jobs") >= float64(c.links) {
			break
		}
		if !alive(c.pid) {
			return fmt.Errorf("probewatch: the prober (pid %d) exited before loading its assignments", c.pid)
		}
		if time.Now().After(deadline) {
			jobs := 0.0
			if err == nil {
				jobs = m.sum("linkwatch_probe_jobs")
			}
			return fmt.Errorf("probewatch: the prober has %v of %d jobs after 2 minutes (last scrape error: %v)", jobs, c.links, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	first, err := c.take()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "all %s links scheduled %.2fs after the prober started; measuring for %s\n\n",
		thousands(float64(c.links)), first.at.Sub(started).Seconds(), c.duration)
	fmt.Fprintf(out, "%-9s %8s %8s %7s %9s %10s %10s %11s %8s %8s\n",
		"window", "checks", "started", "not ok", "HTTP req", "lag p50", "lag p99", "CPU/req", "RSS", "skipped")

	var perMinute []float64
	samples := []*sample{first}
	prev := first
	full := int(c.duration / c.period)
	for k := 1; k <= full+1; k++ {
		end := first.at.Add(time.Duration(k) * c.period)
		label := strconv.Itoa(k)
		if k > full {
			end = first.at.Add(c.duration)
			if !end.After(prev.at) {
				break
			}
			label = fmt.Sprintf("+%ds", int(end.Sub(prev.at).Round(time.Second).Seconds()))
		}
		if err := c.sleepUntil(end); err != nil {
			return err
		}
		cur, err := c.take()
		if err != nil {
			return err
		}
		printWindow(out, label, prev, cur, c.clkTck)
		if k <= full {
			perMinute = append(perMinute, cur.checks()-prev.checks())
		}
		samples = append(samples, cur)
		prev = cur
	}
	frag := &fragment{title: fmt.Sprintf("Prober: one prober, %s links every %s, %s (`make bench-prober`)",
		thousands(float64(c.links)), c.period, c.duration)}
	summary(out, c, samples, perMinute, frag)
	if c.fragment == "" {
		return nil
	}
	// The in-run baseline of CPU per request: a bare net/http client here,
	// against the same target, after the prober's run.
	bare, err := bareClientCPU(context.Background(), c.target+"/landing/0", 10_000, 8)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  baseline: a bare net/http client (8 goroutines, this process) used %.3fms of CPU per request to the target\n",
		float64(bare)/1e6)
	frag.add(figure{subject: "bare net/http client", metric: "CPU per request", value: float64(bare) / 1e6, unit: "ms",
		details: "10,000 GETs of the target, 8 at a time"})
	return frag.write(c.fragment)
}

// sleepUntil waits for t, failing as soon as the prober exits.
func (c watchConfig) sleepUntil(t time.Time) error {
	for d := time.Until(t); d > 0; d = time.Until(t) {
		if !alive(c.pid) {
			return fmt.Errorf("probewatch: the prober (pid %d) exited", c.pid)
		}
		time.Sleep(min(d, time.Second))
	}
	return nil
}

// take measures everything once.
func (c watchConfig) take() (*sample, error) {
	s := &sample{at: time.Now()}
	pm, err := scrape(c.prober + "/metrics")
	if err != nil {
		return nil, fmt.Errorf("prober metrics: %w", err)
	}
	s.results = pm.by("linkwatch_probe_results_total", "error_class")
	s.lag = pm.hist("linkwatch_probe_schedule_lag_seconds")
	s.jobs = pm.sum("linkwatch_probe_jobs")
	s.skipped = pm.sum("linkwatch_probe_checks_skipped_total")
	s.pushed = pm.sum("linkwatch_prober_results_pushed_total")
	s.spooled = pm.sum("linkwatch_prober_results_spooled_total")
	s.dropped = pm.sum("linkwatch_prober_results_dropped_total")
	if s.cpuTicks, err = cpuTicks(c.pid); err != nil {
		return nil, err
	}
	if s.rssKB, s.hwmKB, err = memory(c.pid); err != nil {
		return nil, err
	}
	rm, err := scrape(c.redirector + "/metrics")
	if err != nil {
		return nil, fmt.Errorf("redirector metrics: %w", err)
	}
	s.shortLinks = rm.sum("linkwatch_redirects_total")
	if s.dest, err = targetCount(c.target); err != nil {
		return nil, err
	}
	return s, nil
}

// printWindow prints what happened between a and b.
func printWindow(out io.Writer, label string, a, b *sample, clkTck int) {
	checks := b.checks() - a.checks()
	notOK := checks - (b.results["ok"] - a.results["ok"])
	reqs := b.requests() - a.requests()
	lag := b.lag.minus(a.lag)
	cpu := float64(b.cpuTicks-a.cpuTicks) / float64(clkTck)
	cpuPerReq := "-"
	if reqs > 0 {
		cpuPerReq = fmt.Sprintf("%.3fms", cpu/reqs*1e3)
	}
	fmt.Fprintf(out, "%-9s %8s %8s %7s %9s %10s %10s %11s %8s %8s\n", label,
		thousands(checks), thousands(lag.count()), thousands(notOK), thousands(reqs),
		quantile(lag, 0.50), quantile(lag, 0.99), cpuPerReq,
		fmt.Sprintf("%.0fMB", float64(b.rssKB)*1024/1e6), thousands(b.skipped-a.skipped))
	if notOK > 0 {
		fmt.Fprintf(out, "          not ok by class: %s\n", classes(a.results, b.results))
	}
}

// summary prints the figures against the targets.
// Each figure also goes into frag.
func summary(out io.Writer, c watchConfig, samples []*sample, perMinute []float64, frag *fragment) {
	first, last := samples[0], samples[len(samples)-1]
	fmt.Fprintln(out)
	fmt.Fprintf(out, "prober benchmark: %s links at a %s interval, one prober, %s measured\n",
		thousands(float64(c.links)), c.period, last.at.Sub(first.at).Round(time.Second))

	// Checks are counted when they finish, so a few due just before a
	// minute's end count in the next one: a minute passes within
	// boundarySlack of the target.
	var mins []string
	met := len(perMinute) > 0
	for _, n := range perMinute {
		mins = append(mins, thousands(n))
		met = met && n >= float64(c.links)*(1-boundarySlack)
	}
	v := verdict(met)
	if len(mins) == 0 {
		mins, v = []string{"(no full minute measured)"}, "n/a"
	}
	fmt.Fprintf(out, "  checks per minute:      %-34s target %s in every minute from the first (within 0.1%%): %s\n",
		strings.Join(mins, ", "), thousands(float64(c.links)), v)
	frag.add(figure{subject: "links due", metric: "checks per minute", value: float64(c.links), unit: "checks",
		details: "the schedule's demand"})
	for i, n := range perMinute {
		frag.add(figure{subject: fmt.Sprintf("minute %d", i+1), metric: "checks per minute", value: n, unit: "checks",
			baseline: "links due", target: fmt.Sprintf("ratio>=%g", 1-boundarySlack)})
	}

	checks := last.checks()
	notOK := checks - last.results["ok"]
	fmt.Fprintf(out, "  not ok:                 %-34s (whole run, %s checks)\n", notOKLine(notOK, last.results), thousands(checks))

	// The lag histogram over the prober's whole life (no check starts before
	// the assignments are loaded, so this is the measured window plus the
	// last unsampled moments).
	p99, over, ok := last.lag.quantile(0.99)
	fmt.Fprintf(out, "  schedule lag:           p50 %s, p99 %-22s target p99 < 1s: %s\n",
		quantile(last.lag, 0.50), quantile(last.lag, 0.99), verdict(ok && !over && p99 < targetLagP99))
	if p50, _, ok50 := last.lag.quantile(0.50); ok50 && ok && !over {
		frag.add(figure{subject: "whole run", metric: "schedule lag p99", value: p99 * 1e3, unit: "ms",
			target: fmt.Sprintf("<=%g", targetLagP99*1e3), details: fmt.Sprintf("p50 %.2f ms", p50*1e3)})
	} else {
		frag.notes = append(frag.notes, "schedule lag p99: "+quantile(last.lag, 0.99)+" (beyond the histogram: no figure)")
	}

	// CPU over the prober's whole life, assignment loading and the first
	// checks' QR codes included, per HTTP request it made to the redirector
	// and the target (every request either saw came from the prober).
	cpu := float64(last.cpuTicks) / float64(c.clkTck)
	reqs := last.requests()
	perReq := math.Inf(1)
	if reqs > 0 {
		perReq = cpu / reqs
	}
	fmt.Fprintf(out, "  CPU per 1,000 HTTP req: %-34s target <= 0.25ms per request: %s\n",
		fmt.Sprintf("%.3fs (%.3fms per request)", perReq*1e3, perReq*1e3), verdict(perReq <= targetCPUPerReq))
	fmt.Fprintf(out, "                          %.2fs CPU over %s requests (%s short link + %s destination)\n",
		cpu, thousands(reqs), thousands(last.shortLinks), thousands(last.dest))
	if reqs > 0 {
		frag.add(figure{subject: "prober, whole run", metric: "CPU per request", value: perReq * 1e3, unit: "ms",
			baseline: "bare net/http client", target: fmt.Sprintf("<=%g", targetCPUPerReq*1e3),
			details: fmt.Sprintf("%.2f s CPU over %s requests", cpu, thousands(reqs))})
	}
	// A link's first check also renders and decodes its QR code, so the
	// first minute costs more than the ones after it.
	if len(perMinute) >= 2 {
		m1 := samples[1]
		steadyCPU := float64(last.cpuTicks-m1.cpuTicks) / float64(c.clkTck)
		if steadyReqs := last.requests() - m1.requests(); steadyReqs > 0 {
			fmt.Fprintf(out, "                          after the first minute (no QR codes): %.3fms per request\n", steadyCPU/steadyReqs*1e3)
			frag.add(figure{subject: "prober, after the first minute", metric: "CPU per request", value: steadyCPU / steadyReqs * 1e3,
				unit: "ms", baseline: "bare net/http client", target: fmt.Sprintf("<=%g", targetCPUPerReq*1e3),
				details: "no QR codes to render"})
		}
	}

	peak := float64(last.hwmKB) * 1024
	fmt.Fprintf(out, "  peak RSS (VmHWM):       %-34s target <= 150MB: %s\n",
		fmt.Sprintf("%.1fMB", peak/1e6), verdict(peak <= targetPeakRSSBytes))
	frag.add(figure{subject: "prober", metric: "peak RSS", value: peak / 1e6, unit: "MB", target: fmt.Sprintf("<=%g", targetPeakRSSBytes/1e6)})
	frag.notes = append(frag.notes, fmt.Sprintf("results to the control plane: %s pushed, %s spooled, %s dropped; %s checks not ok; %s skipped",
		thousands(last.pushed), thousands(last.spooled), thousands(last.dropped), thousands(checks-last.results["ok"]), thousands(last.skipped)))

	fmt.Fprintf(out, "  results to the control plane: %s pushed, %s spooled, %s dropped; %s checks skipped (previous run still going)\n",
		thousands(last.pushed), thousands(last.spooled), thousands(last.dropped), thousands(last.skipped))
	if last.dropped > 0 || last.spooled > 0 {
		fmt.Fprintf(out, "  WARNING: the control plane did not take every result (%s dropped, %s spooled): see the prober's log\n",
			thousands(last.dropped), thousands(last.spooled))
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT MET"
}

func notOKLine(n float64, results map[string]float64) string {
	if n == 0 {
		return "0"
	}
	return thousands(n) + ": " + classes(nil, results)
}

// classes lists the failing classes' counts between a and b.
func classes(a, b map[string]float64) string {
	var keys []string
	for k := range b {
		if k != "ok" && b[k]-a[k] > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %s", k, thousands(b[k]-a[k])))
	}
	return strings.Join(parts, ", ")
}

// quantile formats a histogram quantile.
func quantile(h histogram, q float64) string {
	v, over, ok := h.quantile(q)
	switch {
	case !ok:
		return "-"
	case over:
		return ">" + seconds(v)
	}
	return seconds(v)
}

func seconds(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%.2fms", v*1e3)
	}
	return fmt.Sprintf("%.2fs", v)
}

// thousands formats a count with thousands separators.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func targetCount(base string) (float64, error) {
	resp, err := scrapeClient.Get(base + "/_count")
	if err != nil {
		return 0, fmt.Errorf("target count: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("target count: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("target count: %s", resp.Status)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
}

// statFields returns the fields of /proc/<pid>/stat after the command name,
// so fields[0] is field 3 (state) of proc(5).
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, fmt.Errorf("the prober (pid %d) is gone: %w", pid, err)
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return nil, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	return f, nil
}

// cpuTicks returns utime+stime (fields 14 and 15) in clock ticks.
func cpuTicks(pid int) (uint64, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	u, err1 := strconv.ParseUint(f[14-3], 10, 64)
	s, err2 := strconv.ParseUint(f[15-3], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: malformed utime/stime", pid)
	}
	return u + s, nil
}

// processStart returns when pid started (field 22, ticks after boot).
func processStart(pid, clkTck int) (time.Time, error) {
	f, err := statFields(pid)
	if err != nil {
		return time.Time{}, err
	}
	ticks, err := strconv.ParseFloat(f[22-3], 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("/proc/%d/stat: malformed starttime", pid)
	}
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return time.Time{}, err
	}
	up, err := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("/proc/uptime: %v", err)
	}
	ago := up - ticks/float64(clkTck)
	return time.Now().Add(-time.Duration(ago * float64(time.Second))), nil
}

// memory returns VmRSS and VmHWM in kB.
func memory(pid int) (rss, hwm uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("the prober (pid %d) is gone: %w", pid, err)
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			rss, _ = strconv.ParseUint(f[1], 10, 64)
		case "VmHWM:":
			hwm, _ = strconv.ParseUint(f[1], 10, 64)
		}
	}
	if hwm == 0 {
		return 0, 0, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
	}
	return rss, hwm, nil
}

// alive reports whether pid runs: a zombie (exited, not yet reaped by the
// script that started it) does not.
func alive(pid int) bool {
	f, err := statFields(pid)
	return err == nil && f[0] != "Z" && f[0] != "X"
}
