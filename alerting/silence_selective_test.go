package alerting

import "testing"

// TestMatchersThatMatchEveryAlert: a matcher set that matches every alert
// is refused however it is written: every alert has a rule and a severity,
// and any other label may be missing.
func TestMatchersThatMatchEveryAlert(t *testing.T) {
	tests := []struct {
		matchers string
		refused  bool
	}{
		// Every alert has these.
		{`{severity=~".+"}`, true},
		{`{severity=~".*"}`, true},
		{`{severity!=""}`, true},
		{`{severity!~""}`, true},
		{`{severity=~"critical|warning|info"}`, true},
		{`{severity=~"(?i)CRITICAL|warning|info"}`, true},
		{`{severity!="none"}`, true},
		{`{severity!~"page"}`, true},
		{`{rule!=""}`, true},
		{`{rule=~".+"}`, true},
		{`{rule=~"(?s).*"}`, true},
		{`{rule=~"[a-z][a-z0-9_]*"}`, true},
		{`{rule!~"nothing_by_this_name"}`, true},
		{`{rule=~".+", severity=~".+"}`, true},
		// Labels that may be missing: matching the empty value is matching all.
		{`{x=~".*"}`, true},
		{`{campaign=~"|spring"}`, true},
		{`{link!="promo"}`, true},
		{`{tag!~".+"}`, true},
		{`{link!="promo", severity!=""}`, true},
		// Selective.
		{`{severity="critical"}`, false},
		{`{severity=~"critical|warning"}`, false},
		{`{severity!="info"}`, false},
		{`{severity!~"info|warning"}`, false},
		{`{rule="link_down"}`, false},
		{`{rule=~"link_.*"}`, false},
		{`{rule!="link_down"}`, false},
		{`{campaign=~".+"}`, false},
		{`{link!=""}`, false},
		{`{severity=~".+", campaign="spring"}`, false},
		{`{link!="promo", severity="critical"}`, false},
	}
	for _, tt := range tests {
		ms, err := ParseMatchers(tt.matchers)
		if err != nil {
			t.Fatalf("%s: %v", tt.matchers, err)
		}
		_, err = compileMatchers("matchers", ms)
		if refused := err != nil; refused != tt.refused {
			t.Errorf("%s: refused = %v (%v), want %v", tt.matchers, refused, err, tt.refused)
		}
		// A stored silence that would be refused mutes nothing.
		alert := map[string]string{"rule": "link_down", "severity": "critical", "link": "spring", "campaign": "spring"}
		if s := (Silence{Matchers: ms}); tt.refused && s.Matches(alert) {
			t.Errorf("%s: a refused silence matches an alert", tt.matchers)
		}
	}
}
