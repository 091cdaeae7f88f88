package alerting

import (
	"strings"

	"github.com/linkwatch/linkwatch/health"
)

// The quorum itself — which regions are fresh and failing, and when a target
// is down — is package health's; here its verdict becomes the outcomes of
// the rules that read it.

// downOutcome is the outcome for the down alert (link_down, and a custom
// quorum rule): a breach when the quorum is down, no data when no region is
// fresh, else clear.
func downOutcome(o health.QuorumOutcome) Outcome {
	return quorumOutcome(o, map[health.QuorumState]OutcomeState{
		health.QuorumDown: Breach, health.QuorumDegraded: Clear, health.QuorumUp: Clear, health.QuorumNoData: NoData})
}

// degradationOutcome is the outcome for the regional_degradation warning: a
// breach while some regions fail. While the target is down the warning is
// held (Band): the page supersedes it, a warning already firing does not
// resolve only to be replaced, and a pending one does not start.
func degradationOutcome(o health.QuorumOutcome) Outcome {
	return quorumOutcome(o, map[health.QuorumState]OutcomeState{
		health.QuorumDegraded: Breach, health.QuorumDown: Band, health.QuorumUp: Clear, health.QuorumNoData: NoData})
}

// silenceOutcome is the outcome for a no-data alert: a breach while any
// region is silent, kept apart from failing.
func silenceOutcome(o health.QuorumOutcome) Outcome {
	if len(o.Silent) > 0 {
		return Outcome{State: Breach, Value: float64(len(o.Silent)),
			Reason: "no recent results from " + strings.Join(o.Silent, ", ")}
	}
	return Outcome{State: Clear, Reason: "every region reports"}
}

func quorumOutcome(o health.QuorumOutcome, states map[health.QuorumState]OutcomeState) Outcome {
	s, ok := states[o.State]
	if !ok {
		s = NoData
	}
	return Outcome{State: s, Value: float64(len(o.Failing)), Reason: o.Reason}
}
