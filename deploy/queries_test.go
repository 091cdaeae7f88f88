package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/alerting"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/promql/parser"
)

// query is one PromQL expression of the PrometheusRule or the dashboard
// and what it selects.
type query struct {
	where   string
	expr    string
	metrics []string // metric names selected, recording rules included
	jobs    []*regexp.Regexp
	numbers []float64
}

// parseQuery parses expr with Prometheus's own parser.
func parseQuery(t *testing.T, where, expr string) query {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Fatalf("%s: %v\n%s", where, err, expr)
	}
	q := query{where: where, expr: expr}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			for _, m := range n.LabelMatchers {
				switch m.Name {
				case "__name__":
					q.metrics = append(q.metrics, m.Value)
				case "job":
					if v := m.Value; m.Type.String() == "=~" {
						q.jobs = append(q.jobs, regexp.MustCompile("^(?:"+v+")$"))
					} else {
						q.jobs = append(q.jobs, regexp.MustCompile("^"+regexp.QuoteMeta(v)+"$"))
					}
				}
			}
		case *parser.NumberLiteral:
			q.numbers = append(q.numbers, n.Val)
		}
		return nil
	})
	return q
}

// ruleSet is the PrometheusRule's recording rules and alerts.
type ruleSet struct {
	records map[string]query
	alerts  []alert
}

type alert struct {
	monitoringv1.Rule
	query
}

func loadRules(t *testing.T, r *rendered) ruleSet {
	t.Helper()
	if len(r.PrometheusRules) != 1 {
		t.Fatalf("PrometheusRules %v, want one", names(r.PrometheusRules))
	}
	rs := ruleSet{records: map[string]query{}}
	for _, g := range r.PrometheusRules[0].Spec.Groups {
		for _, rule := range g.Rules {
			where := g.Name + "/" + rule.Record + rule.Alert
			q := parseQuery(t, where, rule.Expr.String())
			if rule.Record != "" {
				rs.records[rule.Record] = q
			} else {
				rs.alerts = append(rs.alerts, alert{rule, q})
			}
		}
	}
	return rs
}

