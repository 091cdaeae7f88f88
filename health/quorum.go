package health

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
)

// RegionStatus is what one region's prober last said about a link or monitor,
// as a quorum sees it.
type RegionStatus struct {
	Region string
	// Fresh says the region reported recently enough to count (see Fresh).
	// A region that is not fresh is silent: neither failing nor healthy.
	Fresh bool
	// Failing says the region's latest check failed.
	Failing bool
	// ConsecutiveFailures counts the region's failed checks in a row,
	// latest included.
	ConsecutiveFailures int
}

// RegionStatuses turns a target's latest results, one per region, into a
// quorum's input, with freshness for a target checked every interval.
func RegionStatuses(regions []linkwatch.Latest, interval time.Duration, now time.Time) []RegionStatus {
	statuses := make([]RegionStatus, 0, len(regions))
	for _, r := range regions {
		statuses = append(statuses, RegionStatus{Region: r.Region, Fresh: Fresh(r.At, interval, now),
			Failing: !r.OK(), ConsecutiveFailures: r.Failures})
	}
	return statuses
}

// QuorumState is the verdict of a quorum over regions.
type QuorumState string

// Quorum states.
const (
	QuorumUp       QuorumState = "up"
	QuorumDegraded QuorumState = "regional_degradation" // some, fewer than K, fresh regions fail
	QuorumDown     QuorumState = "down"                 // at least K fresh regions fail
	QuorumNoData   QuorumState = "no_data"              // no region is fresh
)

// QuorumOutcome is a quorum's verdict and the regions behind it. Region
// lists are sorted.
type QuorumOutcome struct {
	State QuorumState
	// K is the quorum applied; Fresh the number of fresh regions.
	K     int
	Fresh int
	// Failing are the fresh regions failing for the required consecutive
	// checks; Suspect the fresh regions whose latest check failed but not
	// yet often enough to count; Silent the regions that are not fresh.
	Failing []string
	Suspect []string
	Silent  []string
	Reason  string
}

// QuorumRule decides whether a target is down from its regions' statuses.
type QuorumRule struct {
	// K is how many fresh regions must fail for the target to be down; 0
	// means a majority of the fresh regions (2 of 3, 2 of 2, 1 of 1 — a
	// single-region deployment must still page).
	K int
	// Consecutive is how many consecutive failed checks make a region
	// count as failing (default 1). LinkDown uses 2.
	Consecutive int
}

// LinkDown is the quorum that makes a link or monitor down, and link_down
// page: a majority of fresh regions, each failing 2 checks in a row.
var LinkDown = QuorumRule{Consecutive: 2}

// Quorum applies QuorumRule{K: k} (k ≤ 0: a majority of fresh regions), a
// region counting as failing from its first failed check.
func Quorum(regions []RegionStatus, k int) QuorumOutcome {
	return QuorumRule{K: k}.Evaluate(regions)
}

// Evaluate returns Down when at least K fresh regions fail, Degraded when
// some but fewer do — so a lone failing region neither pages nor
// disappears — NoData when no region is fresh, else Up. Silent regions
// never count as failing; they are reported in Silent.
func (q QuorumRule) Evaluate(regions []RegionStatus) QuorumOutcome {
	need := max(q.Consecutive, 1)
	var o QuorumOutcome
	for _, r := range regions {
		switch {
		case !r.Fresh:
			o.Silent = append(o.Silent, r.Region)
		case r.Failing && r.ConsecutiveFailures >= need:
			o.Failing = append(o.Failing, r.Region)
		case r.Failing:
			o.Suspect = append(o.Suspect, r.Region)
		}
		if r.Fresh {
			o.Fresh++
		}
	}
	slices.Sort(o.Failing)
	slices.Sort(o.Suspect)
	slices.Sort(o.Silent)
	o.K = q.K
	if o.K <= 0 {
		o.K = o.Fresh/2 + 1
	}
	failing := fmt.Sprintf("%d of %d fresh regions failing (%s), quorum %d",
		len(o.Failing), o.Fresh, strings.Join(o.Failing, ", "), o.K)
	switch {
	case o.Fresh == 0:
		o.State, o.Reason = QuorumNoData, "no region reported recently"
	case len(o.Failing) >= o.K:
		o.State, o.Reason = QuorumDown, failing
	case len(o.Failing) > 0:
		o.State, o.Reason = QuorumDegraded, failing
	default:
		o.State, o.Reason = QuorumUp, fmt.Sprintf("no failing region of %d fresh", o.Fresh)
	}
	if len(o.Silent) > 0 {
		o.Reason += "; silent: " + strings.Join(o.Silent, ", ")
	}
	return o
}
