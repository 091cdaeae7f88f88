package deploy

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestServingPromises: the redirector and the control API run at least two
// replicas, roll one new pod at a time with none taken away first, probe
// every 10 s, drain before SIGTERM and get longer than drain + shutdown,
// have CPU and memory requests and limits, spread over zones and have a
// PodDisruptionBudget; the redirector also scales with an HPA.
func TestServingPromises(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r *rendered, _ []string) {
		for _, name := range []string{"linkwatch-redirector", "linkwatch-control"} {
			d := r.deployment(t, name)
			if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
				t.Errorf("%s: replicas %v, want at least 2", name, d.Spec.Replicas)
			}
			s := d.Spec.Strategy
			if s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil ||
				s.RollingUpdate.MaxUnavailable == nil || s.RollingUpdate.MaxUnavailable.String() != "0" ||
				s.RollingUpdate.MaxSurge == nil || s.RollingUpdate.MaxSurge.String() != "1" {
				t.Errorf("%s: strategy %s, want RollingUpdate with maxUnavailable 0 and maxSurge 1", name, describe(s))
			}
			checkProbesAndShutdown(t, d)
			checkZoneSpread(t, d)
			checkPDB(t, r, d)
		}
		checkHPA(t, r, r.deployment(t, "linkwatch-redirector"))
	})
}

func checkProbesAndShutdown(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	c := container(t, d)
	rp, lp := c.ReadinessProbe, c.LivenessProbe
	if rp == nil || rp.HTTPGet == nil || rp.HTTPGet.Path != "/readyz" || rp.PeriodSeconds != 10 {
		t.Errorf("%s: readiness probe %s, want GET /readyz every 10 s", d.Name, describe(rp))
	}
	if lp == nil || lp.HTTPGet == nil || lp.HTTPGet.Path != "/healthz" || lp.PeriodSeconds != 10 {
		t.Errorf("%s: liveness probe %s, want GET /healthz every 10 s", d.Name, describe(lp))
	}
	var preStop int64
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		preStop = c.Lifecycle.PreStop.Sleep.Seconds
	}
	// The endpoints' removal reaches every proxy while the pod still
	// serves: at least one readiness period.
	if rp != nil && preStop < int64(rp.PeriodSeconds) {
		t.Errorf("%s: preStop sleeps %d s, want at least the readiness period (%d s)", d.Name, preStop, rp.PeriodSeconds)
	}
	drain, shutdown := setting(t, c, "LINKWATCH_DRAIN_DELAY"), setting(t, c, "LINKWATCH_SHUTDOWN_TIMEOUT")
	if drain <= 0 {
		t.Errorf("%s: drain_delay %s: /readyz must answer 503 a while before the listener closes", d.Name, drain)
	}
	grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
	need := time.Duration(preStop)*time.Second + drain + shutdown
	if grace == nil || time.Duration(*grace)*time.Second <= need {
		t.Errorf("%s: terminationGracePeriodSeconds %s, want more than preStop + drain + shutdown = %s", d.Name, describe(grace), need)
	}
	checkResources(t, d.Name, c)
}

// setting is a duration a container sets in its environment; a test of a
// promise needs it written down, not left to a default.
func setting(t *testing.T, c *corev1.Container, name string) time.Duration {
	t.Helper()
	e := env(c, name)
	if e == nil {
		t.Errorf("container %s does not set %s", c.Name, name)
		return 0
	}
	v, err := time.ParseDuration(e.Value)
	if err != nil {
		t.Errorf("container %s: %s=%q: %v", c.Name, name, e.Value, err)
	}
	return v
}

func checkResources(t *testing.T, owner string, c *corev1.Container) {
	t.Helper()
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[res]
		lim, okLim := c.Resources.Limits[res]
		if !okReq || !okLim || req.IsZero() || lim.IsZero() {
			t.Errorf("%s/%s: %s request %v and limit %v, want both", owner, c.Name, res, req.String(), lim.String())
			continue
		}
		if req.Cmp(lim) > 0 {
			t.Errorf("%s/%s: %s request %s above its limit %s", owner, c.Name, res, req.String(), lim.String())
		}
	}
}

func checkZoneSpread(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	labels := d.Spec.Template.Labels
	for _, c := range d.Spec.Template.Spec.TopologySpreadConstraints {
		if c.TopologyKey == "topology.kubernetes.io/zone" && c.MaxSkew == 1 &&
			c.LabelSelector != nil && selects(c.LabelSelector.MatchLabels, labels) {
			return
		}
	}
	t.Errorf("%s: no topology spread over zones (maxSkew 1) selecting its pods", d.Name)
}

