package deploy

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/config"
	corev1 "k8s.io/api/core/v1"
)

// knownEnv lists every LINKWATCH_ variable the configuration reads, from the
// flags' help texts (each names its variable), and the prober's own.
func knownEnv(t *testing.T) map[string]bool {
	t.Helper()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	config.Flags(fs)
	known := map[string]bool{"LINKWATCH_CONFIG": true, "LINKWATCH_CONTROL": true, "LINKWATCH_PROBER_TOKEN": true}
	fs.VisitAll(func(f *flag.Flag) {
		for _, w := range strings.Fields(f.Usage) {
			if w = strings.Trim(w, "(),"); strings.HasPrefix(w, "LINKWATCH_") {
				known[w] = true
			}
		}
	})
	if len(known) < 10 {
		t.Fatalf("found only %d settings", len(known))
	}
	return known
}

// checkConfig loads a ConfigMap's linkwatch.yaml with the binary's own
// loader, in the environment the container gets when the Secret holds only
// its required keys (optional ones absent), so a rule, a route to a channel
// that is not configured, or a setting that does not validate fails here,
// not at a rollout.
func checkConfig(t *testing.T, owner, data string, c *corev1.Container) {
	t.Helper()
	if data == "" {
		t.Fatalf("%s: no linkwatch.yaml", owner)
	}
	path := filepath.Join(t.TempDir(), "linkwatch.yaml")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.Name == "LINKWATCH_CONFIG":
			env[e.Name] = path
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil && (e.ValueFrom.SecretKeyRef.Optional == nil || !*e.ValueFrom.SecretKeyRef.Optional):
			env[e.Name] = "deploy-test-" + e.ValueFrom.SecretKeyRef.Key + "-0123456789abcdef"
		}
	}
	if _, ok := env["LINKWATCH_DB"]; ok {
		env["LINKWATCH_DB"] = "postgres://linkwatch@linkwatch-db-rw:5432/linkwatch"
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	config.Flags(fs)
	cfg, err := config.Load(fs, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("%s: linkwatch.yaml does not load with %s's environment: %v", owner, c.Name, err)
	}
	if len(cfg.AlertRules) == 0 || len(cfg.StatusComponents) == 0 {
		t.Fatalf("%s: its linkwatch.yaml declares %d rules and %d components", owner, len(cfg.AlertRules), len(cfg.StatusComponents))
	}
}
