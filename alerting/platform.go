package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/linkwatch/linkwatch"
)

// poolSaturation is the platform's own database-pool rule, the one the seed
// incident needed (a pool going 85% → 100% in 3 minutes, missed by a static
// 95% threshold over 5 minutes): utilisation rising at least 10 points in 3
// minutes while at or above 80%, or predicted to reach 100% within 5
// minutes while at 50% or more (an idle pool's blips predict nothing).
// testdata/conditions/pool-saturation.yaml is the same rule.
const poolSaturation = `{"rate": {
	"change": {"aggregate": "avg", "window": "30s", "baseline": "ago", "ago": "3m", "by": "absolute",
	           "direction": "rise", "at_least": 10, "min_level": 80, "min_samples": 2},
	"predict": {"window": "2m", "limit": 100, "within": "5m", "min_samples": 6, "min_level": 50}}}`

// scanQueueDrops: any scan dropped in the last 5 minutes (the recorder's
// queue was full: the database could not keep up for too long).
const scanQueueDrops = `{"threshold": {"aggregate": "sum", "window": "5m", "op": ">", "limit": 0}}`

// poolTiming: two evaluations in a row to fire, four clear ones to resolve.
var poolTiming = Timing{ForChecks: 2, RecoverChecks: 4}

// platformHistory is how much of each platform series the engine keeps.
const platformHistory = 2 * time.Hour

// platform samples the control plane's own metrics every evaluation.
type platform struct {
	pool, drops      func() float64
	lastDrops        float64
	series           map[string][]Sample // by platform metric
	poolRule, drops5 Condition
	// watching is when this engine first evaluated the probers as leader:
	// until it has watched for the lifecycle's Silence, a quiet prober may
	// just not have reached a control plane that was restarting.
	watching time.Time
}

func newPlatform(pool, drops func() float64) *platform {
	p := &platform{pool: pool, drops: drops, series: map[string][]Sample{},
		poolRule: mustCompile(poolSaturation), drops5: mustCompile(scanQueueDrops)}
	if drops != nil {
		p.lastDrops = drops()
	}
	return p
}

func mustCompile(spec string) Condition {
	var s ConditionSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		panic(err) // a constant: tests compile it
	}
	c, err := s.Compile()
	if err != nil {
		panic(err)
	}
	return c
}

// sample records the platform's metrics at now.
func (p *platform) sample(now time.Time) {
	if p.pool != nil {
		p.add(MetricPoolUtilization, Sample{T: now, V: p.pool()})
	}
	if p.drops != nil {
		d := p.drops()
		p.add(MetricScanDrops, Sample{T: now, V: max(d-p.lastDrops, 0)})
		p.lastDrops = d
	}
}

func (p *platform) add(metric string, s Sample) {
	p.series[metric] = appendSample(p.series[metric], s, s.T.Add(-platformHistory))
}

// platformRules steps the platform's default rules — db_pool_saturation,
// scan_queue_drops, prober_silent — and records the probers_silent series.
func (c *cycle) platformRules(ctx context.Context) error {
	p := c.e.platform
	if p.pool != nil {
		pool := p.series[MetricPoolUtilization]
		o := p.poolRule.Evaluate(c.now, pool)
		value := fmt.Sprintf("%.0f%% of the pool in use", last(pool))
		c.apply(platformItem("db_pool_saturation", SeverityCritical, poolTiming, o,
			fmt.Sprintf("database pool at %.0f%%: %s", last(pool), o.Reason), value,
			fmt.Sprintf("the database pool is back to %.0f%% in use", last(pool))))
	}
	if p.drops != nil {
		o := p.drops5.Evaluate(c.now, p.series[MetricScanDrops])
		c.apply(platformItem("scan_queue_drops", SeverityWarning, Timing{RecoverChecks: 1}, o,
			fmt.Sprintf("the redirector dropped %.0f scans in 5 minutes: its queue was full", o.Value),
			fmt.Sprintf("%.0f scans dropped", o.Value),
			"the redirector has dropped no scans for 5 minutes"))
	}
	probers, err := c.e.store.Probers(ctx)
	if err != nil {
		return err
	}
	if p.watching.IsZero() {
		p.watching = c.now
	}
	lc := c.e.cfg.Probers
	silence := lc.Silence
	if silence <= 0 {
		silence = linkwatch.DefaultProberSilence
	}
	silent := 0
	for _, pr := range probers {
		state := lc.State(pr, c.now)
		o := proberOutcome(state, c.now.Sub(pr.LastSeen), c.now.Sub(p.watching) < silence)
		if o.State == Breach {
			silent++
		}
		labels := map[string]string{"rule": "prober_silent", "severity": SeverityWarning, "prober": pr.ID, "region": pr.Region}
		c.apply(item{key: "prober_silent|prober/" + pr.ID, rule: "prober_silent", severity: SeverityWarning,
			scope: "prober/" + pr.ID, labels: labels, timing: Timing{RecoverChecks: 1}, outcome: o,
			recovered: proberRecovered(pr, state),
			summary:   fmt.Sprintf("prober %s (%s) is silent: %s", pr.ID, pr.Region, o.Reason),
			alert:     Alert{Regions: []string{pr.Region}, Value: o.Reason}})
	}
	p.add(MetricProbersSilent, Sample{T: c.now, V: float64(silent)})
	return nil
}

// proberOutcome is prober_silent's outcome for a prober in state, quiet for
// quiet. Only a silent prober breaches; a live, stopped (deregistered) or
// retired one is clear, so a retired prober's alert resolves — it stays in
// the store, and so keeps being evaluated, rather than vanishing with its
// alert still firing. While the engine has watched for less than the
// silence (warmingUp), a silent prober is no data: its heartbeats may not
// have reached a control plane that was just restarting.
func proberOutcome(state linkwatch.ProberState, quiet time.Duration, warmingUp bool) Outcome {
	switch {
	case state != linkwatch.ProberSilent:
		return Outcome{State: Clear}
	case warmingUp:
		return Outcome{State: NoData}
	}
	return Outcome{State: Breach, Value: quiet.Seconds(), Reason: "no heartbeat for " + dur(quiet.Round(time.Second))}
}

// proberRecovered says why a silent prober's alert resolves: it reports
// again, stopped cleanly, or was retired.
func proberRecovered(pr linkwatch.ProberInfo, state linkwatch.ProberState) string {
	name := fmt.Sprintf("prober %s (%s)", pr.ID, pr.Region)
	switch state {
	case linkwatch.ProberRetired:
		return name + " was retired"
	case linkwatch.ProberStopped:
		return name + " stopped cleanly"
	}
	return name + " reports again"
}

func platformItem(rule, severity string, t Timing, o Outcome, summary, value, recovered string) item {
	return item{key: rule + "|platform", rule: rule, severity: severity, scope: "platform",
		labels:  map[string]string{"rule": rule, "severity": severity, "scope": "platform"},
		summary: summary, recovered: recovered, timing: t, outcome: o, alert: Alert{Value: value}}
}

func last(s []Sample) float64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1].V
}