// dashboardQueries are the dashboard's PromQL expressions, with Grafana's
// variables replaced so Prometheus's parser can read them.
func dashboardQueries(t *testing.T) []query {
	t.Helper()
	data, err := os.ReadFile("grafana/linkwatch.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID         int    `json:"id"`
			Type       string `json:"type"`
			Title      string `json:"title"`
			Datasource *struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			GridPos struct{ H, W, X, Y int } `json:"gridPos"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("grafana/linkwatch.json: %v", err)
	}
	vars := strings.NewReplacer("$__rate_interval", "5m", "$namespace", "linkwatch")
	var out []query
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("dashboard: panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.W == 0 || p.GridPos.H == 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("dashboard: panel %q at %+v", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("dashboard: panel %q queries no Prometheus through ${datasource}", p.Title)
		}
		for _, tg := range p.Targets {
			if !strings.Contains(tg.Expr, `namespace="$namespace"`) && !strings.HasPrefix(tg.Expr, "vector(") {
				t.Errorf("dashboard: panel %q: %s is not limited to $namespace", p.Title, tg.Expr)
			}
			out = append(out, parseQuery(t, "dashboard panel "+p.Title, vars.Replace(tg.Expr)))
		}
	}
	for _, v := range []string{"datasource", "namespace"} {
		if !slices.ContainsFunc(d.Templating.List, func(x struct {
			Name string `json:"name"`
			Type string `json:"type"`
		}) bool {
			return x.Name == v
		}) {
			t.Errorf("dashboard: no $%s variable", v)
		}
	}
	if len(out) < 20 || d.UID == "" {
		t.Fatalf("dashboard: %d queries, uid %q", len(out), d.UID)
	}
	return out
}

// runbookBase is where the alerts' runbooks live.
const runbookBase = "https://github.com/linkwatch/linkwatch/blob/main/docs/operations.md#"

// anchors are the heading anchors of docs/operations.md as GitHub makes
// them: lower case, punctuation but - and _ dropped, spaces as -.
func anchors(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	out := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if h, ok := strings.CutPrefix(line, "#"); ok {
			h = strings.TrimSpace(strings.TrimLeft(h, "#"))
			out[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(h), ""), " ", "-")] = true
		}
	}
	return out
}

// TestPrometheusRule: the rule parses, every alert has a severity, a
// summary and a runbook entry that exists, selects only jobs the
// ServiceMonitors scrape and recording rules it defines; the SLOs alert on
// multi-window burn rates; scan drops, pool saturation and prober silence
// alert.
func TestPrometheusRule(t *testing.T) {
	r := render(t, "multi-region")
	rs := loadRules(t, r)
	scraped := r.scrapedServices()
	docs := anchors(t)
	all := slices.Collect(func(yield func(query) bool) {
		for _, q := range rs.records {
			yield(q)
		}
		for _, a := range rs.alerts {
			yield(a.query)
		}
		for _, q := range dashboardQueries(t) {
			yield(q)
		}
	})
	for _, q := range all {
		for _, j := range q.jobs {
			if !slices.ContainsFunc(scraped, j.MatchString) {
				t.Errorf("%s: job %s matches no Service a ServiceMonitor scrapes (%v)", q.where, j, scraped)
			}
		}
		for _, m := range q.metrics {
			if strings.Contains(m, ":") {
				if _, ok := rs.records[m]; !ok {
					t.Errorf("%s: recording rule %s is not defined", q.where, m)
				}
			} else if !strings.HasPrefix(m, "linkwatch_") && m != "up" {
				t.Errorf("%s: %s is not a Linkwatch metric", q.where, m)
			}
		}
	}
	for _, a := range rs.alerts {
		sev := a.Labels["severity"]
		if sev != "critical" && sev != "warning" {
			t.Errorf("%s: severity %q, want critical (pages) or warning", a.Alert, sev)
		}
		if a.Annotations["summary"] == "" {
			t.Errorf("%s: no summary", a.Alert)
		}
		anchor, ok := strings.CutPrefix(a.Annotations["runbook_url"], runbookBase)
		if !ok || !docs[anchor] {
			t.Errorf("%s: runbook_url %q is not a heading of docs/operations.md", a.Alert, a.Annotations["runbook_url"])
		}
	}
	// Multi-window, multi-burn-rate: a page at 14.4x (1h and 5m) or 6x
	// (6h and 30m), a ticket at 3x (1d and 2h) or 1x (3d and 6h) of a
	// 0.1 % budget.
	for _, sli := range []string{"redirect_errors", "redirect_slow"} {
		for _, want := range []struct {
			severity string
			windows  []string
			factors  []float64
		}{
			{"critical", []string{"1h", "5m", "6h", "30m"}, []float64{14.4, 6}},
			{"warning", []string{"1d", "2h", "3d", "6h"}, []float64{3, 1}},
		} {
			found := slices.ContainsFunc(rs.alerts, func(a alert) bool {
				if a.Labels["severity"] != want.severity || !slices.Contains(a.numbers, 0.001) {
					return false
				}
				for _, w := range want.windows {
					if !slices.Contains(a.metrics, "linkwatch:"+sli+":ratio_rate"+w) {
						return false
					}
				}
				for _, f := range want.factors {
					if !slices.Contains(a.numbers, f) {
						return false
					}
				}
				return true
			})
			if !found {
				t.Errorf("no %s burn-rate alert on %s over %v at %vx of 0.1 %%", want.severity, sli, want.windows, want.factors)
			}
		}
		q, ok := rs.records["linkwatch:"+sli+":ratio_rate5m"]
		if !ok || !slices.ContainsFunc(q.metrics, func(m string) bool { return strings.HasPrefix(m, "linkwatch_") }) {
			t.Errorf("linkwatch:%s:ratio_rate5m: not recorded from Linkwatch's metrics", sli)
		}
	}
	for metric, severity := range map[string]string{
		"linkwatch_db_pool_utilization": "critical",
		"linkwatch_scans_dropped_total": "warning",
		"linkwatch_probe_results_total": "warning",
	} {
		if !slices.ContainsFunc(rs.alerts, func(a alert) bool {
			return slices.Contains(a.metrics, metric) && a.Labels["severity"] == severity
		}) {
			t.Errorf("no %s alert on %s", severity, metric)
		}
	}
}

// TestRunbooks: every built-in alert rule of the binary has its runbook
// entry in docs/operations.md, the one its notifications link.
func TestRunbooks(t *testing.T) {
	docs := anchors(t)
	for _, rule := range alerting.DefaultRuleNames {
		if !docs[rule] {
			t.Errorf("docs/operations.md has no runbook heading %q", rule)
		}
	}
}

// scrapedServices are the names of the Services a ServiceMonitor scrapes:
// the job labels of their targets.
func (r *rendered) scrapedServices() []string {
	var out []string
	for _, sm := range r.ServiceMonitors {
		for _, s := range r.Services {
			if selects(sm.Spec.Selector.MatchLabels, s.Labels) && !slices.Contains(out, s.Name) {
				out = append(out, s.Name)
			}
		}
	}
	return out
}

// queriedMetrics are the Linkwatch metric names the PrometheusRule and the
// dashboard select, recording rules and Prometheus's own up left out.
func queriedMetrics(t *testing.T) []string {
	t.Helper()
	rs := loadRules(t, render(t, "single-region"))
	var out []string
	add := func(q query) {
		for _, m := range q.metrics {
			if strings.HasPrefix(m, "linkwatch_") && !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	for _, q := range rs.records {
		add(q)
	}
	for _, a := range rs.alerts {
		add(a.query)
	}
	for _, q := range dashboardQueries(t) {
		add(q)
	}
	slices.Sort(out)
	return out
}
