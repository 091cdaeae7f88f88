package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/alerting"
)

// AlertRules is what the alert-rules and alert-history endpoints need from
// storage.
type AlertRules interface {
	CreateAlertRule(ctx context.Context, r *alerting.StoredRule) error
	AlertRules(ctx context.Context) ([]alerting.StoredRule, error)
	ReplaceAlertRule(ctx context.Context, r *alerting.StoredRule) error
	DeleteAlertRule(ctx context.Context, name string) error
	AlertHistory(ctx context.Context, f alerting.HistoryFilter) ([]alerting.AlertEvent, error)
}

// ruleJSON is a rule as the API shows it: its spec, where it was declared,
// and for the API's own rules when.
type ruleJSON struct {
	alerting.RuleSpec
	Source    string     `json:"source"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// defaultRuleJSON describes a built-in rule, which has no spec to edit.
type defaultRuleJSON struct {
	Name        string `json:"name"`
	Severity    string `json:"severity"`
	Source      string `json:"source"`
	Description string `json:"description"`
}

var defaultRules = []defaultRuleJSON{
	{"link_down", alerting.SeverityCritical, alerting.SourceDefault, "a quorum of fresh regions (a majority) each fail 2 checks in a row"},
	{alerting.RuleFailover, alerting.SeverityWarning, alerting.SourceDefault, "link_down fires for a link with a fallback in failover mode auto, " +
		"its failing regions fail at the destination (not redirect_mismatch or blocked) and the fallback is up: visitors go to the fallback until link_down resolves"},
	{"regional_degradation", alerting.SeverityWarning, alerting.SourceDefault, "some fresh regions fail, fewer than the quorum"},
	{"redirect_mismatch", alerting.SeverityCritical, alerting.SourceDefault, "the short link redirects somewhere else than its destination"},
	{"link_degraded", alerting.SeverityWarning, alerting.SourceDefault, "checks pass but slower than the link's max_response_time, 2 in a row"},
	{"certificate_expiring", alerting.SeverityWarning, alerting.SourceDefault, "the destination's certificate expires within 14 days"},
	{"campaign_scans_drop", alerting.SeverityWarning, alerting.SourceDefault, "a campaign's scans over the last hour fall 80% against the same hour last week"},
	{"db_pool_saturation", alerting.SeverityCritical, alerting.SourceDefault, "database pool utilisation rises 10 points in 3 minutes while at 80% or more, or is predicted to reach 100% within 5 minutes"},
	{"scan_queue_drops", alerting.SeverityWarning, alerting.SourceDefault, "the redirector dropped scans in the last 5 minutes"},
	{"prober_silent", alerting.SeverityWarning, alerting.SourceDefault, "a prober sent no heartbeat for a minute"},
}

func (a *API) configRule(name string) (alerting.RuleSpec, bool) {
	i := slices.IndexFunc(a.cfg.Rules, func(s alerting.RuleSpec) bool { return s.Name == name })
	if i < 0 {
		return alerting.RuleSpec{}, false
	}
	return a.cfg.Rules[i], true
}

func storedRuleJSON(r alerting.StoredRule) ruleJSON {
	return ruleJSON{RuleSpec: r.Spec, Source: alerting.SourceAPI, CreatedAt: &r.CreatedAt, UpdatedAt: &r.UpdatedAt}
}

// listAlertRules lists the default rules, the configuration's and the API's.
func (a *API) listAlertRules() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stored, err := a.rules.AlertRules(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		out := struct {
			Defaults []defaultRuleJSON `json:"defaults"`
			Rules    []ruleJSON        `json:"rules"`
		}{Defaults: defaultRules, Rules: []ruleJSON{}}
		for _, s := range a.cfg.Rules {
			out.Rules = append(out.Rules, ruleJSON{RuleSpec: s, Source: alerting.SourceConfig})
		}
		for _, s := range stored {
			if _, ok := a.configRule(s.Spec.Name); !ok {
				out.Rules = append(out.Rules, storedRuleJSON(s))
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (a *API) getAlertRule() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := chi.URLParam(r, "name")
		if s, ok := a.configRule(name); ok {
			writeJSON(w, http.StatusOK, ruleJSON{RuleSpec: s, Source: alerting.SourceConfig})
			return
		}
		stored, err := a.rules.AlertRules(r.Context())
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		for _, s := range stored {
			if s.Spec.Name == name {
				writeJSON(w, http.StatusOK, storedRuleJSON(s))
				return
			}
		}
		writeError(w, r, a.log, linkwatch.Errorf(linkwatch.ENOTFOUND, "no alert rule named %q", name))
	})
}

// decodeRule reads and compiles a rule; a name taken by a default or the
// configuration is a conflict.
func (a *API) decodeRule(r *http.Request) (alerting.RuleSpec, error) {
	var spec alerting.RuleSpec
	if err := decodeJSON(r, &spec); err != nil {
		return spec, err
	}
	if _, err := spec.Compile(); err != nil {
		return spec, err
	}
	if _, ok := a.configRule(spec.Name); ok {
		return spec, linkwatch.Errorf(linkwatch.ECONFLICT, "alert rule %q is declared in the configuration file; change it there", spec.Name)
	}
	return spec, nil
}

func (a *API) createAlertRule() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		spec, err := a.decodeRule(r)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		now := a.now().UTC().Truncate(time.Millisecond)
		sr := &alerting.StoredRule{Spec: spec, CreatedAt: now, UpdatedAt: now}
		if err := a.rules.CreateAlertRule(r.Context(), sr); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("alert rule created", "rule", spec.Name, "by", tokenName(r))
		writeJSON(w, http.StatusCreated, storedRuleJSON(*sr))
	})
}

func (a *API) replaceAlertRule() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		spec, err := a.decodeRule(r)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		if name := chi.URLParam(r, "name"); spec.Name != name {
			writeError(w, r, a.log, linkwatch.FieldErrorf("name", "name %q does not match the URL's %q; a rule is renamed by creating the new one and deleting the old", spec.Name, name))
			return
		}
		sr := &alerting.StoredRule{Spec: spec, UpdatedAt: a.now().UTC().Truncate(time.Millisecond)}
		if err := a.rules.ReplaceAlertRule(r.Context(), sr); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("alert rule replaced", "rule", spec.Name, "by", tokenName(r))
		writeJSON(w, http.StatusOK, storedRuleJSON(*sr))
	})
}

func (a *API) deleteAlertRule() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := chi.URLParam(r, "name")
		if _, ok := a.configRule(name); ok {
			writeError(w, r, a.log, linkwatch.Errorf(linkwatch.ECONFLICT, "alert rule %q is declared in the configuration file; remove it there", name))
			return
		}
		if err := a.rules.DeleteAlertRule(r.Context(), name); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("alert rule deleted", "rule", name, "by", tokenName(r))
		w.WriteHeader(http.StatusNoContent)
	})
}

type eventJSON struct {
	ID       int64             `json:"id"`
	Key      string            `json:"key"`
	Rule     string            `json:"rule"`
	Severity string            `json:"severity"`
	Scope    string            `json:"scope"`
	Labels   map[string]string `json:"labels"`
	Summary  string            `json:"summary"`
	From     string            `json:"from"`
	To       string            `json:"to"`
	At       time.Time         `json:"at"`
}

// alertHistory lists alerts' changes of state, newest first, filtered by
// key, rule, severity, campaign tag and since; ?before=<id> pages.
func (a *API) alertHistory() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := alerting.HistoryFilter{Key: q.Get("key"), Rule: q.Get("rule"), Severity: q.Get("severity"), Tag: q.Get("tag"), Limit: 100}
		if v := q.Get("since"); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, r, a.log, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: "since", Message: "since must be an RFC 3339 time such as 2026-11-23T12:00:00Z"})
				return
			}
			f.Since = t
		}
		for name, p := range map[string]*int64{"before": &f.Before} {
			if v := q.Get(name); v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n <= 0 {
					writeError(w, r, a.log, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: name, Message: name + " must be an event id"})
					return
				}
				*p = n
			}
		}
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				writeError(w, r, a.log, &linkwatch.Error{Code: linkwatch.EBADREQUEST, Field: "limit", Message: "limit must be from 1 to 1000"})
				return
			}
			f.Limit = n
		}
		events, err := a.rules.AlertHistory(r.Context(), f)
		if err != nil {
			writeError(w, r, a.log, err)
			return
		}
		out := struct {
			Events []eventJSON `json:"events"`
			Next   string      `json:"next,omitempty"`
		}{Events: []eventJSON{}}
		for _, e := range events {
			from := string(e.From)
			if from == "" {
				from = string(alerting.PhaseOK)
			}
			out.Events = append(out.Events, eventJSON{e.ID, e.Key, e.Rule, e.Severity, e.Scope, e.Labels, e.Summary, from, string(e.To), e.At})
		}
		if len(events) == f.Limit {
			next := *r.URL
			nq := next.Query()
			nq.Set("before", strconv.FormatInt(events[len(events)-1].ID, 10))
			next.RawQuery = nq.Encode()
			out.Next = next.String()
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// Channels is what the channels endpoints need: the configured channels,
// and a way to send one a test message.
type Channels interface {
	Channels() []alerting.ChannelInfo
	Test(ctx context.Context, name string) error
}

func (a *API) listChannels() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := struct {
			Channels []alerting.ChannelInfo `json:"channels"`
			Routes   []alerting.RouteSpec   `json:"routes"`
		}{Channels: []alerting.ChannelInfo{}, Routes: a.cfg.Routes}
		if a.channels != nil {
			out.Channels = append(out.Channels, a.channels.Channels()...)
		}
		if out.Routes == nil {
			out.Routes = []alerting.RouteSpec{}
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// testChannel sends the channel a test notification now, outside the
// outbox, and reports how it went.
func (a *API) testChannel() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := chi.URLParam(r, "name")
		if a.channels == nil {
			writeError(w, r, a.log, linkwatch.Errorf(linkwatch.ENOTFOUND, "no channel named %q", name))
			return
		}
		if err := a.channels.Test(r.Context(), name); err != nil {
			writeError(w, r, a.log, err)
			return
		}
		a.log.Info("test notification sent", "channel", name, "by", tokenName(r))
		writeJSON(w, http.StatusOK, map[string]string{"channel": name, "result": "sent"})
	})
}
