package pgtest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	const dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	tests := []struct {
		name            string
		env             map[string]string
		run, skip, fail bool
	}{
		{"off", nil, false, true, false},
		{"on", map[string]string{Env: dsn}, true, false, false},
		{"required and given", map[string]string{Env: dsn, RequiredEnv: "1"}, true, false, false},
		{"required but missing", map[string]string{RequiredEnv: "1"}, false, false, true},
		{"required=0 is not required", map[string]string{RequiredEnv: "0"}, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotDSN, skip, fail := decide(func(k string) string { return tt.env[k] })
			if (gotDSN != "") != tt.run || (skip != "") != tt.skip || (fail != "") != tt.fail {
				t.Fatalf("decide = (%q, %q, %q), want run=%v skip=%v fail=%v", gotDSN, skip, fail, tt.run, tt.skip, tt.fail)
			}
			if tt.run && gotDSN != dsn {
				t.Errorf("dsn %q, want %q", gotDSN, dsn)
			}
			if tt.fail && !strings.Contains(fail, Env) {
				t.Errorf("failure %q does not name %s", fail, Env)
			}
		})
	}
}

// fatalTB records a fatal failure instead of failing the real test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestUnreachableFails: a DSN that names no server fails the test rather than
// skipping it, and the password is not printed.
func TestUnreachableFails(t *testing.T) {
	f := &fatalTB{TB: t}
	done := make(chan string)
	go func() {
		defer func() { done <- f.msg }()
		OpenSchema(f, "postgres://postgres:s3cret@127.0.0.1:1/test?sslmode=disable&connect_timeout=5")
		f.msg = "" // not reached when OpenSchema fails
	}()
	msg := <-done
	if msg == "" {
		t.Fatal("OpenSchema of an unreachable database did not fail the test")
	}
	if !strings.Contains(msg, "create test schema") || strings.Contains(msg, "s3cret") {
		t.Errorf("failure %q: want the cause, without the password", msg)
	}
}

func TestWithSearchPath(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"postgres://u@db:5432/app?sslmode=disable", "postgres://u@db:5432/app?search_path=s1&sslmode=disable"},
		{"postgresql://u@db/app", "postgresql://u@db/app?search_path=s1"},
		{"postgres://u@db/app?search_path=public", "postgres://u@db/app?search_path=s1"},
		{"host=db user=u dbname=app", "host=db user=u dbname=app search_path=s1"},
	}
	for _, tt := range tests {
		if got := withSearchPath(tt.dsn, "s1"); got != tt.want {
			t.Errorf("withSearchPath(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}
