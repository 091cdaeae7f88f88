package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestTokensCreateRegions: --region (repeatable, or comma-separated) becomes
// the token's regions; without it the request carries none, so the control
// plane can refuse a prober token that names no region.
func TestTokensCreateRegions(t *testing.T) {
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/tokens" || json.Unmarshal(b, &body) != nil {
			t.Errorf("%s %s %s", r.Method, r.URL.Path, b)
		}
		got = append(got, body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"id":"abcd2345","token":"lw_abcd2345_x"}`))
	}))
	defer srv.Close()
	env := map[string]string{"LINKWATCH_SERVER": srv.URL, "LINKWATCH_TOKEN": "admin"}
	for _, args := range [][]string{
		{"tokens", "create", "--name", "eu", "--scope", "prober", "--region", "eu-west", "--region", "us-east,ap-south"},
		{"tokens", "create", "--name", "ci", "--scope", "read"},
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
	}
	want := []map[string]any{
		{"name": "eu", "scopes": []any{"prober"}, "regions": []any{"eu-west", "us-east", "ap-south"}},
		{"name": "ci", "scopes": []any{"read"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
	// A prober token without --region is refused in the CLI's words.
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"tokens", "create", "--name", "eu", "--scope", "prober"}, func(k string) string { return env[k] }, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "--region") || len(got) != 2 {
		t.Errorf("a prober token without --region: err %v, %d requests sent", err, len(got))
	}
}
