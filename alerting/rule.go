package alerting

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch"
	"github.com/linkwatch/linkwatch/health"
)

// Metrics a rule may watch. Result metrics are read from the check results
// of each target in the rule's scope; scans from the redirector's recorded
// scans (per minute); platform metrics from the control plane itself.
const (
	// MetricFailureRatio: each check result is a sample, 1 failed or 0
	// passed, from every region; avg over a window is the failure ratio.
	MetricFailureRatio = "failure_ratio"
	// MetricLatency: each passing check's total time in milliseconds.
	MetricLatency = "latency_ms"
	// MetricConsecutiveFailures: the most consecutive failed checks of any
	// fresh region, sampled every evaluation.
	MetricConsecutiveFailures = "consecutive_failures"
	// MetricCertDaysLeft: days until the destination's certificate expires,
	// the least any fresh region saw, sampled every evaluation.
	MetricCertDaysLeft = "cert_days_left"
	// MetricScans: scans per minute, summed over the scope's links; a
	// minute with no scans is 0, a minute before the links existed is a gap.
	MetricScans = "scans"

	// MetricPoolUtilization: the database pool's utilisation in percent,
	// sampled every evaluation.
	MetricPoolUtilization = "db_pool_utilization"
	// MetricScanDrops: scans the redirector's queue dropped since the
	// previous evaluation (this process's redirector).
	MetricScanDrops = "scan_queue_drops"
	// MetricProbersSilent: how many probers stopped sending heartbeats.
	MetricProbersSilent = "probers_silent"
)

var (
	resultMetrics   = []string{MetricFailureRatio, MetricLatency, MetricConsecutiveFailures, MetricCertDaysLeft}
	platformMetrics = []string{MetricPoolUtilization, MetricScanDrops, MetricProbersSilent}
)

// maxResultLookback bounds how far back a rule over check results reads:
// the evaluator keeps recent results in memory, not weeks of them. Scan
// rules read the database and may look back up to a week and more.
const maxResultLookback = 24 * time.Hour

// RuleSpec is an alert rule as declared in the YAML configuration
// (alert_rules) and through /api/v1/alert-rules.
//
//	name: spring_scans_drop
//	scope: {tag: spring}
//	metric: scans
//	severity: warning
//	labels: {team: growth}
//	runbook_url: https://wiki.example.com/runbooks/scans
//	condition:
//	  rate: {change: {aggregate: sum, window: 1h, baseline: last_week, by: percent,
//	                  direction: drop, at_least: 80, baseline_floor: 50}}
//	for: 10m
//	recover_checks: 3
type RuleSpec struct {
	Name       string            `json:"name" yaml:"name"`
	Scope      ScopeSpec         `json:"scope" yaml:"scope"`
	Metric     string            `json:"metric,omitempty" yaml:"metric,omitempty"`
	Severity   string            `json:"severity" yaml:"severity"`
	Labels     map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	RunbookURL string            `json:"runbook_url,omitempty" yaml:"runbook_url,omitempty"`
	Condition  RuleCondition     `json:"condition" yaml:"condition"`
	// Timing: for (a duration) and for_checks (evaluations in a row) hold
	// a breaching alert pending; recover_checks (default 1) clear
	// evaluations in a row and keep_firing_for since the last breach hold
	// a firing one.
	TimingSpec `yaml:",inline"`
}

// ScopeSpec is what a rule watches: exactly one of one link (by slug), a
// tag (a campaign: each of its links), all links, a monitor (by name) or a
// platform metric.
type ScopeSpec struct {
	Link     string `json:"link,omitempty" yaml:"link,omitempty"`
	Tag      string `json:"tag,omitempty" yaml:"tag,omitempty"`
	All      bool   `json:"all,omitempty" yaml:"all,omitempty"`
	Monitor  string `json:"monitor,omitempty" yaml:"monitor,omitempty"`
	Platform string `json:"platform,omitempty" yaml:"platform,omitempty"`
}

// String formats the scope as in alert scopes: link/<slug>, tag/<tag>,
// links, monitor/<name>, platform/<metric>.
func (s ScopeSpec) String() string {
	switch {
	case s.Link != "":
		return "link/" + s.Link
	case s.Tag != "":
		return "tag/" + s.Tag
	case s.All:
		return "links"
	case s.Monitor != "":
		return "monitor/" + s.Monitor
	}
	return "platform/" + s.Platform
}

