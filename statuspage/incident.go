package statuspage

import (
	"time"

	"github.com/linkwatch/linkwatch"
)

// AddUpdate appends an update to the incident's timeline (newest first)
// and moves the incident with it: its status, the times it reached
// monitoring and resolution, and the statuses it gives its components
// (an update that names components replaces theirs; resolving sets every
// affected component back to operational).
func (in *Incident) AddUpdate(u Update, now time.Time) {
	now = now.UTC().Truncate(time.Millisecond)
	u.ID, u.IncidentID = linkwatch.NewID(), in.ID
	u.CreatedAt, u.UpdatedAt = now, now
	if u.DisplayAt.IsZero() {
		u.DisplayAt = now
	}
	in.Status = u.Status
	for _, a := range u.Components {
		i := -1
		for j := range in.Components {
			if in.Components[j].ComponentID == a.ComponentID {
				i = j
			}
		}
		if i < 0 {
			in.Components = append(in.Components, a)
		} else {
			in.Components[i].Status = a.Status
		}
	}
	switch u.Status {
	case Monitoring, Verifying:
		if in.MonitoringAt.IsZero() {
			in.MonitoringAt = now
		}
	case Resolved, Postmortem, Completed:
		if in.ResolvedAt.IsZero() {
			in.ResolvedAt = now
		}
		for i := range in.Components {
			in.Components[i].Status = Operational
		}
	case InProgress:
		if in.StartedAt.IsZero() || in.StartedAt.After(now) {
			in.StartedAt = now
		}
	}
	in.Updates = append([]Update{u}, in.Updates...)
	in.UpdatedAt = now
}
