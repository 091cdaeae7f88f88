// Package deploy holds the container image and Kubernetes manifests; its test
// keeps them in step with the binary.
package deploy

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/config"
	"go.yaml.in/yaml/v3"
)

// knownEnv lists every LINKWATCH_ variable the configuration reads, from the
// flags' help texts (each names its variable).
func knownEnv(t *testing.T) map[string]bool {
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

func TestManifests(t *testing.T) {
	known := knownEnv(t)
	files, _ := filepath.Glob("kubernetes/*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests")
	}
	containers, configs := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc struct {
				Kind string            `yaml:"kind"`
				Data map[string]string `yaml:"data"`
				Spec struct {
					Template struct {
						Spec struct {
							InitContainers []container `yaml:"initContainers"`
							Containers     []container `yaml:"containers"`
						} `yaml:"spec"`
					} `yaml:"template"`
				} `yaml:"spec"`
			}
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc.Kind == "" {
				t.Errorf("%s: a document without kind", f)
			}
			if cfg, ok := doc.Data["linkwatch.yaml"]; ok {
				configs++
				checkConfig(t, f, cfg)
			}
			for _, c := range append(doc.Spec.Template.Spec.InitContainers, doc.Spec.Template.Spec.Containers...) {
				containers++
				for _, e := range c.Env {
					if !known[e.Name] {
						t.Errorf("%s: container %s sets %s, which Linkwatch does not read", f, c.Name, e.Name)
					}
				}
				for _, p := range []*probe{c.ReadinessProbe, c.LivenessProbe} {
					if p != nil && p.HTTPGet.Path != "/readyz" && p.HTTPGet.Path != "/healthz" {
						t.Errorf("%s: probe path %s", f, p.HTTPGet.Path)
					}
				}
				if len(c.Args) == 0 || !map[string]bool{"serve": true, "redirector": true, "control": true, "migrate": true, "prober": true}[c.Args[0]] {
					t.Errorf("%s: container %s runs %v, not a linkwatch role", f, c.Name, c.Args)
				}
			}
		}
	}
	if containers < 4 || configs == 0 {
		t.Fatalf("found %d containers and %d configuration files", containers, configs)
	}
}

// checkConfig loads a manifest's linkwatch.yaml with the binary's own
// loader, with the environment the control container gets, so a rule or
// component that does not compile fails here, not at a rollout.
func checkConfig(t *testing.T, manifest, data string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "linkwatch.yaml")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LINKWATCH_CONFIG": path, "LINKWATCH_SLACK_TOKEN": "xoxb-test", "LINKWATCH_SLACK_CHANNEL": "#oncall"}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	config.Flags(fs)
	cfg, err := config.Load(fs, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("%s: its linkwatch.yaml does not load: %v", manifest, err)
	}
	if len(cfg.AlertRules) == 0 || len(cfg.StatusComponents) == 0 {
		t.Fatalf("%s: its linkwatch.yaml declares %d rules and %d components", manifest, len(cfg.AlertRules), len(cfg.StatusComponents))
	}
}

type container struct {
	Name string   `yaml:"name"`
	Args []string `yaml:"args"`
	Env  []struct {
		Name string `yaml:"name"`
	} `yaml:"env"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
	} `yaml:"httpGet"`
}
