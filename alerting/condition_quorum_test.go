package alerting

import (
	"slices"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/health"
)

// Region statuses for the tables: up, failing twice in a row, failing once,
// silent, and silent after failing.
func up(r string) health.RegionStatus { return health.RegionStatus{Region: r, Fresh: true} }
func down(r string) health.RegionStatus {
	return health.RegionStatus{Region: r, Fresh: true, Failing: true, ConsecutiveFailures: 2}
}
func blip(r string) health.RegionStatus {
	return health.RegionStatus{Region: r, Fresh: true, Failing: true, ConsecutiveFailures: 1}
}
func silent(r string) health.RegionStatus {
	return health.RegionStatus{Region: r}
}
func staleBad(r string) health.RegionStatus {
	return health.RegionStatus{Region: r, Failing: true, ConsecutiveFailures: 9}
}

func TestQuorumOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		regions []health.RegionStatus
		k       int
		want    health.QuorumState
		wantK   int
		failing []string
		silent  []string
		// Outcomes for link_down, regional_degradation and no-data.
		page, warn, nodata OutcomeState
	}{
		{"three up", []health.RegionStatus{up("eu"), up("us"), up("ap")}, 0, health.QuorumUp, 2, nil, nil, Clear, Clear, Clear},
		{"one of three fails: a warning, no page", []health.RegionStatus{up("eu"), down("us"), up("ap")}, 0,
			health.QuorumDegraded, 2, []string{"us"}, nil, Clear, Breach, Clear},
		{"two of three fail: down", []health.RegionStatus{down("eu"), down("us"), up("ap")}, 0,
			health.QuorumDown, 2, []string{"eu", "us"}, nil, Breach, Band, Clear},
		{"three of three fail", []health.RegionStatus{down("eu"), down("us"), down("ap")}, 0,
			health.QuorumDown, 2, []string{"ap", "eu", "us"}, nil, Breach, Band, Clear},
		{"a stale failing region is ignored", []health.RegionStatus{up("eu"), down("us"), staleBad("ap")}, 0,
			health.QuorumDegraded, 2, []string{"us"}, []string{"ap"}, Clear, Breach, Breach},
		{"two fresh, one fails: majority of fresh is 2", []health.RegionStatus{up("eu"), down("us"), silent("ap")}, 0,
			health.QuorumDegraded, 2, []string{"us"}, []string{"ap"}, Clear, Breach, Breach},
		{"one fresh region that fails is a majority of one", []health.RegionStatus{down("local")}, 0,
			health.QuorumDown, 1, []string{"local"}, nil, Breach, Band, Clear},
		{"no fresh region", []health.RegionStatus{silent("eu"), staleBad("us")}, 0,
			health.QuorumNoData, 1, nil, []string{"eu", "us"}, NoData, NoData, Breach},
		{"no regions at all", nil, 0, health.QuorumNoData, 1, nil, nil, NoData, NoData, Clear},
		{"explicit k=1 pages on one", []health.RegionStatus{up("eu"), down("us"), up("ap")}, 1,
			health.QuorumDown, 1, []string{"us"}, nil, Breach, Band, Clear},
		{"explicit k=3 of 3 fresh", []health.RegionStatus{down("eu"), down("us"), up("ap")}, 3,
			health.QuorumDegraded, 3, []string{"eu", "us"}, nil, Clear, Breach, Clear},
		{"five regions, three fail", []health.RegionStatus{down("a"), down("b"), down("c"), up("d"), up("e")}, 0,
			health.QuorumDown, 3, []string{"a", "b", "c"}, nil, Breach, Band, Clear},
		{"five regions, two fail", []health.RegionStatus{down("a"), down("b"), up("c"), up("d"), up("e")}, 0,
			health.QuorumDegraded, 3, []string{"a", "b"}, nil, Clear, Breach, Clear},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := health.Quorum(tt.regions, tt.k)
			if o.State != tt.want || o.K != tt.wantK || !slices.Equal(o.Failing, tt.failing) || !slices.Equal(o.Silent, tt.silent) {
				t.Errorf("= %s k=%d failing %v silent %v (%s); want %s k=%d failing %v silent %v",
					o.State, o.K, o.Failing, o.Silent, o.Reason, tt.want, tt.wantK, tt.failing, tt.silent)
			}
			if p, w, n := downOutcome(o).State, degradationOutcome(o).State, silenceOutcome(o).State; p != tt.page || w != tt.warn || n != tt.nodata {
				t.Errorf("outcomes down %s, degradation %s, silence %s; want %s, %s, %s", p, w, n, tt.page, tt.warn, tt.nodata)
			}
		})
	}
}

func TestQuorumSilenceReason(t *testing.T) {
	o := health.Quorum([]health.RegionStatus{down("us"), up("eu"), silent("ap")}, 0)
	if r := silenceOutcome(o).Reason; r != "no recent results from ap" {
		t.Errorf("silence reason %q", r)
	}
}

// TestQuorumWithStep: one region failing for an hour never pages; a second
// region failing pages once; both recovering resolves once.
func TestQuorumWithStep(t *testing.T) {
	var page, warn AlertState
	var pages, warns []Transition
	now := t0
	step := func(regions ...health.RegionStatus) {
		o := health.Quorum(regions, 0)
		now = now.Add(time.Minute)
		var tr Transition
		if page, tr = Step(page, downOutcome(o), Timing{}, now); tr != NoTransition {
			pages = append(pages, tr)
		}
		if warn, tr = Step(warn, degradationOutcome(o), Timing{ForChecks: 2}, now); tr != NoTransition {
			warns = append(warns, tr)
		}
	}
	for range 60 {
		step(up("eu"), down("us"), up("ap"))
	}
	if len(pages) != 0 || !slices.Equal(warns, []Transition{Fire}) {
		t.Fatalf("one region failing: pages %v, warnings %v; want none, one firing", pages, warns)
	}
	step(down("eu"), down("us"), up("ap"))
	step(down("eu"), down("us"), silent("ap"))
	step(up("eu"), up("us"), up("ap"))
	if !slices.Equal(pages, []Transition{Fire, Resolve}) || !slices.Equal(warns, []Transition{Fire, Resolve}) {
		t.Errorf("pages %v, warnings %v; want one firing and one resolution each", pages, warns)
	}
}
