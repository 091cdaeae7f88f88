package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
)

// compiledRule caches an API rule's compilation for one version of it.
type compiledRule struct {
	updated time.Time
	rule    *Rule
}

// loadRules returns the configuration's rules and the API's, compiled, and
// sizes the result history for them.
func (e *Engine) loadRules(ctx context.Context) ([]*Rule, error) {
	stored, err := e.store.AlertRules(ctx)
	if err != nil {
		return nil, err
	}
	rules := slices.Clone(e.cfg.Rules)
	seen := map[string]bool{}
	for _, r := range rules {
		seen[r.Name()] = true
	}
	live := map[string]compiledRule{}
	for _, sr := range stored {
		if seen[sr.Spec.Name] {
			continue // the configuration's rule wins; the API refuses the clash
		}
		c, ok := e.compiled[sr.Spec.Name]
		if !ok || !c.updated.Equal(sr.UpdatedAt) {
			r, err := sr.Spec.Compile()
			if err != nil { // stored by an older version with laxer checks
				e.log.Warn("alert rule skipped: it no longer compiles", "rule", sr.Spec.Name, "err", err)
				continue
			}
			c = compiledRule{updated: sr.UpdatedAt, rule: r}
		}
		live[sr.Spec.Name] = c
		rules = append(rules, c.rule)
	}
	e.compiled = live
	var keep time.Duration
	for _, r := range rules {
		if r.kind == kindSeries && (r.Spec.Metric == MetricFailureRatio || r.Spec.Metric == MetricLatency) {
			keep = max(keep, r.lookback+time.Minute)
		}
	}
	e.history.keep = keep
	return rules, nil
}

// target is one link or monitor a rule watches.
type target struct {
	t        linkwatch.Target
	scope    string // link/<slug> or monitor/<name>
	interval time.Duration
	link     *linkwatch.Link
	labels   map[string]string
	campaign string
}

// campaignScansDrop is the default scan rule of every campaign tag: its
// scans over the last hour fall 80% against the same hour last week, for 10
// minutes in a row. The floor and minimum change keep quiet campaigns (a
// few scans an hour) from ever firing; a campaign younger than a week has no
// baseline, so no data.
const campaignScansDrop = `{"name": "campaign_scans_drop", "scope": {"tag": "t"}, "metric": "scans", "severity": "warning",
	"condition": {"rate": {"change": {"aggregate": "sum", "window": "1h", "baseline": "last_week", "by": "percent",
		"direction": "drop", "at_least": 80, "baseline_floor": 100, "min_change": 50, "min_samples": 60}}},
	"for_checks": 10, "recover_checks": 10}`

// campaignRules returns the default scan-drop rule of each campaign tag.
func (e *Engine) campaignRules(links []*linkwatch.Link) []*Rule {
	var out []*Rule
	seen := map[string]bool{}
	for _, l := range links {
		for _, tag := range l.Tags {
			if seen[tag] {
				continue
			}
			seen[tag] = true
			r := e.campaign[tag]
			if r == nil {
				var spec RuleSpec
				if err := json.Unmarshal([]byte(campaignScansDrop), &spec); err != nil {
					panic(err) // a constant: tests compile it
				}
				spec.Scope.Tag = tag
				compiled, err := spec.compile()
				if err != nil { // a tag stored by an older, laxer version
					e.log.Warn("campaign scan rule skipped", "tag", tag, "err", err)
					continue
				}
				r = compiled
				e.campaign[tag] = r
			}
			out = append(out, r)
		}
	}
	return out
}

// customRules steps the declared rules and the campaigns' scan rules.
func (c *cycle) customRules(ctx context.Context) error {
	c.rules = append(c.rules, c.e.campaignRules(c.links)...)
	if len(c.rules) == 0 {
		return nil
	}
	var monitors []*linkwatch.Monitor
	for _, r := range c.rules {
		if r.Spec.Scope.Monitor != "" {
			var err error
			if monitors, err = c.e.store.ListMonitors(ctx); err != nil {
				return err
			}
			break
		}
	}
	var byTarget map[linkwatch.Target][]linkwatch.Latest // built for the first rule over targets
	for _, r := range c.rules {
		switch {
		case r.Spec.Scope.Platform != "":
			series := c.e.platform.series[r.Spec.Scope.Platform]
			o := r.cond.Evaluate(c.now, series)
			it := platformItem(r.Name(), r.Spec.Severity, r.timing, o,
				fmt.Sprintf("%s: %s %s", r.Name(), r.Spec.Scope.Platform, o.Reason), fmt.Sprintf("%s = %s", r.Spec.Metric, num(last(series))),
				fmt.Sprintf("%s is back to %s", r.Spec.Scope.Platform, num(last(series))))
			it.labels = ruleLabels(r, it.labels)
			it.runbook = r.Spec.RunbookURL
			c.apply(it)
		case r.Spec.Metric == MetricScans:
			if err := c.scanRule(ctx, r); err != nil {
				return err
			}
		default:
			if byTarget == nil {
				byTarget = make(map[linkwatch.Target][]linkwatch.Latest, len(c.byLink))
				for _, l := range c.latest {
					byTarget[l.Target] = append(byTarget[l.Target], l)
				}
			}
			for _, t := range c.targets(r, monitors) {
				c.targetRule(r, t, byTarget[t.t])
			}
		}
	}
	return nil
}

