package main

// alertlatency measures how long a broken destination takes to reach Slack
// as a link_down alert, end to end through running Linkwatch roles: it
// serves the links' destination (a target that can be switched to 503 per
// link, for every region at once) and a fake Slack incoming webhook that
// timestamps and parses every message, creates one link per check interval
// through the API, waits until every region sees each link up, and then
// runs the intervals' trials side by side: break the destination at a
// random point of the check interval, wait for the FIRING link_down message
// that names the link, fix it, wait for the RESOLVED one. bench/alerting.sh
// starts linkwatch (a control plane, a redirector and three regional
// probers, or `serve`) with its Slack webhook pointing here.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// alertConfig says what alertlatency measures.
type alertConfig struct {
	server, token         string
	targetAddr, slackAddr string
	intervals             []time.Duration
	trials                []int
	regions               int // regions that must see a link up before a trial
	tag                   string
	ready                 time.Duration // how long a new link may take to be seen up
	messages              string        // file to write every Slack message to, one JSON line each
	fragment              string        // file to write the figures to for `benchtool summary` ("": none)
}

// alertTarget is the detection target of issue 10: the check interval plus
// 10 s, at p95.
func alertTarget(interval time.Duration) time.Duration { return interval + 10*time.Second }

func alertLatency(args []string) error {
	fs := flag.NewFlagSet("alertlatency", flag.ContinueOnError)
	var c alertConfig
	fs.StringVar(&c.server, "server", "http://127.0.0.1:18111", "the linkwatch control API base URL")
	fs.StringVar(&c.token, "token", os.Getenv("LINKWATCH_ADMIN_TOKEN"), "admin token")
	fs.StringVar(&c.targetAddr, "target-addr", "127.0.0.1:18112", "listen address of the links' destination")
	fs.StringVar(&c.slackAddr, "slack-addr", "127.0.0.1:18113", "listen address of the fake Slack webhook")
	intervals := fs.String("intervals", "10s,60s", "check intervals to measure, comma-separated")
	trials := fs.String("trials", "10,5", "trials per interval, comma-separated (one number: for every interval; 0 skips one)")
	fs.IntVar(&c.regions, "regions", 1, "how many regions must see a link up before each trial")
	fs.StringVar(&c.tag, "tag", "bench-alerting", "campaign tag of the links, suffixed with the interval (empty: none)")
	fs.StringVar(&c.messages, "messages", "", "write every message Slack received to this file (JSON lines)")
	fs.StringVar(&c.fragment, "fragment", "", "write the figures to this file for benchtool summary")
	fs.DurationVar(&c.ready, "ready", 3*time.Minute, "how long a new link may take to be checked and up in every region")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ivs []time.Duration
	for _, s := range strings.Split(*intervals, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d < time.Second {
			return fmt.Errorf("alertlatency: bad interval %q", s)
		}
		ivs = append(ivs, d)
	}
	var ns []int
	for _, s := range strings.Split(*trials, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return fmt.Errorf("alertlatency: bad trial count %q", s)
		}
		ns = append(ns, n)
	}
	switch {
	case len(ns) == 1:
		for len(ns) < len(ivs) {
			ns = append(ns, ns[0])
		}
	case len(ns) != len(ivs):
		return fmt.Errorf("alertlatency: %d trial counts for %d intervals", len(ns), len(ivs))
	}
	for i, iv := range ivs {
		if ns[i] > 0 {
			c.intervals = append(c.intervals, iv)
			c.trials = append(c.trials, ns[i])
		}
	}
	if len(c.intervals) == 0 {
		return errors.New("alertlatency: no trials to run")
	}
	if c.regions < 1 {
		return errors.New("alertlatency: --regions must be at least 1")
	}
	if c.token == "" {
		return errors.New("alertlatency: --token (or LINKWATCH_ADMIN_TOKEN) is required")
	}
	pass, err := runAlertLatency(c, os.Stdout)
	if err != nil {
		return err
	}
	if !pass {
		return errors.New("alertlatency: detection latency target not met")
	}
	return nil
}

// trial is one break-and-fix of a link.
type trial struct {
	detect      time.Duration // break → FIRING link_down received; 0: never
	firstFail   time.Duration // break → the first 503 answered to a prober
	failedCheck int           // 503s answered before the alert arrived
	failRegions int           // regions those 503s were answered to
	resolve     time.Duration // fix → RESOLVED received; 0: never
}

// lockedWriter writes whole lines from the intervals' goroutines.
type lockedWriter struct {
	mu  sync.Mutex
	out io.Writer
}

func (w *lockedWriter) printf(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.out, format, args...)
}

// bench is one run: the parties and the API.
type bench struct {
	c     alertConfig
	tgt   *switchTarget
	slack *fakeSlack
	api   apiClient
	out   *lockedWriter
}