func checkPDB(t *testing.T, r *rendered, d *appsv1.Deployment) {
	t.Helper()
	replicas := int(*d.Spec.Replicas)
	for _, p := range r.PDBs {
		if p.Spec.Selector == nil || !selects(p.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
			continue
		}
		switch {
		case p.Spec.MaxUnavailable != nil:
			if n := p.Spec.MaxUnavailable.IntValue(); p.Spec.MaxUnavailable.Type != intstr.Int || n < 1 || n > replicas-1 {
				t.Errorf("%s: PodDisruptionBudget maxUnavailable %s, want 1..%d", d.Name, p.Spec.MaxUnavailable, replicas-1)
			}
		case p.Spec.MinAvailable != nil:
			if n := p.Spec.MinAvailable.IntValue(); p.Spec.MinAvailable.Type != intstr.Int || n < 1 || n > replicas-1 {
				t.Errorf("%s: PodDisruptionBudget minAvailable %s, want 1..%d", d.Name, p.Spec.MinAvailable, replicas-1)
			}
		default:
			t.Errorf("%s: PodDisruptionBudget %s without a bound", d.Name, p.Name)
		}
		return
	}
	t.Errorf("%s: no PodDisruptionBudget selects its pods", d.Name)
}

func checkHPA(t *testing.T, r *rendered, d *appsv1.Deployment) {
	t.Helper()
	for _, h := range r.HPAs {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
			continue
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas <= *h.Spec.MinReplicas {
			t.Errorf("%s: HPA between %v and %d replicas, want at least 2 and room above", d.Name, h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
		cpu := slices.ContainsFunc(h.Spec.Metrics, func(m autoscalingv2.MetricSpec) bool {
			return m.Resource != nil && m.Resource.Name == corev1.ResourceCPU && m.Resource.Target.AverageUtilization != nil
		})
		if !cpu {
			t.Errorf("%s: the HPA does not scale on CPU utilisation", d.Name)
		}
		return
	}
	t.Errorf("%s: no HorizontalPodAutoscaler", d.Name)
}

// TestProbers: one prober Deployment per region, each reading its own
// region's token, with selectors that do not overlap, pushing to the
// control API's Service and spooling to a volume.
func TestProbers(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r *rendered, regions []string) {
		var got []string
		for _, d := range r.Deployments {
			if d.Spec.Template.Labels["app.kubernetes.io/component"] == "prober" {
				got = append(got, d.Name)
			}
		}
		var want []string
		for _, region := range regions {
			want = append(want, "linkwatch-prober-"+region)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("prober Deployments %v, want %v", got, want)
		}
		control := r.service(t, "linkwatch-control")
		for _, region := range regions {
			d := r.deployment(t, "linkwatch-prober-"+region)
			c := container(t, d)
			if e := env(c, "LINKWATCH_REGION"); e == nil || e.Value != region {
				t.Errorf("%s: LINKWATCH_REGION %s, want %s", d.Name, describe(e), region)
			}
			if e := env(c, "LINKWATCH_PROBER_TOKEN"); e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
				e.ValueFrom.SecretKeyRef.Key != "prober-token-"+region {
				t.Errorf("%s: token %s, want the Secret's prober-token-%s", d.Name, describe(e), region)
			}
			if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
				t.Errorf("%s: replicas %v, want at least 2 sharing the region's checks", d.Name, d.Spec.Replicas)
			}
			if d.Spec.Template.Labels["linkwatch/region"] != region || d.Spec.Selector.MatchLabels["linkwatch/region"] != region {
				t.Errorf("%s: region label missing from its selector or pods", d.Name)
			}
			checkControlURL(t, d.Name, c, control)
			checkSpool(t, d, c)
			checkResources(t, d.Name, c)
			if lp := c.LivenessProbe; lp == nil || lp.HTTPGet == nil || lp.HTTPGet.Path != "/healthz" || lp.PeriodSeconds != 10 {
				t.Errorf("%s: liveness probe %s, want GET /healthz every 10 s", d.Name, describe(lp))
			}
		}
		// No Deployment's selector may take another's pods.
		for _, a := range r.Deployments {
			for _, b := range r.Deployments {
				if a != b && selects(a.Spec.Selector.MatchLabels, b.Spec.Template.Labels) {
					t.Errorf("%s's selector also selects %s's pods", a.Name, b.Name)
				}
			}
		}
	})
}

