package alerting

import (
	"fmt"
	"slices"
	"strings"
)

// group gathers the firing alerts of one rule on one campaign's links, or
// on the untagged links of one destination host, so that fifty broken links
// make one message, not fifty.
type group struct {
	rule, severity, scope, runbook string
	labels                         map[string]string // the members' shared labels (a rule's own, campaign or host)
	members                        []string          // scopes of firing members
	alerts                         []Alert
	// firing are the members' own summaries; recovered what the members
	// that resolved this cycle say — a group of one says what its member
	// would — and left their alerts, which a resolution lists.
	firing, recovered []string
	left              []Alert
}

// Group scopes: a campaign's (its links' tags, joined by ",") and a
// destination host's.
const (
	groupCampaign = "campaign/"
	groupHost     = "host/"
)

func isGroupScope(scope string) bool {
	return strings.HasPrefix(scope, groupCampaign) || strings.HasPrefix(scope, groupHost)
}

func groupKey(rule, scope string) string { return rule + "|" + scope }

// join adds a firing, unmuted member to its group.
func (c *cycle) join(it item) {
	k := groupKey(it.rule, it.group)
	g := c.groups[k]
	if g == nil {
		g = &group{rule: it.rule, severity: it.severity, scope: it.group, runbook: it.runbook, labels: map[string]string{}}
		for name, v := range it.labels {
			if name != "link" && name != "domain" {
				g.labels[name] = v
			}
		}
		if name, ok := strings.CutPrefix(it.group, groupHost); ok {
			g.labels["host"] = name
		} else {
			g.labels["campaign"] = strings.TrimPrefix(it.group, groupCampaign)
		}
		c.groups[k] = g
	}
	g.members = append(g.members, it.scope)
	g.alerts = append(g.alerts, it.alert)
	g.firing = append(g.firing, it.summary)
}

// leave records what a member that resolved this cycle says, for its
// group's summary.
func (c *cycle) leave(it item) {
	if c.left == nil {
		c.left = map[string]*group{}
	}
	k := groupKey(it.rule, it.group)
	g := c.left[k]
	if g == nil {
		g = &group{}
		c.left[k] = g
	}
	g.recovered = append(g.recovered, it.recovered)
	g.left = append(g.left, it.alert)
}