// ruleLabels adds a declared rule's labels to an alert's (which win).
func ruleLabels(r *Rule, labels map[string]string) map[string]string {
	for k, v := range r.Spec.Labels {
		if _, ok := labels[k]; !ok {
			labels[k] = v
		}
	}
	return labels
}

// targets lists the links or monitors in r's scope.
func (c *cycle) targets(r *Rule, monitors []*linkwatch.Monitor) []target {
	s := r.Spec.Scope
	var out []target
	if s.Monitor != "" {
		for _, m := range monitors {
			if m.Name == s.Monitor {
				labels := ruleLabels(r, map[string]string{"rule": r.Name(), "severity": r.Spec.Severity, "monitor": m.Name})
				out = append(out, target{t: linkwatch.Target{Kind: linkwatch.KindMonitor, ID: m.ID}, scope: "monitor/" + m.Name,
					interval: health.MonitorInterval(m), labels: labels})
			}
		}
		return out
	}
	for _, l := range c.links {
		if _, _, gone := l.Target(c.now); gone {
			continue
		}
		if (s.Link != "" && l.Slug != s.Link) || (s.Tag != "" && !slices.Contains(l.Tags, s.Tag)) {
			continue
		}
		labels := linkLabels(l, r.Name(), r.Spec.Severity, r.Spec.Labels)
		campaign := labels["campaign"]
		if s.Tag != "" {
			campaign = s.Tag
		}
		out = append(out, target{t: linkwatch.Target{Kind: linkwatch.KindLink, ID: l.ID}, scope: "link/" + l.Slug,
			interval: l.CheckInterval, link: l, labels: labels, campaign: campaign})
	}
	return out
}

// targetRule steps rule r on one link or monitor.
func (c *cycle) targetRule(r *Rule, t target, regions []linkwatch.Latest) {
	fresh := health.Freshness(t.interval, c.now)
	var o Outcome
	var failing []string
	switch r.kind {
	case kindQuorum:
		q := r.quorum.Evaluate(health.RegionStatuses(regions, t.interval, c.now))
		o, failing = downOutcome(q), q.Failing
	case kindNoData:
		after := r.silent
		if after == 0 {
			after = 3*t.interval + 30*time.Second
		}
		o = silentRegions(regions, c.now, after)
	default:
		o = r.cond.Evaluate(c.now, c.targetSeries(r.Spec.Metric, t.t, regions, fresh))
	}
	alert := Alert{Monitor: strings.TrimPrefix(t.scope, "monitor/"), Regions: failing, Value: o.Reason}
	if t.link != nil {
		alert = c.e.linkAlert(t.link, failing, regions, o)
	}
	c.apply(item{key: r.Name() + "|" + t.t.Kind + "/" + strconv.FormatInt(t.t.ID, 10), rule: r.Name(), severity: r.Spec.Severity,
		scope: t.scope, labels: t.labels, runbook: r.Spec.RunbookURL, timing: r.timing, outcome: o, alert: alert,
		summary: fmt.Sprintf("%s on %s: %s", r.Name(), t.scope, o.Reason),
		describe: func(it *item) {
			if r.Spec.Scope.All || t.campaign != "" { // one link's own rule stays its own
				it.group = linkGroup(t.link, t.campaign, c.now)
			}
		}})
}

// silentRegions breaches while a region that reported before has been
// quiet for after: no data, kept apart from failing.
func silentRegions(regions []linkwatch.Latest, now time.Time, after time.Duration) Outcome {
	if len(regions) == 0 {
		return Outcome{State: NoData, Reason: "no region has reported yet"}
	}
	var silent []string
	for _, r := range regions {
		if now.Sub(r.At) > after || r.At.After(now.Add(health.MaxClockSkew)) { // a result from the future is no sign of life
			silent = append(silent, r.Region)
		}
	}
	if len(silent) == 0 {
		return Outcome{State: Clear, Reason: "every region reports"}
	}
	slices.Sort(silent)
	return Outcome{State: Breach, Value: float64(len(silent)),
		Reason: fmt.Sprintf("no results for %s from %s", dur(after), strings.Join(silent, ", "))}
}