func checkControlURL(t *testing.T, owner string, c *corev1.Container, control *corev1.Service) {
	t.Helper()
	e := env(c, "LINKWATCH_CONTROL")
	if e == nil {
		t.Errorf("%s: no LINKWATCH_CONTROL", owner)
		return
	}
	u, err := url.Parse(e.Value)
	if err != nil || u.Hostname() != control.Name {
		t.Errorf("%s: LINKWATCH_CONTROL %q, want the Service %s", owner, e.Value, control.Name)
		return
	}
	port := 80
	if u.Port() != "" {
		port, _ = strconv.Atoi(u.Port())
	}
	if !slices.ContainsFunc(control.Spec.Ports, func(p corev1.ServicePort) bool { return int(p.Port) == port && p.Name == "http" }) {
		t.Errorf("%s: LINKWATCH_CONTROL %q: no http port %d on %s", owner, e.Value, port, control.Name)
	}
}

func checkSpool(t *testing.T, d *appsv1.Deployment, c *corev1.Container) {
	t.Helper()
	i := slices.Index(c.Args, "--spool")
	if i < 0 || i+1 >= len(c.Args) {
		t.Errorf("%s: no --spool directory", d.Name)
		return
	}
	for _, m := range c.VolumeMounts {
		if m.MountPath == c.Args[i+1] && !m.ReadOnly {
			return
		}
	}
	t.Errorf("%s: the spool %s is not a writable volume (the root filesystem is read-only)", d.Name, c.Args[i+1])
}

// TestMigrationJob: a Job applies the migrations, with the database URL
// from the Secret, on its own label for `kubectl apply -l` before the rest.
func TestMigrationJob(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r *rendered, _ []string) {
		if len(r.Jobs) != 1 {
			t.Fatalf("Jobs %v, want one migration Job", names(r.Jobs))
		}
		j := r.Jobs[0]
		c := j.Spec.Template.Spec.Containers
		if len(c) != 1 || !slices.Equal(c[0].Args, []string{"migrate"}) {
			t.Fatalf("%s runs %s, want linkwatch migrate", j.Name, describe(c))
		}
		if e := env(&c[0], "LINKWATCH_DB"); e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s: the database URL is not from a Secret", j.Name)
		}
		if j.Labels["app.kubernetes.io/component"] != "migrate" || j.Spec.Template.Labels["app.kubernetes.io/component"] != "migrate" {
			t.Errorf("%s: labels %v, want app.kubernetes.io/component=migrate (docs/operations.md applies it by that label)", j.Name, j.Labels)
		}
		if j.Spec.TTLSecondsAfterFinished == nil || j.Spec.BackoffLimit == nil {
			t.Errorf("%s: want a ttlSecondsAfterFinished (the next release's Job replaces it) and a backoffLimit", j.Name)
		}
	})
}

// TestPodSecurity: every pod runs non-root with a read-only root
// filesystem, no capabilities, no privilege escalation, the runtime's
// seccomp profile, no service account token, a pinned image and CPU and
// memory requests and limits.
func TestPodSecurity(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r *rendered, _ []string) {
		pods := r.pods()
		if len(pods) < 4 {
			t.Fatalf("only %d workloads", len(pods))
		}
		for _, p := range pods {
			spec := &p.tmpl.Spec
			psc := spec.SecurityContext
			if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
				t.Errorf("%s %s mounts a service account token it never uses", p.kind, p.name)
			}
			if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
				t.Errorf("%s %s: pod securityContext %s, want runAsNonRoot and a non-zero runAsUser", p.kind, p.name, describe(psc))
			}
			podSeccomp := psc != nil && psc.SeccompProfile != nil && psc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault
			for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
				sc := c.SecurityContext
				switch {
				case sc == nil:
					t.Errorf("%s %s/%s: no securityContext", p.kind, p.name, c.Name)
					continue
				case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
					t.Errorf("%s %s/%s: the root filesystem is writable", p.kind, p.name, c.Name)
				case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
					t.Errorf("%s %s/%s: privilege escalation allowed", p.kind, p.name, c.Name)
				case sc.Privileged != nil && *sc.Privileged:
					t.Errorf("%s %s/%s: privileged", p.kind, p.name, c.Name)
				case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0:
					t.Errorf("%s %s/%s: capabilities %s, want ALL dropped and none added", p.kind, p.name, c.Name, describe(sc.Capabilities))
				case !podSeccomp && (sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault):
					t.Errorf("%s %s/%s: no RuntimeDefault seccomp profile", p.kind, p.name, c.Name)
				}
				if sc.RunAsUser != nil && *sc.RunAsUser == 0 || sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot {
					t.Errorf("%s %s/%s: runs as root", p.kind, p.name, c.Name)
				}
				name, tag, _ := strings.Cut(c.Image[strings.LastIndex(c.Image, "/")+1:], ":")
				if name != "linkwatch" || tag == "" || tag == "latest" {
					t.Errorf("%s %s/%s: image %q, want linkwatch at a pinned tag", p.kind, p.name, c.Name, c.Image)
				}
				checkResources(t, p.kind+" "+p.name, &c)
				for _, pr := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
					if pr != nil && (pr.HTTPGet == nil || containerPort(&c, pr.HTTPGet.Port) == 0) {
						t.Errorf("%s %s/%s: probe %s is not an HTTP GET of one of its ports", p.kind, p.name, c.Name, describe(pr))
					}
				}
			}
		}
	})
}