// RuleCondition is a rule's one condition: a threshold or a rate of change
// over the metric's series, a quorum of regions, or no data from a region.
type RuleCondition struct {
	ConditionSpec `yaml:",inline"`
	Quorum        *QuorumSpec `json:"quorum,omitempty" yaml:"quorum,omitempty"`
	NoData        *NoDataSpec `json:"no_data,omitempty" yaml:"no_data,omitempty"`
}

// QuorumSpec: the target is down when at least K fresh regions (0: a
// majority) each failed Consecutive checks in a row (default 1).
type QuorumSpec struct {
	K           int `json:"k,omitempty" yaml:"k,omitempty"`
	Consecutive int `json:"consecutive,omitempty" yaml:"consecutive,omitempty"`
}

// NoDataSpec: a region that reported on the target before has sent nothing
// for After (default three check intervals plus 30s). It is kept apart from
// failing: a silent region is neither down nor up.
type NoDataSpec struct {
	After string `json:"after,omitempty" yaml:"after,omitempty"`
}

// Rule is a compiled, validated RuleSpec.
type Rule struct {
	Spec   RuleSpec
	kind   ruleKind
	cond   Condition
	quorum health.QuorumRule
	silent time.Duration // no_data's After; 0: from the check interval
	timing Timing
	// lookback is how much history the condition reads.
	lookback time.Duration
}

type ruleKind int

const (
	kindSeries ruleKind = iota
	kindQuorum
	kindNoData
)

var ruleName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// DefaultRuleNames are the rules every link and the platform get without
// configuration; a declared rule may not take their names.
var DefaultRuleNames = []string{"link_down", RuleFailover, "regional_degradation", "redirect_mismatch", "link_degraded",
	"certificate_expiring", "campaign_scans_drop", "db_pool_saturation", "scan_queue_drops", "prober_silent"}

// Compile validates the spec. Errors are *linkwatch.Error values of code
// invalid whose Field is the offending field's path, such as
// "condition.rate.change.ago" or "scope".
func (s RuleSpec) Compile() (*Rule, error) {
	if slices.Contains(DefaultRuleNames, s.Name) {
		return nil, linkwatch.FieldErrorf("name", "name %q belongs to a default rule; choose another", s.Name)
	}
	return s.compile()
}

// compile is Compile without the check on default names, for the defaults
// written as specs.
func (s RuleSpec) compile() (*Rule, error) {
	r := &Rule{Spec: s}
	if !ruleName.MatchString(s.Name) {
		return nil, linkwatch.FieldErrorf("name", "name must be 1-63 lower-case letters, digits or _, starting with a letter; got %q", s.Name)
	}
	if err := s.Scope.validate(); err != nil {
		return nil, err
	}
	if _, err := parseChoice("severity", s.Severity, "", SeverityCritical, SeverityWarning, SeverityInfo); err != nil {
		return nil, err
	}
	for k, v := range s.Labels {
		if !validLabelName(k) || k == "rule" || k == "severity" {
			return nil, linkwatch.FieldErrorf("labels", "label name %q must be a letter or _ followed by letters, digits or _, and not rule or severity", k)
		}
		if len(v) > 256 {
			return nil, linkwatch.FieldErrorf("labels", "label %s is longer than 256 bytes", k)
		}
	}
	if s.RunbookURL != "" {
		u, err := url.Parse(s.RunbookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, linkwatch.FieldErrorf("runbook_url", "runbook_url must be an absolute http(s) URL")
		}
	}
	if err := r.compileCondition(); err != nil {
		return nil, err
	}
	t, err := s.TimingSpec.Compile()
	if err != nil {
		return nil, err
	}
	t.RecoverChecks = max(t.RecoverChecks, 1)
	r.timing = t
	return r, nil
}

func (s ScopeSpec) validate() error {
	set := 0
	for _, v := range []bool{s.Link != "", s.Tag != "", s.All, s.Monitor != "", s.Platform != ""} {
		if v {
			set++
		}
	}
	if set != 1 {
		return linkwatch.FieldErrorf("scope", "scope must name exactly one of link, tag, all, monitor or platform")
	}
	if s.Link != "" {
		if err := linkwatch.ValidateSlug(s.Link); err != nil {
			return linkwatch.FieldErrorf("scope.link", "scope.link: %s", linkwatch.ErrorMessage(err))
		}
	}
	if s.Platform != "" && !slices.Contains(platformMetrics, s.Platform) {
		return linkwatch.FieldErrorf("scope.platform", "scope.platform must be one of %s; got %q", strings.Join(platformMetrics, ", "), s.Platform)
	}
	for f, v := range map[string]string{"scope.tag": s.Tag, "scope.monitor": s.Monitor} {
		if len(v) > 128 {
			return linkwatch.FieldErrorf(f, "%s is longer than 128 bytes", f)
		}
	}
	return nil
}

