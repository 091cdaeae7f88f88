package alerting

import (
	"encoding/json"
	"fmt"
	"time"
)

// poolSaturation is the platform's own database-pool rule, the one the seed
// incident needed (a pool going 85% → 100% in 3 minutes, missed by a static
// 95% threshold over 5 minutes): utilisation rising at least 10 points in 3
// minutes while at or above 80%, or predicted to reach 100% within 5
// minutes. testdata/conditions/pool-saturation.yaml is the same rule.
const poolSaturation = `{"rate": {
	"change": {"aggregate": "avg", "window": "30s", "baseline": "ago", "ago": "3m", "by": "absolute",
	           "direction": "rise", "at_least": 10, "min_level": 80, "min_samples": 2},
	"predict": {"window": "2m", "limit": 100, "within": "5m", "min_samples": 6}}}`

// poolTiming: two evaluations in a row to fire, four clear ones to resolve.
var poolTiming = Timing{ForChecks: 2, RecoverChecks: 4}

// poolHistory is how much of the utilisation series the engine keeps.
const poolHistory = 15 * time.Minute

func compilePoolRule() Condition {
	var spec ConditionSpec
	if err := json.Unmarshal([]byte(poolSaturation), &spec); err != nil {
		panic(err) // a constant: tests compile it
	}
	c, err := spec.Compile()
	if err != nil {
		panic(err)
	}
	return c
}

// samplePool records the pool's utilisation now and drops what is older
// than poolHistory.
func (e *Engine) samplePool(now time.Time) {
	if e.cfg.PoolUtilization == nil {
		return
	}
	e.pool = append(e.pool, Sample{T: now, V: e.cfg.PoolUtilization()})
	cut := 0
	for cut < len(e.pool) && now.Sub(e.pool[cut].T) > poolHistory {
		cut++
	}
	e.pool = e.pool[cut:]
}

// evaluatePool steps the db_pool_saturation alert.
func (e *Engine) evaluatePool(prev map[string]StoredAlert, now time.Time, silences []Silence, windows []Maintenance) (*StoredAlert, []Outgoing) {
	if e.cfg.PoolUtilization == nil {
		return nil, nil
	}
	const key = "db_pool_saturation|platform"
	old := prev[key]
	o := e.poolRule.Evaluate(now, e.pool)
	next, tr := Step(old.State, o, poolTiming, now)
	if quiet(old.State, next) {
		return nil, nil
	}
	labels := map[string]string{"rule": "db_pool_saturation", "severity": SeverityCritical, "scope": "platform"}
	a := StoredAlert{Key: key, Rule: "db_pool_saturation", Severity: SeverityCritical, Scope: "platform", Labels: labels,
		Summary: fmt.Sprintf("database pool at %.0f%%: %s", last(e.pool), o.Reason), State: next, UpdatedAt: now}
	muted, _ := Muted(labels, now, silences, windows)
	send := e.toSend(old.State, &a.State, tr, muted, now)
	if send == NoTransition {
		return &a, nil
	}
	alerts := []Alert{{Value: fmt.Sprintf("%.0f%% of the pool in use", last(e.pool))}}
	return &a, e.outgoing(a, send, alerts, now)
}

func last(s []Sample) float64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1].V
}
