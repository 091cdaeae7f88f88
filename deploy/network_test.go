package deploy

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func (r *rendered) service(t *testing.T, name string) *corev1.Service {
	t.Helper()
	for _, s := range r.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no Service %s", name)
	return nil
}

// policies are the NetworkPolicies selecting a pod template's pods.
func (r *rendered) policies(tmpl *corev1.PodTemplateSpec) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	for _, p := range r.NetworkPolicies {
		if selects(p.Spec.PodSelector.MatchLabels, tmpl.Labels) {
			out = append(out, p)
		}
	}
	return out
}

// egressKind names what an egress rule reaches: "postgres" (the
// CloudNativePG cluster's pods on 5432), "dns" (port 53), "control" (the
// control API's pods on its http port), "internet" (public addresses
// only), or "" for anything else.
func egressKind(r *rendered, rule networkingv1.NetworkPolicyEgressRule) string {
	ports := func(want ...intstr.IntOrString) bool {
		if len(rule.Ports) == 0 {
			return false
		}
		for _, p := range rule.Ports {
			if p.Port == nil || !slices.Contains(want, *p.Port) || p.EndPort != nil {
				return false
			}
		}
		return true
	}
	if len(rule.To) == 0 {
		return "" // everywhere
	}
	kinds := map[string]bool{}
	for _, peer := range rule.To {
		switch {
		case peer.IPBlock != nil:
			if !slices.Contains([]string{"0.0.0.0/0", "::/0"}, peer.IPBlock.CIDR) {
				return ""
			}
			private := []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8"}
			if peer.IPBlock.CIDR == "::/0" {
				private = []string{"fc00::/7", "fe80::/10"}
			}
			for _, p := range private {
				if !slices.Contains(peer.IPBlock.Except, p) {
					return ""
				}
			}
			kinds["internet"] = true
		case peer.PodSelector != nil && peer.NamespaceSelector == nil &&
			len(peer.PodSelector.MatchLabels) == 1 && peer.PodSelector.MatchLabels["cnpg.io/cluster"] != "":
			kinds["postgres"] = ports(intstr.FromInt32(5432))
		case peer.PodSelector != nil && peer.NamespaceSelector == nil &&
			selects(peer.PodSelector.MatchLabels, r.deploymentLabels("linkwatch-control")):
			kinds["control"] = ports(intstr.FromString("http"), intstr.FromInt32(8080))
		case peer.NamespaceSelector != nil && peer.PodSelector != nil && peer.PodSelector.MatchLabels["k8s-app"] == "kube-dns":
			kinds["dns"] = ports(intstr.FromInt32(53))
		default:
			return ""
		}
	}
	if len(kinds) != 1 {
		return ""
	}
	for k, ok := range kinds {
		if ok {
			return k
		}
	}
	return ""
}

func (r *rendered) deploymentLabels(name string) map[string]string {
	for _, d := range r.Deployments {
		if d.Name == name {
			return d.Spec.Template.Labels
		}
	}
	return nil
}