func (r *Rule) compileCondition() error {
	s, c := r.Spec, r.Spec.Condition
	kinds := 0
	for _, v := range []bool{c.Threshold != nil, c.Rate != nil, c.Quorum != nil, c.NoData != nil} {
		if v {
			kinds++
		}
	}
	if kinds != 1 {
		return linkwatch.FieldErrorf("condition", "condition must be exactly one of threshold, rate, quorum or no_data")
	}
	targets := s.Scope.Platform == ""
	switch {
	case c.Quorum != nil || c.NoData != nil:
		if !targets {
			return linkwatch.FieldErrorf("condition", "quorum and no_data watch regions: the scope must be links or a monitor")
		}
		if s.Metric != "" {
			return linkwatch.FieldErrorf("metric", "quorum and no_data take no metric")
		}
		if c.Quorum != nil {
			if c.Quorum.K < 0 || c.Quorum.K > 100 || c.Quorum.Consecutive < 0 || c.Quorum.Consecutive > 1000 {
				return linkwatch.FieldErrorf("condition.quorum", "condition.quorum: k must be from 0 (a majority) to 100, consecutive from 0 to 1000")
			}
			r.kind, r.quorum = kindQuorum, health.QuorumRule{K: c.Quorum.K, Consecutive: c.Quorum.Consecutive}
			return nil
		}
		r.kind = kindNoData
		if c.NoData.After != "" {
			var err error
			if r.silent, err = parseSpan("condition.no_data.after", c.NoData.After); err != nil {
				return err
			}
		}
		return nil
	}
	metric := s.Metric
	if !targets {
		if metric == "" {
			metric = s.Scope.Platform
		}
		if metric != s.Scope.Platform {
			return linkwatch.FieldErrorf("metric", "a platform rule watches its scope's metric (%s); got %q", s.Scope.Platform, metric)
		}
	} else {
		allowed := resultMetrics
		if s.Scope.Monitor == "" {
			allowed = append(slices.Clone(resultMetrics), MetricScans)
		}
		if !slices.Contains(allowed, metric) {
			return linkwatch.FieldErrorf("metric", "metric must be one of %s for this scope; got %q", strings.Join(allowed, ", "), metric)
		}
	}
	r.Spec.Metric = metric
	cond, err := c.ConditionSpec.Compile()
	if err != nil {
		if e, ok := err.(*linkwatch.Error); ok && e.Field != "" {
			return &linkwatch.Error{Code: e.Code, Field: "condition." + e.Field, Message: e.Message}
		}
		return err
	}
	r.kind, r.cond, r.lookback = kindSeries, cond, c.ConditionSpec.lookback()
	if slices.Contains(resultMetrics, metric) && r.lookback > maxResultLookback {
		return linkwatch.FieldErrorf("condition", "a rule over check results may look back at most %s (this one needs %s); use hourly rollups or scans for longer baselines", dur(maxResultLookback), dur(r.lookback))
	}
	return nil
}

// lookback is how far back from now a valid spec's condition reads.
func (s ConditionSpec) lookback() time.Duration {
	d := func(v string) time.Duration { x, _ := time.ParseDuration(v); return x }
	var lb time.Duration
	if t := s.Threshold; t != nil {
		lb = d(t.Window)
	}
	if r := s.Rate; r != nil {
		if c := r.Change; c != nil {
			switch c.Baseline {
			case BaselineAgo:
				lb = max(lb, d(c.Window)+d(c.Ago))
			case BaselineWindow:
				lb = max(lb, d(c.Window)+d(c.BaselineWindow))
			case BaselineLastWeek:
				lb = max(lb, d(c.Window)+Week)
			}
		}
		if p := r.Predict; p != nil {
			lb = max(lb, d(p.Window))
		}
	}
	return lb
}

// Source says where a rule was declared.
const (
	SourceDefault = "default"
	SourceConfig  = "config"
	SourceAPI     = "api"
)

// StoredRule is a rule declared through the API, as storage keeps it.
type StoredRule struct {
	Spec      RuleSpec
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Name returns the rule's name.
func (r *Rule) Name() string { return r.Spec.Name }
