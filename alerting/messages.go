package alerting

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
)

// What the default rules say: in one table, each rule's built-in runbook
// (what to check first, shown when a rule has no runbook_url) and what a
// group's members are when they fire together.
var defaultTexts = map[string]struct{ runbook, members string }{
	"link_down": {"Open the destination in a browser and check its status page and last deploy; " +
		"if it stays down, point the link at a fallback (PATCH fallback_url) so visitors land somewhere.", "down"},
	"link_failover": {"Visitors go to the link's fallback while its primary destination is down, and back once link_down " +
		"resolves: fix the primary; to keep visitors on one side, pin it (POST /api/v1/links/{slug}/failover).", "failed over to their fallbacks"},
	"regional_degradation": {"Only some regions fail: check the destination's CDN or DNS in those regions " +
		"and the regions' probers (GET /api/v1/probers) before suspecting the destination itself.", "failing in some regions"},
	"redirect_mismatch": {"The short link redirects somewhere other than its target: check a custom domain's DNS " +
		"and any proxy or CDN rule in front of Linkwatch, then the link's destination in the API.", "redirecting to the wrong place"},
	"link_degraded": {"Checks pass but slowly: compare the phases in the link's health (DNS, connect, TLS, first byte) " +
		"to see which hop is slow, and raise max_response_time if the destination is just slow.", "slow"},
	"certificate_expiring": {"Renew the destination's TLS certificate, or tell its owner; " +
		"check that automatic renewal (e.g. ACME) still runs.", "serving certificates about to expire"},
	"campaign_scans_drop": {"Scans fell against the same hour last week: check that the printed codes still point " +
		"at live links and that the campaign has not simply ended.", "losing scans"},
	"db_pool_saturation": {"Look for slow or stuck queries (pg_stat_activity) and a surge of traffic; " +
		"raise the pool size only once queries are known to be healthy.", "saturated"},
	"scan_queue_drops": {"The database cannot keep up with scans: check its latency and load; " +
		"scan_queue_size buys time, not capacity.", "dropping scans"},
	"prober_silent": {"Check that the prober process runs and can reach the control plane with its token; " +
		"a prober stopped on purpose can be retired (DELETE /api/v1/probers/{id}).", "silent"},
}

// runbookDocs is where each default rule's long runbook is: its heading in
// docs/operations.md (the deploy module's tests check every heading exists).
const runbookDocs = "https://github.com/linkwatch/linkwatch/blob/main/docs/operations.md#"

// runbookText is a default rule's built-in runbook and a link to its long
// form; "" for declared rules.
func runbookText(rule string) string {
	if t := defaultTexts[rule].runbook; t != "" {
		return t + " Runbook: " + runbookDocs + rule
	}
	return ""
}

// membersAre says what a group's members are when they fire: "down".
func membersAre(rule string) string {
	if s := defaultTexts[rule].members; s != "" {
		return s
	}
	return "breaching " + rule
}

// HumanDuration rounds d the way people say it: "45 s", "12 min",
// "3 h 5 min", "2 d 4 h".
func HumanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", max(int(d.Round(time.Second)/time.Second), 0))
	case d < time.Hour-30*time.Second:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	case d < 24*time.Hour-30*time.Second:
		m := int(d.Round(time.Minute) / time.Minute)
		if m%60 == 0 {
			return fmt.Sprintf("%d h", m/60)
		}
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	}
	h := int(d.Round(time.Hour) / time.Hour)
	if h%24 == 0 {
		return fmt.Sprintf("%d d", h/24)
	}
	return fmt.Sprintf("%d d %d h", h/24, h%24)
}

// linkLabels are an alert's labels on link l: the rule's own labels, then
// rule, severity, link, domain and campaign (the link's tags, joined by ",").
func linkLabels(l *linkwatch.Link, rule, severity string, extra map[string]string) map[string]string {
	labels := make(map[string]string, len(extra)+5)
	for k, v := range extra {
		labels[k] = v
	}
	labels["rule"], labels["severity"], labels["link"] = rule, severity, l.Slug
	if l.Domain != "" {
		labels["domain"] = l.Domain
	}
	if len(l.Tags) > 0 {
		labels["campaign"] = strings.Join(l.Tags, ",")
	}
	return labels
}

// linkGroup is the scope of the group an alert on link l joins: its
// campaign when it has one (campaign/<tags>), else its destination's host
// (host/<hostname>), so fifty untagged links of one failing host make one
// message; "" when neither is known.
func linkGroup(l *linkwatch.Link, campaign string, now time.Time) string {
	if campaign != "" {
		return groupCampaign + campaign
	}
	if l == nil {
		return ""
	}
	if h := destinationHost(l, now); h != "" {
		return groupHost + h
	}
	return ""
}

