package deploy

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/config"
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
// loader, with the environment the control container gets, so a rule or
// component that does not compile fails here, not at a rollout.
func checkConfig(t *testing.T, owner, data string) {
	t.Helper()
	if data == "" {
		t.Fatalf("%s: no linkwatch.yaml", owner)
	}
	path := filepath.Join(t.TempDir(), "linkwatch.yaml")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LINKWATCH_CONFIG": path, "LINKWATCH_SLACK_TOKEN": "xoxb-test", "LINKWATCH_SLACK_CHANNEL": "#oncall"}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	config.Flags(fs)
	cfg, err := config.Load(fs, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("%s: its linkwatch.yaml does not load: %v", owner, err)
	}
	if len(cfg.AlertRules) == 0 || len(cfg.StatusComponents) == 0 {
		t.Fatalf("%s: its linkwatch.yaml declares %d rules and %d components", owner, len(cfg.AlertRules), len(cfg.StatusComponents))
	}
}