// finishGroups steps every group alert: it fires with its first firing
// member — at once, the member has already waited its rule's for — and
// resolves when none is left. While it fires, a change of members (links
// joining or recovering) is sent as an update (on Slack, in the first
// message's thread), at most every GroupInterval.
func (c *cycle) finishGroups() {
	keys := make([]string, 0, len(c.groups))
	for k := range c.groups {
		keys = append(keys, k)
	}
	for k, a := range c.prev {
		if isGroupScope(a.Scope) && a.State.Phase != PhaseOK && a.State.Phase != "" && c.groups[k] == nil {
			keys = append(keys, k)
			c.groups[k] = &group{rule: a.Rule, severity: a.Severity, scope: a.Scope}
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		g := c.groups[k]
		if left := c.left[k]; left != nil {
			g.recovered, g.left = left.recovered, left.left
		}
		old := c.prev[k]
		o := Outcome{State: Clear}
		if len(g.members) > 0 {
			o = Outcome{State: Breach, Value: float64(len(g.members))}
		}
		next, tr := Step(old.State, o, Timing{RecoverChecks: 1}, c.now)
		slices.Sort(g.members)
		next.Members = g.members
		switch {
		case tr == Fire:
			next.Affected = slices.Clone(g.members)
		case next.Phase == PhaseFiring || tr == Resolve:
			next.Affected = union(old.State.Affected, old.State.Members, g.members)
		}
		if quiet(old.State, next) {
			continue
		}
		labels := g.labels
		if labels == nil { // a group with no firing member left: its stored labels
			labels = old.Labels
		}
		if labels == nil {
			labels = map[string]string{"rule": g.rule, "severity": g.severity}
		}
		a := StoredAlert{Key: k, Rule: g.rule, Severity: g.severity, Scope: g.scope, Labels: labels, State: next, UpdatedAt: c.now}
		muted, _ := Muted(labels, c.now, c.silences, c.windows)
		send := c.e.toSend(old.State, &a.State, tr, muted, c.now)
		if send == NoTransition && a.State.Phase == PhaseFiring && !a.State.Held && !muted &&
			!slices.Equal(a.State.Notified, a.State.Members) && c.now.Sub(a.State.NotifiedAt) >= c.e.cfg.GroupInterval {
			send, a.State.NotifiedAt = repeat, c.now
		}
		var recovered []string
		if send == repeat {
			recovered = missing(old.State.Notified, a.State.Members)
		}
		a.Summary = groupSummary(g, a.State, old.State.Notified, send == repeat)
		if send == Fire || send == repeat {
			a.State.Notified = a.State.Members
		}
		c.counts[[2]string{g.rule, string(a.State.Phase)}]++
		alerts := g.alerts
		if len(alerts) == 0 {
			alerts = g.left // a resolution lists the links that recovered last
		}
		c.notify(&a, tr, send, muted, Notification{RunbookURL: g.runbook, Alerts: alerts, Recovered: names(recovered)})
		c.changed = append(c.changed, a)
	}
}

// groupSummary says what the group's members are — "5 links of campaign
// spring are down (a, b, c, d, e)" — and, in an update, who joined and
// who recovered since the previous message (notified); its resolution
// counts every link the incident affected and says how long it lasted.
func groupSummary(g *group, s AlertState, notified []string, update bool) string {
	what := "campaign " + strings.TrimPrefix(g.scope, groupCampaign)
	if host, ok := strings.CutPrefix(g.scope, groupHost); ok {
		what = "host " + host
	}
	if len(s.Affected) == 1 && len(g.members) == 1 && !update {
		return g.firing[0]
	}
	if len(s.Affected) == 1 && len(g.members) == 0 && len(g.recovered) == 1 {
		return resolvedSummary(g.recovered[0], g.rule, g.scope, s)
	}
	if len(g.members) == 0 {
		return resolvedSummary(fmt.Sprintf("every link of %s has recovered (%d %s affected)", what,
			len(s.Affected), map[bool]string{true: "was", false: "were"}[len(s.Affected) == 1]), g.rule, g.scope, s)
	}
	verb := "are"
	if len(g.members) == 1 {
		verb = "is"
	}
	text := fmt.Sprintf("%s of %s %s %s (%s)", plural(len(g.members), "link"), what, verb, membersAre(g.rule), list(names(g.members)))
	if len(s.Affected) > len(g.members) {
		text += fmt.Sprintf("; %d affected so far", len(s.Affected))
	}
	if !update {
		return text
	}
	var since []string
	if joined := missing(g.members, notified); len(joined) > 0 {
		since = append(since, fmt.Sprintf("%d joined (%s)", len(joined), list(names(joined))))
	}
	if recovered := missing(notified, g.members); len(recovered) > 0 {
		since = append(since, fmt.Sprintf("%d recovered (%s)", len(recovered), list(names(recovered))))
	}
	if len(since) > 0 {
		text += "; since the last message " + strings.Join(since, ", ")
	}
	return text
}

// names are members' names: a link's slug, else the scope.
func names(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		out = append(out, strings.TrimPrefix(s, "link/"))
	}
	return out
}

// list joins up to five names, then "…".
func list(ns []string) string {
	if len(ns) > 5 {
		return strings.Join(ns[:5], ", ") + ", …"
	}
	return strings.Join(ns, ", ")
}

// union returns the sorted, distinct elements of lists.
func union(lists ...[]string) []string {
	out := slices.Concat(lists...)
	slices.Sort(out)
	return slices.Compact(out)
}