// destinationHost is the lower-cased host name of the destination link l's
// checks judge at now: the primary — also while failed over, so a failover
// does not move the link's alerts to another host's group — or, once
// expired, the fallback it sends visitors to.
func destinationHost(l *linkwatch.Link, now time.Time) string {
	target := l.Destination
	if l.Expired(now) {
		target, _, _ = l.Target(now)
	}
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// firingText says what broke on link l: how many regions fail, and why.
func firingText(rule string, l *linkwatch.Link, q health.QuorumOutcome, o Outcome, regions []linkwatch.Latest) string {
	switch rule {
	case "link_down":
		return fmt.Sprintf("%s is down in %s (%s)%s", l.Slug, health.OfRegions(len(q.Failing), q.Fresh),
			strings.Join(q.Failing, ", "), failure(regions))
	case "regional_degradation":
		return fmt.Sprintf("%s fails in %s (%s)%s", l.Slug, strings.Join(q.Failing, ", "),
			health.OfRegions(len(q.Failing), q.Fresh), failure(regions))
	case "link_degraded":
		return fmt.Sprintf("%s is slow: %s", l.Slug, o.Reason)
	case "certificate_expiring":
		return fmt.Sprintf("%s: %s", l.Slug, o.Reason)
	}
	return fmt.Sprintf("%s does not redirect where it should: %s", l.Slug, o.Reason)
}

// failure is ": <class> <error>" of the first failing region, or "".
func failure(regions []linkwatch.Latest) string {
	for _, r := range regions {
		if !r.OK() {
			return ": " + strings.TrimSpace(string(r.Class)+" "+r.Error)
		}
	}
	return ""
}

// recoveredText says what recovered on link l; the resolution adds how
// long it was down.
func recoveredText(rule string, l *linkwatch.Link, q health.QuorumOutcome) string {
	switch rule {
	case "link_down", "regional_degradation":
		return fmt.Sprintf("%s is up again in %s", l.Slug, health.OfRegions(q.Fresh-len(q.Failing)-len(q.Suspect), q.Fresh))
	case "link_degraded":
		return fmt.Sprintf("%s responds in time again", l.Slug)
	case "certificate_expiring":
		return fmt.Sprintf("%s's certificate no longer expires within %d days", l.Slug, int(certificateWarning.Hours()/24))
	}
	return fmt.Sprintf("%s redirects where it should again", l.Slug)
}

// resolvedSummary is a resolution's summary: what recovered (or, for a
// rule that did not say, that it did) and after how long.
func resolvedSummary(recovered, rule, scope string, s AlertState) string {
	if recovered == "" {
		recovered = fmt.Sprintf("%s on %s has recovered", rule, scope)
	}
	if s.FiredAt.IsZero() || s.ResolvedAt.Before(s.FiredAt) {
		return recovered
	}
	return recovered + " after " + HumanDuration(s.ResolvedAt.Sub(s.FiredAt))
}

// linkAlert describes link l for a notification: what broke, where, the
// latest failing region's error and redirect chain, and where to look.
func (e *Engine) linkAlert(l *linkwatch.Link, failing []string, regions []linkwatch.Latest, o Outcome) Alert {
	alert := Alert{Link: l.Slug, Destination: l.Destination, Tags: l.Tags, Regions: failing, HealthURL: e.healthURL(l)}
	if o.State == Breach && o.Reason != "" {
		alert.Value = o.Reason
	}
	if e.cfg.PublicURL != nil {
		alert.ShortURL = l.ShortURL(e.cfg.PublicURL)
	}
	for _, r := range regions {
		if !r.OK() {
			alert.ErrorClass, alert.Error = r.Class, r.Error
			for _, h := range r.Hops {
				alert.Hops = append(alert.Hops, Hop{URL: h.URL, Status: h.Status})
			}
			break
		}
	}
	return alert
}

// healthURL is link l's health in the API, or "" without a public URL.
func (e *Engine) healthURL(l *linkwatch.Link) string {
	if e.cfg.PublicURL == nil {
		return ""
	}
	u := strings.TrimSuffix(e.cfg.PublicURL.String(), "/") + "/api/v1/links/" + url.PathEscape(l.Slug) + "/health"
	if l.Domain != "" {
		u += "?domain=" + url.QueryEscape(l.Domain)
	}
	return u
}

// statusURL is the status page, where link_down opens automatic incidents.
func (e *Engine) statusURL(rule string) string {
	if rule != "link_down" || e.cfg.PublicURL == nil {
		return ""
	}
	return strings.TrimSuffix(e.cfg.PublicURL.String(), "/") + "/status"
}
