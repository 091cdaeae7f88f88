package health

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
)

// Assessment is a link's or monitor's health across its regions.
type Assessment struct {
	// State is Down exactly when the LinkDown quorum is down (what
	// link_down pages on); Unknown when no region is fresh; Degraded when a
	// fresh region fails (alone, or not yet twice in a row) or is slow;
	// else Up.
	State State
	// Reason says why, for people: "2 of 3 regions failing: http_status
	// 503", "up in 3 of 3 regions".
	Reason string
	// Regions are the regions' states, in the order given.
	Regions []Region
	// Quorum is the LinkDown quorum's verdict.
	Quorum QuorumOutcome
}

// Assess is the health of a target checked every interval whose regions'
// latest results are latest (one per region).
func Assess(latest []linkwatch.Latest, interval time.Duration, now time.Time) Assessment {
	a := Assessment{Regions: make([]Region, 0, len(latest))}
	var failing, slow []Region
	for _, l := range latest {
		r := RegionOf(l, interval, now)
		a.Regions = append(a.Regions, r)
		switch r.State {
		case Down:
			failing = append(failing, r)
		case Degraded:
			slow = append(slow, r)
		}
	}
	a.Quorum = LinkDown.Evaluate(RegionStatuses(latest, interval, now))
	fresh := a.Quorum.Fresh
	switch {
	case fresh == 0:
		a.State, a.Reason = Unknown, "no region reported recently"
		if len(latest) == 0 {
			a.Reason = "no region has reported yet"
		}
	case a.Quorum.State == QuorumDown:
		a.State, a.Reason = Down, failingReason(failing, fresh)
	case len(failing) > 0:
		a.State, a.Reason = Degraded, failingReason(failing, fresh)
		if len(a.Quorum.Failing) == 0 {
			a.Reason += " (not yet twice in a row)"
		}
	case len(slow) > 0:
		names := make([]string, len(slow))
		for i, r := range slow {
			names[i] = r.Region
		}
		slices.Sort(names)
		a.State, a.Reason = Degraded, fmt.Sprintf("slow in %s: %s", OfRegions(len(slow), fresh), strings.Join(names, ", "))
	default:
		a.State, a.Reason = Up, "up in "+OfRegions(fresh, fresh)
	}
	if fresh > 0 && len(a.Quorum.Silent) > 0 {
		a.Reason += "; no recent results from " + strings.Join(a.Quorum.Silent, ", ")
	}
	return a
}

// failingReason is "2 of 3 regions failing: http_status 503", naming the
// distinct failures (class and status or error) of the failing regions.
func failingReason(failing []Region, fresh int) string {
	var whys []string
	for _, r := range failing {
		why := r.Class
		switch {
		case r.Class == linkwatch.ClassHTTPStatus && r.Status != 0:
			why = fmt.Sprintf("%s %d", r.Class, r.Status)
		case r.Error != "" && len(r.Error) <= 80:
			why = r.Class + ": " + r.Error
		}
		if !slices.Contains(whys, why) {
			whys = append(whys, why)
		}
	}
	slices.Sort(whys)
	return fmt.Sprintf("%s failing: %s", OfRegions(len(failing), fresh), strings.Join(whys, "; "))
}

// OfRegions says "2 of 3 regions", or "1 of 1 region": how every message
// counts regions.
func OfRegions(k, n int) string {
	if n == 1 {
		return fmt.Sprintf("%d of 1 region", k)
	}
	return fmt.Sprintf("%d of %d regions", k, n)
}
