package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// rendered is one overlay's output, every object decoded strictly into its
// Kubernetes or Prometheus Operator type.
type rendered struct {
	Deployments     []*appsv1.Deployment
	Jobs            []*batchv1.Job
	Services        []*corev1.Service
	ConfigMaps      []*corev1.ConfigMap
	PDBs            []*policyv1.PodDisruptionBudget
	HPAs            []*autoscalingv2.HorizontalPodAutoscaler
	NetworkPolicies []*networkingv1.NetworkPolicy
	ServiceMonitors []*monitoringv1.ServiceMonitor
	PrometheusRules []*monitoringv1.PrometheusRule
	// YAML is every object's YAML, for the checks on literal secrets.
	YAML []string
}

// render builds an overlay with kustomize's Go API, as `kubectl apply -k`
// would, and decodes each object with unknown and duplicate fields
// rejected, so a misspelt or misplaced field fails here, not at an apply.
func render(t *testing.T, overlay string) *rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), "kubernetes/overlays/"+overlay)
	if err != nil {
		t.Fatalf("kustomize %s: %v", overlay, err)
	}
	out := &rendered{}
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		out.YAML = append(out.YAML, string(y))
		gvk := r.GetApiVersion() + " " + r.GetKind()
		var obj any
		switch gvk {
		case "apps/v1 Deployment":
			out.Deployments = append(out.Deployments, new(appsv1.Deployment))
			obj = out.Deployments[len(out.Deployments)-1]
		case "batch/v1 Job":
			out.Jobs = append(out.Jobs, new(batchv1.Job))
			obj = out.Jobs[len(out.Jobs)-1]
		case "v1 Service":
			out.Services = append(out.Services, new(corev1.Service))
			obj = out.Services[len(out.Services)-1]
		case "v1 ConfigMap":
			out.ConfigMaps = append(out.ConfigMaps, new(corev1.ConfigMap))
			obj = out.ConfigMaps[len(out.ConfigMaps)-1]
		case "policy/v1 PodDisruptionBudget":
			out.PDBs = append(out.PDBs, new(policyv1.PodDisruptionBudget))
			obj = out.PDBs[len(out.PDBs)-1]
		case "autoscaling/v2 HorizontalPodAutoscaler":
			out.HPAs = append(out.HPAs, new(autoscalingv2.HorizontalPodAutoscaler))
			obj = out.HPAs[len(out.HPAs)-1]
		case "networking.k8s.io/v1 NetworkPolicy":
			out.NetworkPolicies = append(out.NetworkPolicies, new(networkingv1.NetworkPolicy))
			obj = out.NetworkPolicies[len(out.NetworkPolicies)-1]
		case "monitoring.coreos.com/v1 ServiceMonitor":
			out.ServiceMonitors = append(out.ServiceMonitors, new(monitoringv1.ServiceMonitor))
			obj = out.ServiceMonitors[len(out.ServiceMonitors)-1]
		case "monitoring.coreos.com/v1 PrometheusRule":
			out.PrometheusRules = append(out.PrometheusRules, new(monitoringv1.PrometheusRule))
			obj = out.PrometheusRules[len(out.PrometheusRules)-1]
		default:
			// A Secret lands here too: secrets are never kept in the manifests.
			t.Fatalf("%s: %s %s is a kind this test does not know", overlay, gvk, r.GetName())
		}
		if err := yaml.UnmarshalStrict(y, obj); err != nil {
			t.Fatalf("%s: %s %s does not decode strictly: %v", overlay, gvk, r.GetName(), err)
		}
	}
	return out
}

func (r *rendered) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	for _, d := range r.Deployments {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no Deployment %s", name)
	return nil
}

// selects reports whether a label selector's matchLabels all hold in labels
// (the manifests select by matchLabels only).
func selects(sel map[string]string, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// podTemplate is a workload's pod template with its name, for checks that
// hold for Deployments and Jobs alike.
type podTemplate struct {
	kind, name string
	tmpl       *corev1.PodTemplateSpec
}

func (r *rendered) pods() []podTemplate {
	var out []podTemplate
	for _, d := range r.Deployments {
		out = append(out, podTemplate{"Deployment", d.Name, &d.Spec.Template})
	}
	for _, j := range r.Jobs {
		out = append(out, podTemplate{"Job", j.Name, &j.Spec.Template})
	}
	return out
}

func env(c *corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func container(t *testing.T, d *appsv1.Deployment) *corev1.Container {
	t.Helper()
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("%s has %d containers, want 1", d.Name, n)
	}
	return &d.Spec.Template.Spec.Containers[0]
}

// overlays are the overlays and the prober regions each must run.
var overlays = map[string][]string{
	"single-region": {"eu-west"},
	"multi-region":  {"eu-west", "us-east", "ap-southeast"},
}

func forEachOverlay(t *testing.T, f func(t *testing.T, r *rendered, regions []string)) {
	for name, regions := range overlays {
		t.Run(name, func(t *testing.T) { f(t, render(t, name), regions) })
	}
}

func names[T interface{ GetName() string }](objs []T) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetName())
	}
	slices.Sort(out)
	return out
}

// describe prints a value for a failure message, pointers dereferenced.
func describe(v any) string {
	if p, ok := v.(*int64); ok && p != nil {
		return fmt.Sprint(*p)
	}
	return strings.TrimSpace(fmt.Sprintf("%+v", v))
}