// TestNetworkPolicies: every pod is covered in both directions; the
// redirectors reach only PostgreSQL and DNS; the probers only the control
// API, DNS and public addresses; the control API PostgreSQL, DNS and
// public addresses (its notifications); and Prometheus can scrape each.
func TestNetworkPolicies(t *testing.T) {
	allowed := map[string][]string{
		"redirector": {"postgres", "dns"},
		"control":    {"postgres", "dns", "internet"},
		"prober":     {"control", "dns", "internet"},
		"migrate":    {"postgres", "dns"},
	}
	required := map[string][]string{
		"redirector": {"postgres", "dns"},
		"control":    {"postgres", "dns"},
		"prober":     {"control", "dns", "internet"},
		"migrate":    {"postgres", "dns"},
	}
	forEachOverlay(t, func(t *testing.T, r *rendered, _ []string) {
		for _, p := range r.pods() {
			component := p.tmpl.Labels["app.kubernetes.io/component"]
			pols := r.policies(p.tmpl)
			if len(pols) == 0 {
				t.Errorf("%s %s: no NetworkPolicy selects its pods", p.kind, p.name)
				continue
			}
			ingress, egress := false, false
			reached := map[string]bool{}
			metricsIngress := false
			for _, pol := range pols {
				ingress = ingress || slices.Contains(pol.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
				egress = egress || slices.Contains(pol.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
				for _, rule := range pol.Spec.Egress {
					k := egressKind(r, rule)
					if !slices.Contains(allowed[component], k) {
						t.Errorf("%s %s: policy %s lets it reach %s, beyond %v", p.kind, p.name, pol.Name, describe(rule), allowed[component])
					}
					reached[k] = true
				}
				for _, rule := range pol.Spec.Ingress {
					for _, port := range rule.Ports {
						if port.Port != nil && port.Port.String() == "metrics" && len(rule.From) > 0 {
							metricsIngress = true
						}
					}
				}
			}
			if !ingress || !egress {
				t.Errorf("%s %s: its policies restrict ingress %v, egress %v; want both", p.kind, p.name, ingress, egress)
			}
			for _, k := range required[component] {
				if !reached[k] {
					t.Errorf("%s %s cannot reach %s", p.kind, p.name, k)
				}
			}
			if p.kind == "Deployment" && !metricsIngress {
				t.Errorf("%s %s: no policy lets Prometheus reach its metrics port", p.kind, p.name)
			}
		}
	})
}

// TestServiceMonitors: every Deployment's pods are scraped by a
// ServiceMonitor, on the Service port that leads to the listener serving
// /metrics (metrics_addr, or a prober's own address), and each Service
// selects pods that have the ports it names.
func TestServiceMonitors(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r *rendered, _ []string) {
		for _, s := range r.Services {
			matched := 0
			for _, d := range r.Deployments {
				if !selects(s.Spec.Selector, d.Spec.Template.Labels) {
					continue
				}
				matched++
				for _, sp := range s.Spec.Ports {
					if containerPort(container(t, d), sp.TargetPort) == 0 {
						t.Errorf("Service %s port %s: %s has no container port %s", s.Name, sp.Name, d.Name, sp.TargetPort.String())
					}
				}
			}
			if matched == 0 {
				t.Errorf("Service %s selects no Deployment's pods", s.Name)
			}
		}
		for _, d := range r.Deployments {
			c := container(t, d)
			listener := "LINKWATCH_METRICS_ADDR"
			if c.Args[0] == "prober" {
				listener = "LINKWATCH_ADDR" // a prober serves /metrics on its only listener
			}
			e := env(c, listener)
			if e == nil {
				t.Errorf("%s: no %s: /metrics would share the public port", d.Name, listener)
				continue
			}
			want := listenPort(t, e.Value)
			scraped := false
			for _, sm := range r.ServiceMonitors {
				for _, s := range r.Services {
					if !selects(sm.Spec.Selector.MatchLabels, s.Labels) || !selects(s.Spec.Selector, d.Spec.Template.Labels) {
						continue
					}
					for _, ep := range sm.Spec.Endpoints {
						i := slices.IndexFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port })
						if i < 0 {
							t.Errorf("ServiceMonitor %s scrapes port %q, which Service %s lacks", sm.Name, ep.Port, s.Name)
							continue
						}
						if got := containerPort(c, s.Spec.Ports[i].TargetPort); got != want {
							t.Errorf("ServiceMonitor %s scrapes %s on container port %d, but %s listens on %d", sm.Name, d.Name, got, listener, want)
							continue
						}
						if ep.Path != "" && ep.Path != "/metrics" {
							t.Errorf("ServiceMonitor %s scrapes path %s", sm.Name, ep.Path)
							continue
						}
						scraped = true
					}
				}
			}
			if !scraped {
				t.Errorf("%s: no ServiceMonitor scrapes its metrics port %d", d.Name, want)
			}
		}
	})
}

// containerPort resolves a Service's targetPort to a container port
// number, or 0 when the container has no such port.
func containerPort(c *corev1.Container, target intstr.IntOrString) int {
	for _, p := range c.Ports {
		if target.Type == intstr.String && p.Name == target.StrVal || target.Type == intstr.Int && p.ContainerPort == target.IntVal {
			return int(p.ContainerPort)
		}
	}
	return 0
}
