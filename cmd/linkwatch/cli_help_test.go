package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// runCLI runs `linkwatch <args>` in-process with env and returns its
// stdout, stderr and error.
func runCLI(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestHelpExitsZero: -h, --help and `help <cmd>` print the command's usage
// to stdout and succeed, for every role and subcommand; nothing runs.
func TestHelpExitsZero(t *testing.T) {
	for _, cmd := range [][]string{
		{"serve"}, {"redirector"}, {"control"}, {"prober"}, {"migrate"}, {"check-config"}, {"version"},
		{"tokens", "reset-admin"}, {"tokens", "create"}, {"tokens", "list"},
		{"links", "create"}, {"links", "update"}, {"links", "health"}, {"links", "scans"}, {"links", "qr"}, {"links", "failover"},
	} {
		name := strings.Join(cmd, " ")
		for _, args := range [][]string{append(cmd, "-h"), append(cmd, "--help"), append([]string{"help"}, cmd...)} {
			out, errOut, err := runCLI(t, nil, args...)
			if err != nil || !strings.HasPrefix(out, "usage: linkwatch "+name) || errOut != "" {
				t.Errorf("linkwatch %s: err %v, stderr %q, stdout:\n%s", strings.Join(args, " "), err, errOut, out)
			}
		}
	}
	for _, args := range [][]string{{"links", "-h"}, {"tokens", "--help"}, {"help", "links"}, {"help"}, {"--help"}} {
		if out, _, err := runCLI(t, nil, args...); err != nil || !strings.HasPrefix(out, "usage: linkwatch") {
			t.Errorf("linkwatch %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestHelpShowsEachRolesFlags: a role's help lists the flags of the
// settings it uses, typed and grouped, and no other role's.
func TestHelpShowsEachRolesFlags(t *testing.T) {
	for _, tc := range []struct {
		role      string
		has, lack []string
	}{
		{"serve", []string{"\nListening:\n", "\nStorage:\n", "\nProbing:\n", "\nAlerting:\n", "\nStatus page:\n", "\nLogging:\n",
			"--probe-timeout duration", "--probe-allow-private bool", "--scan-batch-size int", "--public-url URL", "--db string"}, nil},
		{"redirector", []string{"--scan-queue-size int", "--country-header string", "--db string", "--drain-delay duration"},
			[]string{"--slack-token", "--region", "--probe-timeout", "--status-title", "--admin-token", "Alerting:"}},
		{"control", []string{"--admin-token string", "--slack-webhook-url URL", "--status-time-zone string", "--probe-timeout duration"},
			[]string{"--scan-batch-size", "--country-header", "--region", "--probe-concurrency"}},
		{"prober", []string{"--region string", "--control string", "--spool-max-bytes int", "--probe-refresh duration",
			"default 127.0.0.1:9464", "\nSpool:\n"},
			[]string{"--db", "--slack-token", "--scan-batch-size", "--metrics-addr"}},
		{"migrate", []string{"--db string", "--json bool"}, []string{"--addr", "--region"}},
	} {
		out, _, err := runCLI(t, nil, tc.role, "-h")
		if err != nil {
			t.Fatalf("%s -h: %v", tc.role, err)
		}
		for _, s := range tc.has {
			if !strings.Contains(out, s) {
				t.Errorf("%s -h lacks %q:\n%s", tc.role, s, out)
			}
		}
		for _, s := range tc.lack {
			if strings.Contains(out, s) {
				t.Errorf("%s -h shows %q, which it does not use", tc.role, s)
			}
		}
	}
}

// TestCLIUnknownFlags: a flag a role does not take is a clear error, with
// the nearest spelling or the roles that take it; nothing runs.
func TestCLIUnknownFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--regoin", "eu"}, "serve: unknown flag --regoin (did you mean --region?)"},
		{[]string{"redirector", "--slack-token", "x"}, "redirector: unknown flag --slack-token: redirector does not use slack_token (a flag of serve, control)"},
		{[]string{"prober", "--db", "x.db"}, "prober: unknown flag --db: prober does not use db (a flag of serve, redirector, control, migrate)"},
		{[]string{"links", "get", "x", "--bogus"}, "links get: unknown flag --bogus (run 'linkwatch links get -h' for its flags)"},
		{[]string{"serve", "--addr"}, "serve: flag needs an argument: -addr (run 'linkwatch serve -h' for its flags)"},
	} {
		out, errOut, err := runCLI(t, nil, tc.args...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v:\n got  %v\n want %s", tc.args, err, tc.want)
		}
		if out != "" || errOut != "" {
			t.Errorf("%v printed %q %q", tc.args, out, errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, err := runCLI(t, nil, args...)
		if err != nil || !strings.HasPrefix(out, "linkwatch ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%v: %v %q", args, err, out)
		}
	}
	out, _, err := runCLI(t, nil, "version", "--json")
	var v buildVersion
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v.Go != runtime.Version() || v.Version == "" {
		t.Errorf("version --json: %v %q", err, out)
	}

	info := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/linkwatch/linkwatch", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"}}}
	got := readVersion(info, true)
	want := buildVersion{Version: "v1.4.0", Revision: "0123abcd", Time: "2026-12-01T10:00:00Z", Modified: true, Go: "go1.26.0"}
	if got != want {
		t.Errorf("readVersion = %+v, want %+v", got, want)
	}
	if s := got.String(); s != "linkwatch v1.4.0 (revision 0123abcd (modified), built from a commit of 2026-12-01T10:00:00Z, go1.26.0)" {
		t.Errorf("String() = %q", s)
	}
	if got := readVersion(nil, false); got.Version != "unknown" {
		t.Errorf("no build info: %+v", got)
	}
}

// TestConfigMistakeThroughCLI: a misspelt key in the file stops a role
// with the key as written, its line and the nearest known key.
func TestConfigMistakeThroughCLI(t *testing.T) {
	path := t.TempDir() + "/linkwatch.yaml"
	writeFile(t, path, "addr: \":0\"\nlog_level: info\n\n# where short links live\npubic_url: https://go.example.com\n")
	_, _, err := runCLI(t, nil, "check-config", "--config", path)
	want := "config: " + path + ": line 5: unknown key `pubic_url` (did you mean `public_url`?)"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
