package alerting

import (
	"fmt"
	"slices"
	"strings"
)

// RegionStatus is what one region's prober last said about a link or monitor.
type RegionStatus struct {
	Region string
	// Fresh says the region reported recently enough to count (the caller
	// decides how recent, e.g. within two check intervals). A region that
	// is not fresh is silent: it is neither failing nor healthy.
	Fresh bool
	// Failing says the region's latest check failed.
	Failing bool
	// ConsecutiveFailures counts the region's failed checks in a row,
	// latest included.
	ConsecutiveFailures int
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
	// count as failing (default 1). link_down uses 2.
	Consecutive int
}

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

// Down is the outcome for the down alert (link_down): a breach when the
// quorum is down, no data when no region is fresh, else clear.
func (o QuorumOutcome) Down() Outcome {
	return o.outcome(map[QuorumState]OutcomeState{
		QuorumDown: Breach, QuorumDegraded: Clear, QuorumUp: Clear, QuorumNoData: NoData})
}

// Degradation is the outcome for the regional_degradation warning: a breach
// while some regions fail. While the target is down the warning is held
// (Band): the page supersedes it, a warning already firing does not resolve
// only to be replaced, and a pending one does not start.
func (o QuorumOutcome) Degradation() Outcome {
	return o.outcome(map[QuorumState]OutcomeState{
		QuorumDegraded: Breach, QuorumDown: Band, QuorumUp: Clear, QuorumNoData: NoData})
}

// Silence is the outcome for the no-data alert: a breach while any region
// is silent, kept apart from failing.
func (o QuorumOutcome) Silence() Outcome {
	if len(o.Silent) > 0 {
		return Outcome{State: Breach, Value: float64(len(o.Silent)),
			Reason: "no recent results from " + strings.Join(o.Silent, ", ")}
	}
	return Outcome{State: Clear, Reason: "every region reports"}
}

func (o QuorumOutcome) outcome(states map[QuorumState]OutcomeState) Outcome {
	s, ok := states[o.State]
	if !ok {
		s = NoData
	}
	return Outcome{State: s, Value: float64(len(o.Failing)), Reason: o.Reason}
}
