package statuspage

import (
	"testing"
	"time"

	"github.com/linkwatch/linkwatch"
)

// TestMonitoredStatus: a component follows the alert engine's quorum — a
// link down is a major outage, some of a campaign's links down a partial
// one, a failure from one region of three at most degraded.
func TestMonitoredStatus(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	a, b := linkwatch.Target{Kind: linkwatch.KindLink, ID: 1}, linkwatch.Target{Kind: linkwatch.KindLink, ID: 2}
	every := map[linkwatch.Target]time.Duration{a: time.Minute, b: time.Minute}
	regions := func(t linkwatch.Target, failing ...string) []linkwatch.Latest {
		var out []linkwatch.Latest
		for _, r := range []string{"eu", "us", "ap"} {
			l := linkwatch.Latest{Result: linkwatch.Result{Target: t, Region: r, At: now.Add(-10 * time.Second)}}
			for _, f := range failing {
				if f == r {
					l.Class, l.Failures = linkwatch.ClassConnect, 3
				}
			}
			out = append(out, l)
		}
		return out
	}
	for _, c := range []struct {
		name    string
		targets []linkwatch.Target
		latest  map[linkwatch.Target][]linkwatch.Latest
		want    string
	}{
		{"healthy", []linkwatch.Target{a}, map[linkwatch.Target][]linkwatch.Latest{a: regions(a)}, Operational},
		{"one region", []linkwatch.Target{a}, map[linkwatch.Target][]linkwatch.Latest{a: regions(a, "eu")}, DegradedPerformance},
		{"quorum", []linkwatch.Target{a}, map[linkwatch.Target][]linkwatch.Latest{a: regions(a, "eu", "us")}, MajorOutage},
		{"some links of a campaign", []linkwatch.Target{a, b}, map[linkwatch.Target][]linkwatch.Latest{a: regions(a, "eu", "us"), b: regions(b)}, PartialOutage},
		{"every link of a campaign", []linkwatch.Target{a, b}, map[linkwatch.Target][]linkwatch.Latest{a: regions(a, "eu", "us"), b: regions(b, "eu", "us", "ap")}, MajorOutage},
		{"stale results are not failures", []linkwatch.Target{a}, map[linkwatch.Target][]linkwatch.Latest{a: func() []linkwatch.Latest {
			rs := regions(a, "eu", "us")
			for i := range rs {
				rs[i].At = now.Add(-time.Hour)
			}
			return rs
		}()}, Operational},
	} {
		if got := monitoredStatus(c.targets, c.latest, every, now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestIncidentOverridesAndGroups: an unresolved, published incident's
// status wins, a draft's or a resolved one's does not; a group shows its
// worst component, and an outage shows through maintenance.
func TestIncidentOverridesAndGroups(t *testing.T) {
	incidents := []Incident{
		{ID: "1", Status: Investigating, Components: []Affected{{ComponentID: "c", Status: PartialOutage}}},
		{ID: "2", Status: Investigating, Draft: true, Components: []Affected{{ComponentID: "c", Status: MajorOutage}}},
		{ID: "3", Status: Resolved, Components: []Affected{{ComponentID: "c", Status: MajorOutage}}},
	}
	if got := incidentStatus("c", incidents, nil); got != PartialOutage {
		t.Fatalf("incident status %q", got)
	}
	if got := incidentStatus("other", incidents, nil); got != "" {
		t.Fatalf("unaffected component %q", got)
	}
	if worse(UnderMaintenance, MajorOutage) != MajorOutage || worse(DegradedPerformance, UnderMaintenance) != DegradedPerformance {
		t.Fatal("status ranks")
	}
	views := orderGroups([]ComponentView{
		{Component: Component{ID: "b", GroupID: "g"}}, {Component: Component{ID: "g", Group: true}}, {Component: Component{ID: "x"}},
	})
	if views[0].ID != "g" || views[1].ID != "b" || views[2].ID != "x" {
		t.Fatalf("order %v %v %v", views[0].ID, views[1].ID, views[2].ID)
	}
}
