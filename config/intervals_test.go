package config

import (
	"strings"
	"testing"
	"time"
)

// TestLoopIntervals: the alert engine's, the deliverer's and the status
// page builder's intervals default to what those packages chose, can be
// shortened to 100ms (end-to-end tests run them so), and are bounded.
func TestLoopIntervals(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.AlertEvaluationInterval != 2*time.Second || c.AlertDeliveryInterval != time.Second || c.StatusRebuildInterval != 5*time.Second {
		t.Errorf("defaults: evaluation %v, delivery %v, status rebuild %v; want 2s, 1s, 5s",
			c.AlertEvaluationInterval, c.AlertDeliveryInterval, c.StatusRebuildInterval)
	}
	c, err = load(t, nil, map[string]string{"LINKWATCH_ALERT_EVALUATION_INTERVAL": "100ms",
		"LINKWATCH_ALERT_DELIVERY_INTERVAL": "100ms", "LINKWATCH_STATUS_REBUILD_INTERVAL": "100ms"})
	if err != nil {
		t.Fatal(err)
	}
	if c.AlertEvaluationInterval != 100*time.Millisecond || c.AlertDeliveryInterval != 100*time.Millisecond || c.StatusRebuildInterval != 100*time.Millisecond {
		t.Errorf("100ms each: %v, %v, %v", c.AlertEvaluationInterval, c.AlertDeliveryInterval, c.StatusRebuildInterval)
	}
	for env, v := range map[string]string{
		"LINKWATCH_ALERT_EVALUATION_INTERVAL": "11s", // the evaluator lease would lapse between cycles
		"LINKWATCH_ALERT_DELIVERY_INTERVAL":   "50ms",
		"LINKWATCH_STATUS_REBUILD_INTERVAL":   "1h",
	} {
		_, err := load(t, nil, map[string]string{env: v})
		if err == nil || !strings.HasPrefix(err.Error(), "config: "+env+" must be") {
			t.Errorf("%s=%s: %v, want an error naming the setting", env, v, err)
		}
	}
}