// targetSeries is a target's series of a result metric.
func (c *cycle) targetSeries(metric string, t linkwatch.Target, regions []linkwatch.Latest, fresh func(linkwatch.Latest) bool) []Sample {
	switch metric {
	case MetricConsecutiveFailures, MetricCertDaysLeft:
		v, ok := 0.0, false
		for _, r := range regions {
			if !fresh(r) {
				continue
			}
			if metric == MetricConsecutiveFailures {
				v, ok = max(v, float64(r.Failures)), true
			} else if !r.CertExpiry.IsZero() {
				days := r.CertExpiry.Sub(c.now).Hours() / 24
				if !ok || days < v {
					v = days
				}
				ok = true
			}
		}
		if !ok {
			return nil
		}
		return []Sample{{T: c.now, V: v}}
	}
	return c.e.history.series(metric, t)
}

// scanEvery is how often scan rules are evaluated: scans are counted per
// minute.
const scanEvery = time.Minute

// scanLag leaves the recorder time to flush a minute's scans before the
// minute is read.
const scanLag = 30 * time.Second

// scanRule steps a rule over scans, once a minute: one alert for the link,
// the campaign (all its links together) or all links.
func (c *cycle) scanRule(ctx context.Context, r *Rule) error {
	at := c.now.Add(-scanLag).Truncate(scanEvery)
	s := r.Spec.Scope
	evaluated := r.Name() + "|" + s.String()
	if c.e.scanEvaluated[evaluated].Equal(at) {
		return nil
	}
	var ids []int64
	var born time.Time
	var first *linkwatch.Link
	for _, l := range c.links {
		if (s.Link != "" && l.Slug != s.Link) || (s.Tag != "" && !slices.Contains(l.Tags, s.Tag)) {
			continue
		}
		ids = append(ids, l.ID)
		if born.IsZero() || l.CreatedAt.Before(born) {
			born = l.CreatedAt
		}
		if first == nil {
			first = l
		}
	}
	series, err := c.scanSeries(ctx, r.Spec.Condition.ConditionSpec, ids, born, at)
	if err != nil {
		return err
	}
	c.e.scanEvaluated[evaluated] = at
	o := r.cond.Evaluate(at, series)
	scope, labels := s.String(), map[string]string{"rule": r.Name(), "severity": r.Spec.Severity}
	switch {
	case s.Tag != "":
		labels["campaign"] = s.Tag
	case s.Link != "" && first != nil:
		labels = linkLabels(first, r.Name(), r.Spec.Severity, nil)
	}
	c.apply(item{key: r.Name() + "|" + scope, rule: r.Name(), severity: r.Spec.Severity, scope: scope,
		labels: ruleLabels(r, labels), runbook: r.Spec.RunbookURL, timing: r.timing, outcome: o,
		summary: fmt.Sprintf("scans of %s: %s", scope, o.Reason), alert: Alert{Tags: []string{s.Tag}, Value: o.Reason, Link: s.Link}})
	return nil
}

// scanSeries reads the per-minute scan counts the condition needs before
// at, as samples at each minute's end. A minute with no scans is 0 from the
// first link's creation on; before it, a gap. Only the windows the
// condition reads are fetched: a last-week baseline reads two hours, not a
// week.
func (c *cycle) scanSeries(ctx context.Context, spec ConditionSpec, ids []int64, born, at time.Time) ([]Sample, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var spans [][2]time.Time
	lb := spec.lookback()
	if r := spec.Rate; r != nil && r.Change != nil && r.Change.Baseline == BaselineLastWeek {
		w, _ := time.ParseDuration(r.Change.Window)
		if r.Predict != nil {
			pw, _ := time.ParseDuration(r.Predict.Window)
			w = max(w, pw)
		}
		spans = [][2]time.Time{{at.Add(-Week - w), at.Add(-Week)}, {at.Add(-w), at}}
	} else {
		spans = [][2]time.Time{{at.Add(-lb), at}}
	}
	var out []Sample
	for _, sp := range spans {
		buckets, err := c.e.store.ScanCounts(ctx, ids, sp[0], sp[1])
		if err != nil {
			return nil, err
		}
		counts := make(map[time.Time]int64, len(buckets))
		for _, b := range buckets {
			counts[b.T.UTC()] = b.Count
		}
		for m := sp[0].Truncate(time.Minute); m.Before(sp[1]); m = m.Add(time.Minute) {
			if m.Before(sp[0]) || m.Add(time.Minute).Before(born) {
				continue
			}
			out = append(out, Sample{T: m.Add(time.Minute), V: float64(counts[m])})
		}
	}
	return out, nil
}
