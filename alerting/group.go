package alerting

import (
	"fmt"
	"slices"
	"strings"
)

// group gathers the firing alerts of one rule on one campaign's links, so
// that fifty broken links of a campaign make one message, not fifty.
type group struct {
	rule, severity, campaign, runbook string
	labels                            map[string]string // the members' shared labels (a rule's own, campaign)
	members                           []string          // scopes of firing members
	alerts                            []Alert
}

// groupScope is the scope of a campaign's group alerts.
const groupScope = "campaign/"

func groupKey(rule, campaign string) string { return rule + "|" + groupScope + campaign }

// join adds a firing, unmuted member to its campaign's group.
func (c *cycle) join(it item) {
	k := groupKey(it.rule, it.campaign)
	g := c.groups[k]
	if g == nil {
		g = &group{rule: it.rule, severity: it.severity, campaign: it.campaign, runbook: it.runbook, labels: map[string]string{}}
		for name, v := range it.labels {
			if name != "link" && name != "domain" {
				g.labels[name] = v
			}
		}
		g.labels["campaign"] = it.campaign
		c.groups[k] = g
	}
	g.members = append(g.members, it.scope)
	g.alerts = append(g.alerts, it.alert)
}

// finishGroups steps every group alert: it fires with its first firing
// member — at once, the member has already waited its rule's for — and
// resolves when none is left. While it fires, a change of members is sent
// as an update (on Slack, in the first message's thread), at most every
// GroupInterval.
func (c *cycle) finishGroups() {
	keys := make([]string, 0, len(c.groups))
	for k := range c.groups {
		keys = append(keys, k)
	}
	for k, a := range c.prev {
		if strings.HasPrefix(a.Scope, groupScope) && a.State.Phase != PhaseOK && a.State.Phase != "" && c.groups[k] == nil {
			keys = append(keys, k)
			c.groups[k] = &group{rule: a.Rule, severity: a.Severity, campaign: strings.TrimPrefix(a.Scope, groupScope)}
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		g := c.groups[k]
		old := c.prev[k]
		o := Outcome{State: Clear}
		if len(g.members) > 0 {
			o = Outcome{State: Breach, Value: float64(len(g.members))}
		}
		next, tr := Step(old.State, o, Timing{RecoverChecks: 1}, c.now)
		slices.Sort(g.members)
		next.Members = g.members
		if quiet(old.State, next) {
			continue
		}
		labels := g.labels
		if labels == nil { // a group with no firing member left: its stored labels
			labels = old.Labels
		}
		if labels == nil {
			labels = map[string]string{"rule": g.rule, "severity": g.severity, "campaign": g.campaign}
		}
		a := StoredAlert{Key: k, Rule: g.rule, Severity: g.severity, Scope: groupScope + g.campaign, Labels: labels,
			Summary: groupSummary(g, old.State.Members), State: next, UpdatedAt: c.now}
		muted, _ := Muted(labels, c.now, c.silences, c.windows)
		send := c.e.toSend(old.State, &a.State, tr, muted, c.now)
		if send == NoTransition && a.State.Phase == PhaseFiring && !a.State.Held && !muted &&
			!slices.Equal(a.State.Notified, a.State.Members) && c.now.Sub(a.State.NotifiedAt) >= c.e.cfg.GroupInterval {
			send, a.State.NotifiedAt = repeat, c.now
		}
		if send == Fire || send == repeat {
			a.State.Notified = a.State.Members
		}
		c.counts[[2]string{g.rule, string(a.State.Phase)}]++
		c.changed = append(c.changed, a)
		if send != NoTransition {
			c.out = append(c.out, c.e.outgoing(a, send, g.runbook, g.alerts, c.now)...)
		}
	}
}

// groupSummary says how many of the campaign's links the rule holds.
func groupSummary(g *group, before []string) string {
	if len(g.members) == 0 {
		return fmt.Sprintf("%s: every link of campaign %s has recovered (%d were affected)", g.rule, g.campaign, len(before))
	}
	names := make([]string, 0, 5)
	for _, a := range g.alerts {
		if len(names) == 5 {
			names = append(names, "…")
			break
		}
		names = append(names, a.Link)
	}
	return fmt.Sprintf("%s: %s of campaign %s (%s)", g.rule, plural(len(g.members), "link"), g.campaign, strings.Join(names, ", "))
}
