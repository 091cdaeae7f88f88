package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestBinaryDoesNotLinkTesting: test helpers (pgtest, storagetest) stay out
// of the production binary. A non-_test file importing "testing" anywhere in
// linkwatch's dependency graph would link the testing package and its flags
// into every deployment.
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.CommandContext(t.Context(), gobin, "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list -deps: %v\n%s", err, msg)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || deps[len(deps)-1] != "github.com/linkwatch/linkwatch/cmd/linkwatch" {
		t.Fatalf("go list -deps listed %d packages ending in %q, want the dependencies of cmd/linkwatch", len(deps), deps[len(deps)-1:])
	}
	for _, p := range deps {
		if p == "testing" || strings.HasPrefix(p, "testing/") || strings.HasSuffix(p, "/pgtest") || strings.HasSuffix(p, "/storagetest") {
			t.Errorf("the linkwatch binary links %s", p)
		}
	}
}