func runAlertLatency(c alertConfig, out io.Writer) (bool, error) {
	b := &bench{c: c, tgt: newSwitchTarget(), slack: newFakeSlack(), out: &lockedWriter{out: out},
		api: apiClient{server: strings.TrimSuffix(c.server, "/"), token: c.token}}
	targetURL, err := serveOn(c.targetAddr, b.tgt)
	if err != nil {
		return false, fmt.Errorf("target: %w", err)
	}
	if _, err := serveOn(c.slackAddr, b.slack); err != nil {
		return false, fmt.Errorf("fake slack: %w", err)
	}
	if err := b.api.waitReady(30 * time.Second); err != nil {
		return false, err
	}

	// Every link is created up front and must be up in every region before
	// any trial starts: a region that has not checked a link yet would
	// neither confirm its outage nor count for its quorum.
	run := strconv.FormatInt(time.Now().Unix()%100000, 10)
	slugs, campaigns := make([]string, len(c.intervals)), make([]string, len(c.intervals))
	created := time.Now()
	for i, iv := range c.intervals {
		name := strings.ReplaceAll(iv.String(), "m0s", "m")
		slugs[i] = "alert" + name + "-" + run
		body := map[string]any{"slug": slugs[i], "destination": targetURL + "/landing/" + slugs[i], "check_interval": iv.String()}
		if c.tag != "" {
			// A campaign per link: its group messages are about it alone.
			campaigns[i] = c.tag + "-" + name
			body["tags"] = []string{campaigns[i]}
		}
		if err := b.api.do("POST", "/api/v1/links", body, http.StatusCreated, nil); err != nil {
			return false, err
		}
	}
	for i, iv := range c.intervals {
		deadline := created.Add(c.ready)
		if d := time.Now().Add(3*iv + 15*time.Second); d.After(deadline) {
			deadline = d
		}
		if err := b.api.waitUp(slugs[i], c.regions, deadline); err != nil {
			return false, err
		}
		b.out.printf("check interval %s: link %s is up in %s %.1fs after its creation; trials: %d, target %s at p95\n",
			iv, slugs[i], regionCount(c.regions), time.Since(created).Seconds(), c.trials[i], secs(alertTarget(iv)))
	}
	b.out.printf("\n")

	// The intervals run side by side (each link is its own campaign, so
	// its own alert group): the run takes as long as the slowest interval.
	results := make([][]trial, len(c.intervals))
	errs := make([]error, len(c.intervals))
	var wg sync.WaitGroup
	for i := range c.intervals {
		wg.Go(func() { results[i], errs[i] = b.trials(c.intervals[i], c.trials[i], slugs[i], campaigns[i]) })
	}
	wg.Wait()
	for _, slug := range slugs {
		if err := b.api.do("DELETE", "/api/v1/links/"+slug, nil, http.StatusNoContent, nil); err != nil {
			b.out.printf("(could not delete %s: %v)\n", slug, err)
		}
	}
	b.out.printf("\n")
	if c.messages != "" {
		if err := b.slack.dump(c.messages); err != nil {
			return false, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return false, err
	}
	frag := &fragment{title: "Alert detection: destination broken → link_down in Slack, control + redirector on PostgreSQL, remote probers (`make bench-alerting`)"}
	pass := alertSummary(out, c, results, b.slack, frag)
	if c.fragment != "" {
		if err := frag.write(c.fragment); err != nil {
			return false, err
		}
	}
	return pass, nil
}

// trials breaks and fixes slug n times.
func (b *bench) trials(iv time.Duration, n int, slug, campaign string) ([]trial, error) {
	limit := max(30*time.Second, 3*alertTarget(iv))
	var results []trial
	for k := range n {
		// Break at a random moment of the check cycle, as real outages do.
		time.Sleep(rand.N(iv))
		var tr trial
		broke := time.Now()
		b.tgt.set(slug, true)
		m, ok := b.slack.await(broke, broke.Add(limit), func(m slackMessage) bool {
			return m.state == "FIRING" && m.rule == "link_down" && m.names(slug)
		})
		until := m.at
		if !ok {
			until = time.Now()
		}
		first, fails, regions := b.tgt.failures(slug, until)
		if !first.IsZero() {
			tr.firstFail = first.Sub(broke)
		}
		tr.failedCheck, tr.failRegions = fails, regions
		fixed := time.Now()
		b.tgt.set(slug, false)
		line := fmt.Sprintf("%4s trial %2d: no link_down FIRING within %s (%d failing checks in %s)",
			iv, k+1, limit, tr.failedCheck, regionCount(tr.failRegions))
		if ok {
			tr.detect = m.at.Sub(broke)
			line = fmt.Sprintf("%4s trial %2d: FIRING after %6.2fs (first failing check at +%.2fs; %d failing checks in %s before it)",
				iv, k+1, tr.detect.Seconds(), tr.firstFail.Seconds(), tr.failedCheck, regionCount(tr.failRegions))
			if r, ok := b.slack.await(fixed, fixed.Add(limit), func(m slackMessage) bool {
				return m.state == "RESOLVED" && m.rule == "link_down" && m.about(slug, campaign)
			}); ok {
				tr.resolve = r.at.Sub(fixed)
				line += fmt.Sprintf("; RESOLVED %.2fs after the fix", tr.resolve.Seconds())
			} else {
				line += fmt.Sprintf("; no RESOLVED within %s", limit)
			}
		}
		b.out.printf("%s\n", line)
		results = append(results, tr)
		// Every trial starts from a link every region sees up again, so no
		// region carries failures over from the previous one.
		if err := b.api.waitUp(slug, b.c.regions, time.Now().Add(limit)); err != nil {
			return results, err
		}
	}
	return results, nil
}

// percentile is the nearest-rank percentile p (0–100) of sorted durations:
// the ⌈p/100·n⌉-th smallest. With fewer than 20 trials p95 is the maximum.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

// alertSummary prints the distribution per interval against the target,
// and adds it to frag: per interval, min, p50, p95 and max against the
// check interval itself as the baseline (a broken destination waits up to
// one interval for its next check; the rest is linkwatch's).
// A trial that never paged counts as slower than any that did.
func alertSummary(out io.Writer, c alertConfig, results [][]trial, slack *fakeSlack, frag *fragment) bool {
	fmt.Fprintln(out, "detection latency: destination broken (every region) → FIRING link_down received by Slack")
	fmt.Fprintln(out, "p95 is the nearest rank (the ⌈0.95·n⌉-th fastest trial): with fewer than 20 trials it is the slowest")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "interval\tpaged\tmin\tp50\tp95\tmax\ttarget (interval + 10s)\tresult\tresolve p50")
	pass := true
	const never = time.Duration(math.MaxInt64)
	for i, iv := range c.intervals {
		var det, res []time.Duration
		paged := 0
		for _, t := range results[i] {
			if t.detect > 0 {
				det = append(det, t.detect)
				paged++
			} else {
				det = append(det, never)
			}
			if t.resolve > 0 {
				res = append(res, t.resolve)
			}
		}
		slices.Sort(det)
		slices.Sort(res)
		show := func(d time.Duration) string {
			if d == never {
				return "never"
			}
			return secs(d)
		}
		mn, p50, p95, mx := "-", "-", "-", "-"
		ok := len(det) > 0
		if len(det) > 0 {
			mn, p50, p95, mx = show(det[0]), show(percentile(det, 50)), show(percentile(det, 95)), show(det[len(det)-1])
			ok = percentile(det, 95) <= alertTarget(iv)
		}
		pass = pass && ok
		verdict := "PASS"
		if !ok {
			verdict = "FAIL"
		}
		rs := "-"
		if len(res) > 0 {
			rs = secs(percentile(res, 50))
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%s\t%s\t<= %s\t%s\t%s\n", iv, paged, len(results[i]), mn, p50, p95, mx,
			secs(alertTarget(iv)), verdict, rs)
		base := fmt.Sprintf("%s: the check interval", iv)
		frag.add(figure{subject: base, metric: "detection", value: iv.Seconds(), unit: "s", details: "the longest wait for the next check"})
		if len(det) == 0 {
			continue
		}
		for _, q := range []struct {
			name   string
			d      time.Duration
			target string
		}{{"min", det[0], ""}, {"p50", percentile(det, 50), ""}, {"p95", percentile(det, 95), fmt.Sprintf("<=%g", alertTarget(iv).Seconds())}, {"max", det[len(det)-1], ""}} {
			if q.d == never {
				frag.notes = append(frag.notes, fmt.Sprintf("%s: %s never paged (%d of %d trials paged)", iv, q.name, paged, len(results[i])))
				continue
			}
			frag.add(figure{subject: fmt.Sprintf("%s: %s", iv, q.name), metric: "detection", value: q.d.Seconds(), unit: "s",
				baseline: base, target: q.target, details: fmt.Sprintf("%d/%d trials paged; resolution p50 %s", paged, len(results[i]), rs)})
		}
	}
	tw.Flush()

	// Everything Slack was sent, so stray or duplicate messages show.
	slack.mu.Lock()
	defer slack.mu.Unlock()
	counts := map[string]int{}
	for _, m := range slack.msgs {
		counts[strings.TrimSpace(m.state+" "+m.rule)]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", orElse(k, "unparsed"), counts[k]))
	}
	fmt.Fprintf(out, "Slack received %d messages: %s\n", len(slack.msgs), strings.Join(parts, ", "))
	shown := 0
	for _, m := range slack.msgs {
		if m.rule != "link_down" && shown < 5 {
			fmt.Fprintf(out, "  not link_down, at %s: %.200s\n", m.at.Format("15:04:05.000"), m.text)
			shown++
		}
	}
	if len(slack.bad) > 0 {
		fmt.Fprintf(out, "  %d did not parse (no FIRING/RESOLVED text), the first: %.300s\n", len(slack.bad), slack.bad[0])
	}
	return pass
}

func orElse(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

func regionCount(n int) string {
	if n == 1 {
		return "1 region"
	}
	return strconv.Itoa(n) + " regions"
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