// credential names the settings that hold secrets; each must come from a
// Secret.
var credential = regexp.MustCompile(`TOKEN|SECRET|PASSWORD|API_KEY|WEBHOOK_URL|^LINKWATCH_DB$`)

// literalSecret finds secrets written into the manifests: Slack tokens and
// webhooks, and URLs with a password in them.
var literalSecret = regexp.MustCompile(`xox[abpr]-|hooks\.slack\.com|://[^/\s:@"']+:[^/\s@"']+@|(?i)kind:\s*Secret\b`)

// TestNoLiteralSecrets: tokens, webhook URLs, passwords and the database
// URL come from the Secret "linkwatch", never from the manifests.
func TestNoLiteralSecrets(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r *rendered, _ []string) {
		refs := 0
		for _, p := range r.pods() {
			for _, c := range append(slices.Clone(p.tmpl.Spec.InitContainers), p.tmpl.Spec.Containers...) {
				for _, e := range c.Env {
					if !credential.MatchString(e.Name) {
						continue
					}
					if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != "linkwatch" {
						t.Errorf("%s %s/%s: %s is not read from the Secret linkwatch", p.kind, p.name, c.Name, e.Name)
					}
					refs++
				}
			}
		}
		if refs < 5 {
			t.Errorf("only %d settings read from the Secret", refs)
		}
		for _, y := range r.YAML {
			if m := literalSecret.FindString(y); m != "" {
				t.Errorf("a literal secret (%q) in:\n%s", m, y)
			}
		}
	})
}

// TestEnvironmentAndRoles: every container runs a Linkwatch role and sets
// only settings Linkwatch reads; the ConfigMap's linkwatch.yaml loads with
// the binary's own loader and is mounted where LINKWATCH_CONFIG points.
func TestEnvironmentAndRoles(t *testing.T) {
	known := knownEnv(t)
	roles := map[string]bool{"redirector": true, "control": true, "migrate": true, "prober": true}
	forEachOverlay(t, func(t *testing.T, r *rendered, _ []string) {
		for _, p := range r.pods() {
			for _, c := range p.tmpl.Spec.Containers {
				if len(c.Args) == 0 || !roles[c.Args[0]] {
					t.Errorf("%s %s/%s runs %v, not a Linkwatch role", p.kind, p.name, c.Name, c.Args)
				}
				for _, e := range c.Env {
					if !known[e.Name] {
						t.Errorf("%s %s/%s sets %s, which Linkwatch does not read", p.kind, p.name, c.Name, e.Name)
					}
				}
			}
		}
		if len(r.ConfigMaps) != 1 {
			t.Fatalf("ConfigMaps %v, want one", names(r.ConfigMaps))
		}
		cm := r.ConfigMaps[0]
		d := r.deployment(t, "linkwatch-control")
		c := container(t, d)
		checkConfig(t, cm.Name, cm.Data["linkwatch.yaml"], c)
		e := env(c, "LINKWATCH_CONFIG")
		if e == nil {
			t.Fatal("the control API reads no LINKWATCH_CONFIG")
		}
		dir, file := e.Value[:strings.LastIndex(e.Value, "/")], e.Value[strings.LastIndex(e.Value, "/")+1:]
		mounted := false
		for _, m := range c.VolumeMounts {
			i := slices.IndexFunc(d.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
			if m.MountPath == dir && i >= 0 {
				v := d.Spec.Template.Spec.Volumes[i]
				mounted = v.ConfigMap != nil && v.ConfigMap.Name == cm.Name && cm.Data[file] != ""
			}
		}
		if !mounted {
			t.Errorf("LINKWATCH_CONFIG=%s is not the ConfigMap %s mounted", e.Value, cm.Name)
		}
	})
}

// listenPort is the port of a listen address such as ":9090".
func listenPort(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("listen address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("listen address %q: %v", addr, err)
	}
	return n
}
