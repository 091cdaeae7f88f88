package statuspage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// Alerts is what automatic incidents read: the alert engine's alerts, and
// a lease so one replica opens and resolves them.
type Alerts interface {
	Alerts(ctx context.Context) ([]alerting.StoredAlert, error)
	Lease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (fence int64, ok bool, err error)
}

// AutoLease is the lease whose holder opens and resolves automatic
// incidents.
const AutoLease = "statuspage-auto-incidents"

// autoKey marks the incident a component's automation opened.
func autoKey(componentID string) string { return "auto|" + componentID }

// autoIncidents opens an incident — draft or published, as the component
// says — when link_down fires on one of an auto_incident component's links,
// and resolves it when none fires any more.
func (b *Builder) autoIncidents(ctx context.Context, comps []Component, links []*linkwatch.Link, now time.Time) (leader bool, err error) {
	if b.alerts == nil {
		return false, nil
	}
	if _, ok, err := b.alerts.Lease(ctx, AutoLease, b.cfg.Holder, time.Minute, now); err != nil || !ok {
		return false, err
	}
	if err := b.advanceMaintenances(ctx, now); err != nil {
		return true, err
	}
	return true, b.openAndResolve(ctx, comps, links, now)
}

// openAndResolve opens and resolves the components' automatic incidents.
func (b *Builder) openAndResolve(ctx context.Context, comps []Component, links []*linkwatch.Link, now time.Time) error {
	if !slices.ContainsFunc(comps, func(c Component) bool { return c.AutoIncident != AutoOff }) {
		return nil
	}
	alerts, err := b.alerts.Alerts(ctx)
	if err != nil {
		return err
	}
	down := map[string]bool{} // link slugs with link_down firing
	for _, a := range alerts {
		if a.Rule == "link_down" && a.State.Phase == alerting.PhaseFiring && strings.HasPrefix(a.Scope, "link/") {
			down[strings.TrimPrefix(a.Scope, "link/")] = true
		}
	}
	open, err := b.store.ListIncidents(ctx, IncidentFilter{Unresolved: true, Drafts: true, Limit: 1000})
	if err != nil {
		return err
	}
	for _, c := range comps {
		if c.AutoIncident == AutoOff || c.Group {
			continue
		}
		var failing, total []string
		for _, l := range links {
			if (c.Link != "" && l.Slug == c.Link) || (c.Tag != "" && slices.Contains(l.Tags, c.Tag)) {
				total = append(total, l.Slug)
				if down[l.Slug] {
					failing = append(failing, l.Slug)
				}
			}
		}
		i := slices.IndexFunc(open, func(in Incident) bool { return in.AlertKey == autoKey(c.ID) })
		switch {
		case len(failing) > 0 && i < 0:
			status := MajorOutage
			if len(failing) < len(total) {
				status = PartialOutage
			}
			in := &Incident{ID: linkwatch.NewID(), Name: c.Name + " is unavailable", Impact: ImpactMajor, Draft: c.AutoIncident == AutoDraft,
				AlertKey: autoKey(c.ID), CreatedAt: now, StartedAt: now}
			in.AddUpdate(Update{Status: Investigating, Notify: true, Components: []Affected{{ComponentID: c.ID, Status: status}},
				Body: fmt.Sprintf("Our monitoring detected that %s is unavailable from several regions. We are investigating.", c.Name)}, now)
			if err := b.store.CreateIncident(ctx, in); err != nil {
				return err
			}
			b.log.Info("incident opened automatically", "component", c.ID, "incident", in.ID, "draft", in.Draft)
		case len(failing) == 0 && i >= 0:
			_, err := b.store.UpdateIncident(ctx, open[i].ID, func(in *Incident) error {
				if in.Resolved() {
					return nil
				}
				in.AddUpdate(Update{Status: Resolved, Notify: true,
					Body: fmt.Sprintf("%s is available again; our monitoring confirms it from every region.", c.Name)}, now)
				return nil
			})
			if err != nil {
				return err
			}
			b.log.Info("incident resolved automatically", "component", c.ID, "incident", open[i].ID)
		}
	}
	return nil
}

// announceWindow bounds how old an update may be and still be announced:
// updates from before subscriptions existed, or from a long outage of
// every replica, are not sent late.
const announceWindow = time.Hour

// announcePending queues, for subscribers, every published update that
// asks to notify and is not announced yet — those the API wrote, those the
// automation wrote, and a draft's once it is published — among the
// snapshot's incidents and maintenances, then marks it announced. The outbox write and the mark are two steps: a crash between
// them queues an update twice, never loses it, and both copies carry one
// notification ID.
func (b *Builder) announcePending(ctx context.Context, now time.Time, lists ...[]Incident) error {
	if b.cfg.Announce == nil {
		return nil
	}
	for _, list := range lists {
		for _, in := range list {
			if in.Draft || in.UpdatedAt.Before(now.Add(-announceWindow)) {
				continue
			}
			for i := len(in.Updates) - 1; i >= 0; i-- { // oldest first
				u := in.Updates[i]
				if u.Announced || !u.Notify || u.CreatedAt.Before(now.Add(-announceWindow)) {
					continue
				}
				if err := b.cfg.Announce(ctx, &in, u); err != nil {
					return err
				}
				if _, err := b.store.UpdateIncident(ctx, in.ID, func(in *Incident) error {
					for j := range in.Updates {
						if in.Updates[j].ID == u.ID {
							in.Updates[j].Announced = true
						}
					}
					return nil
				}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// advanceMaintenances moves scheduled maintenances with the clock, as
// Statuspage's automatic transitions do: in progress at scheduled_for
// (their components show under_maintenance), completed at scheduled_until
// (back to operational). A status set by hand is kept until its window's
// next edge.
func (b *Builder) advanceMaintenances(ctx context.Context, now time.Time) error {
	open, err := b.store.ListIncidents(ctx, IncidentFilter{Maintenance: true, Unresolved: true, Drafts: true, Limit: 1000})
	if err != nil {
		return err
	}
	for _, m := range open {
		var next, body string
		switch {
		case !m.ScheduledUntil.IsZero() && !now.Before(m.ScheduledUntil):
			next, body = Completed, "The scheduled maintenance has been completed."
		case m.Status == Scheduled && !m.ScheduledFor.IsZero() && !now.Before(m.ScheduledFor):
			next, body = InProgress, "The scheduled maintenance is in progress."
		default:
			continue
		}
		_, err := b.store.UpdateIncident(ctx, m.ID, func(in *Incident) error {
			if in.Status != m.Status { // changed meanwhile
				return nil
			}
			var affected []Affected
			if next == InProgress {
				for _, a := range in.Components {
					affected = append(affected, Affected{ComponentID: a.ComponentID, Status: UnderMaintenance})
				}
			}
			in.AddUpdate(Update{Status: next, Body: body, Components: affected, Notify: true}, now)
			return nil
		})
		if err != nil {
			return err
		}
		b.log.Info("scheduled maintenance moved on", "incident", m.ID, "status", next)
	}
	return nil
}
