package health

import (
	"slices"
	"testing"
)

// Region statuses for the tables: up, failing twice in a row, failing once,
// silent, and silent after failing.
func up(r string) RegionStatus { return RegionStatus{Region: r, Fresh: true} }
func down(r string) RegionStatus {
	return RegionStatus{Region: r, Fresh: true, Failing: true, ConsecutiveFailures: 2}
}
func blip(r string) RegionStatus {
	return RegionStatus{Region: r, Fresh: true, Failing: true, ConsecutiveFailures: 1}
}
func silent(r string) RegionStatus {
	return RegionStatus{Region: r}
}
func staleBad(r string) RegionStatus {
	return RegionStatus{Region: r, Failing: true, ConsecutiveFailures: 9}
}

func TestQuorum(t *testing.T) {
	tests := []struct {
		name    string
		regions []RegionStatus
		k       int
		want    QuorumState
		wantK   int
		failing []string
		silent  []string
	}{
		{"three up", []RegionStatus{up("eu"), up("us"), up("ap")}, 0, QuorumUp, 2, nil, nil},
		{"one of three fails: a warning, no page", []RegionStatus{up("eu"), down("us"), up("ap")}, 0,
			QuorumDegraded, 2, []string{"us"}, nil},
		{"two of three fail: down", []RegionStatus{down("eu"), down("us"), up("ap")}, 0,
			QuorumDown, 2, []string{"eu", "us"}, nil},
		{"three of three fail", []RegionStatus{down("eu"), down("us"), down("ap")}, 0,
			QuorumDown, 2, []string{"ap", "eu", "us"}, nil},
		{"a stale failing region is ignored", []RegionStatus{up("eu"), down("us"), staleBad("ap")}, 0,
			QuorumDegraded, 2, []string{"us"}, []string{"ap"}},
		{"two fresh, one fails: majority of fresh is 2", []RegionStatus{up("eu"), down("us"), silent("ap")}, 0,
			QuorumDegraded, 2, []string{"us"}, []string{"ap"}},
		{"one fresh region that fails is a majority of one", []RegionStatus{down("local")}, 0,
			QuorumDown, 1, []string{"local"}, nil},
		{"no fresh region", []RegionStatus{silent("eu"), staleBad("us")}, 0,
			QuorumNoData, 1, nil, []string{"eu", "us"}},
		{"no regions at all", nil, 0, QuorumNoData, 1, nil, nil},
		{"explicit k=1 pages on one", []RegionStatus{up("eu"), down("us"), up("ap")}, 1,
			QuorumDown, 1, []string{"us"}, nil},
		{"explicit k=3 of 3 fresh", []RegionStatus{down("eu"), down("us"), up("ap")}, 3,
			QuorumDegraded, 3, []string{"eu", "us"}, nil},
		{"five regions, three fail", []RegionStatus{down("a"), down("b"), down("c"), up("d"), up("e")}, 0,
			QuorumDown, 3, []string{"a", "b", "c"}, nil},
		{"five regions, two fail", []RegionStatus{down("a"), down("b"), up("c"), up("d"), up("e")}, 0,
			QuorumDegraded, 3, []string{"a", "b"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Quorum(tt.regions, tt.k)
			if o.State != tt.want || o.K != tt.wantK || !slices.Equal(o.Failing, tt.failing) || !slices.Equal(o.Silent, tt.silent) {
				t.Errorf("= %s k=%d failing %v silent %v (%s); want %s k=%d failing %v silent %v",
					o.State, o.K, o.Failing, o.Silent, o.Reason, tt.want, tt.wantK, tt.failing, tt.silent)
			}
		})
	}
}

// TestQuorumConsecutive: link_down counts a region as failing after two
// failed checks in a row; a single failed check is only suspect.
func TestQuorumConsecutive(t *testing.T) {
	rule := QuorumRule{Consecutive: 2}
	tests := []struct {
		name    string
		regions []RegionStatus
		want    QuorumState
		suspect []string
	}{
		{"two regions blip once", []RegionStatus{blip("eu"), blip("us"), up("ap")}, QuorumUp, []string{"eu", "us"}},
		{"one failing, one blip", []RegionStatus{down("eu"), blip("us"), up("ap")}, QuorumDegraded, []string{"us"}},
		{"two failing twice", []RegionStatus{down("eu"), down("us"), blip("ap")}, QuorumDown, []string{"ap"}},
		{"recovered region with an old count", []RegionStatus{{Region: "eu", Fresh: true, ConsecutiveFailures: 5}, down("us"), up("ap")},
			QuorumDegraded, nil},
	}
	for _, tt := range tests {
		o := rule.Evaluate(tt.regions)
		if o.State != tt.want || !slices.Equal(o.Suspect, tt.suspect) {
			t.Errorf("%s: = %s suspect %v (%s), want %s suspect %v", tt.name, o.State, o.Suspect, o.Reason, tt.want, tt.suspect)
		}
	}
}

func TestQuorumReason(t *testing.T) {
	o := Quorum([]RegionStatus{down("us"), up("eu"), silent("ap")}, 0)
	want := "1 of 2 fresh regions failing (us), quorum 2; silent: ap"
	if o.Reason != want {
		t.Errorf("reason %q, want %q", o.Reason, want)
	}
}
